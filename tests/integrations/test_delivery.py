"""Sending: the signature, retries with backoff against a receiver that fails
and recovers, one that never recovers, a worker that died mid-request, a
batch whose lease another worker took, a receiver that answers a byte at a
time, and an event heard twice."""

from __future__ import annotations

import datetime
import socket
import threading
import time

import pytest
from django.urls import reverse

from core import events
from core.events import Occurrence
from gates import services as gates
from integrations import services
from integrations.models import DeliveryStatus, WebhookDelivery
from tests.integrations.conftest import T0, received, verify

pytestmark = pytest.mark.django_db


def test_it_signs_the_body_with_the_endpoint_secret(
    httpserver, register, use_case, lead, django_capture_on_commit_callbacks
):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    endpoint = register(httpserver.url_for("/hook"), [events.REVIEW_OPENED])
    # The whole path: the action, the outbox, the listener, the worker (eager).
    with django_capture_on_commit_callbacks(execute=True):
        review = gates.review_open(use_case=use_case, by=lead)

    [(request, _response)] = httpserver.log
    assert verify(endpoint.secret, request)
    assert not verify("another-secret", request)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert request.headers["X-StageGate-Event"] == "review.opened"
    assert request.headers["X-StageGate-Delivery"] == str(delivery.delivery_id)
    body = received(httpserver)[0][1]
    assert set(body) == {"id", "event", "occurred_at", "data", "link"}
    assert body["event"] == "review.opened"
    assert body["data"]["use_case"]["title"] == "Claims triage assistant"
    assert body["data"]["review"]["gate_label"] == "Gate 1"
    assert body["link"] == f"https://stagegate.example.com/reviews/{review.pk}/"
    assert delivery.status == DeliveryStatus.DELIVERED
    assert (delivery.attempts, delivery.response_status) == (1, 200)


def _ping(register, admin, httpserver, path="/hook"):
    endpoint = register(httpserver.url_for(path))
    return endpoint, services.endpoint_test(by=admin, endpoint=endpoint)


def test_a_receiver_failing_twice_then_recovering_ends_delivered_after_three_attempts(
    httpserver, register, admin, clock, client_as
):
    httpserver.expect_ordered_request("/hook").respond_with_data("down for maintenance", 500)
    httpserver.expect_ordered_request("/hook").respond_with_data("still down", 500)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok", 200)
    endpoint, delivery = _ping(register, admin, httpserver)

    services.deliveries_send_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.last_error == "HTTP 500: down for maintenance"
    assert delivery.next_attempt_at == T0 + datetime.timedelta(seconds=30)

    clock(29)  # not due yet: nothing sent
    assert services.deliveries_send_due().ids == []
    clock(30)
    services.deliveries_send_due()
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_error) == (2, "HTTP 500: still down")
    assert delivery.next_attempt_at == T0 + datetime.timedelta(seconds=30 + 60)  # doubled

    clock(90)
    services.deliveries_send_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert (delivery.attempts, delivery.response_status) == (3, 200)
    assert len(httpserver.log) == 3
    httpserver.check_assertions()

    # The log shows it: delivered, three attempts, the last error seen.
    page = client_as(admin).get(reverse("webhook-detail", args=[endpoint.pk]))
    text = page.content.decode()
    assert "Delivered" in text and "HTTP 500: still down" in text
    assert ">3<" in text


def test_a_receiver_that_never_recovers_ends_failed_after_the_last_attempt(
    httpserver, register, admin, clock, settings
):
    settings.WEBHOOKS_MAX_ATTEMPTS = 3
    httpserver.expect_request("/hook").respond_with_data("no", 503)
    _endpoint, delivery = _ping(register, admin, httpserver)
    for seconds in (0, 30, 90, 210, 3600 * 5):
        clock(seconds)
        services.deliveries_send_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 3
    assert delivery.next_attempt_at is None
    assert delivery.last_error == "HTTP 503: no"
    assert len(httpserver.log) == 3  # nothing after the last attempt


def test_a_refused_connection_is_an_error_to_retry(register, admin, clock):
    endpoint = register("http://127.0.0.1:9/unreachable")
    delivery = services.endpoint_test(by=admin, endpoint=endpoint)
    services.deliveries_send_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1 and delivery.response_status is None
    assert delivery.last_error.startswith("ConnectionError")


def test_a_delivery_left_by_a_dead_worker_is_sent_after_its_lease(
    httpserver, register, admin, clock
):
    httpserver.expect_request("/hook").respond_with_data("ok")
    _endpoint, delivery = _ping(register, admin, httpserver)
    # A worker claims it and dies before the request.
    [claimed] = services._claim(T0, 10)
    assert claimed.pk == delivery.pk
    assert services.deliveries_send_due().ids == []  # leased: not sent twice meanwhile
    clock(3 * 2 + 60)  # three timeouts (2 s) and the margin have passed
    services.deliveries_send_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 2  # the dead worker's claim counted
    assert len(httpserver.log) == 1


