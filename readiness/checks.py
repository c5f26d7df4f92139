"""What readiness asks of the gate engine: the production readiness checklist
as a condition of Go at Gate 3, the PoC scorecard's bands where the gate
template enforces them (Gate 2), and KPI-bound criteria assessed only from
measurements. All are registered in ``ReadinessConfig.ready``."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import DomainError, TransitionRefused
from gates.models import Decision, GateReview, ReviewCriterion
from readiness.models import KpiRule, PocScore, ScorecardBand
from readiness.services import checklist_open_items, scorecard_band

CHECKLIST_GATE = 3


def production_readiness_blockers(review: GateReview) -> list[str]:
    """Why Go cannot be recorded at Gate 3 while the checklist has open items.
    Read at call time, so READINESS_GATE3_CHECKLIST_REQUIRED can be switched
    off (for example in a test's ``settings``) without a restart."""
    if review.gate_number != CHECKLIST_GATE:
        return []
    if not settings.READINESS_GATE3_CHECKLIST_REQUIRED:
        return []
    open_items = checklist_open_items(review.use_case_id)
    if open_items is None:
        return ["Production readiness checklist not started"]
    return [f"Production readiness item open: {text}" for text in open_items]


def kpi_bound_assessment_refusal(criterion: ReviewCriterion) -> DomainError | None:
    """Registered with the gate engine: a criterion bound to a KPI rule is
    assessed only from measurements; by hand only once the rule is unbound."""
    rule = KpiRule.objects.select_related("kpi").filter(review_criterion=criterion).first()
    if rule is None:
        return None
    return TransitionRefused(
        _("“%(name)s” is assessed from the KPI rule “%(label)s”.")
        % {"name": criterion.name, "label": rule.label},
        [
            _(
                "Record a measurement of the KPI, or unbind the rule (with a reason) "
                "to assess the criterion by hand."
            )
        ],
    )


def _latest_scores(review: GateReview) -> list[PocScore]:
    """The latest PoC scorecard's scores with their items and the scorecard,
    in one query, kept on the review object: the page and the decision ask
    once for Go and once for Conditional Go."""
    cached = getattr(review, "_latest_poc_scores", None)
    if cached is None:
        latest = (
            PocScore.objects.filter(scorecard__use_case_id=review.use_case_id)
            .order_by("-scorecard__version")
            .values("scorecard__version")[:1]
        )
        cached = list(
            PocScore.objects.filter(
                scorecard__use_case_id=review.use_case_id, scorecard__version=latest
            )
            .select_related("item", "scorecard")
            .order_by("item__order", "item_id")
        )
        review._latest_poc_scores = cached
    return cached


def names(condition: str, item_name: str) -> bool:
    """A condition counts for a scorecard item when its description names it."""
    return item_name.casefold() in condition.casefold()


def scorecard_band_blockers(
    review: GateReview, decision: str, conditions: Sequence[str]
) -> list[str]:
    """Where the review's gate template enforces the scorecard bands (the
    template's setting read at decision time; the decision's audit row records
    it): below 18, neither Go nor Conditional Go; 18 to 23, Conditional Go only,
    with a condition naming each item scored 1; 24 or more, Go."""
    if decision not in (Decision.GO, Decision.CONDITIONAL_GO):
        return []
    if not review.template.enforce_scorecard_bands:
        return []
    scores = _latest_scores(review)
    if not scores:
        return [
            f"Gate {review.gate_number} needs the PoC scorecard: score the PoC before "
            "recording Go or Conditional Go."
        ]
    total = scores[0].scorecard.total
    band = scorecard_band(total)  # the thresholds the scorecard is saved with
    if band == ScorecardBand.RECOMMENDED:
        return []
    if band == ScorecardBand.MORE_POC:
        return [
            f"The PoC scorecard scores {total}/30, below 18: "
            "more PoC or a new strategy before Go or Conditional Go.",
            *(
                f"Scorecard item “{row.item.name}” scored {row.score}."
                for row in scores
                if row.score <= 2
            ),
        ]
    if decision == Decision.GO:
        return [f"The PoC scorecard scores {total}/30: the scorecard allows Conditional Go only."]
    return [
        f"Add a condition naming “{row.item.name}” (scored 1)."
        for row in scores
        if row.score == 1 and not any(names(text, row.item.name) for text in conditions)
    ]
