"""The webhooks pages: administrators only (others 403), the form with its
refusals in place, the "Send test" button, the log; query counts bounded."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import AuditEvent
from integrations import services
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.integrations.test_api import _endpoints_with_deliveries

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Board channel",
    "url": "https://hooks.slack.example.com/services/T0/B0/x",
    "format": "slack",
    "event_types": ["gate.decided", "pack.ready"],
    "active": "on",
}


def test_an_administrator_registers_an_endpoint_in_the_form(client_as, admin):
    client = client_as(admin)
    page = client.get(reverse("webhooks"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Register an endpoint" in text and "Recertification due" in text
    answer = client.post(reverse("webhooks"), FORM)
    endpoint = WebhookEndpoint.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("webhook-detail", args=[endpoint.pk])
    assert endpoint.format == "slack" and endpoint.event_types == ["gate.decided", "pack.ready"]
    detail = client.get(answer["Location"]).content.decode()
    assert endpoint.secret in detail and "Send test" in detail
    assert AuditEvent.objects.filter(action="webhook.created").count() == 1


def test_a_url_with_another_scheme_is_refused_next_to_the_field(client_as, admin):
    answer = client_as(admin).post(reverse("webhooks"), {**FORM, "url": "file:///etc/passwd"})
    assert answer.status_code == 400
    assert "The URL must start with http:// or https:// (not file)." in answer.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_send_test_from_the_page_reaches_the_receiver_and_shows_in_the_log(
    client_as, admin, httpserver, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint = services.endpoint_create(
        by=admin, name="Feed", url=httpserver.url_for("/hook"), event_types=["gate.decided"]
    )
    client = client_as(admin)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            reverse("webhook-test", args=[endpoint.pk]), headers={"HX-Request": "true"}
        )
    assert answer.status_code == 200
    text = answer.content.decode()
    assert 'id="log"' in text and "Test message queued." in text
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.DELIVERED  # sent by the (eager) worker
    assert len(httpserver.log) == 1
    log = client.get(reverse("webhook-detail", args=[endpoint.pk])).content.decode()
    assert "Test message" in log and "Delivered" in log and "200" in log
    # Without htmx: back to the page with the message.
    plain = client.post(reverse("webhook-test", args=[endpoint.pk]))
    assert plain.status_code == 302


def test_an_administrator_changes_and_removes_an_endpoint(client_as, admin):
    endpoint = services.endpoint_create(
        by=admin, name="Feed", url="https://hooks.example.com/", event_types=["gate.decided"]
    )
    client = client_as(admin)
    url = reverse("webhook-detail", args=[endpoint.pk])
    answer = client.post(url, {**FORM, "name": "Renamed", "event_types": ["review.opened"]})
    assert answer.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.event_types) == ("Renamed", ["review.opened"])
    client.post(reverse("webhook-delete", args=[endpoint.pk]))
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("person", ["lead", "executive", "outsider"])
def test_the_pages_are_for_administrators_only(client_as, admin, person, request):
    endpoint = services.endpoint_create(
        by=admin, name="Feed", url="https://hooks.example.com/", event_types=["gate.decided"]
    )
    client = client_as(request.getfixturevalue(person))
    assert client.get(reverse("webhooks")).status_code == 403
    assert client.post(reverse("webhooks"), FORM).status_code == 403
    assert client.get(reverse("webhook-detail", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("webhook-test", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("webhook-delete", args=[endpoint.pk])).status_code == 403
    assert WebhookEndpoint.objects.count() == 1 and not WebhookDelivery.objects.exists()


def test_anonymous_people_are_sent_to_sign_in(client):
    answer = client.get(reverse("webhooks"))
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


@pytest.mark.parametrize("size", [1, 12])
def test_the_pages_cost_the_same_queries_at_any_size(
    client_as, admin, size, django_assert_max_num_queries
):
    endpoint = _endpoints_with_deliveries(admin, size, size)
    client = client_as(admin)
    with django_assert_max_num_queries(5):
        assert client.get(reverse("webhooks")).status_code == 200
    with django_assert_max_num_queries(7):
        page = client.get(reverse("webhook-detail", args=[endpoint.pk]))
    assert page.content.decode().count('class="delivery"') == size
