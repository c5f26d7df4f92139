"""The webhooks API: administrators only; every write audited; URLs other
than http(s) refused with a clear message; query counts bounded."""

from __future__ import annotations

import pytest

from core.models import AuditEvent
from integrations import services
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

BODY = {
    "name": "Governance feed",
    "url": "https://hooks.example.com/stagegate",
    "format": "json",
    "event_types": ["gate.decided", "review.opened"],
}


def audited(action: str) -> list[str]:
    return list(AuditEvent.objects.filter(action=action).values_list("summary", flat=True))


def test_an_administrator_registers_reads_changes_and_removes_an_endpoint(api_as, admin):
    api = api_as(admin)
    created = api.post("/api/v1/webhooks/", BODY, format="json")
    assert created.status_code == 201, created.content
    endpoint = created.json()
    assert endpoint["event_types"] == ["review.opened", "gate.decided"]  # catalogue order
    assert len(endpoint["secret"]) == 64 and endpoint["active"] is True
    assert audited("webhook.created") == ["Webhook endpoint “Governance feed” registered"]
    # The secret never enters the audit trail.
    assert endpoint["secret"] not in str(AuditEvent.objects.values_list("payload", flat=True))

    url = f"/api/v1/webhooks/{endpoint['id']}/"
    assert api.get(url).json()["secret"] == endpoint["secret"]
    changed = api.put(
        url, {**BODY, "format": "slack", "active": False, "rotate_secret": True}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["format"] == "slack" and changed.json()["active"] is False
    assert changed.json()["secret"] != endpoint["secret"]
    [update] = AuditEvent.objects.filter(action="webhook.updated")
    assert update.payload["changes"]["format"] == ["json", "slack"]

    assert [e["id"] for e in api.get("/api/v1/webhooks/").json()["results"]] == [endpoint["id"]]
    assert api.delete(url).status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert audited("webhook.deleted") == ["Webhook endpoint “Governance feed” removed"]
    assert api.get(url).status_code == 404


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example.com/x", "The URL must start with http:// or https:// (not ftp)."),
        ("javascript:alert(1)", "The URL must start with http:// or https:// (not javascript)."),
        ("hooks.example.com", "The URL must start with http:// or https:// (not no scheme)."),
        ("https://", "Enter a full web address"),
    ],
)
def test_it_refuses_urls_other_than_http_or_https(api_as, admin, url, message):
    answer = api_as(admin).post("/api/v1/webhooks/", {**BODY, "url": url}, format="json")
    assert answer.status_code == 400
    assert message in answer.json()["detail"]
    assert answer.json()["fields"]["url"]
    assert not WebhookEndpoint.objects.exists()


def test_it_refuses_unknown_or_no_events(api_as, admin):
    api = api_as(admin)
    unknown = api.post("/api/v1/webhooks/", {**BODY, "event_types": ["nope"]}, format="json")
    assert unknown.status_code == 400 and "event_types.0" in unknown.json()["fields"]
    none = api.post("/api/v1/webhooks/", {**BODY, "event_types": []}, format="json")
    assert none.status_code == 400 and "event_types" in none.json()["fields"]


def test_send_test_queues_a_ping_and_the_log_shows_it(api_as, admin, httpserver):
    httpserver.expect_request("/hook").respond_with_data("ok")
    api = api_as(admin)
    endpoint = api.post(
        "/api/v1/webhooks/", {**BODY, "url": httpserver.url_for("/hook")}, format="json"
    ).json()
    answer = api.post(f"/api/v1/webhooks/{endpoint['id']}/test/")
    assert answer.status_code == 202, answer.content
    assert answer.json()["delivery"]["event"] == "ping"
    assert audited("webhook.test_sent") == [
        "Test message queued for webhook endpoint “Governance feed”"
    ]
    services.deliveries_send_due()
    [row] = api.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries/").json()["results"]
    assert row["status"] == DeliveryStatus.DELIVERED
    assert row["attempts"] == 1 and row["response_status"] == 200
    assert row["payload"]["event"] == "ping"
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("person", ["lead", "executive", "sponsor", "outsider"])
def test_nobody_but_an_administrator_gets_in(api_as, admin, person, request):
    endpoint = services.endpoint_create(
        by=admin, name="Feed", url="https://hooks.example.com/", event_types=["gate.decided"]
    )
    api = api_as(request.getfixturevalue(person))
    base = f"/api/v1/webhooks/{endpoint.pk}/"
    answers = [
        api.get("/api/v1/webhooks/"),
        api.post("/api/v1/webhooks/", BODY, format="json"),
        api.get(base),
        api.put(base, BODY, format="json"),
        api.delete(base),
        api.get(base + "deliveries/"),
        api.post(base + "test/"),
    ]
    assert [a.status_code for a in answers] == [403] * 7
    assert answers[0].json()["detail"] == "Only administrators may manage webhooks."
    assert WebhookEndpoint.objects.get().name == "Feed"
    assert not WebhookDelivery.objects.exists()


def _endpoints_with_deliveries(admin, endpoints: int, deliveries: int) -> WebhookEndpoint:
    for index in range(endpoints):
        endpoint = services.endpoint_create(
            by=admin,
            name=f"Feed {index}",
            url=f"https://hooks{index}.example.com/",
            event_types=["gate.decided"],
        )
        for _ in range(deliveries):
            services.endpoint_test(by=admin, endpoint=endpoint)
    return endpoint


@pytest.mark.parametrize("size", [1, 12])
def test_the_list_and_the_log_cost_the_same_queries_at_any_size(
    api_as, admin, size, django_assert_max_num_queries
):
    endpoint = _endpoints_with_deliveries(admin, size, size)
    api = api_as(admin)
    with django_assert_max_num_queries(3):
        assert len(api.get("/api/v1/webhooks/").json()["results"]) == size
    with django_assert_max_num_queries(4):
        assert len(api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").json()["results"]) == size
