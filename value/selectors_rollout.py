"""Reads of a use case's rollout (the pilot and the waves, two queries) and
of the figures a value rule assesses a gate criterion from: ROI, NPV and
payback from ``value.selectors.finances_of`` (three queries), adoption
against the pilot from the pilot and the latest validated wave (two)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext, gettext_lazy

from readiness.models import format_value
from usecases.models import UseCase
from value import rollout_rules
from value.models import PilotScope, RolloutWave, ValueMetric
from value.selectors import currency, finances_of

FINANCE_METRICS = frozenset({ValueMetric.ROI, ValueMetric.NPV, ValueMetric.PAYBACK})


@dataclass(frozen=True)
class WaveRow:
    wave: RolloutWave
    can_start: bool  # not started, and the wave before (if any) passed
    can_validate: bool  # started and not passed yet


@dataclass(frozen=True)
class Rollout:
    use_case_id: int
    pilot: PilotScope | None
    warning: str
    waves: list[WaveRow]
    default_threshold: Decimal
    default_threshold_source: str

    @property
    def started(self) -> bool:
        return any(row.wave.started_on is not None for row in self.waves)

    @property
    def latest_validated(self) -> RolloutWave | None:
        validated = [row.wave for row in self.waves if row.wave.validated_on is not None]
        return validated[-1] if validated else None


PILOT_RATE = gettext_lazy("the pilot's adoption rate")
FRAMEWORK_FLOOR = gettext_lazy("the framework's 60% (no pilot rate yet)")


def default_adoption_threshold(pilot: PilotScope | None) -> tuple[Decimal, str]:
    """A wave's adoption threshold when none is given, and where it comes from
    (lazy: the page reads it in the reader's language, the audit trail in
    the installation's)."""
    if pilot is not None and pilot.adoption_percent is not None:
        return pilot.adoption_percent, PILOT_RATE
    return rollout_rules.DEFAULT_ADOPTION_THRESHOLD, FRAMEWORK_FLOOR


def rollout_of(use_case: UseCase | int) -> Rollout:
    """The pilot and the waves in order, with what each wave may do next."""
    use_case_id = use_case if isinstance(use_case, int) else use_case.pk
    pilot = PilotScope.objects.filter(use_case_id=use_case_id).select_related("updated_by").first()
    waves = list(
        RolloutWave.objects.filter(use_case_id=use_case_id)
        .select_related("validated_by")
        .order_by("order")
    )
    rows = []
    previous: RolloutWave | None = None
    for wave in waves:
        rows.append(
            WaveRow(
                wave=wave,
                can_start=wave.started_on is None and (previous is None or bool(previous.passed)),
                can_validate=wave.started_on is not None and not wave.passed,
            )
        )
        previous = wave
    threshold, source = default_adoption_threshold(pilot)
    return Rollout(
        use_case_id=use_case_id,
        pilot=pilot,
        warning=(
            rollout_rules.pilot_share_warning(pilot.pilot_units, pilot.target_units)
            if pilot
            else ""
        ),
        waves=rows,
        default_threshold=threshold,
        default_threshold_source=source,
    )


# --- The figures value rules assess criteria from -------------------------------


@dataclass(frozen=True)
class Figure:
    value: Decimal | int | None  # None: not computable, the rule does not hold
    text: str  # the figure as the criterion's evidence states it


def _percent(value: Decimal) -> str:
    return format_value(value, "%")


def _money(value: Decimal, code: str) -> str:
    return f"{value:,.2f} {code}"


def adoption_figure(use_case_id: int) -> Figure:
    """The latest validated wave's adoption minus the pilot's, in points."""
    pilot = PilotScope.objects.filter(use_case_id=use_case_id).only("adoption_percent").first()
    wave = (
        RolloutWave.objects.filter(use_case_id=use_case_id, validated_on__isnull=False)
        .order_by("-order")
        .first()
    )
    if pilot is None or pilot.adoption_percent is None:
        return Figure(None, gettext("The pilot's adoption rate is not recorded"))
    if wave is None or wave.adoption_percent is None:
        return Figure(
            None,
            gettext("No rollout wave validated yet (pilot adoption %(pilot)s)")
            % {"pilot": _percent(pilot.adoption_percent)},
        )
    gap = wave.adoption_percent - pilot.adoption_percent
    sign = "+" if gap >= 0 else "−"
    return Figure(
        gap,
        gettext(
            "Wave %(number)s (%(share)s) adoption %(adoption)s on %(day)s against the "
            "pilot's %(pilot)s: %(gap)s points"
        )
        % {
            "number": wave.order,
            "share": _percent(wave.share_percent),
            "adoption": _percent(wave.adoption_percent),
            "day": wave.validated_on.isoformat(),
            "pilot": _percent(pilot.adoption_percent),
            "gap": f"{sign}{format_value(abs(gap))}",
        },
    )


def finance_figures(use_case_id: int) -> dict[str, Figure]:
    finances = finances_of(use_case_id)
    returns = finances.returns
    code = currency()
    roi = returns.roi_percent
    payback = returns.payback_month
    return {
        ValueMetric.ROI: Figure(
            roi,
            gettext("3-year ROI not computable: no cost recorded")
            if roi is None
            else gettext("3-year ROI %(roi)s") % {"roi": _percent(roi)},
        ),
        ValueMetric.NPV: Figure(
            returns.npv, gettext("NPV %(npv)s") % {"npv": _money(returns.npv, code)}
        ),
        ValueMetric.PAYBACK: Figure(
            payback,
            gettext("No payback: the monthly net is not positive")
            if payback is None
            else gettext("Payback in month %(month)s") % {"month": payback},
        ),
    }


def figures_for(use_case_id: int, metrics: set[str]) -> dict[str, Figure]:
    """The figures of the metrics named, each source read once."""
    figures: dict[str, Figure] = {}
    if metrics & FINANCE_METRICS:
        figures.update(finance_figures(use_case_id))
    if ValueMetric.ADOPTION in metrics:
        figures[ValueMetric.ADOPTION] = adoption_figure(use_case_id)
    return figures


def rule_evidence(rule: Any, figure: Figure) -> str:
    return gettext("%(figure)s (rule: %(rule)s)") % {"figure": figure.text, "rule": rule.label}
