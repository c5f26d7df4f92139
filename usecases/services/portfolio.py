"""Use cases and their teams: proposing, editing, reclassifying the risk,
adding and removing people in roles."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import audit_record
from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.validators import clean_reason
from usecases import access, custom_fields, rules
from usecases.models import (
    BusinessUnit,
    MemberRole,
    RegulatoryConstraint,
    RiskTier,
    Status,
    UseCase,
    UseCaseMember,
)
from usecases.rules import EDIT_REFUSAL, TEAM_REFUSAL

User = get_user_model()

EDITABLE_FIELDS = (
    "title",
    "summary",
    "business_problem",
    "value_hypothesis",
    "quantified_outcome",
    "assumptions",
    "success_metrics",
    "data_sources",
    "regulatory_constraints",
    "risk_tier",
    "business_unit",
)


def _clean_constraints(values: Any) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        raise InvalidInput(
            _("Regulatory constraints must be a list."), field="regulatory_constraints"
        )
    allowed = set(RegulatoryConstraint.values)
    unknown = [str(v) for v in values if v not in allowed]
    if unknown:
        raise InvalidInput(
            _("Unknown regulatory constraint: %(unknown)s. Choose from %(allowed)s.")
            % {"unknown": ", ".join(unknown), "allowed": ", ".join(sorted(allowed))},
            field="regulatory_constraints",
        )
    # Keep the framework's order, drop duplicates.
    return [code for code in RegulatoryConstraint.values if code in values]


def usecase_ensure_creatable(*, by: Any) -> None:
    """Refuse early, before any input is read, when this person may not propose
    use cases; ``usecase_create`` checks the same."""
    refusal = rules.create_refusal(by)
    if refusal is not None:
        raise refusal


def usecase_ensure_editable(*, use_case: UseCase, by: Any, refusal: str = EDIT_REFUSAL) -> None:
    """Refuse early, before any input is read: killed (409) before not yours (403),
    so a sponsor learns why their own use case no longer takes changes."""
    error = rules.edit_refusal(by, use_case, refusal)
    if error is not None:
        raise error


def _audit_fields(use_case: UseCase, fields: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in fields:
        value = getattr(use_case, name)
        result[name] = value.pk if isinstance(value, BusinessUnit) else value
    return result


@transaction.atomic
def usecase_create(
    *,
    by: Any,
    title: str,
    summary: str,
    business_unit: BusinessUnit,
    sponsor: Any | None = None,
    idempotency_key: str | None = None,
    custom_values: dict[str, Any] | None = None,
    **fields: Any,
) -> UseCase:
    """Create a use case in Discovery. The creator is its sponsor unless a
    program lead names another one. ``usecase_create_once`` is the entry
    point for a request that carries an idempotency key. ``custom_values``:
    the custom fields' typed values keyed by field key (``custom_fields``)."""
    refusal = rules.create_refusal(by, business_unit)
    if refusal is not None:
        raise refusal
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    if sponsor is not None and sponsor != by and not access.is_program_lead(by):
        raise PermissionRefused(_("Only a program lead may name someone else as sponsor."))
    fields["regulatory_constraints"] = _clean_constraints(fields.get("regulatory_constraints"))
    now = timezone.now()
    use_case = UseCase(
        title=title,
        summary=summary,
        business_unit=business_unit,
        created_by=by,
        stage_entered_at=now,
        last_activity_at=now,
        idempotency_key=idempotency_key,
        custom_values=custom_fields.clean_values(
            custom_fields.active_fields(), custom_values or {}
        ),
        **fields,
    )
    # The key's uniqueness is the database's to enforce (usecase_create_once
    # answers a concurrent duplicate with the use case that won).
    use_case.full_clean(validate_constraints=False)
    use_case.validate_constraints(exclude={"idempotency_key"})
    use_case.save()
    sponsor = sponsor or by
    UseCaseMember.objects.create(use_case=use_case, user=sponsor, role=MemberRole.SPONSOR)
    audit_record(
        actor=by,
        action="usecase.created",
        summary=f"Created “{use_case.title}” in Discovery",
        use_case=use_case,
        obj=use_case,
        payload={
            "sponsor": sponsor.get_username(),
            **_audit_fields(use_case, ["business_unit"]),
            **({"custom_values": use_case.custom_values} if use_case.custom_values else {}),
        },
    )
    return use_case


IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,64}")
IDEMPOTENCY_KEY_MESSAGE = gettext_noop(
    "An idempotency key is 8 to 64 letters, digits or the characters _ . : - "
    "(a random token per form or request)."
)


def clean_idempotency_key(key: str | None) -> str | None:
    if key is None or key == "":
        return None
    if not isinstance(key, str) or not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidInput(IDEMPOTENCY_KEY_MESSAGE, field="idempotency_key")
    return key


def usecase_created_with_key(*, by: Any, idempotency_key: str) -> UseCase | None:
    return UseCase.objects.filter(created_by=by, idempotency_key=idempotency_key).first()


def usecase_create_once(
    *, by: Any, idempotency_key: str | None, **kwargs: Any
) -> tuple[UseCase, bool]:
    """Create a use case, once per key and person: the same person sending the
    same key again (a double click, a retried request) gets the use case the
    key created and nothing new. Returns the use case and whether it is new."""
    key = clean_idempotency_key(idempotency_key)
    if key is None:
        return usecase_create(by=by, **kwargs), True
    existing = usecase_created_with_key(by=by, idempotency_key=key)
    if existing is not None:
        return existing, False
    try:
        # A savepoint: two requests with the same key race to the unique
        # constraint; the loser waits for the winner's commit, fails here, and
        # reads the winner's use case.
        with transaction.atomic():
            return usecase_create(by=by, idempotency_key=key, **kwargs), True
    except IntegrityError:
        existing = usecase_created_with_key(by=by, idempotency_key=key)
        if existing is None:
            raise
        return existing, False


@transaction.atomic
def usecase_update(
    *, use_case: UseCase, by: Any, custom_values: dict[str, Any] | None = None, **changes: Any
) -> UseCase:
    """Edit the facts; ``custom_values`` sets the custom fields it names
    ({key: typed value}, None or empty to clear) and keeps the others."""
    use_case = UseCase.objects.select_for_update().get(pk=use_case.pk)
    usecase_ensure_editable(use_case=use_case, by=by)
    forbidden = set(changes) - set(EDITABLE_FIELDS)
    if forbidden:
        if forbidden & {"stage", "status", "stage_entered_at"}:
            raise InvalidInput(
                _("The stage and status change only through a gate decision."),
                field=sorted(forbidden)[0],
            )
        raise InvalidInput(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(forbidden))}
        )
    if "regulatory_constraints" in changes:
        changes["regulatory_constraints"] = _clean_constraints(changes["regulatory_constraints"])
    values_before = dict(use_case.custom_values or {})
    values_after = values_before
    if custom_values is not None:
        definitions = custom_fields.active_fields()
        values_after = custom_fields.clean_values(definitions, custom_values, current=values_before)
        _ensure_required_kept(use_case, definitions, values_after)
    before = _audit_fields(use_case, list(changes))
    for name, value in changes.items():
        setattr(use_case, name, value)
    use_case.full_clean()
    after = _audit_fields(use_case, list(changes))
    changed = [name for name in changes if before[name] != after[name]]
    changed_keys = sorted(
        key
        for key in set(values_before) | set(values_after)
        if values_before.get(key) != values_after.get(key)
    )
    if changed_keys:
        use_case.custom_values = values_after
        before["custom_values"] = {k: values_before.get(k) for k in changed_keys}
        after["custom_values"] = {k: values_after.get(k) for k in changed_keys}
        changed.append("custom_values")
    if not changed:
        return use_case
    _ensure_approver_facts_may_change(use_case, changed, before)
    if "business_unit" in changed:
        refusal = rules.business_unit_move_refusal(by, use_case.business_unit)
        if refusal is not None:
            raise refusal
    use_case.last_activity_at = timezone.now()
    use_case.save(update_fields=[*changed, "last_activity_at", "updated_at"])
    audit_record(
        actor=by,
        action="usecase.updated",
        summary=f"Edited {', '.join(_changed_names(changed, changed_keys))}",
        use_case=use_case,
        obj=use_case,
        payload={
            "before": {n: before[n] for n in changed},
            "after": {n: after[n] for n in changed},
        },
    )
    return use_case


