"""The risk classification of a use case: the team answers the questionnaire
(a new version, with what it proposes), risk and compliance confirms or
overrides it with a reason, and the decision sets the use case's risk tier and
regulatory constraints."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core import events
from core.audit import audit_record
from core.errors import InvalidInput, TransitionRefused
from core.validators import clean_reason
from usecases import risk, rules
from usecases.models import (
    RiskClassification,
    RiskClassificationStatus,
    RiskTier,
    UseCase,
)
from usecases.services.portfolio import _clean_constraints

OVERRIDE_REASON_REQUIRED = gettext_noop(
    "An override needs a reason: say why the proposal does not hold."
)


def _tier_label(tier: str) -> str:
    return RiskTier(tier).label


@transaction.atomic
def risk_answer(*, use_case: UseCase, by: Any, answers: Any) -> RiskClassification:
    """A new version of the questionnaire's answers, with the tier and
    regulations they propose, awaiting risk and compliance."""
    use_case = UseCase.objects.select_for_update().get(pk=use_case.pk)
    refusal = rules.risk_answer_refusal(by, use_case)
    if refusal is not None:
        raise refusal
    cleaned = risk.clean_answers(answers)
    proposal = risk.propose(cleaned)
    latest = use_case.risk_classifications.aggregate(v=Max("version"))["v"] or 0
    classification = RiskClassification.objects.create(
        use_case=use_case,
        version=latest + 1,
        questionnaire_version=risk.QUESTIONNAIRE_VERSION,
        answers=cleaned,
        proposed_tier=proposal.tier,
        proposed_regulations=proposal.regulations,
        reasoning=proposal.reasoning,
        prohibited=proposal.prohibited,
        answered_by=by,
    )
    UseCase.objects.filter(pk=use_case.pk).update(last_activity_at=timezone.now())
    audit_record(
        actor=by,
        action="risk.answered",
        summary=f"Answered the risk questionnaire (version {classification.version}): "
        f"proposes {_tier_label(proposal.tier).lower()} risk"
        + (", a prohibited practice" if proposal.prohibited else ""),
        use_case=use_case,
        obj=classification,
        payload={
            "version": classification.version,
            "questionnaire_version": risk.QUESTIONNAIRE_VERSION,
            "answers": cleaned,
            "proposed_tier": proposal.tier,
            "proposed_regulations": proposal.regulations,
            "prohibited": proposal.prohibited,
        },
    )
    events.emit_on_commit(events.RISK_CLASSIFICATION_PROPOSED, classification_id=classification.pk)
    return classification


@transaction.atomic
def risk_decide(
    *,
    classification: RiskClassification,
    by: Any,
    confirm: bool = False,
    tier: str | None = None,
    regulations: list[str] | None = None,
    reason: str | None = None,
) -> RiskClassification:
    """Risk and compliance confirms the proposal (``confirm=True``) or
    overrides it (``tier``, ``regulations`` and a ``reason``). Only the latest
    version is decided, once; the decision becomes the use case's risk tier
    and regulatory constraints."""
    use_case = UseCase.objects.select_for_update().get(pk=classification.use_case_id)
    classification = RiskClassification.objects.select_for_update().get(pk=classification.pk)
    refusal = rules.risk_decide_refusal(by, use_case)
    if refusal is not None:
        raise refusal
    latest = use_case.risk_classifications.aggregate(v=Max("version"))["v"]
    if classification.version != latest:
        raise TransitionRefused(
            _("Only the latest answers are decided."),
            [
                _("Version %(latest)s replaced version %(version)s.")
                % {"latest": latest, "version": classification.version}
            ],
        )
    if classification.status != RiskClassificationStatus.PROPOSED:
        raise TransitionRefused(
            _("This risk classification is already decided."),
            [_("It was %(status)s.") % {"status": classification.get_status_display().lower()}],
        )
    if confirm:
        if tier is not None or regulations is not None or reason:
            raise InvalidInput(
                _(
                    "Confirm the proposal as it is, or override it with a tier, regulations "
                    "and a reason."
                ),
                field="confirm",
            )
        new_tier = classification.proposed_tier
        new_regulations = list(classification.proposed_regulations)
        status = RiskClassificationStatus.CONFIRMED
        reason = ""
    else:
        if tier not in RiskTier.values:
            raise InvalidInput(
                _("Risk tier must be one of: %(tiers)s.") % {"tiers": ", ".join(RiskTier.values)},
                field="tier",
            )
        try:
            new_regulations = _clean_constraints(regulations)
        except InvalidInput as error:
            raise InvalidInput(str(error), field="regulations") from None
        reason = clean_reason(reason, required=OVERRIDE_REASON_REQUIRED)
        new_tier = tier
        status = RiskClassificationStatus.OVERRIDDEN
    changes_facts = (use_case.risk_tier, list(use_case.regulatory_constraints)) != (
        new_tier,
        new_regulations,
    )
    if changes_facts:
        # A review under way fixed its approvers from these facts.
        frozen = rules.facts_frozen_refusal(use_case, gettext_noop("The risk tier and regulations"))
        if frozen is not None:
            raise frozen
    now = timezone.now()
    classification.status = status
    classification.tier = new_tier
    classification.regulations = new_regulations
    classification.override_reason = reason
    classification.decided_by = by
    classification.decided_at = now
    classification.save(
        update_fields=[
            "status",
            "tier",
            "regulations",
            "override_reason",
            "decided_by",
            "decided_at",
        ]
    )
    before = {
        "risk_tier": use_case.risk_tier,
        "regulatory_constraints": list(use_case.regulatory_constraints),
    }
    UseCase.objects.filter(pk=use_case.pk).update(
        risk_tier=new_tier, regulatory_constraints=new_regulations, last_activity_at=now
    )
    verb = "Confirmed" if status == RiskClassificationStatus.CONFIRMED else "Overrode"
    audit_record(
        actor=by,
        action="risk.decided",
        summary=f"{verb} the risk classification (version {classification.version}): "
        f"{_tier_label(new_tier).lower()} risk" + (f"; {reason[:200]}" if reason else ""),
        use_case=use_case,
        obj=classification,
        payload={
            "version": classification.version,
            "status": status,
            "proposed": {
                "risk_tier": classification.proposed_tier,
                "regulatory_constraints": classification.proposed_regulations,
            },
            "before": before,
            "after": {"risk_tier": new_tier, "regulatory_constraints": new_regulations},
            "reason": reason,
        },
    )
    events.emit_on_commit(events.RISK_CLASSIFICATION_DECIDED, classification_id=classification.pk)
    return classification
