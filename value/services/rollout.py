"""The rollout of a use case: the pilot's scope against the target, then the
production waves (by default 25%, 50%, 100% of the target), each started
once the one before passed its validation, each validated for stability and
adoption against its threshold.

Every action locks the use case row first (as every action of the project
does), checks who acts and the current state, writes, audits in the same
transaction, and assesses again the criteria of open reviews bound to the
use case's adoption (``value.services.rules``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from core.audit import audit_record
from core.errors import InvalidInput, TransitionRefused
from usecases.models import UseCase
from value import rollout_rules
from value.models import PilotScope, RolloutWave
from value.selectors_rollout import default_adoption_threshold
from value.services.rules import value_rules_reassess

MAX_UNITS = 2_000_000_000  # the column holds 2,147,483,647
MAX_WAVES = 10
MAX_UNIT_NAME = 40
MAX_NOTE = 2000
HUNDRED = Decimal("100")


def _lock(use_case: UseCase, by: Any) -> UseCase:
    locked = UseCase.objects.select_for_update().get(pk=use_case.pk)
    refusal = rollout_rules.rollout_refusal(by, locked)
    if refusal is not None:
        raise refusal
    return locked


def _units(raw: Any, field: str, label: str) -> int:
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isdigit():
        value = int(raw.strip())
    if value is None or not 1 <= value <= MAX_UNITS:
        raise InvalidInput(
            gettext("%(label)s must be a whole number from 1 to %(max)s.")
            % {"label": label, "max": f"{MAX_UNITS:,}"},
            field=field,
        )
    return value


def _percent(raw: Any, field: str, label: str, *, required: bool = True) -> Decimal | None:
    """A percentage from 0 to 100 with at most two decimals."""
    if raw is None or raw == "":
        if required:
            raise InvalidInput(gettext("%(label)s is required.") % {"label": label}, field=field)
        return None
    if isinstance(raw, bool):
        raise InvalidInput(
            gettext("%(label)s must be a number from 0 to 100.") % {"label": label}, field=field
        )
    try:
        value = Decimal(raw.strip() if isinstance(raw, str) else str(raw))
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or not 0 <= value <= HUNDRED:
        raise InvalidInput(
            gettext("%(label)s must be a number from 0 to 100.") % {"label": label}, field=field
        )
    if value != value.quantize(Decimal("0.01")):
        raise InvalidInput(
            gettext("%(label)s takes at most two decimals.") % {"label": label}, field=field
        )
    return value.quantize(Decimal("0.01"))


def _date(raw: Any, field: str, label: str, *, required: bool = True, past: bool = False):
    if raw is None or raw == "":
        if required:
            raise InvalidInput(gettext("%(label)s is required.") % {"label": label}, field=field)
        return None
    if isinstance(raw, datetime.datetime):
        raw = raw.date()
    if not isinstance(raw, datetime.date):
        try:
            raw = datetime.date.fromisoformat(str(raw).strip())
        except ValueError:
            raise InvalidInput(
                gettext("%(label)s must be a date (YYYY-MM-DD).") % {"label": label}, field=field
            ) from None
    if past and raw > timezone.localdate():
        raise InvalidInput(
            gettext("%(label)s cannot be in the future.") % {"label": label}, field=field
        )
    return raw


def _scope_facts(scope: PilotScope | None) -> dict | None:
    if scope is None:
        return None
    return {
        "unit": scope.unit,
        "pilot_units": scope.pilot_units,
        "target_units": scope.target_units,
        "adoption_percent": scope.adoption_percent,
    }


@transaction.atomic
def pilot_scope_set(
    *,
    use_case: UseCase,
    by: Any,
    unit: str,
    pilot_units: Any,
    target_units: Any,
    adoption_percent: Any = None,
) -> PilotScope:
    """Set who the pilot reaches against the target, and its adoption rate
    once measured. A share outside the playbook's 5-15% is warned about
    (``rollout_rules.pilot_share_warning``), not refused."""
    use_case = _lock(use_case, by)
    unit = (unit or "").strip()
    if not unit or len(unit) > MAX_UNIT_NAME or "\n" in unit or "\r" in unit:
        raise InvalidInput(
            gettext("Name the unit on one line, at most %(max)s characters (users, branches…).")
            % {"max": MAX_UNIT_NAME},
            field="unit",
        )
    pilot = _units(pilot_units, "pilot_units", gettext("The pilot's units"))
    target = _units(target_units, "target_units", gettext("The target's units"))
    if pilot > target:
        raise InvalidInput(
            gettext("The pilot (%(pilot)s) cannot reach more than the target (%(target)s).")
            % {"pilot": f"{pilot:,}", "target": f"{target:,}"},
            field="pilot_units",
        )
    adoption = _percent(
        adoption_percent, "adoption_percent", gettext("The adoption"), required=False
    )
    scope = PilotScope.objects.select_for_update().filter(use_case=use_case).first()
    before = _scope_facts(scope)
    if scope is None:
        scope = PilotScope(use_case=use_case)
    scope.unit = unit
    scope.pilot_units = pilot
    scope.target_units = target
    scope.adoption_percent = adoption
    scope.updated_by = by
    scope.save()
    with translation.override(settings.LANGUAGE_CODE):  # the audit trail's language
        warning = rollout_rules.pilot_share_warning(pilot, target)
    audit_record(
        actor=by,
        action="pilot_scope.set",
        summary=f"Pilot scope: {pilot:,} of {target:,} {unit} ({scope.share_percent}%)"
        + (f", adoption {adoption}%" if adoption is not None else ""),
        use_case=use_case,
        obj=scope,
        payload={"before": before, "after": _scope_facts(scope), "warning": warning},
    )
    value_rules_reassess(use_case=use_case, by=by)
    return scope


def _clean_waves(
    waves: list[dict] | None, default_threshold: Decimal
) -> list[tuple[Decimal, datetime.date | None, Decimal]]:
    if waves is None:
        return [(share, None, default_threshold) for share in rollout_rules.DEFAULT_WAVE_SHARES]
    if not isinstance(waves, list | tuple) or not 1 <= len(waves) <= MAX_WAVES:
        raise InvalidInput(
            gettext("Plan from 1 to %(max)s waves.") % {"max": MAX_WAVES}, field="waves"
        )
    cleaned = []
    for index, wave in enumerate(waves):
        if not isinstance(wave, dict):
            raise InvalidInput(gettext("Each wave needs a share."), field=f"waves.{index}")
        share = _percent(
            wave.get("share_percent"),
            f"waves.{index}.share_percent",
            gettext("Wave %(number)s's share") % {"number": index + 1},
        )
        if share == 0:
            raise InvalidInput(
                gettext("Wave %(number)s's share must be above 0.") % {"number": index + 1},
                field=f"waves.{index}.share_percent",
            )
        planned = _date(
            wave.get("planned_date"),
            f"waves.{index}.planned_date",
            gettext("Wave %(number)s's planned date") % {"number": index + 1},
            required=False,
        )
        threshold = _percent(
            wave.get("adoption_threshold_percent"),
            f"waves.{index}.adoption_threshold_percent",
            gettext("Wave %(number)s's adoption threshold") % {"number": index + 1},
            required=False,
        )
        cleaned.append((share, planned, default_threshold if threshold is None else threshold))
    for index in range(1, len(cleaned)):
        share, planned, _ = cleaned[index]
        previous_share, previous_planned, _ = cleaned[index - 1]
        if share <= previous_share:
            raise InvalidInput(
                gettext(
                    "Each wave reaches more than the one before: wave %(number)s (%(share)s%%) "
                    "after wave %(previous)s (%(previous_share)s%%)."
                )
                % {
                    "number": index + 1,
                    "share": share,
                    "previous": index,
                    "previous_share": previous_share,
                },
                field=f"waves.{index}.share_percent",
            )
        if planned and previous_planned and planned < previous_planned:
            raise InvalidInput(
                gettext("Wave %(number)s is planned before wave %(previous)s.")
                % {"number": index + 1, "previous": index},
                field=f"waves.{index}.planned_date",
            )
    if cleaned[-1][0] != HUNDRED:
        raise InvalidInput(
            gettext("The last wave reaches the whole target (100%)."),
            field=f"waves.{len(cleaned) - 1}.share_percent",
        )
    return cleaned


@transaction.atomic
def waves_plan(*, use_case: UseCase, by: Any, waves: list[dict] | None = None) -> list[RolloutWave]:
    """Plan the production waves, replacing the plan there was, while none
    has started. ``waves``: ``[{"share_percent", "planned_date"?,
    "adoption_threshold_percent"?}]``, shares strictly increasing, the last
    100; without it the playbook's 25%, 50%, 100%. A threshold left out is
    ``default_adoption_threshold``."""
    use_case = _lock(use_case, by)
    pilot = PilotScope.objects.filter(use_case=use_case).first()
    default_threshold, source = default_adoption_threshold(pilot)
    cleaned = _clean_waves(waves, default_threshold)
    current = list(RolloutWave.objects.select_for_update().filter(use_case=use_case))
    started = [w for w in current if w.started_on is not None]
    if started:
        first = min(started, key=lambda w: w.order)
        raise TransitionRefused(
            gettext("The rollout has started: its waves can no longer be planned again."),
            [
                gettext("Wave %(number)s started on %(day)s.")
                % {"number": first.order, "day": first.started_on.isoformat()}
            ],
        )
    before = [{"share_percent": w.share_percent, "planned_date": w.planned_date} for w in current]
    RolloutWave.objects.filter(use_case=use_case).delete()
    planned = RolloutWave.objects.bulk_create(
        RolloutWave(
            use_case=use_case,
            order=order,
            share_percent=share,
            planned_date=planned_date,
            adoption_threshold_percent=threshold,
        )
        for order, (share, planned_date, threshold) in enumerate(cleaned, start=1)
    )
    audit_record(
        actor=by,
        action="rollout.planned",
        summary="Rollout planned in waves of "
        + ", ".join(f"{share.normalize():f}%" for share, _, _ in cleaned),
        use_case=use_case,
        payload={
            "before": before,
            "after": [
                {"share_percent": s, "planned_date": d, "adoption_threshold_percent": t}
                for s, d, t in cleaned
            ],
            "default_threshold": {"percent": default_threshold, "source": source},
        },
    )
    return planned


def _locked_wave(wave: RolloutWave, by: Any) -> tuple[UseCase, RolloutWave, RolloutWave | None]:
    """The use case (locked first), the wave and the one before it, both locked."""
    use_case = _lock(UseCase(pk=wave.use_case_id), by)
    waves = {
        w.order: w
        for w in RolloutWave.objects.select_for_update()
        .filter(use_case=use_case, order__lte=wave.order)
        .order_by("order")
    }
    if wave.order not in waves:
        raise TransitionRefused(
            gettext("This wave is no longer planned."), [gettext("The rollout was planned again.")]
        )
    earlier = [order for order in waves if order < wave.order]
    previous = waves[max(earlier)] if earlier else None
    return use_case, waves[wave.order], previous


@transaction.atomic
def wave_start(*, wave: RolloutWave, by: Any, started_on: Any) -> RolloutWave:
    """Start a wave: the first at any time, the others once the wave before
    passed its validation (stable, adoption at or above its threshold)."""
    use_case, wave, previous = _locked_wave(wave, by)
    started_on = _date(started_on, "started_on", gettext("The start date"), past=True)
    if wave.started_on is not None:
        raise TransitionRefused(
            gettext("Wave %(number)s has already started.") % {"number": wave.order},
            [gettext("It started on %(day)s.") % {"day": wave.started_on.isoformat()}],
        )
    if previous is not None and not previous.passed:
        if previous.validated_on is None:
            why = gettext("Wave %(number)s has not been validated yet.") % {
                "number": previous.order
            }
        else:
            why = gettext("Wave %(number)s's validation on %(day)s failed: %(validation)s.") % {
                "number": previous.order,
                "day": previous.validated_on.isoformat(),
                "validation": _validation_text(previous),
            }
        raise TransitionRefused(
            gettext("Wave %(number)s starts once wave %(previous)s passed its validation.")
            % {"number": wave.order, "previous": previous.order},
            [why],
        )
    if previous is not None and started_on < previous.validated_on:
        raise InvalidInput(
            gettext(
                "Wave %(number)s cannot start before wave %(previous)s was validated (%(day)s)."
            )
            % {
                "number": wave.order,
                "previous": previous.order,
                "day": previous.validated_on.isoformat(),
            },
            field="started_on",
        )
    wave.started_on = started_on
    wave.save(update_fields=["started_on"])
    audit_record(
        actor=by,
        action="rollout_wave.started",
        summary=f"Wave {wave.order} ({wave.share_percent.normalize():f}%) started on "
        f"{started_on.isoformat()}",
        use_case=use_case,
        obj=wave,
        payload={"wave": wave.order, "started_on": started_on},
    )
    return wave


def _validation_text(wave: RolloutWave) -> str:
    """``stable, adoption 72% against 60%``, in the active language."""
    stability = gettext("stable") if wave.stable else gettext("not stable")
    if wave.adoption_percent is None:
        return stability
    return gettext("%(stability)s, adoption %(adoption)s%% against %(threshold)s%%") % {
        "stability": stability,
        "adoption": f"{wave.adoption_percent.normalize():f}",
        "threshold": f"{wave.adoption_threshold_percent.normalize():f}",
    }


@transaction.atomic
def wave_validate(
    *,
    wave: RolloutWave,
    by: Any,
    validated_on: Any,
    stable: Any,
    adoption_percent: Any,
    note: str = "",
) -> RolloutWave:
    """Record a started wave's validation: stable or not, and its adoption
    against the wave's threshold. A failed validation is recorded again
    later (each one is in the audit trail); a passed one stands."""
    use_case, wave, _ = _locked_wave(wave, by)
    validated_on = _date(validated_on, "validated_on", gettext("The validation date"), past=True)
    if not isinstance(stable, bool):
        raise InvalidInput(
            gettext("Say whether the wave ran stable (true or false)."), field="stable"
        )
    adoption = _percent(adoption_percent, "adoption_percent", gettext("The adoption"))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(
            gettext("The note is longer than %(max)s characters.") % {"max": f"{MAX_NOTE:,}"},
            field="note",
        )
    if wave.started_on is None:
        raise TransitionRefused(
            gettext("Wave %(number)s is validated once it has started.") % {"number": wave.order},
            [gettext("It has not started yet.")],
        )
    if wave.passed:
        raise TransitionRefused(
            gettext("Wave %(number)s has passed its validation.") % {"number": wave.order},
            [
                gettext("Validated on %(day)s: %(validation)s.")
                % {"day": wave.validated_on.isoformat(), "validation": _validation_text(wave)}
            ],
        )
    if validated_on < wave.started_on:
        raise InvalidInput(
            gettext("The validation cannot come before the wave started (%(day)s).")
            % {"day": wave.started_on.isoformat()},
            field="validated_on",
        )
    if wave.validated_on is not None and validated_on < wave.validated_on:
        raise InvalidInput(
            gettext("The validation cannot come before the last one (%(day)s).")
            % {"day": wave.validated_on.isoformat()},
            field="validated_on",
        )
    before = (
        None
        if wave.validated_on is None
        else {
            "validated_on": wave.validated_on,
            "stable": wave.stable,
            "adoption_percent": wave.adoption_percent,
            "note": wave.validation_note,
            "by": wave.validated_by_id,
        }
    )
    wave.validated_on = validated_on
    wave.stable = stable
    wave.adoption_percent = adoption
    wave.validation_note = note
    wave.validated_by = by
    wave.save(
        update_fields=[
            "validated_on",
            "stable",
            "adoption_percent",
            "validation_note",
            "validated_by",
        ]
    )
    outcome = "passed" if wave.passed else "failed"
    with translation.override(settings.LANGUAGE_CODE):  # the audit trail's language
        validation = _validation_text(wave)
    audit_record(
        actor=by,
        action="rollout_wave.validated",
        summary=f"Wave {wave.order} validation {outcome}: {validation}",
        use_case=use_case,
        obj=wave,
        payload={
            "wave": wave.order,
            "before": before,
            "after": {
                "validated_on": validated_on,
                "stable": stable,
                "adoption_percent": adoption,
                "threshold": wave.adoption_threshold_percent,
                "note": note,
            },
            "passed": wave.passed,
        },
    )
    value_rules_reassess(use_case=use_case, by=by)
    return wave
