"""Prioritization and the PoC evaluation scorecard."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import InvalidInput, TransitionRefused
from gates import services as gate_services
from readiness.models import (
    PocScore,
    PocScorecard,
    Prioritization,
    PriorityDimension,
    ScorecardBand,
    ScorecardItem,
)
from readiness.services._base import LOW_SCORE_AT_MOST, _lock, _score
from usecases.models import Stage, UseCase

# --- Prioritization --------------------------------------------------------


def prioritization_weights() -> dict[str, float]:
    """The weights of the four dimensions, from PRIORITIZATION_WEIGHTS;
    a dimension the setting leaves out weighs nothing. Weights that are
    negative or sum to nothing count as equal weights."""
    configured = settings.PRIORITIZATION_WEIGHTS
    weights = {d.value: float(configured.get(d.value, 0)) for d in PriorityDimension}
    if sum(weights.values()) <= 0 or any(w < 0 for w in weights.values()):
        return {d.value: 1 / len(PriorityDimension) for d in PriorityDimension}
    return weights


def priority_score(scores: Mapping[str, int]) -> Decimal:
    """The weighted mean of the scores, on the same 1-5 scale, two decimals."""
    weights = prioritization_weights()
    total = sum(weights.values())
    value = sum(weights[d] * scores[d] for d in weights) / total
    return Decimal(str(value)).quantize(Decimal("0.01"))


@transaction.atomic
def prioritization_save(
    *, use_case: UseCase, by: Any, scores: Mapping[str, Any], rationales: Mapping[str, str]
) -> Prioritization:
    """Score the use case at Discovery, 1-5 on each dimension with a rationale."""
    use_case = _lock(use_case, by)
    cleaned: dict[str, Any] = {}
    for dimension in PriorityDimension:
        cleaned[dimension.value] = _score(
            scores.get(dimension.value), dimension.value, dimension.label
        )
        rationale = str(rationales.get(dimension.value) or "").strip()
        field = f"{dimension.value}_rationale"
        if not rationale:
            raise InvalidInput(
                _("Say why %(label)s scores as it does.") % {"label": dimension.label.lower()},
                field=field,
            )
        if len(rationale) > 2000:
            raise InvalidInput(_("The rationale is longer than 2,000 characters."), field=field)
        cleaned[field] = rationale
    if use_case.stage != Stage.DISCOVERY:
        raise TransitionRefused(
            _("The prioritization is scored at Discovery."),
            [_("The use case is in %(stage)s.") % {"stage": use_case.get_stage_display()}],
        )
    existing = Prioritization.objects.select_for_update().filter(use_case=use_case).first()
    before = {d.value: getattr(existing, d.value) for d in PriorityDimension} if existing else None
    if existing is None:
        prioritization = Prioritization.objects.create(use_case=use_case, updated_by=by, **cleaned)
    else:
        for name, value in cleaned.items():
            setattr(existing, name, value)
        existing.updated_by = by
        existing.save()
        prioritization = existing
    score = priority_score(prioritization.scores())
    gate_services.touch(use_case)
    audit_record(
        actor=by,
        action="prioritization.saved",
        summary=f"Prioritization scored {score} (weighted, out of 5)",
        use_case=use_case,
        obj=prioritization,
        payload={"before": before, "after": cleaned, "weighted_score": str(score)},
    )
    return prioritization


# --- PoC evaluation scorecard ----------------------------------------------


def scorecard_band(total: int) -> ScorecardBand:
    """The seed's thresholds: 24+, 18-23, 17 or below."""
    if total >= 24:
        return ScorecardBand.RECOMMENDED
    if total >= 18:
        return ScorecardBand.CONDITIONAL
    return ScorecardBand.MORE_POC


def items_to_improve(scores: list[tuple[ScorecardItem, int]]) -> list[ScorecardItem]:
    """The low-scoring items to improve first: those scored 2 or below, or,
    when none is, those with the lowest score (if it is below 5)."""
    low = [item for item, score in scores if score <= LOW_SCORE_AT_MOST]
    if low or not scores:
        return low
    lowest = min(score for _, score in scores)
    return [item for item, score in scores if score == lowest and score < 5]


@transaction.atomic
def scorecard_save(
    *,
    use_case: UseCase,
    by: Any,
    scores: Mapping[int, Any],
    comments: Mapping[int, str] | None = None,
    note: str = "",
) -> PocScorecard:
    """Score the PoC on every active scorecard item (keyed by item id). Each
    save is a new version; the latest is the use case's scorecard."""
    use_case = _lock(use_case, by)
    comments = comments or {}
    items = list(ScorecardItem.objects.filter(is_active=True).order_by("order", "id"))
    known = {item.pk for item in items}
    unknown = [key for key in scores if key not in known]
    if unknown:
        raise InvalidInput(
            "These are not items of the scorecard: " + ", ".join(map(str, unknown)) + ".",
            field="scores",
        )
    missing = [item.name for item in items if scores.get(item.pk) in (None, "")]
    if missing:
        raise InvalidInput(
            _("Score every item of the scorecard."), [f"Not scored: {m}" for m in missing], "scores"
        )
    cleaned = [(item, _score(scores[item.pk], f"item_{item.pk}", item.name)) for item in items]
    for item in items:
        if len(str(comments.get(item.pk) or "")) > 1000:
            raise InvalidInput(
                _("The comment on %(name)s is longer than 1,000 characters.") % {"name": item.name},
                field=f"item_{item.pk}",
            )
    note = (note or "").strip()
    if len(note) > 2000:
        raise InvalidInput(_("The note is longer than 2,000 characters."), field="note")
    if use_case.stage != Stage.POC:
        raise TransitionRefused(
            _("The PoC evaluation scorecard is scored while the use case is in POC."),
            [_("The use case is in %(stage)s.") % {"stage": use_case.get_stage_display()}],
        )
    total = sum(score for _, score in cleaned)
    band = scorecard_band(total)
    latest = PocScorecard.objects.filter(use_case=use_case).aggregate(v=Max("version"))["v"]
    scorecard = PocScorecard.objects.create(
        use_case=use_case,
        version=(latest or 0) + 1,
        total=total,
        band=band,
        note=note,
        scored_by=by,
    )
    PocScore.objects.bulk_create(
        PocScore(
            scorecard=scorecard,
            item=item,
            score=score,
            comment=str(comments.get(item.pk) or "").strip(),
        )
        for item, score in cleaned
    )
    improve = items_to_improve(cleaned) if band == ScorecardBand.CONDITIONAL else []
    gate_services.touch(use_case)
    audit_record(
        actor=by,
        action="scorecard.saved",
        summary=f"PoC scorecard v{scorecard.version}: {total}/30, {band.label}",
        use_case=use_case,
        obj=scorecard,
        payload={
            "version": scorecard.version,
            "scores": {item.name: score for item, score in cleaned},
            "total": total,
            "band": band.value,
            "improve_first": [item.name for item in improve],
        },
    )
    return scorecard
