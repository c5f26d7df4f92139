"""A real Celery worker on Redis produces a gate pack from committed rows."""

from __future__ import annotations

import hashlib

import pytest

from reporting import services
from reporting.models import GatePack, PackStatus
from tests.reporting.helpers import pdf_pages, pdf_text, squash
from tests.workers import WORKER_TEST, CeleryWorker, redis_url_for_worker, wait_for

pytestmark = WORKER_TEST

TIMEOUT_S = 60


@pytest.fixture
def redis_url() -> str:
    url = redis_url_for_worker()
    if not url:
        pytest.skip("TEST_REDIS_URL is not set")
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()  # no task left over from an earlier run
    except redis.ResponseError as error:
        pytest.fail(
            f"{url} (TEST_REDIS_URL plus the xdist worker's index) is refused: {error}; "
            "set TEST_REDIS_URL to a lower database number",
            pytrace=False,
        )
    finally:
        client.close()
    return url


@pytest.fixture
def worker(redis_url, tmp_path):
    worker = CeleryWorker(broker_url=redis_url, log_dir=tmp_path).start()
    yield worker
    worker.stop()


def test_a_real_worker_generates_the_pack(decided_review, lead, broker, redis_url, worker):
    broker(redis_url)

    result = services.pack_request(review=decided_review, by=lead)
    assert result.published is True

    def finished() -> GatePack | None:
        worker.assert_alive()
        pack = GatePack.objects.get(pk=result.pack.pk)
        return pack if pack.status in (PackStatus.READY, PackStatus.FAILED) else None

    pack = wait_for(
        finished,
        timeout=TIMEOUT_S,
        interval=0.3,
        what="the pack to finish",
        details=worker.log_text,
    )
    assert pack.status == PackStatus.READY, (pack.status, pack.failure_reason, worker.log_text())

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
