"""The dashboard's tally against the rows themselves: whatever writes the
portfolio (the gate services, factories, ``update()``, ``bulk_create``,
deletes, raw SQL, TRUNCATE), the counts read from the tally equal those the
scan aggregates, at instants in the past and future, across day and quarter
boundaries; compacting changes no count."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from gates import services as gate_services
from gates.models import StageTransition
from readiness.models import StageNorm
from readiness.selectors import annotate_overdue_stalled
from reporting import dashboard_counts, services
from reporting.dashboard_read import dashboard, quarter_bounds
from reporting.models import PortfolioTally
from tests.factories import UseCaseFactory
from tests.gates.helpers import KILL_EXIT, isolate, make_open_review, pass_gate
from tests.reporting.test_dashboard_operation import operating, retire
from usecases import access
from usecases.models import RiskTier, Stage, Status, UseCase

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'", reason="the tally is kept by PostgreSQL triggers"
    ),
]

BUILT_AT = datetime.datetime(2026, 3, 30, 22, 30, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


def period_at(now: datetime.datetime) -> dashboard_counts.Period:
    today = timezone.localdate(now)
    start, end = quarter_bounds(now)
    return dashboard_counts.Period(
        now=now,
        today=today,
        due_by=today + datetime.timedelta(days=30),
        quarter_start=start,
        quarter_end=end,
        recertified_since=now - datetime.timedelta(days=365),
        max_days=dict(StageNorm.objects.values_list("stage", "max_days")),
        stalled_after_days=21,
    )


def assert_tally_equals_scan(user, now: datetime.datetime) -> dashboard_counts.Counts:
    period = period_at(now)
    visible = access.use_cases_visible_to(user)
    scanned = dashboard_counts.scan_counts(
        user=user,
        visible=visible,
        flagged=annotate_overdue_stalled(visible, now=now),
        period=period,
    )
    tallied = dashboard_counts.tally_counts(period)
    assert tallied.how == "tally"
    assert tallied.stages == scanned.stages
    assert tallied.reached == scanned.reached
    assert tallied.passed == scanned.passed
    assert tallied.decided == scanned.decided
    assert tallied.recertified == scanned.recertified
    assert tallied.medians.keys() == scanned.medians.keys()
    for stage, days in scanned.medians.items():
        assert tallied.medians[stage] == pytest.approx(days, abs=1e-6)
    return tallied


def instants() -> list[datetime.datetime]:
    """Now, the cut-offs' day boundaries either side, a quarter's first
    instant and one far ahead."""
    now = timezone.now()
    return [
        now,
        BUILT_AT + datetime.timedelta(days=21, minutes=30),  # stalled since a minute ago
        BUILT_AT + datetime.timedelta(days=21, hours=1, minutes=31),  # the next UTC day
        datetime.datetime(2026, 4, 1, tzinfo=datetime.UTC),  # a quarter starts
        BUILT_AT + datetime.timedelta(days=28, seconds=1),  # overdue in Discovery
        now + datetime.timedelta(days=400),
    ]


@pytest.fixture
def written(lead, sponsor, techlead, business_unit):
    """A portfolio written every way a program office's data is."""
    with time_machine.travel(BUILT_AT, tick=False):
        cases = [
            UseCaseFactory(
                title=f"Case {i}",
                business_unit=business_unit,
                sponsor=sponsor,
                technical_lead=techlead,
                risk_tier=[RiskTier.LOW, RiskTier.MEDIUM, RiskTier.HIGH][i % 3],
                regulatory_constraints=[["eu_ai_act", "gdpr"], [], ["sox"]][i % 3],
            )
            for i in range(6)
        ]
        pass_gate(cases[0], lead, sponsor)
        pass_gate(cases[0], lead, sponsor)
        pass_gate(cases[1], lead, sponsor)
    with time_machine.travel(BUILT_AT + datetime.timedelta(hours=2), tick=False):
        review = make_open_review(cases[2], lead)
        gate_services.gate_decide(
            review=review, by=lead, decision="kill", rationale="No data.", **KILL_EXIT
        )
        review = make_open_review(cases[3], lead)
        gate_services.gate_decide(
            review=review, by=lead, decision="hold", rationale="Wait for the budget."
        )
    live = operating(business_unit, sponsor, "Live", due_in=10)
    late = operating(business_unit, sponsor, "Late", due_in=-5)
    gone = operating(business_unit, sponsor, "Gone", due_in=40)
    retire(gone, lead, when=timezone.now() - datetime.timedelta(days=3))
    # Edits the services do not make: a tier, the regulations, a stage moved.
    UseCase.objects.filter(pk=cases[4].pk).update(
        risk_tier=RiskTier.HIGH, regulatory_constraints=["hipaa", "hipaa", "fcra"]
    )
    UseCase.objects.filter(pk=cases[5].pk).update(
        last_activity_at=timezone.now() - datetime.timedelta(days=40)
    )
    UseCase.objects.bulk_create(
        UseCase(
            title=f"Imported {i}",
            business_unit=business_unit,
            created_by=lead,
            stage=Stage.POC,
            stage_entered_at=BUILT_AT - datetime.timedelta(days=i * 7, hours=i),
            last_activity_at=BUILT_AT - datetime.timedelta(days=i * 3),
            regulatory_constraints=["other"] if i % 2 else [],
        )
        for i in range(9)
    )
    UseCaseFactory(title="Withdrawn at once", business_unit=business_unit).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE usecases_usecase SET status = %s WHERE title = %s",
            [Status.ON_HOLD, "Imported 3"],
        )
    return {"cases": cases, "live": live, "late": late}


