"""The operations API: the operation read, the owner, incidents and drift
bounds; errors in the project's shape; invisible use cases are 404; fixed
query counts at two sizes."""

from __future__ import annotations

import pytest
from django.utils import timezone

from core.models import AuditEvent
from operations import services
from operations.models import Incident
from tests.factories import UseCaseFactory
from tests.operations.helpers import measure

pytestmark = pytest.mark.django_db


def url(use_case, part: str = "operation/") -> str:
    return f"/api/v1/use-cases/{use_case.pk}/{part}"


def incident_body(**fields):
    body = {
        "title": "Wrong triage",
        "severity": "high",
        "occurred_on": timezone.localdate().isoformat(),
        "description": "An urgent claim was routed as routine.",
    }
    body.update(fields)
    return body


def test_it_reads_the_operation(api_as, operating, accuracy, sponsor, lead):
    measure(accuracy, sponsor, "88")
    data = api_as(sponsor).get(url(operating)).json()
    assert data["operating"] is True and data["overdue"] is False
    assert data["operating_owner"]["username"] == "sponsor"
    assert data["recertification_due_on"] == operating.recertification_due_on.isoformat()
    [kpi] = data["kpis"]
    assert kpi["kpi"]["drift_operator"] == ">=" and kpi["kpi"]["drift_threshold"] == "91"
    assert kpi["latest_value"] == "88" and kpi["breached"] is True
    [breach] = data["drift_breaches"]
    assert breach["value"] == "88" and breach["review"]["label"] == "Recertification"
    [review] = data["recertifications"]
    assert review["trigger"] == "drift" and review["label"] == "Recertification"
    assert review["chair"]["username"] == "lead"


def test_invisible_use_cases_are_404(api_as, operating, outsider, accuracy):
    client = api_as(outsider)
    assert client.get(url(operating)).status_code == 404
    assert client.get(url(operating, "incidents/")).status_code == 404
    assert client.post(url(operating, "incidents/"), incident_body()).status_code == 404
    assert client.put(f"/api/v1/kpis/{accuracy.pk}/drift/", {}).status_code == 404


def test_a_lead_changes_the_owner(api_as, operating, lead, techlead, sponsor):
    response = api_as(lead).put(
        url(operating, "operation/owner/"), {"owner": techlead.pk, "reason": "Handover"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["operating_owner"]["username"] == "techlead"
    refused = api_as(sponsor).put(
        url(operating, "operation/owner/"), {"owner": sponsor.pk, "reason": "Me"}
    )
    assert refused.status_code == 403
    assert set(refused.json()) == {"detail", "reasons", "fields"}
    unknown = api_as(lead).put(url(operating, "operation/owner/"), {"owner": 999999, "reason": "x"})
    assert unknown.status_code == 400 and "owner" in unknown.json()["fields"]


def test_incidents_are_listed_and_recorded(api_as, operating, contributor, executive):
    client = api_as(contributor)
    response = client.post(url(operating, "incidents/"), incident_body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["severity"] == "high" and body["review"]["label"] == "Recertification"
    listed = client.get(url(operating, "incidents/")).json()["results"]
    assert [i["title"] for i in listed] == ["Wrong triage"]
    bad = client.post(url(operating, "incidents/"), incident_body(severity="meh"), format="json")
    assert bad.status_code == 400 and "severity" in bad.json()["fields"]
    future = client.post(
        url(operating, "incidents/"), incident_body(occurred_on="2999-01-01"), format="json"
    )
    assert future.status_code == 400 and "occurred_on" in future.json()["fields"]
    assert api_as(executive).post(url(operating, "incidents/"), incident_body()).status_code == 403
    assert Incident.objects.count() == 1


def test_incidents_are_refused_before_operation(api_as, use_case, lead):
    response = api_as(lead).post(url(use_case, "incidents/"), incident_body(), format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == "This use case is not in operation."


def test_drift_bound_set_and_clear(api_as, accuracy, techlead, outsider, executive):
    path = f"/api/v1/kpis/{accuracy.pk}/drift/"
    client = api_as(techlead)
    response = client.put(path, {"operator": "<=", "threshold": "3.5"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["drift_label"] == "Accuracy ≤ 3.5%"
    bad = client.put(path, {"operator": "=", "threshold": "3"}, format="json")
    assert bad.status_code == 400 and "operator" in bad.json()["fields"]
    assert api_as(executive).put(path, {"operator": ">=", "threshold": "1"}).status_code == 403
    cleared = client.delete(path)
    assert cleared.status_code == 200
    assert cleared.json()["drift_operator"] is None and cleared.json()["drift_threshold"] is None
    again = client.delete(path)
    assert again.status_code == 409
    assert AuditEvent.objects.filter(action="kpi.drift_cleared").count() == 1


@pytest.mark.parametrize("size", [1, 8])
def test_the_operation_read_takes_fixed_queries(
    api_as, operating, lead, sponsor, size, django_assert_max_num_queries
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
    other = UseCaseFactory()  # noqa: F841 -- rows of another use case are not read
    client = api_as(lead)
    with django_assert_max_num_queries(9):
        assert client.get(url(operating)).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(url(operating, "incidents/")).status_code == 200
