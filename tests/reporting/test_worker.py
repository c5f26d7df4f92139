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


def test_beat_folds_the_dashboard_tally_on_a_real_worker(
    lead, sponsor, business_unit, broker, redis_url, worker
):
    from django.db.models import Sum
    from django.utils import timezone

    from reporting.models import PortfolioTally
    from tests.factories import UseCaseFactory
    from tests.reporting.test_dashboard_tally import assert_tally_equals_scan
    from tests.workers import run_as_beat
    from usecases.models import RiskTier, UseCase

    broker(redis_url)
    for i in range(6):
        UseCaseFactory(title=f"Tallied {i}", business_unit=business_unit, sponsor=sponsor)
    UseCase.objects.filter(title="Tallied 0").update(risk_tier=RiskTier.HIGH)
    keys = (
        "kind", "stage", "status", "risk_tier", "regulation",
        "to_stage", "decision", "recertification", "day",
    )  # fmt: skip
    distinct = PortfolioTally.objects.values(*keys).annotate(total=Sum("n")).exclude(total=0)
    distinct = distinct.count()
    assert PortfolioTally.objects.count() > distinct  # one row per write so far

    run_as_beat("reporting.compact_tally")

    def folded() -> bool:
        worker.assert_alive()
        return PortfolioTally.objects.count() == distinct

    wait_for(folded, timeout=TIMEOUT_S, what="beat's compaction of the dashboard tally")
    # Outside a transaction: the counts are read in one repeatable-read snapshot.
    counted = assert_tally_equals_scan(lead, timezone.now())
    assert counted.stages["discovery"]["active"] == 6
    assert counted.stages["discovery"]["risk_high"] == 1


def test_a_worker_keeps_its_database_connection_between_tasks(
    sponsor, business_unit, broker, redis_url, worker
):
    """As a web process between requests (DATABASE_CONN_MAX_AGE): one session
    serves task after task, where each task used to open its own."""
    from django.db import connection

    from tests.workers import run_as_beat, wait_until_worker_caught_up

    def worker_sessions() -> set[tuple[int, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, backend_start::text FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = %s",
                [worker.application_name],
            )
            return set(cursor.fetchall())

    from tests.factories import UseCaseFactory

    UseCaseFactory(business_unit=business_unit, sponsor=sponsor)  # an audit trail to checkpoint
    broker(redis_url)
    wait_until_worker_caught_up(timeout=TIMEOUT_S, details=worker.log_text)
    first = worker_sessions()
    assert len(first) == 1, f"the worker's sessions after a task: {first}"
    for _ in range(5):
        run_as_beat("reporting.compact_tally")
    wait_until_worker_caught_up(timeout=TIMEOUT_S, details=worker.log_text)
    assert worker_sessions() == first
