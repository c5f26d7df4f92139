from __future__ import annotations

import pytest

from reporting import services
from reporting.models import GatePack, PackStatus
from tests.reporting.helpers import decided_review


@pytest.fixture
def review(use_case, lead, sponsor):
    return decided_review(use_case, lead, sponsor)


@pytest.fixture
def ready_pack(review, lead, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pack = services.pack_request(review=review, by=lead).pack
    pack.refresh_from_db()
    assert pack.status == PackStatus.READY, pack.failure_reason
    return pack


@pytest.fixture
def queued_pack(review, lead):
    """A pack row as the request leaves it before any worker took it."""
    return GatePack.objects.create(
        review=review, review_revision=review.revision, requested_by=lead
    )


@pytest.fixture
def other_sponsor(db):
    from tests.factories import UseCaseFactory, UserFactory

    person = UserFactory(username="othersponsor", first_name="Olga", last_name="Other")
    UseCaseFactory(title="Invoice matching", sponsor=person)
    return person


@pytest.fixture
def broker(request):
    """Point the test process's Celery app at a broker (not eager) and put
    everything back afterwards."""
    from config.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url)

    def reset_pools() -> None:
        # Connections and producers are pooled per broker URL, in the app and
        # in kombu's global pools: drop them all, so the next publish connects
        # to the broker configured now.
        from kombu import pools

        pools.reset()
        if app._pool is not None:
            app._pool.force_close_all()
            app._pool = None
        app.amqp._producer_pool = None

    def use(url: str) -> None:
        reset_pools()
        app.conf.task_always_eager = False
        app.conf.broker_url = url

    yield use
    reset_pools()
    app.conf.task_always_eager, app.conf.broker_url = saved
