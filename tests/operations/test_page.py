"""The operation page: who sees which form, forms that re-render with their
errors, htmx fragments, fixed queries at two sizes; the use case page's
operation panel, the readiness summary's due date and the portfolio filter."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from gates.models import Decision, GateReview, GateTemplate
from operations import services
from operations.models import Incident
from tests.factories import UseCaseFactory
from tests.operations.helpers import in_operation, measure
from usecases.models import Status, UseCase

pytestmark = pytest.mark.django_db


def page(use_case) -> str:
    return reverse("usecase-operation", args=[use_case.pk])


def test_the_permission_ladder(client, client_as, operating, outsider, executive, sponsor, lead):
    assert client.get(page(operating)).status_code == 302
    assert client_as(outsider).get(page(operating)).status_code == 404
    read_only = client_as(executive).get(page(operating))
    assert read_only.status_code == 200
    html = read_only.content.decode()
    assert "Change the owner" not in html and "Record the incident" not in html
    html = client_as(sponsor).get(page(operating)).content.decode()
    assert "Change the owner" not in html and "Record the incident" in html
    html = client_as(lead).get(page(operating)).content.decode()
    assert "Change the owner" in html and "Record the incident" in html
    assert "Sam Sponsor" in html


def test_a_lead_changes_the_owner_and_errors_re_render(client_as, operating, lead, techlead):
    client = client_as(lead)
    url = reverse("usecase-operation-owner", args=[operating.pk])
    bad = client.post(url, {"owner": techlead.pk, "reason": ""})
    assert bad.status_code == 400
    assert "This field is required." in bad.content.decode()
    ok = client.post(url, {"owner": techlead.pk, "reason": "Handover"})
    assert ok.status_code == 302
    operating.refresh_from_db()
    assert operating.operating_owner == techlead
    fragment = client.post(
        url, {"owner": lead.pk, "reason": "Back"}, headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content and b"Operating owner changed." in fragment.content


def test_a_sponsor_may_not_post_the_owner_form(client_as, operating, sponsor):
    url = reverse("usecase-operation-owner", args=[operating.pk])
    assert client_as(sponsor).post(url, {"owner": sponsor.pk, "reason": "x"}).status_code == 403


def test_drift_bound_set_and_clear_on_the_page(client_as, accuracy, techlead, executive):
    url = reverse("usecase-operation-drift", args=[accuracy.use_case_id, accuracy.pk])
    client = client_as(techlead)
    response = client.post(
        url, {f"drift{accuracy.pk}-operator": "<=", f"drift{accuracy.pk}-threshold": "7"}
    )
    assert response.status_code == 302
    accuracy.refresh_from_db()
    assert accuracy.drift_label == "Accuracy ≤ 7%"
    bad = client.post(
        url, {f"drift{accuracy.pk}-operator": "<=", f"drift{accuracy.pk}-threshold": "x"}
    )
    assert bad.status_code == 400 and "Enter a number." in bad.content.decode()
    client.post(url, {"clear": "1"})
    accuracy.refresh_from_db()
    assert not accuracy.is_monitored
    assert client_as(executive).post(url, {"clear": "1"}).status_code == 403


def test_recording_an_incident_shows_the_recertification(client_as, operating, contributor):
    url = reverse("usecase-operation-incidents", args=[operating.pk])
    client = client_as(contributor)
    body = {
        "title": "Outage",
        "severity": "critical",
        "occurred_on": timezone.localdate().isoformat(),
        "description": "Down.",
    }
    fragment = client.post(url, body, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert "Incident recorded." in html and "Recertification review #" in html
    assert "Incident recorded" in html and "Critical" in html
    future = dict(body, occurred_on="2999-01-01")
    bad = client.post(url, future)
    assert bad.status_code == 400 and "cannot be in the future" in bad.content.decode()
    assert Incident.objects.count() == 1


def test_a_use_case_before_scale_says_so(client_as, use_case, lead):
    html = client_as(lead).get(page(use_case)).content.decode()
    assert "not in operation yet" in html and "Record the incident" not in html


@pytest.mark.parametrize("size", [1, 8])
def test_the_page_takes_fixed_queries(
    client_as, operating, lead, sponsor, size, django_assert_max_num_queries
):
    from readiness import services as readiness

    for n in range(size):
        kpi = readiness.kpi_create(
            use_case=operating,
            by=lead,
            name=f"KPI {n}",
            kind="leading",
            target="10",
            direction="higher",
        )
        services.kpi_drift_set(kpi=kpi, by=lead, operator=">=", threshold="5")
        measure(kpi, sponsor, "4")
        services.incident_record(
            use_case=operating,
            by=lead,
            title=f"Incident {n}",
            severity="low",
            occurred_on=timezone.localdate(),
            description="Something.",
        )
    client = client_as(lead)
    with django_assert_max_num_queries(20):
        response = client.get(page(operating))
    assert response.status_code == 200
    assert response.content.decode().count("Breached") == size


def test_the_use_case_page_shows_the_operation_panel(client_as, operating, lead):
    html = client_as(lead).get(operating.get_absolute_url()).content.decode()
    assert 'id="operation-panel"' in html and "In operation" in html
    assert page(operating) in html


def test_the_use_case_page_says_when_it_was_retired(client_as, operating, lead):
    # Test set-up only: the Retire decision itself is the gate engine's (tests/gates).
    decided = GateReview.objects.create(
        use_case=operating,
        template=GateTemplate.objects.get(number=5),
        template_version=1,
        gate_number=5,
        from_stage="scale",
        to_stage="scale",
        chair=lead,
        status="decided",
        decision=Decision.RETIRE,
        decided_at=timezone.now(),
        decided_by=lead,
    )
    UseCase.objects.filter(pk=operating.pk).update(status=Status.RETIRED)
    html = client_as(lead).get(operating.get_absolute_url()).content.decode()
    assert f"Retired on {timezone.localdate(decided.decided_at):%-d %b %Y}" in html
    operation = client_as(lead).get(page(operating)).content.decode()
    assert "This use case is retired" in operation and "Record the incident" not in operation


def test_the_readiness_summary_shows_the_due_date(client_as, use_case, sponsor, lead):
    in_operation(use_case, sponsor, due_in_days=-4)
    html = client_as(lead).get(reverse("usecase-readiness", args=[use_case.pk])).content.decode()
    assert "Recertification overdue by 4 days" in html
    UseCase.objects.filter(pk=use_case.pk).update(recertification_due_on=datetime.date(2099, 6, 2))
    html = client_as(lead).get(reverse("usecase-readiness", args=[use_case.pk])).content.decode()
    assert "Recertification due on 2 Jun 2099" in html


def test_the_portfolio_filters_due_for_recertification(
    client_as, api_as, business_unit, sponsor, lead
):
    due = in_operation(UseCaseFactory(title="Due soon", business_unit=business_unit), sponsor, 10)
    in_operation(UseCaseFactory(title="Later", business_unit=business_unit), sponsor, 300)
    overdue = in_operation(
        UseCaseFactory(title="Overdue", business_unit=business_unit), sponsor, -2
    )
    UseCaseFactory(title="Discovery")
    response = api_as(lead).get("/api/v1/use-cases/", {"timing": "recertification"})
    assert response.status_code == 200, response.content
    assert sorted(r["title"] for r in response.json()["results"]) == [due.title, overdue.title]
    html = client_as(lead).get(reverse("portfolio"), {"timing": "recertification"}).content.decode()
    assert "Due for recertification" in html
    assert "Due soon" in html and "Overdue" in html and "Later" not in html


def test_the_readiness_summary_names_the_recertification_ahead(client, lead, operating):
    from readiness.selectors import readiness_summary

    summary = readiness_summary(use_case=operating)
    assert summary.gate_label == "Recertification"
    client.force_login(lead)
    page = client.get(f"/use-cases/{operating.pk}/readiness/").content.decode()
    assert "Summary for Recertification" in page and "Gate 5" not in page
