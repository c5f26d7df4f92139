"""Benefits (annual figures, optionally tied to a KPI of the same use case)
and their realisation (money brought in, citing the KPI's measurement)."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
import time_machine

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from readiness import services as readiness
from tests.factories import UseCaseFactory
from usecases.models import Status, UseCase
from value import services
from value.models import Benefit, BenefitRealisation

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 6, 30)


@pytest.fixture
def kpi(use_case, sponsor):
    return readiness.kpi_create(
        use_case=use_case,
        by=sponsor,
        name="Analyst hours saved",
        kind="lagging",
        unit="h",
        target="1000",
        direction="higher",
    )


@pytest.fixture
def benefit(use_case, sponsor, kpi):
    return services.benefit_create(
        use_case=use_case, by=sponsor, name="Hours saved", annual_amount="120000", kpi=kpi.pk
    )


def test_it_creates_a_benefit_tied_to_a_kpi_and_audits_it(use_case, sponsor, kpi):
    benefit = services.benefit_create(
        use_case=use_case, by=sponsor, name="  Hours saved ", annual_amount="120000.5", kpi=kpi
    )
    benefit.refresh_from_db()
    assert (benefit.name, benefit.annual_amount, benefit.kpi_id) == (
        "Hours saved",
        D("120000.50"),
        kpi.pk,
    )
    event = AuditEvent.objects.get(action="value.benefit_created")
    assert event.payload["after"] == {
        "name": "Hours saved",
        "annual_amount": "120000.50",
        "kpi": kpi.pk,
    }
    assert "shown by KPI “Analyst hours saved”" in event.summary


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Name the benefit."),
        ({"name": "Two\nlines"}, "name", "single line"),
        ({"name": "x" * 161}, "name", "longer than 160"),
        ({"annual_amount": "-5"}, "annual_amount", "cannot be negative"),
        ({"annual_amount": ""}, "annual_amount", "Give the annual amount."),
        ({"kpi": 999999}, "kpi", "Choose one of this use case's KPIs."),
        ({"kpi": "abc"}, "kpi", "Choose one of this use case's KPIs."),
    ],
)
def test_it_refuses_a_bad_benefit_naming_the_field(use_case, sponsor, changes, field, message):
    data = {"name": "Hours saved", "annual_amount": "1000", "kpi": None, **changes}
    with pytest.raises(InvalidInput) as refused:
        services.benefit_create(use_case=use_case, by=sponsor, **data)
    assert refused.value.field == field
    assert message in refused.value.message
    assert not Benefit.objects.exists()


def test_a_kpi_of_another_use_case_is_refused(use_case, lead):
    other = UseCaseFactory()
    foreign = readiness.kpi_create(
        use_case=other, by=lead, name="Other", kind="lagging", target="1", direction="higher"
    )
    with pytest.raises(InvalidInput) as refused:
        services.benefit_create(
            use_case=use_case, by=lead, name="Hours", annual_amount="1", kpi=foreign.pk
        )
    assert refused.value.field == "kpi"


def test_names_are_unique_per_use_case_whatever_the_case(use_case, sponsor, benefit):
    with pytest.raises(InvalidInput) as refused:
        services.benefit_create(
            use_case=use_case, by=sponsor, name="HOURS SAVED", annual_amount="1"
        )
    assert "already has a benefit named" in refused.value.message


def test_it_updates_what_is_given_and_audits_the_change(use_case, sponsor, benefit):
    services.benefit_update(benefit=benefit, by=sponsor, annual_amount="150000", kpi=None)
    benefit.refresh_from_db()
    assert (benefit.name, benefit.annual_amount, benefit.kpi_id) == (
        "Hours saved",
        D("150000.00"),
        None,
    )
    event = AuditEvent.objects.get(action="value.benefit_changed")
    assert event.payload["before"] == {"annual_amount": "120000.00", "kpi": benefit_kpi_id(event)}
    assert event.payload["after"] == {"annual_amount": "150000.00", "kpi": None}
    # Nothing changed: nothing audited.
    services.benefit_update(benefit=benefit, by=sponsor, name="Hours saved")
    assert AuditEvent.objects.filter(action="value.benefit_changed").count() == 1


def benefit_kpi_id(event) -> int:
    return event.payload["before"]["kpi"]


def test_it_deletes_a_benefit_with_its_realisations_audited_before(use_case, sponsor, benefit):
    with time_machine.travel(TODAY, tick=False):
        services.benefit_realisation_record(
            benefit=benefit, by=sponsor, period_end="2026-03-31", amount="30000"
        )
        services.benefit_delete(benefit=benefit, by=sponsor)
    assert not Benefit.objects.exists() and not BenefitRealisation.objects.exists()
    event = AuditEvent.objects.get(action="value.benefit_deleted")
    assert event.payload["before"]["name"] == "Hours saved"
    assert event.payload["realisations"] == [{"period_end": "2026-03-31", "amount": "30000.00"}]


def test_it_records_a_realisation_citing_the_kpis_measurement(use_case, sponsor, benefit, kpi):
    with time_machine.travel(TODAY, tick=False):
        measurement = readiness.kpi_measurement_record(
            kpi=kpi, by=sponsor, value="250", measured_at="2026-03-31"
        )
        realisation = services.benefit_realisation_record(
            benefit=benefit,
            by=sponsor,
            period_end=datetime.date(2026, 3, 31),
            amount="30000",
            note="Q1",
            kpi_measurement=measurement.pk,
        )
    realisation.refresh_from_db()
    assert realisation.kpi_measurement_id == measurement.pk
    assert realisation.amount == D("30000.00")
    event = AuditEvent.objects.get(action="value.benefit_realised")
    assert event.payload == {
        "benefit": benefit.pk,
        "period_end": "2026-03-31",
        "amount": "30000.00",
        "kpi_measurement": measurement.pk,
        "note": "Q1",
    }


def test_a_realisation_cites_only_its_benefits_kpi(use_case, sponsor, benefit, lead):
    other_kpi = readiness.kpi_create(
        use_case=use_case,
        by=sponsor,
        name="Accuracy",
        kind="leading",
        target="90",
        direction="higher",
    )
    untied = services.benefit_create(
        use_case=use_case, by=sponsor, name="Fewer errors", annual_amount="1"
    )
    with time_machine.travel(TODAY, tick=False):
        foreign = readiness.kpi_measurement_record(
            kpi=other_kpi, by=sponsor, value="91", measured_at="2026-03-31"
        )
        with pytest.raises(InvalidInput) as refused:
            services.benefit_realisation_record(
                benefit=benefit,
                by=sponsor,
                period_end=TODAY,
                amount="1",
                kpi_measurement=foreign.pk,
            )
        assert refused.value.field == "kpi_measurement"
        assert "Analyst hours saved" in refused.value.message
        with pytest.raises(InvalidInput) as refused:
            services.benefit_realisation_record(
                benefit=untied, by=sponsor, period_end=TODAY, amount="1", kpi_measurement=foreign.pk
            )
        assert "tied to no KPI" in refused.value.message
    assert not BenefitRealisation.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"period_end": "2026-07-01"}, "period_end", "is in the future"),
        ({"period_end": "30/06/2026"}, "period_end", "is not a date"),
        ({"amount": "-1"}, "amount", "cannot be negative"),
        ({"amount": "1.001"}, "amount", "more than two decimals"),
        ({"note": "x" * 501}, "note", "longer than 500"),
    ],
)
def test_it_refuses_a_bad_realisation(sponsor, benefit, data, field, message):
    with time_machine.travel(TODAY, tick=False), pytest.raises(InvalidInput) as refused:
        services.benefit_realisation_record(
            benefit=benefit, by=sponsor, **{"period_end": TODAY, "amount": "10", **data}
        )
    assert refused.value.field == field
    assert message in refused.value.message
    assert not BenefitRealisation.objects.exists()


@pytest.mark.parametrize("who", ["techlead", "contributor", "executive", "outsider"])
def test_only_program_leads_and_the_sponsor_change_benefits(benefit, who, request, use_case):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionRefused):
        services.benefit_create(use_case=use_case, by=user, name="More", annual_amount="1")
    with pytest.raises(PermissionRefused):
        services.benefit_update(benefit=benefit, by=user, annual_amount="1")
    with pytest.raises(PermissionRefused):
        services.benefit_delete(benefit=benefit, by=user)
    with pytest.raises(PermissionRefused):
        services.benefit_realisation_record(benefit=benefit, by=user, period_end=TODAY, amount="1")
    assert Benefit.objects.count() == 1 and not BenefitRealisation.objects.exists()


def test_a_killed_use_case_takes_no_benefit_change(use_case, lead, benefit):
    UseCase.objects.filter(pk=use_case.pk).update(status=Status.KILLED)
    use_case.refresh_from_db()
    with pytest.raises(TransitionRefused):
        services.benefit_create(use_case=use_case, by=lead, name="More", annual_amount="1")
    with pytest.raises(TransitionRefused):
        services.benefit_delete(benefit=benefit, by=lead)
    assert Benefit.objects.count() == 1
