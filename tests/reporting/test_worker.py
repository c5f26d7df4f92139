"""A real Celery worker on Redis produces a gate pack from committed rows."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from reporting import services
from reporting.models import GatePack, PackStatus
from tests.reporting.helpers import pdf_pages, pdf_text, squash

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 60


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = quote(db["PASSWORD"] or "", safe="")
    auth = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set")
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()  # no task left over from an earlier run
    client.close()
    return url


@pytest.fixture
def worker(redis_url, tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL"}
    }
    env.update(
        DATABASE_URL=_database_url(),
        REDIS_URL=redis_url,
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "-c",
                "1",
                "--loglevel=warning",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.worker
@pytest.mark.postgres("the worker process reaches the test database over its own connection")
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_generates_the_pack(decided_review, lead, broker, redis_url, worker):
    process, log = worker
    broker(redis_url)

    result = services.pack_request(review=decided_review, by=lead)
    assert result.published is True

    deadline = time.monotonic() + TIMEOUT_S
    pack = result.pack
    while time.monotonic() < deadline:
        pack = GatePack.objects.get(pk=result.pack.pk)
        if pack.status in (PackStatus.READY, PackStatus.FAILED):
            break
        assert process.poll() is None, log.read_text()
        time.sleep(0.3)
    assert pack.status == PackStatus.READY, (pack.status, pack.failure_reason, log.read_text())

    content = pack.file.read()
    assert hashlib.sha256(content).hexdigest() == pack.sha256
    assert pack.page_count == pdf_pages(content)
    text = squash(pdf_text(content))
    assert decided_review.use_case.title in text
    for criterion in decided_review.criteria.all():
        assert squash(criterion.name) in text, criterion.name
    for row in decided_review.approvers.select_related("user"):
        assert row.user.get_full_name() in text
        assert row.get_decision_display() in text
    assert pack.attempts == 1
