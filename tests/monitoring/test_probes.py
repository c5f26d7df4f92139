"""/healthz, /readyz and /metrics, as a load balancer, an orchestrator and a
Prometheus scraper use them (no session, no sign-in)."""

from __future__ import annotations

import logging
import socket

import pytest
from django.test import Client
from django_guid.log_filters import CorrelationId

from core.models import OutboxEvent
from notifications.models import EmailStatus, Kind, Notification
from reporting.models import GatePack, PackStatus


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_healthz_answers_ok_without_asking_any_service(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {}}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_readyz_checks_the_database_and_the_storage_of_the_embedded_default():
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": {"Database": "OK", "Storage": "OK"}}


@pytest.mark.django_db(transaction=True)
def test_readyz_is_a_503_naming_redis_and_the_workers_when_the_broker_is_down(settings, caplog):
    port = _closed_port()
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    # Each check and the kind of its failure; what failed, with the host and
    # port, is in the log, not in an answer anyone can ask for.
    checks = {"Database": "OK", "Storage": "OK", "Redis": "Unavailable", "Ping": "Unavailable"}
    assert body["checks"] == checks
    assert str(port) not in response.content.decode()
    # The operator's side: a line per failing check, saying what failed and
    # where, without a traceback at every probe.
    failed = [r for r in caplog.records if r.name == "health_check"]
    assert [r.levelname for r in failed] == ["WARNING", "WARNING"], failed
    redis_line = next(r.getMessage() for r in failed if "Redis(" in r.getMessage())
    assert "Unable to connect to Redis" in redis_line
    assert f"127.0.0.1:{port}" in redis_line
    assert f"Redis(redis://127.0.0.1:{port}/0)" in redis_line
    ping_line = next(r.getMessage() for r in failed if "Ping(" in r.getMessage())
    assert "Ping(the workers of " in ping_line
    assert ping_line.endswith("Unavailable: Celery workers unavailable")
    assert all(r.exc_info is None for r in failed)
    # The 503 is a warning naming what is down, not an error of Django's.
    [answer] = [r for r in caplog.records if r.name == "monitoring.views"]
    assert answer.levelname == "WARNING"
    assert answer.getMessage() == "Not ready, answered 503 to /readyz: Redis, Ping"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    text = Client().get("/readyz?format=text")
    assert text.status_code == 503
    assert text.content.decode() == "".join(f"{name}: {said}\n" for name, said in checks.items())


@pytest.mark.django_db(transaction=True)
def test_readyz_is_a_503_naming_the_storage_when_its_disk_refuses(settings, tmp_path, caplog):
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a directory")
    settings.MEDIA_ROOT = str(in_the_way / "media")
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"Database": "OK", "Storage": "Unavailable"},
    }
    assert str(tmp_path) not in response.content.decode()
    [line] = [r for r in caplog.records if r.name == "health_check"]
    assert line.levelname == "WARNING"
    assert line.exc_info is None
    said = line.getMessage()
    assert f"Storage({in_the_way / 'media'})" in said
    assert "Storage unavailable (" in said and "a-file" in said
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    # Nothing was left behind, and the check is OK again once the disk is.
    in_the_way.unlink()
    assert Client().get("/readyz").status_code == 200
    assert list((in_the_way / "media").rglob("*.txt")) == []


def _scrape(**headers: str) -> str:
    response = Client().get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def _value(text: str, sample: str) -> float:
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{sample} not in the metrics:\n{text}")


@pytest.mark.django_db
def test_metrics_count_requests_by_route_and_report_the_backlogs(lead, decided_review):
    Client().get("/healthz")
    Client().get("/healthz")
    OutboxEvent.objects.create(name="review.opened", data={})
    for status in (EmailStatus.PENDING, EmailStatus.PENDING, EmailStatus.FAILED):
        Notification.objects.create(
            recipient=lead,
            kind=Kind.REVIEW_OPENED,
            subject="s",
            body="b",
            object_type="review",
            object_id=Notification.objects.count() + 1,
            email_status=status,
        )
    GatePack.objects.create(
        review=decided_review, review_revision=1, requested_by=lead, status=PackStatus.QUEUED
    )

    text = _scrape()
    healthz = 'method="GET",route="healthz",status="2xx"'
    assert _value(text, f"stagegate_http_request_duration_seconds_count{{{healthz}}}") >= 2
    assert _value(text, "stagegate_outbox_pending") >= 1
    assert _value(text, 'stagegate_notification_email_backlog{status="pending"}') == 2
    assert _value(text, 'stagegate_notification_email_backlog{status="failed"}') == 1
    assert _value(text, 'stagegate_packs{status="queued"}') == 1
    assert _value(text, "stagegate_pack_wait_seconds_count") == 0