def _changed_names(changed: list[str], keys: list[str]) -> list[str]:
    names = [name.replace("_", " ") for name in changed if name != "custom_values"]
    return [*names, *(key.replace("_", " ") for key in keys)]


def _ensure_required_kept(
    use_case: UseCase, definitions: list[Any], values: dict[str, Any]
) -> None:
    """A value required from a stage the use case has reached is never
    cleared: its gate was passed with it."""
    for field in custom_fields.missing_for_target(definitions, values, use_case.stage):
        if use_case.custom_values.get(field.key) not in (None, "", []):
            raise custom_fields.field_error(
                field,
                custom_fields.required_message(field)
                + "; "
                + _("it cannot be cleared at %(stage)s.") % {"stage": use_case.get_stage_display()},
            )


def _ensure_approver_facts_may_change(
    use_case: UseCase, changed: list[str], before: dict[str, Any]
) -> None:
    """Risk tier, regulations and business unit decide who approves: frozen
    while a review is open, and never lowered by an edit (a reclassification
    is the risk and compliance role's, with a reason)."""
    facts = [name for name in changed if name in rules.APPROVER_FACTS]
    if not facts:
        return
    refusal = rules.facts_frozen_refusal(
        use_case, ", ".join(name.replace("_", " ") for name in facts).capitalize()
    )
    if refusal is not None:
        raise refusal
    # ``use_case`` holds the new values; ``before`` the old ones of what changed.
    lowered = rules.lowers_classification(
        risk_before=before.get("risk_tier", use_case.risk_tier),
        risk_after=use_case.risk_tier,
        regulations_before=before.get("regulatory_constraints", use_case.regulatory_constraints),
        regulations_after=use_case.regulatory_constraints,
    )
    if lowered:
        raise TransitionRefused(
            rules.RECLASSIFY_MESSAGE,
            [
                _(
                    "Raise the risk or add a regulation here; lowering goes through a "
                    "reclassification."
                )
            ],
        )


def _ensure_team_may_change(use_case: UseCase) -> None:
    refusal = rules.facts_frozen_refusal(use_case, gettext_noop("The team"))
    if refusal is not None:
        raise refusal


@transaction.atomic
def usecase_reclassify(
    *,
    use_case: UseCase,
    by: Any,
    risk_tier: str,
    regulatory_constraints: list[str],
    reason: str,
) -> UseCase:
    """The risk and compliance role's reclassification of a use case's risk
    tier and regulations, lowering included, with a reason; never while a
    review has fixed who approves."""
    use_case = UseCase.objects.select_for_update().get(pk=use_case.pk)
    refusal = rules.reclassify_refusal(by, use_case)
    if refusal is not None:
        raise refusal
    reason = clean_reason(reason, required=_("A reclassification needs a reason."))
    if risk_tier not in RiskTier.values:
        raise InvalidInput(
            _("Risk tier must be one of: %(tiers)s.") % {"tiers": ", ".join(RiskTier.values)},
            field="risk_tier",
        )
    constraints = _clean_constraints(regulatory_constraints)
    before = {
        "risk_tier": use_case.risk_tier,
        "regulatory_constraints": use_case.regulatory_constraints,
    }
    after = {"risk_tier": risk_tier, "regulatory_constraints": constraints}
    if before == after:
        raise InvalidInput(
            _("This is the classification the use case already has."), field="risk_tier"
        )
    UseCase.objects.filter(pk=use_case.pk).update(
        risk_tier=risk_tier, regulatory_constraints=constraints, last_activity_at=timezone.now()
    )
    use_case.refresh_from_db()
    audit_record(
        actor=by,
        action="usecase.reclassified",
        summary=f"Reclassified: risk {RiskTier(before['risk_tier']).label.lower()} → "
        f"{RiskTier(risk_tier).label.lower()}; {reason[:200]}",
        use_case=use_case,
        obj=use_case,
        payload={"before": before, "after": after, "reason": reason},
    )
    return use_case


