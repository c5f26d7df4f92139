"""A Redis that takes the connection and never answers (a half-open
connection after a network partition, a Redis stuck in a slow command).
As the broker: the request that committed work and then hands it to Celery
must still answer, within the broker's socket timeout, and leave the work
where the periodic tasks find it. As the cache (CACHE_IN_REDIS=1): pages the
cache speeds up answer from the database, a request it must count is a 503.
Without socket timeouts each waited for ever, until gunicorn killed the
worker."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from reporting.models import GatePack, PackStatus
from tests.workers import redis_cache

# The request runs in a thread of its own (on a connection of its own), so
# that a request that hangs fails the test instead of holding it.
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_pack_request_answers_and_stays_queued_when_the_broker_never_answers(
    silent_server, broker, api_as, lead, decided_review, settings
):
    broker(silent_server.url)
    answers = []

    def request() -> None:
        try:
            answers.append(api_as(lead).post(f"/api/v1/reviews/{decided_review.pk}/packs/"))
        finally:
            connection.close()

    started = time.monotonic()
    thread = threading.Thread(target=request, daemon=True)
    thread.start()
    thread.join(timeout=90)
    assert not thread.is_alive(), "the request is still waiting for the broker"
    # Each try waits the socket timeout; a publish tries three times, and the
    # request hands over two things (the outbox's delivery and the pack).
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_timeout"]
    took = time.monotonic() - started
    assert took < 2 * 3 * timeout + 15, took
    assert silent_server.held, "the request never reached the broker"
    assert answers[0].status_code == 202
    pack = GatePack.objects.get()
    assert pack.status == PackStatus.QUEUED
    assert pack.enqueued_at is None  # for the periodic requeue to hand over


def _within(seconds: float, request: Callable[[], Any]) -> Any:
    """``request()`` in a thread of its own, which must be done in ``seconds``."""
    answers = []

    def run() -> None:
        try:
            answers.append(request())
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=90)
    assert not thread.is_alive(), "the request is still waiting for the silent server"
    return answers[0]


def test_with_the_cache_in_a_redis_that_never_answers_requests_still_answer(
    silent_server, settings, client_as, api_as, executive, lead, decided_review
):
    settings.CACHES = redis_cache(silent_server.url)
    settings.DASHBOARD_CACHE_SECONDS = 60
    # The read times out; the page is computed, and not kept: one timeout.
    timeout = settings.REDIS_SOCKET_OPTIONS["socket_timeout"]
    started = time.monotonic()
    dashboard = _within(90, lambda: client_as(executive).get("/dashboard/"))
    assert dashboard.status_code == 200
    assert 'id="funnel"' in dashboard.content.decode()
    assert timeout <= time.monotonic() - started < timeout + 15
    assert silent_server.held, "the cache never reached the server"
    # Meanwhile the pages the cache only speeds up do without it at once,
    # not a socket timeout each.
    for path, who in (("/dashboard/", executive), (f"/reviews/{decided_review.pk}/", lead)):
        started = time.monotonic()
        page = _within(90, lambda path=path, who=who: client_as(who).get(path))
        assert page.status_code == 200
        assert time.monotonic() - started < timeout, path
    pack = _within(90, lambda: api_as(lead).post(f"/api/v1/reviews/{decided_review.pk}/packs/"))
    assert pack.status_code == 503
    assert not GatePack.objects.exists()


def _probe_lines(caplog) -> dict[str, str]:
    """The readiness log's line of each failed check, by the check's name."""
    return {
        r.getMessage().split("(")[0].removeprefix("Health check "): r.getMessage()
        for r in caplog.records
        if r.name == "health_check"
    }


def test_readyz_answers_within_its_budget_when_redis_never_answers(
    silent_server, settings, broker, caplog
):
    """The orchestrator's probe gets its 503 within the checks' budget (the
    worker ping's READYZ_WORKER_TIMEOUT and a second), not once every client
    has given up on the silent server; and the answer names the checks, not
    the hosts and ports (those are in the log)."""
    from django.test import Client

    settings.REDIS_URL = silent_server.url
    broker(silent_server.url)
    started = time.monotonic()
    response = _within(90, lambda: Client().get("/readyz"))
    took = time.monotonic() - started
    assert took < settings.READYZ_WORKER_TIMEOUT + 1 + 1.5, took
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {
            "Database": "OK",
            "Storage": "OK",
            "Redis": "Unavailable",
            "Ping": "Unavailable",
        },
    }
    assert silent_server.held, "the probe never reached the server"
    # The log says which server did not answer, and that it did not.
    lines = _probe_lines(caplog)
    assert f"127.0.0.1:{silent_server.port}" in lines["Redis"], lines
    assert "Timeout" in lines["Redis"], lines
    budget = settings.READYZ_WORKER_TIMEOUT + 1
    assert lines["Ping"] == (
        f"Health check Ping(the workers of {silent_server.url}) "
        f"failed: no answer within {budget:g} s"
    ), lines


def test_readyz_answers_within_its_budget_when_the_object_store_never_answers(
    silent_server, settings, caplog
):
    """An object store that takes the connection and never answers: the
    storage check gives up at its timeout (5 s) and the probe answers then,
    not after the store client's own timeouts and retries (a minute)."""
    from django.test import Client

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "core.object_storage.ObjectStorage",
            "OPTIONS": {
                "bucket_name": "stagegate",
                "endpoint_url": f"http://127.0.0.1:{silent_server.port}",
                "region_name": "us-east-1",
                "access_key": "probe",
                "secret_key": "probe-secret",
            },
        },
    }
    started = time.monotonic()
    response = _within(120, lambda: Client().get("/readyz"))
    took = time.monotonic() - started
    assert silent_server.held, "the probe never reached the store"
    assert took < 5 + 1 + 2, took
    assert response.status_code == 503
    assert response.json()["checks"] == {"Database": "OK", "Storage": "Unavailable"}
    assert _probe_lines(caplog)["Storage"] == (
        f"Health check Storage(s3://stagegate/ at http://127.0.0.1:{silent_server.port}) "
        "failed: no answer within 6 s"
    )
