"""The value hypothesis as annual figures (benefits), and the money each one
brought in (realisations), cited from its KPI's measurements when it has one."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from core.audit import audit_record
from core.errors import InvalidInput
from core.validators import single_line
from gates import services as gate_services
from readiness.models import Kpi, KpiMeasurement
from usecases.models import UseCase
from value.models import Benefit, BenefitRealisation
from value.services._base import clean_amount, clean_text, lock_use_case, money_json
from value.services.rules import value_rules_reassess

NAME_MAX = 160
NOTE_MAX = 500


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def _clean_name(raw: Any, use_case: UseCase, exclude: int | None = None) -> str:
    name = clean_text(
        raw if isinstance(raw, str) else "",
        field="name",
        label=gettext_lazy("name"),
        max_length=NAME_MAX,
    )
    if not name:
        raise InvalidInput(gettext("Name the benefit."), field="name")
    try:
        single_line(name)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], field="name") from None
    clash = Benefit.objects.filter(use_case=use_case, name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise InvalidInput(
            gettext("This use case already has a benefit named “%(name)s”.") % {"name": name},
            field="name",
        )
    return name


def _clean_kpi(raw: Any, use_case: UseCase) -> Kpi | None:
    """A KPI of the same use case, given as the row or its id; blank is none."""
    if raw is None or raw == "":
        return None
    pk = raw.pk if isinstance(raw, Kpi) else raw
    if isinstance(pk, bool) or not str(pk).strip().isdigit():
        raise InvalidInput(gettext("Choose one of this use case's KPIs."), field="kpi")
    kpi = Kpi.objects.filter(use_case=use_case, pk=int(str(pk).strip())).first()
    if kpi is None:
        raise InvalidInput(gettext("Choose one of this use case's KPIs."), field="kpi")
    return kpi


def _state(benefit: Benefit) -> dict[str, Any]:
    return {
        "name": benefit.name,
        "annual_amount": money_json(benefit.annual_amount),
        "kpi": benefit.kpi_id,
    }


def _lock_benefit(benefit: Benefit, by: Any) -> tuple[UseCase, Benefit]:
    use_case_id = Benefit.objects.values_list("use_case_id", flat=True).get(pk=benefit.pk)
    use_case = lock_use_case(use_case_id, by)
    locked = (
        Benefit.objects.select_for_update(of=("self",)).select_related("kpi").get(pk=benefit.pk)
    )
    return use_case, locked


@transaction.atomic
def benefit_create(
    *, use_case: UseCase, by: Any, name: str, annual_amount: Any, kpi: Any = None
) -> Benefit:
    use_case = lock_use_case(use_case, by)
    clean_name = _clean_name(name, use_case)
    amount = clean_amount(annual_amount, field="annual_amount", label=gettext_lazy("annual amount"))
    clean_kpi = _clean_kpi(kpi, use_case)
    benefit = Benefit.objects.create(
        use_case=use_case, name=clean_name, annual_amount=amount, kpi=clean_kpi, created_by=by
    )
    gate_services.touch(use_case)
    value_rules_reassess(use_case=use_case, by=by)
    audit_record(
        actor=by,
        action="value.benefit_created",
        summary=f"Added benefit “{clean_name}”, {money_json(amount)} a year"
        + (f", shown by KPI “{clean_kpi.name}”" if clean_kpi else ""),
        use_case=use_case,
        obj=benefit,
        payload={"before": {}, "after": _state(benefit)},
    )
    return benefit


@transaction.atomic
def benefit_update(
    *,
    benefit: Benefit,
    by: Any,
    name: Any = UNSET,
    annual_amount: Any = UNSET,
    kpi: Any = UNSET,
) -> Benefit:
    """Change what is given; a KPI of None unties the benefit from its KPI."""
    use_case, benefit = _lock_benefit(benefit, by)
    before = _state(benefit)
    if name is not UNSET:
        benefit.name = _clean_name(name, use_case, exclude=benefit.pk)
    if annual_amount is not UNSET:
        benefit.annual_amount = clean_amount(
            annual_amount, field="annual_amount", label=gettext_lazy("annual amount")
        )
    if kpi is not UNSET:
        benefit.kpi = _clean_kpi(kpi, use_case)
    after = _state(benefit)
    changed = [key for key in after if after[key] != before[key]]
    if not changed:
        return benefit
    benefit.save(update_fields=["kpi" if key == "kpi" else key for key in changed])
    gate_services.touch(use_case)
    value_rules_reassess(use_case=use_case, by=by)
    audit_record(
        actor=by,
        action="value.benefit_changed",
        summary=f"Changed {', '.join(k.replace('_', ' ') for k in changed)} of benefit "
        f"“{benefit.name}”",
        use_case=use_case,
        obj=benefit,
        payload={
            "before": {k: before[k] for k in changed},
            "after": {k: after[k] for k in changed},
        },
    )
    return benefit


@transaction.atomic
def benefit_delete(*, benefit: Benefit, by: Any) -> None:
    """Remove a benefit and its realisations; audited before the rows go."""
    use_case, benefit = _lock_benefit(benefit, by)
    realisations = list(
        BenefitRealisation.objects.filter(benefit=benefit).values_list("period_end", "amount")
    )
    audit_record(
        actor=by,
        action="value.benefit_deleted",
        summary=f"Deleted benefit “{benefit.name}”"
        + (f" and its {len(realisations)} realisation(s)" if realisations else ""),
        use_case=use_case,
        obj=benefit,
        payload={
            "before": _state(benefit),
            "after": {},
            "realisations": [
                {"period_end": period_end.isoformat(), "amount": money_json(amount)}
                for period_end, amount in realisations
            ],
        },
    )
    benefit.delete()
    gate_services.touch(use_case)
    value_rules_reassess(use_case=use_case, by=by)


def _clean_period_end(raw: Any) -> datetime.date:
    if isinstance(raw, datetime.datetime):
        raw = raw.date()
    if not isinstance(raw, datetime.date):
        try:
            raw = datetime.date.fromisoformat(str(raw or "").strip())
        except ValueError:
            raise InvalidInput(
                gettext("The period end “%(raw)s” is not a date (YYYY-MM-DD).")
                % {"raw": str(raw)[:40]},
                field="period_end",
            ) from None
    if raw > timezone.localdate():
        raise InvalidInput(
            gettext("The period end %(day)s is in the future: record money once it came in.")
            % {"day": raw.isoformat()},
            field="period_end",
        )
    return raw


def _clean_measurement(raw: Any, benefit: Benefit) -> KpiMeasurement | None:
    if raw is None or raw == "":
        return None
    if benefit.kpi_id is None:
        raise InvalidInput(
            gettext(
                "“%(name)s” is tied to no KPI: a realisation cites a measurement only of "
                "its benefit's KPI."
            )
            % {"name": benefit.name},
            field="kpi_measurement",
        )
    pk = raw.pk if isinstance(raw, KpiMeasurement) else raw
    measurement = None
    if not isinstance(pk, bool) and str(pk).strip().isdigit():
        measurement = KpiMeasurement.objects.filter(
            kpi_id=benefit.kpi_id, pk=int(str(pk).strip())
        ).first()
    if measurement is None:
        raise InvalidInput(
            gettext("Choose a measurement of the KPI “%(kpi)s”.") % {"kpi": benefit.kpi.name},
            field="kpi_measurement",
        )
    return measurement


@transaction.atomic
def benefit_realisation_record(
    *,
    benefit: Benefit,
    by: Any,
    period_end: Any,
    amount: Any,
    note: str = "",
    kpi_measurement: Any = None,
) -> BenefitRealisation:
    """Record money a benefit brought in over a period ending on
    ``period_end`` (not in the future). A benefit tied to a KPI may cite one
    of that KPI's measurements as the evidence."""
    use_case, benefit = _lock_benefit(benefit, by)
    date = _clean_period_end(period_end)
    clean = clean_amount(amount, field="amount", label=gettext_lazy("amount"))
    clean_note = clean_text(note, field="note", label=gettext_lazy("note"), max_length=NOTE_MAX)
    measurement = _clean_measurement(kpi_measurement, benefit)
    realisation = BenefitRealisation.objects.create(
        benefit=benefit,
        period_end=date,
        amount=clean,
        kpi_measurement=measurement,
        note=clean_note,
        recorded_by=by,
    )
    gate_services.touch(use_case)
    value_rules_reassess(use_case=use_case, by=by)
    audit_record(
        actor=by,
        action="value.benefit_realised",
        summary=f"“{benefit.name}” brought in {money_json(clean)} to {date.isoformat()}",
        use_case=use_case,
        obj=realisation,
        payload={
            "benefit": benefit.pk,
            "period_end": date.isoformat(),
            "amount": money_json(clean),
            "kpi_measurement": measurement.pk if measurement else None,
            "note": clean_note,
        },
    )
    return realisation