@transaction.atomic
def member_add(*, use_case: UseCase, by: Any, user: Any, role: str) -> UseCaseMember:
    use_case = UseCase.objects.select_for_update().get(pk=use_case.pk)
    usecase_ensure_editable(use_case=use_case, by=by, refusal=TEAM_REFUSAL)
    _ensure_team_may_change(use_case)
    if role not in MemberRole.values:
        raise InvalidInput(_("Unknown role %(role)r.") % {"role": role}, field="role")
    if not user.is_active:
        raise InvalidInput(
            _("%(user)s is not an active user.") % {"user": user.get_username()}, field="user"
        )
    member, created = UseCaseMember.objects.get_or_create(use_case=use_case, user=user, role=role)
    if not created:
        raise TransitionRefused(
            _("%(user)s is already %(role)s on this use case.")
            % {"user": user.get_username(), "role": member.get_role_display().lower()}
        )
    audit_record(
        actor=by,
        action="usecase.member_added",
        summary=f"Added {user.get_username()} as {member.get_role_display()}",
        use_case=use_case,
        obj=member,
        payload={"user": user.get_username(), "role": role},
    )
    return member


@transaction.atomic
def member_remove(*, member: UseCaseMember, by: Any) -> None:
    use_case = UseCase.objects.select_for_update().get(pk=member.use_case_id)
    usecase_ensure_editable(use_case=use_case, by=by, refusal=TEAM_REFUSAL)
    _ensure_team_may_change(use_case)
    if (
        member.role == MemberRole.SPONSOR
        and not UseCaseMember.objects.filter(use_case=use_case, role=MemberRole.SPONSOR)
        .exclude(pk=member.pk)
        .exists()
    ):
        raise TransitionRefused(
            _("A use case needs a sponsor who owns its outcome."),
            [_("Add another sponsor before removing this one.")],
        )
    audit_record(
        actor=by,
        action="usecase.member_removed",
        summary=f"Removed {member.user.get_username()} as {member.get_role_display()}",
        use_case=use_case,
        obj=member,
        payload={"user": member.user.get_username(), "role": member.role},
    )
    member.delete()


def usecase_ensure_withdrawable(*, use_case: UseCase, by: Any) -> None:
    """Refuse early, before any input is read; ``usecase_withdraw`` checks the same."""
    refusal = rules.withdraw_refusal(by, use_case)
    if refusal is not None:
        raise refusal


@transaction.atomic
def usecase_withdraw(*, use_case: UseCase, by: Any, reason: str | None) -> UseCase:
    """The sponsor or a program lead withdraws a use case that has passed no
    gate, with a reason. Withdrawn is terminal and read-only; nothing is
    deleted. The row lock serialises this with a review being opened (the
    gate engine locks the use case too)."""
    use_case = UseCase.objects.select_for_update().get(pk=use_case.pk)
    usecase_ensure_withdrawable(use_case=use_case, by=by)
    reason = clean_reason(reason, required=rules.WITHDRAW_REASON_REQUIRED)
    before = use_case.status
    use_case.status = Status.WITHDRAWN
    use_case.last_activity_at = timezone.now()
    use_case.save(update_fields=["status", "last_activity_at", "updated_at"])
    audit_record(
        actor=by,
        action="usecase.withdrawn",
        summary=f"Withdrew “{use_case.title}” in {use_case.get_stage_display()}",
        use_case=use_case,
        obj=use_case,
        payload={"reason": reason, "status_before": before, "stage": use_case.stage},
    )
    return use_case