@pytest.mark.django_db
def test_a_scrape_while_redis_is_down_leaves_the_queue_out_and_says_why_in_a_line(settings, caplog):
    settings.REDIS_URL = f"redis://127.0.0.1:{_closed_port()}/0"

    text = _scrape()

    assert "stagegate_celery_queue_length{" not in text
    assert _value(text, "stagegate_outbox_pending") == 0  # the database still read
    (record,) = [r for r in caplog.records if r.name == "monitoring.metrics"]
    assert record.getMessage().startswith("metrics: _queue could not be read: Redis unavailable: ")
    assert record.exc_info is None  # an outage, not a bug: no traceback at every scrape


@pytest.mark.django_db
def test_metrics_count_the_cpu_each_route_took_no_more_than_its_time(lead, client_as, use_case):
    """The web process's CPU per route, for an operator to divide by the
    requests: it grows with each page served, by no more than the time the
    page took (one thread's CPU cannot outrun the clock)."""
    portfolio = 'method="GET",route="portfolio",status="2xx"'
    cpu = f"stagegate_http_request_cpu_seconds_total{{{portfolio}}}"
    took = f"stagegate_http_request_duration_seconds_sum{{{portfolio}}}"
    served = f"stagegate_http_request_duration_seconds_count{{{portfolio}}}"

    def figures() -> tuple[float, float, float]:
        text = _scrape()
        if served not in text:  # no portfolio page served yet in this process
            return 0.0, 0.0, 0.0
        return _value(text, cpu), _value(text, took), _value(text, served)

    before = figures()
    browser = client_as(lead)
    for _ in range(3):
        assert browser.get("/portfolio/").status_code == 200
    after = figures()

    assert after[2] - before[2] == 3
    spent, elapsed = after[0] - before[0], after[1] - before[1]
    assert 0 < spent <= elapsed, (spent, elapsed)


@pytest.mark.django_db
def test_metrics_need_the_token_when_one_is_set_and_loopback_otherwise(settings):
    assert Client().get("/metrics", REMOTE_ADDR="10.0.0.8").status_code == 403
    # Loopback, but through a proxy on the same machine: any client's request.
    for header in ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED"):
        proxied = Client().get("/metrics", **{header: "203.0.113.9"})
        assert proxied.status_code == 403, header
    assert Client().get("/metrics", HTTP_X_FORWARDED_PROTO="https").status_code == 403
    settings.METRICS_TOKEN = "scrape-secret"
    refused = Client().get("/metrics")
    assert refused.status_code == 403
    assert "METRICS_TOKEN" in refused.content.decode()
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    _scrape(HTTP_AUTHORIZATION="Bearer scrape-secret", REMOTE_ADDR="10.0.0.8")


@pytest.mark.django_db
def test_every_response_carries_a_request_id_and_keeps_the_callers():
    response = Client().get("/healthz")
    made = response["X-Request-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    given = "7b3c0f0e2f5e4a8c9d1e2f3a4b5c6d7e"
    assert Client().get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
    hyphens = "7b3c0f0e-2f5e-4a8c-9d1e-2f3a4b5c6d7e"
    assert Client().get("/healthz", HTTP_X_REQUEST_ID=hyphens)["X-Request-ID"] == hyphens
    # Anything else is not written to the logs as an id: a new one is made.
    replaced = Client().get("/healthz", HTTP_X_REQUEST_ID='x" level=ERROR')["X-Request-ID"]
    assert len(replaced) == 32 and int(replaced, 16) >= 0


@pytest.mark.django_db(transaction=True)
def test_a_task_run_in_the_request_logs_under_its_id_and_leaves_it_the_id(
    settings, decided_review, lead, api_as
):
    """With no REDIS_URL (the embedded default) a task runs eagerly, in the
    request that queues it: the pack's rendering logs under the request's
    id, and the request still answers with it."""
    assert settings.CELERY_TASK_ALWAYS_EAGER
    given = "5f0c2a9e8b7d4c3e9a1b2c3d4e5f6a7b"
    seen: list[tuple[str, str]] = []

    class Seen(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append((record.getMessage(), record.correlation_id))

    handler = Seen()
    handler.addFilter(CorrelationId())
    logging.getLogger().addHandler(handler)
    try:
        response = api_as(lead).post(
            f"/api/v1/reviews/{decided_review.pk}/packs/", HTTP_X_REQUEST_ID=given
        )
    finally:
        logging.getLogger().removeHandler(handler)
    assert response.status_code == 202, response.content
    assert response["X-Request-ID"] == given
    pack = GatePack.objects.get(review=decided_review)
    assert pack.status == PackStatus.READY
    rendered = [ids for message, ids in seen if "reporting.generate_gate_pack[" in message]
    assert rendered and set(rendered) == {given}
    # Nothing the request logged ran without its id.
    assert {ids for _, ids in seen} == {given}
