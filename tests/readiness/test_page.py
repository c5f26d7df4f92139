from __future__ import annotations

import datetime
import io

import pytest

from gates import services as gate_services
from readiness import services
from readiness.models import ChecklistItem, KpiMeasurement
from tests.readiness.helpers import to_poc

# The same bound at both data sizes: reads do not grow with KPIs, points or items.
# The open review's part of the summary is the gate engine's one read model of
# a review (criteria with their rules and citations, artifacts, approvers,
# conditions, Go checks), the same read the review page and the pack make.
# The controls its criteria and required artifacts cite are one query each,
# and at Gate 1 the latest risk classification (a submission blocker) one;
# value rules on criteria one more, the custom field definitions one more.
PAGE_QUERIES = 31  # includes the unread count behind the bell in the top bar
API_QUERIES = 24


def page(use_case):
    return f"/use-cases/{use_case.pk}/readiness/"


def test_it_shows_the_page_to_the_team_and_executives_but_not_outsiders(
    client_as, use_case, sponsor, executive, outsider
):
    response = client_as(sponsor).get(page(use_case))
    assert response.status_code == 200
    assert b"Production readiness checklist" in response.content
    assert b"Fallback procedures for outages established" in response.content
    executive_page = client_as(executive).get(page(use_case))
    assert executive_page.status_code == 200
    assert b"Save prioritization" not in executive_page.content
    assert client_as(outsider).get(page(use_case)).status_code == 404


def test_it_refuses_an_executive_post_with_403(client_as, use_case, executive):
    url = f"/use-cases/{use_case.pk}/readiness/checklist/8/"
    response = client_as(executive).post(url, {"item8-status": "done"})
    assert response.status_code == 403
    assert not ChecklistItem.objects.exists()


def test_it_shows_the_band_after_an_htmx_save_with_the_seed_descriptions(
    client_as, use_case, lead, sponsor
):
    to_poc(use_case, lead, sponsor)
    from readiness.models import ScorecardItem

    data = {f"item_{i.pk}": "4" for i in ScorecardItem.objects.all()}
    response = client_as(sponsor).post(
        f"/use-cases/{use_case.pk}/readiness/scorecard/", data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="scorecard"' in html and "<html" not in html
    assert "24/30: Recommended for production" in html
    assert "Exceeded target by 20%+" in html and "Integration design not started" in html


def test_it_rerenders_the_form_with_errors_on_a_plain_post(client_as, use_case, lead, sponsor):
    to_poc(use_case, lead, sponsor)
    response = client_as(sponsor).post(f"/use-cases/{use_case.pk}/readiness/scorecard/", {})
    assert response.status_code == 400
    assert b"This field is required" in response.content


def test_it_lists_csv_errors_by_line(client_as, use_case, sponsor):
    services.kpi_create(
        use_case=use_case,
        by=sponsor,
        name="Adoption",
        kind="leading",
        unit="%",
        target="60",
        direction="higher",
    )
    upload = io.BytesIO(b"kpi,measured_at,value\nAdoption,2024-01-01,50\nAdoption,2024-01-02,x\n")
    upload.name = "m.csv"
    response = client_as(sponsor).post(
        f"/use-cases/{use_case.pk}/readiness/kpis/import/",
        {"file": upload},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Line 3: value “x” is not a number." in response.content.decode()
    assert not KpiMeasurement.objects.exists()


def _grow(use_case, sponsor, techlead, kpis: int, points: int, items: int):
    for k in range(kpis):
        kpi = services.kpi_create(
            use_case=use_case,
            by=sponsor,
            name=f"KPI {k}",
            kind="leading",
            unit="%",
            target="60",
            direction="higher",
        )
        for p in range(points):
            services.kpi_measurement_record(
                kpi=kpi,
                by=sponsor,
                value=str(40 + p),
                measured_at=datetime.date(2024, 1, 1) + datetime.timedelta(days=p),
            )
    for number in range(1, items + 1):
        services.checklist_item_update(
            use_case=use_case,
            item=number,
            by=sponsor,
            status="done",
            owner=techlead,
            evidence="Seen.",
        )


@pytest.mark.parametrize(("kpis", "points", "items"), [(1, 1, 1), (5, 30, 15)])
def test_it_reads_the_page_and_api_in_a_constant_number_of_queries(
    client_as,
    api_as,
    use_case,
    lead,
    sponsor,
    techlead,
    django_assert_max_num_queries,
    kpis,
    points,
    items,
):
    gate_services.review_open(use_case=use_case, by=lead)
    _grow(use_case, sponsor, techlead, kpis, points, items)
    client = client_as(sponsor)
    api = api_as(sponsor)
    with django_assert_max_num_queries(PAGE_QUERIES):
        assert client.get(page(use_case)).status_code == 200
    with django_assert_max_num_queries(API_QUERIES):
        assert api.get(f"/api/v1/use-cases/{use_case.pk}/readiness/").status_code == 200