def test_the_tally_counts_what_the_rows_hold_however_they_were_written(written, lead):
    for instant in instants():
        assert_tally_equals_scan(lead, instant)
    counted = assert_tally_equals_scan(lead, timezone.now())
    assert counted.stages["poc"][Status.ACTIVE] == 1 + 8  # cases[1] and the imports
    assert counted.stages["scale"]["recertification_overdue"] == 1
    assert counted.stages["scale"]["recertification_due"] == 1
    assert counted.regulations["hipaa"] == 1
    assert counted.reached == {"poc": 2, "pilot": 1}
    assert StageTransition.objects.count() == 3


def test_the_dashboard_a_lead_reads_is_the_tally(written, lead):
    data = dashboard(user=lead)
    stages = {row.stage.value: row for row in data.stages}
    assert stages["discovery"].killed == 1
    assert stages["discovery"].on_hold == 1
    assert stages["poc"].on_hold == 1
    assert data.end_of_life.retired == 1
    assert [c.passed for c in data.conversions][:2] == [2, 1]


def test_a_use_case_moved_later_moves_its_counts(written, lead, sponsor):
    case = written["cases"][1]
    pass_gate(case, lead, sponsor)
    assert_tally_equals_scan(lead, timezone.now())
    UseCase.objects.filter(pk=written["late"].pk).update(
        recertification_due_on=timezone.localdate() + datetime.timedelta(days=3)
    )
    UseCase.objects.filter(stage=Stage.POC).update(last_activity_at=timezone.now())
    counted = assert_tally_equals_scan(lead, timezone.now())
    assert counted.stages["scale"]["recertification_due"] == 2
    assert counted.stages["poc"]["stalled"] == 0


def test_compacting_folds_the_changes_and_keeps_every_count(written, lead):
    before = PortfolioTally.objects.count()
    folded, kept = services.tally_compact()
    assert folded == before
    assert kept == PortfolioTally.objects.count() < before
    assert not PortfolioTally.objects.filter(n=0).exists()
    for instant in instants():
        assert_tally_equals_scan(lead, instant)
    # A second run finds one row per key and changes nothing.
    assert services.tally_compact() == (kept, kept)


def test_truncating_the_portfolio_empties_its_tally(written, lead):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred checks, done
        cursor.execute("TRUNCATE usecases_usecase CASCADE")
    assert not PortfolioTally.objects.exists()
    assert dashboard(user=lead).total == 0