def test_a_row_whose_lease_another_worker_took_is_left_to_it(httpserver, register, admin, clock):
    """A worker sends its batch one row after the other; should a row's lease
    run out before its turn and another worker claim it, the first leaves it:
    each delivery reaches the receiver once."""
    httpserver.expect_request("/hook").respond_with_data("ok")
    first = _ping(register, admin, httpserver)[1]
    second = services.endpoint_test(by=admin, endpoint=first.endpoint)
    worker_a = services._claim(T0, 10)
    assert {row.pk for row in worker_a} == {first.pk, second.pk}
    now = clock(3 * 2 + 60 + 1)  # worker A has not got to them within the lease
    [taken] = services._claim(now, 1)  # worker B claims one of them

    report = services.SendReport()
    services._send(worker_a, report)
    [left] = [row for row in worker_a if row.pk != taken.pk]
    assert report.ids == [left.pk]
    services._send([taken], services.SendReport())

    assert len(httpserver.log) == 2
    sent = [request.headers["X-StageGate-Delivery"] for request, _ in httpserver.log]
    assert sorted(sent) == sorted(str(d.delivery_id) for d in (first, second))
    for delivery in (first, second):
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.DELIVERED


class TricklingReceiver:
    """A receiver on loopback that answers at once with ``status`` and then
    sends its body one byte every 0.2 s, for a minute."""

    def __init__(self, status: str) -> None:
        self.status = status
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            connection, _ = self.listener.accept()
        except OSError:
            return
        with connection:
            connection.recv(65536)
            connection.sendall(f"HTTP/1.1 {self.status}\r\nContent-Length: 300\r\n\r\n".encode())
            for _ in range(300):
                if self.stop.wait(0.2):
                    return
                try:
                    connection.sendall(b"x")
                except OSError:
                    return

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
        self.thread.join(timeout=5)


@pytest.mark.parametrize(
    ("status", "delivered"), [("200 OK", True), ("500 Internal Server Error", False)]
)
def test_a_receiver_that_answers_a_byte_at_a_time_does_not_hold_the_worker(
    register, admin, status, delivered
):
    receiver = TricklingReceiver(status)
    try:
        endpoint = register(receiver.url)
        delivery = services.endpoint_test(by=admin, endpoint=endpoint)
        started = time.monotonic()
        services.deliveries_send_due()
        took = time.monotonic() - started
    finally:
        receiver.close()
    # Its 300 bytes would take a minute; the timeout is 2 s.
    assert took < 2 * 2 + 1.5, took
    delivery.refresh_from_db()
    if delivered:
        assert delivery.status == DeliveryStatus.DELIVERED
    else:
        assert delivery.status == DeliveryStatus.PENDING
        assert delivery.response_status == 500
        assert delivery.last_error.startswith("HTTP 500: x")


def test_an_event_heard_twice_is_delivered_once(httpserver, register, decided_review):
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint = register(httpserver.url_for("/hook"), [events.GATE_DECIDED])
    occurrence = Occurrence(4242, T0)
    data = {"review_id": decided_review.pk, "condition_ids": []}
    events.deliver(events.GATE_DECIDED, data, occurrence=occurrence)
    events.deliver(events.GATE_DECIDED, data, occurrence=occurrence)
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1
    services.deliveries_send_due()
    services.deliveries_send_due()
    assert len(httpserver.log) == 1
    body = received(httpserver)[0][1]
    assert body["id"] == "event-4242"
    assert body["data"]["decision"] == "conditional_go"
    assert body["data"]["conditions"][0]["description"]


def test_an_inactive_endpoint_receives_nothing(httpserver, register, decided_review):
    endpoint = register(httpserver.url_for("/hook"), [events.GATE_DECIDED], active=False)
    events.deliver(
        events.GATE_DECIDED,
        {"review_id": decided_review.pk},
        occurrence=Occurrence(1, T0),
    )
    services.deliveries_send_due()
    assert not WebhookDelivery.objects.filter(endpoint=endpoint).exists()
    assert httpserver.log == []


def test_a_test_message_reaches_an_endpoint_not_yet_active(httpserver, register, admin):
    httpserver.expect_request("/hook").respond_with_data("ok")
    endpoint = register(httpserver.url_for("/hook"), active=False)
    delivery = services.endpoint_test(by=admin, endpoint=endpoint)
    services.deliveries_send_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert received(httpserver)[0][1]["event"] == "ping"
