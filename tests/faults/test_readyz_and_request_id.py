"""With a real broker and worker: /readyz asks the workers and tells when
none answers, and a request's id reaches the log lines of the Celery task it
queued, as JSON."""

from __future__ import annotations

import datetime
import json
import time
import urllib.parse

from django.test import Client

from tests.workers import WORKER_TEST, wait_for

pytestmark = WORKER_TEST

TIMEOUT_S = 60
REQUEST_ID = "5f0c2a9e8b7d4c3e9a1b2c3d4e5f6a7b"


def _readyz() -> tuple[int, dict]:
    response = Client().get("/readyz")
    return response.status_code, response.json()


def test_readyz_asks_redis_and_the_workers_and_tells_when_no_worker_answers(
    celery_worker, redis_server, settings
):
    settings.REDIS_URL = redis_server.url
    settings.READYZ_WORKER_TIMEOUT = 1
    status, body = _readyz()
    assert status == 503
    assert body["checks"]["Redis"] == "OK"
    assert body["checks"]["Ping"] == "Unavailable"

    celery_worker.start()
    status, body = wait_for(
        lambda: (answer := _readyz())[0] == 200 and answer,
        timeout=TIMEOUT_S,
        interval=0.5,
        what="the worker to answer /readyz's ping",
        details=celery_worker.log_text,
    )
    assert body == {
        "status": "ok",
        "checks": {"Database": "OK", "Storage": "OK", "Redis": "OK", "Ping": "OK"},
    }
    # The worker's answer ends the wait: a probe whose own timeout is shorter
    # than READYZ_WORKER_TIMEOUT (Kubernetes' is 1 s) is not failed by it.
    settings.READYZ_WORKER_TIMEOUT = 30
    started = time.monotonic()
    assert _readyz()[0] == 200
    assert time.monotonic() - started < 10

    settings.READYZ_WORKER_TIMEOUT = 1  # no answer is waited for this long
    celery_worker.kill()
    status, body = _readyz()
    assert status == 503
    assert body["checks"]["Ping"] == "Unavailable"


def test_readyz_is_a_503_while_the_only_worker_consumes_another_queue(
    celery_worker, redis_server, settings, caplog
):
    """A worker that answers the ping but takes nothing from the queue the
    tasks are sent to would leave every pack queued: not ready, and the log
    says which queue has no worker."""
    from config.celery import app

    settings.REDIS_URL = redis_server.url
    settings.READYZ_WORKER_TIMEOUT = 1
    celery_worker.args = ["-Q", "elsewhere"]
    celery_worker.start()
    wait_for(
        lambda: app.control.ping(timeout=0.5),
        timeout=TIMEOUT_S,
        interval=0.5,
        what="the worker to answer a ping",
        details=celery_worker.log_text,
    )
    status, body = _readyz()
    assert status == 503
    assert body["checks"] == {
        "Database": "OK",
        "Storage": "OK",
        "Redis": "OK",
        "Ping": "Unavailable",
    }
    said = [r.getMessage() for r in caplog.records if r.name == "health_check"]
    queue = app.conf.task_default_queue
    assert any(f"No worker for Celery task queue {queue}" in line for line in said), said
    broker = urllib.parse.urlsplit(app.conf.broker_url)
    where = f"Ping(the workers of redis://{broker.hostname}:{broker.port}{broker.path})"
    assert any(where in line for line in said), said


def test_the_request_id_reaches_the_workers_json_log_lines(
    celery_worker, decided_review, lead, api_as
):
    celery_worker.start(LOG_FORMAT="json", LOG_LEVEL="INFO")
    as_lead = api_as(lead)
    response = as_lead.post(
        f"/api/v1/reviews/{decided_review.pk}/packs/", HTTP_X_REQUEST_ID=REQUEST_ID
    )
    assert response.status_code == 202, response.content
    assert response["X-Request-ID"] == REQUEST_ID
    pack_id = response.json()["id"]
    wait_for(
        lambda: as_lead.get(f"/api/v1/packs/{pack_id}/").json()["status"] == "ready",
        timeout=TIMEOUT_S,
        interval=0.3,
        what="the worker to generate the pack",
        details=celery_worker.log_text,
    )

    def lines() -> list[dict]:
        records = []
        for line in celery_worker.log_text().splitlines():
            if line.startswith("{"):
                records.append(json.loads(line))
        return records

    carried = wait_for(
        lambda: [r for r in lines() if r.get("correlation_id") == REQUEST_ID],
        timeout=10,
        what="a worker log line carrying the request id",
        details=celery_worker.log_text,
    )
    assert any("audit checkpoint" in record["message"] for record in carried), carried
    assert all({"time", "level", "logger", "message"} <= record.keys() for record in carried)
    # The time in ISO 8601, in UTC and saying so.
    assert all(
        datetime.datetime.fromisoformat(record["time"]).utcoffset() == datetime.timedelta(0)
        for record in carried
    ), carried
