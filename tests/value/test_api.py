"""The value API: the read with the hand-computed figures, the grid's PUT,
benefits and realisations, the multipliers; 404 for invisible use cases,
403/409 for refusals in the one error shape; query bounds at two sizes."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from core.models import AuditEvent
from readiness import services as readiness
from usecases.models import Status, UseCase
from value import services
from value.models import Benefit, BenefitRealisation, CostLine

from .helpers import at_stage, hand_computed_case

pytestmark = pytest.mark.django_db


def url(use_case, tail: str = "value/") -> str:
    return f"/api/v1/use-cases/{use_case.pk}/{tail}"


def test_it_reads_the_hand_computed_case(api_as, use_case, sponsor, executive, settings):
    settings.VALUE_CURRENCY = "EUR"
    settings.VALUE_DISCOUNT_RATE = "0.08"
    hand_computed_case(use_case, sponsor)
    response = api_as(executive).get(url(use_case))
    assert response.status_code == 200
    body = response.json()
    assert body["currency"] == "EUR"
    assert body["discount_rate"] == "0.0800"
    assert body["returns"] == {
        "investment": "210000.00",
        "operations_annual": "24000.00",
        "benefits_annual": "300000.00",
        "costs": "282000.00",
        "benefits": "900000.00",
        "roi_percent": "219.2",
        "npv": "526996.62",
        "payback_month": 10,
        "horizon_months": 36,
    }
    projection = body["projection"]
    assert projection["total"] == {"low": "330000.00", "high": "560000.00"}
    assert projection["rule_of_thumb"] == {"low": "330000.00", "high": "550000.00"}
    assert projection["survey"] == {"low": "880000.00", "high": "1650000.00"}
    assert projection["planned"] == "100000.00"
    assert projection["below_projection"] is True
    assert projection["shortfall"] == "230000.00"
    assert {c["category"]: (c["low"], c["high"]) for c in projection["by_category"]} == {
        "infrastructure": ("30000.00", "60000.00"),
        "development": ("300000.00", "500000.00"),
        "data_preparation": ("0.00", "0.00"),
    }
    assert body["warnings"] == [
        "The planned production budget (Pilot and Production one-off plans), EUR 100,000.00, is "
        "below the projection's low end, EUR 330,000.00: EUR 230,000.00 short."
    ]
    assert body["spent"] == "110000.00"
    poc = next(s for s in body["stages"] if s["stage"] == "poc")
    assert poc["reached"] is True and poc["actual_total"] == "110000.00"
    assert next(c for c in poc["cells"] if c["category"] == "development") == {
        "category": "development",
        "planned": "80000.00",
        "actual": "100000.00",
    }
    assert [s["reached"] for s in body["stages"]] == [True, True, True, False, False]
    assert body["benefits"][0]["name"] == "Analyst hours saved"
    assert body["benefits"][0]["realised"] is None


def test_invisible_use_cases_and_their_benefits_are_404(api_as, outsider, use_case, sponsor):
    benefit = services.benefit_create(use_case=use_case, by=sponsor, name="B", annual_amount="1")
    api = api_as(outsider)
    not_found = {"detail": "Not found.", "reasons": [], "fields": {}}
    for response in (
        api.get(url(use_case)),
        api.put(url(use_case, "value/costs/"), {"cells": []}, format="json"),
        api.get(url(use_case, "benefits/")),
        api.post(url(use_case, "benefits/"), {"name": "x", "annual_amount": "1"}, format="json"),
        api.patch(f"/api/v1/benefits/{benefit.pk}/", {"name": "y"}, format="json"),
        api.delete(f"/api/v1/benefits/{benefit.pk}/"),
        api.post(
            f"/api/v1/benefits/{benefit.pk}/realisations/",
            {"period_end": "2025-01-01", "amount": "1"},
            format="json",
        ),
    ):
        assert response.status_code == 404
        assert response.json() == not_found
    assert Benefit.objects.get().name == "B"


def test_the_sponsor_puts_cells_and_gets_the_read_back(api_as, use_case, sponsor):
    at_stage(use_case, "poc")
    response = api_as(sponsor).put(
        url(use_case, "value/costs/"),
        {
            "cells": [
                {"stage": "poc", "category": "development", "planned": 80000, "actual": "95000.5"},
                {"stage": "pilot", "category": "infrastructure", "planned": "12000"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["spent"] == "95000.50"
    assert CostLine.objects.count() == 2
    assert AuditEvent.objects.filter(action="value.costs_set").count() == 1
    # null clears; a key left out stays.
    response = api_as(sponsor).put(
        url(use_case, "value/costs/"),
        {"cells": [{"stage": "poc", "category": "development", "actual": None}]},
        format="json",
    )
    line = CostLine.objects.get(stage="poc")
    assert (str(line.planned), line.actual) == ("80000.00", None)


def test_bad_cells_are_400_naming_the_field(api_as, use_case, sponsor):
    api = api_as(sponsor)
    response = api.put(
        url(use_case, "value/costs/"),
        {"cells": [{"stage": "poc", "category": "development", "planned": "-1"}]},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["cells.0.planned"]
    response = api.put(
        url(use_case, "value/costs/"),
        {"cells": [{"stage": "moon", "category": "development", "planned": "1"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "cells.0.stage" in response.json()["fields"]
    assert not CostLine.objects.exists()


def test_an_actual_for_a_stage_not_reached_is_409_with_the_reason(api_as, use_case, sponsor):
    response = api_as(sponsor).put(
        url(use_case, "value/costs/"),
        {"cells": [{"stage": "pilot", "category": "development", "actual": "1"}]},
        format="json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == "No actual cost can be recorded for Pilot yet."
    assert body["reasons"][0].startswith("The use case is in Discovery")


def test_refusals_are_403_and_409(api_as, use_case, techlead, lead, sponsor):
    benefit = services.benefit_create(use_case=use_case, by=sponsor, name="B", annual_amount="1")
    response = api_as(techlead).put(url(use_case, "value/costs/"), {"cells": []}, format="json")
    assert response.status_code == 403
    assert "program leads and the use case's sponsor" in response.json()["detail"]
    assert api_as(techlead).delete(f"/api/v1/benefits/{benefit.pk}/").status_code == 403
    UseCase.objects.filter(pk=use_case.pk).update(status=Status.KILLED)
    response = api_as(lead).post(
        url(use_case, "benefits/"), {"name": "x", "annual_amount": "1"}, format="json"
    )
    assert response.status_code == 409
    assert "read-only" in response.json()["detail"]
    assert api_as(lead).delete(f"/api/v1/benefits/{benefit.pk}/").status_code == 409
    assert Benefit.objects.count() == 1


def test_benefits_are_created_changed_realised_and_deleted(api_as, use_case, sponsor):
    api = api_as(sponsor)
    kpi = readiness.kpi_create(
        use_case=use_case, by=sponsor, name="Hours", kind="lagging", target="1", direction="higher"
    )
    response = api.post(
        url(use_case, "benefits/"),
        {"name": "Hours saved", "annual_amount": "120000", "kpi": kpi.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["kpi"] == kpi.pk and created["kpi_name"] == "Hours"
    assert created["annual_amount"] == "120000.00"
    benefit_id = created["id"]
    response = api.patch(
        f"/api/v1/benefits/{benefit_id}/", {"annual_amount": "150000"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["annual_amount"] == "150000.00"
    assert response.json()["kpi"] == kpi.pk
    with time_machine.travel(datetime.date(2026, 6, 30), tick=False):
        measurement = readiness.kpi_measurement_record(
            kpi=kpi, by=sponsor, value="250", measured_at="2026-03-31"
        )
        response = api.post(
            f"/api/v1/benefits/{benefit_id}/realisations/",
            {"period_end": "2026-03-31", "amount": 30000, "kpi_measurement": measurement.pk},
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["kpi_measurement"] == measurement.pk
        response = api.post(
            f"/api/v1/benefits/{benefit_id}/realisations/",
            {"period_end": "2026-07-01", "amount": "1"},
            format="json",
        )
        assert response.status_code == 400
        assert "period_end" in response.json()["fields"]
    listed = api.get(url(use_case, "benefits/")).json()["results"]
    assert [(b["name"], b["realised"]) for b in listed] == [("Hours saved", "30000.00")]
    response = api.patch(f"/api/v1/benefits/{benefit_id}/", {"kpi": None}, format="json")
    assert response.json()["kpi"] is None
    assert api.delete(f"/api/v1/benefits/{benefit_id}/").status_code == 204
    assert not Benefit.objects.exists() and not BenefitRealisation.objects.exists()


def test_a_kpi_of_another_use_case_is_400(api_as, use_case, lead):
    other = UseCase.objects.create(title="Other", business_unit=use_case.business_unit, summary="s")
    kpi = readiness.kpi_create(
        use_case=other, by=lead, name="K", kind="lagging", target="1", direction="higher"
    )
    response = api_as(lead).post(
        url(use_case, "benefits/"),
        {"name": "x", "annual_amount": "1", "kpi": kpi.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"kpi": ["Choose one of this use case's KPIs."]}


def test_it_lists_the_multipliers(api_as, executive):
    response = api_as(executive).get("/api/v1/cost-multipliers/")
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"category": "data_preparation", "low": "3.00", "high": "6.00"},
        {"category": "development", "low": "3.00", "high": "5.00"},
        {"category": "infrastructure", "low": "3.00", "high": "6.00"},
    ]


# The use case, then the multipliers, cost lines and benefits.
API_QUERIES = 4


@pytest.mark.parametrize("size", [1, 8])
def test_the_read_is_a_fixed_number_of_queries(
    api_as, use_case, sponsor, size, django_assert_max_num_queries
):
    at_stage(use_case, "production")
    services.cost_lines_set(
        use_case=use_case,
        by=sponsor,
        rows=[
            {"stage": stage, "category": category, "planned": "10", "actual": "9"}
            for stage in ("discovery", "poc", "pilot", "production")[: 1 if size == 1 else 4]
            for category in ("development", "infrastructure", "operations_annual")
        ],
    )
    for b in range(size):
        benefit = services.benefit_create(
            use_case=use_case, by=sponsor, name=f"B{b}", annual_amount="100"
        )
        for _ in range(size):
            services.benefit_realisation_record(
                benefit=benefit, by=sponsor, period_end="2025-01-01", amount="1"
            )
    api = api_as(sponsor)
    with django_assert_max_num_queries(API_QUERIES):
        assert api.get(url(use_case)).status_code == 200
    with django_assert_max_num_queries(API_QUERIES):
        assert api.get(url(use_case, "benefits/")).status_code == 200
