"""Numbers are checked against what their column holds (18 digits, 4 of them
decimal): a value that only overflows once rounded is refused with 400 and
stores nothing, on every way in."""

from __future__ import annotations

import io

import pytest

from readiness.models import Kpi, KpiMeasurement, KpiRule

ROUNDS_OVER = "99999999999999.99999"  # below 1e14, rounds to 1e14: 19 digits
LARGEST = "99999999999999.9999"


def kpi_body(target: str) -> dict:
    return {
        "name": "Pilot adoption",
        "kind": "leading",
        "unit": "%",
        "target": target,
        "direction": "higher",
    }


def test_the_api_refuses_a_target_that_rounds_past_the_column(api_as, use_case, sponsor):
    api = api_as(sponsor)
    response = api.post(
        f"/api/v1/use-cases/{use_case.pk}/kpis/", kpi_body(ROUNDS_OVER), format="json"
    )

    assert response.status_code == 400, response.content
    assert "too large" in str(response.json())
    assert not Kpi.objects.exists()
    largest = api.post(f"/api/v1/use-cases/{use_case.pk}/kpis/", kpi_body(LARGEST), format="json")
    assert largest.status_code == 201
    assert api.get(f"/api/v1/use-cases/{use_case.pk}/kpis/").status_code == 200


def test_measurements_rules_and_csv_cells_are_refused_the_same_way(
    api_as,
    adoption,
    sponsor,
):
    review, criterion, kpi = adoption
    api = api_as(sponsor)
    before = KpiMeasurement.objects.count()

    measured = api.post(
        f"/api/v1/kpis/{kpi.pk}/measurements/",
        {"value": ROUNDS_OVER, "measured_at": "2026-10-21"},
        format="json",
    )
    rule = api.put(
        f"/api/v1/reviews/{review.pk}/criteria/{criterion.pk}/kpi-rule/",
        {"kpi": kpi.pk, "operator": ">=", "threshold": ROUNDS_OVER},
        format="json",
    )
    upload = io.BytesIO(f"kpi,measured_at,value\n{kpi.name},2026-10-22,{ROUNDS_OVER}\n".encode())
    upload.name = "m.csv"
    imported = api.post(
        f"/api/v1/use-cases/{review.use_case_id}/kpis/import/", {"file": upload}, format="multipart"
    )

    assert (measured.status_code, rule.status_code, imported.status_code) == (400, 400, 400)
    assert KpiMeasurement.objects.count() == before
    assert not KpiRule.objects.exists()
    # Every page that shows the KPI still answers.
    for path in (
        review.use_case.get_absolute_url(),
        f"/use-cases/{review.use_case_id}/readiness/",
        review.get_absolute_url(),
    ):
        assert api.get(path).status_code in (200, 302)


@pytest.mark.parametrize("value", [ROUNDS_OVER, "1e30", "-99999999999999.99995"])
def test_the_service_names_the_limit(value):
    from readiness.services import clean_value

    with pytest.raises(ValueError, match="too large: at most 99,999,999,999,999.9999"):
        clean_value(value)
