"""The gate pack's Value section: spent, planned, the projection from the PoC
with its references and the warning when Pilot and Production are planned
below it, ROI, NPV at the stated rate, payback, benefits and realised, the
pilot and the waves; one line when nothing was recorded; the content hash
moves with the figures only; the query count the same at two sizes."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gates.models import GateReview
from reporting import pdf, services
from reporting.models import PackStatus
from reporting.pack_data import pack_data
from tests.gates.helpers import isolate, make_open_review, pass_gate
from tests.reporting.helpers import pdf_text, squash
from value import finance
from value.models import BenefitRealisation, PilotScope, RolloutWave
from value.services.benefits import benefit_create
from value.services.costs import cost_lines_set

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


@pytest.fixture
def poc_review(use_case, lead, sponsor) -> GateReview:
    """Gate 2 of the use case (PoC → Pilot), after a real Gate 1 Go."""
    pass_gate(use_case, lead, sponsor)
    use_case.refresh_from_db()
    return make_open_review(use_case, lead)


@pytest.fixture
def costed(poc_review, use_case, lead):
    """PoC development spent 100,000; Pilot development planned 150,000;
    operations 24,000 a year; one benefit of 300,000 a year, 25,000 realised."""
    cost_lines_set(
        use_case=use_case,
        by=lead,
        rows=[
            {"stage": "poc", "category": "development", "actual": "100000"},
            {"stage": "pilot", "category": "development", "planned": "150000"},
            {"stage": "production", "category": "operations_annual", "planned": "24000"},
        ],
    )
    benefit = benefit_create(
        use_case=use_case, by=lead, name="Claims handled faster", annual_amount="300000"
    )
    BenefitRealisation.objects.create(
        benefit=benefit,
        period_end=datetime.date(2026, 3, 31),
        amount=Decimal("25000"),
        recorded_by=lead,
    )
    return poc_review


def rollout(use_case, lead, waves: int = 2) -> None:
    """Test set-up: the pilot and the waves, the first validated and passed."""
    PilotScope.objects.create(
        use_case=use_case,
        unit="branches",
        pilot_units=10,
        target_units=100,
        adoption_percent=Decimal("70"),
        updated_by=lead,
    )
    for order in range(1, waves + 1):
        first = order == 1
        RolloutWave.objects.create(
            use_case=use_case,
            order=order,
            share_percent=Decimal(100 * order) / waves,
            planned_date=datetime.date(2026, 6, order),
            started_on=datetime.date(2026, 6, 1) if first else None,
            adoption_threshold_percent=Decimal("70"),
            validated_on=datetime.date(2026, 6, 20) if first else None,
            stable=True if first else None,
            adoption_percent=Decimal("74") if first else None,
            validated_by=lead if first else None,
        )


def fresh(review) -> GateReview:
    return GateReview.objects.get(pk=review.pk)


def render(review, lead, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        pack = services.pack_request(review=review, by=lead).pack
    pack.refresh_from_db()
    assert pack.status == PackStatus.READY, pack.failure_reason
    return squash(pdf_text(pack.file.read()))


def test_the_hand_computed_case_is_what_finance_returns():
    # Invested: PoC actual 100,000 + Pilot plan 150,000 = 250,000 at month 0.
    # Over 3 years: costs 250,000 + 3 × 24,000 = 322,000, benefits 900,000;
    # ROI 578,000 / 322,000 = 1.79503… → 179.5%. Net 276,000 a year, so
    # 250,000 is back after 250,000 × 12 / 276,000 = 10.87 → month 11.
    returns = finance.returns(
        investment=Decimal("250000"),
        operations_annual=Decimal("24000"),
        benefits_annual=Decimal("300000"),
        discount_rate=Decimal("0.08"),
    )
    assert returns.roi_percent == Decimal("179.5")
    assert returns.payback_month == 11


def test_the_pack_data_has_the_figures(costed, use_case, lead):
    rollout(use_case, lead)
    npv = finance.returns(
        investment=Decimal("250000"),
        operations_annual=Decimal("24000"),
        benefits_annual=Decimal("300000"),
        discount_rate=Decimal("0.08"),
    ).npv

    value = pack_data(fresh(costed))["value"]

    assert value["currency"] == "EUR"
    assert value["discount_rate"] == "8%"
    assert value["recorded"] is True
    assert value["spent"] == "EUR 100,000.00"
    assert value["planned_one_off"] == "EUR 150,000.00"
    assert value["projection"]["range"] == "EUR 300,000.00 – EUR 500,000.00"
    assert value["projection"]["rule_of_thumb"] == "EUR 300,000.00 – EUR 500,000.00"
    assert value["projection"]["rule_of_thumb_factor"] == "3–5×"
    assert value["projection"]["survey"] == "EUR 800,000.00 – EUR 1,500,000.00"
    assert value["projection"]["survey_factor"] == "8–15×"
    assert value["projection"]["planned"] == "EUR 150,000.00"
    assert value["shortfall"] == "EUR 150,000.00"
    assert "EUR 150,000.00 short" in value["warning"]
    assert value["roi"] == "179.5%"
    assert value["payback"] == "Month 11"
    assert value["npv"] == f"EUR {npv:,.2f}"
    assert value["benefits_annual"] == "EUR 300,000.00"
    assert value["realised"] == "EUR 25,000.00"
    assert value["benefits"] == [
        {
            "name": "Claims handled faster",
            "annual": "EUR 300,000.00",
            "realised": "EUR 25,000.00",
            "kpi": "",
        }
    ]
    assert value["pilot"]["units"] == "10 of 100 branches"
    assert value["pilot"]["share"] == "10%"
    assert [(w["order"], w["share"], w["state"]) for w in value["waves"]] == [
        (1, "50%", "Validated: passed"),
        (2, "100%", "Not started"),
    ]


def test_the_pdf_prints_the_figures_and_the_warning(
    costed, use_case, lead, django_capture_on_commit_callbacks
):
    rollout(use_case, lead)
    npv = finance.returns(
        investment=Decimal("250000"),
        operations_annual=Decimal("24000"),
        benefits_annual=Decimal("300000"),
        discount_rate=Decimal("0.08"),
    ).npv

    text = render(fresh(costed), lead, django_capture_on_commit_callbacks)

    # The facts tables print their headings in capitals.
    assert "Amounts in EUR" in text
    assert "NPV discounted at 8% a year" in text
    assert "SPENT SO FAR EUR 100,000.00" in text
    assert "PLANNED ONE-OFF EUR 150,000.00" in text
    assert "EUR 300,000.00 – EUR 500,000.00" in text
    assert "3–5× the PoC EUR 300,000.00 – EUR 500,000.00" in text
    assert "8–15× the PoC EUR 800,000.00 – EUR 1,500,000.00" in text
    assert "Below the projection:" in text
    assert "EUR 150,000.00 short" in text
    assert "3-YEAR ROI 179.5%" in text
    assert f"NPV AT 8% EUR {npv:,.2f}" in text
    assert "PAYBACK Month 11" in text
    assert "Claims handled faster EUR 300,000.00 EUR 25,000.00" in text
    assert "Pilot: 10 of 100 branches (10% of the target)" in text
    assert "Validated: passed" in text and "Not started" in text
    assert "No costs or benefits were recorded" not in text


def test_a_plan_at_the_projection_has_no_warning(costed, use_case, lead):
    cost_lines_set(
        use_case=use_case,
        by=lead,
        rows=[{"stage": "production", "category": "development", "planned": "150000"}],
    )
    value = pack_data(fresh(costed))["value"]
    assert value["projection"]["planned"] == "EUR 300,000.00"
    assert value["warning"] == ""
    assert value["shortfall"] == ""


def test_nothing_recorded_prints_one_line(poc_review, lead, django_capture_on_commit_callbacks):
    value = pack_data(fresh(poc_review))["value"]
    assert value == {
        "currency": "EUR",
        "discount_rate": "8%",
        "recorded": False,
        "pilot": None,
        "waves": [],
    }

    text = render(fresh(poc_review), lead, django_capture_on_commit_callbacks)

    assert "No costs or benefits were recorded for this use case." in text
    assert "SPENT SO FAR" not in text
    assert "Below the projection" not in text


def test_the_content_hash_moves_with_the_figures_only(costed, use_case, lead):
    first = pdf.content_hash(pack_data(fresh(costed)))
    assert pdf.content_hash(pack_data(fresh(costed))) == first

    benefit = use_case.benefits.get()
    BenefitRealisation.objects.create(
        benefit=benefit,
        period_end=datetime.date(2026, 6, 30),
        amount=Decimal("1"),
        recorded_by=lead,
    )
    second = pdf.content_hash(pack_data(fresh(costed)))
    assert second != first

    rollout(use_case, lead, waves=1)
    assert pdf.content_hash(pack_data(fresh(costed))) != second


def test_the_query_count_does_not_grow_with_costs_benefits_and_waves(costed, use_case, lead):
    rollout(use_case, lead, waves=1)

    def count() -> tuple[int, dict]:
        with CaptureQueriesContext(connection) as queries:
            data = pack_data(fresh(costed))
        return len(queries), data["value"]

    small, value = count()
    assert len(value["benefits"]) == 1 and len(value["waves"]) == 1

    cost_lines_set(
        use_case=use_case,
        by=lead,
        rows=[
            {"stage": stage, "category": category, "planned": "1000"}
            for stage in ("pilot", "production", "scale")
            for category in ("infrastructure", "data_preparation", "training_change")
        ],
    )
    for index in range(12):
        benefit = benefit_create(
            use_case=use_case, by=lead, name=f"Benefit {index}", annual_amount="1000"
        )
        BenefitRealisation.objects.create(
            benefit=benefit,
            period_end=datetime.date(2026, 3, 31),
            amount=Decimal("10"),
            recorded_by=lead,
        )
    RolloutWave.objects.filter(use_case=use_case).delete()
    PilotScope.objects.filter(use_case=use_case).delete()
    rollout(use_case, lead, waves=6)

    large, value = count()
    assert len(value["benefits"]) == 13 and len(value["waves"]) == 6
    assert large == small
