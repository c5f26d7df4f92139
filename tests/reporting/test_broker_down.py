"""With the task queue down, a pack request still answers 202 and keeps its
row; the periodic requeue hands it over once the queue is back."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.conf import settings as django_settings
from django.utils import timezone

from core.models import AuditEvent
from reporting import services
from reporting.models import GatePack, PackStatus
from reporting.tasks import requeue_stale_packs

pytestmark = pytest.mark.django_db

CLOSED_PORT = "redis://127.0.0.1:1/0"


# Transactional, as in production: the hand-over runs when the request's
# transaction commits, before the response is written.
@pytest.mark.django_db(transaction=True)
def test_it_answers_202_queued_and_keeps_the_row(api_as, decided_review, lead, broker):
    broker(CLOSED_PORT)
    response = api_as(lead).post(f"/api/v1/reviews/{decided_review.pk}/packs/")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    assert body["message"] == "queued; it will be generated when the task queue is back"
    pack = GatePack.objects.get(pk=body["id"])
    assert pack.status == PackStatus.QUEUED
    assert pack.enqueued_at is None
    assert AuditEvent.objects.filter(action="pack.requested", object_id=str(pack.pk)).exists()


@pytest.mark.django_db(transaction=True)
def test_the_review_page_panel_says_so_too(client_as, decided_review, lead, broker):
    broker(CLOSED_PORT)
    response = client_as(lead).post(
        f"/reviews/{decided_review.pk}/packs/request/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "it will be generated when the task queue is back" in html
    assert 'hx-trigger="every 2s"' in html


def test_the_requeue_task_hands_it_over_once_the_queue_is_back(
    decided_review, lead, broker, django_capture_on_commit_callbacks
):
    broker(CLOSED_PORT)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.pack_request(review=decided_review, by=lead)
    assert result.published is False
    pack = result.pack

    # Still down, and not yet old enough: nothing is handed over.
    assert requeue_stale_packs.apply().get() == 0

    # The queue is back (eager in the test process), after the wait.
    from config.celery import app

    app.conf.task_always_eager = True
    later = timezone.now() + services.requeue_after() + datetime.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert requeue_stale_packs.apply().get() == 1
    pack.refresh_from_db()
    assert pack.status == PackStatus.READY
    schedule = django_settings.CELERY_BEAT_SCHEDULE.values()
    assert "reporting.requeue_stale_packs" in {e["task"] for e in schedule}


def test_requeue_leaves_recent_packs_alone_and_frees_dead_runs(decided_review, lead, broker):
    from config.celery import app

    recent = GatePack.objects.create(
        review=decided_review, review_revision=decided_review.revision, requested_by=lead
    )
    dead = GatePack.objects.create(
        review=decided_review, review_revision=decided_review.revision, requested_by=lead
    )
    assert services.pack_claim(dead.pk)
    GatePack.objects.filter(pk=dead.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=2)
    )
    GatePack.objects.filter(pk=recent.pk).update(enqueued_at=timezone.now())
    app.conf.task_always_eager = True
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1), tick=False):
        requeued = services.pack_requeue_stale()
    dead.refresh_from_db()
    recent.refresh_from_db()
    assert requeued == [dead.pk]  # the dead run is taken back and handed over at once
    assert dead.status == PackStatus.READY
    assert dead.attempts == 2
    assert recent.status == PackStatus.QUEUED
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=15), tick=False):
        requeued = services.pack_requeue_stale()
    assert requeued == [recent.pk]
    recent.refresh_from_db()
    assert recent.status == PackStatus.READY


def test_requeue_gives_up_after_too_many_attempts(decided_review, lead):
    pack = GatePack.objects.create(
        review=decided_review,
        review_revision=decided_review.revision,
        requested_by=lead,
        attempts=5,
    )
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1), tick=False):
        services.pack_requeue_stale()
    pack.refresh_from_db()
    assert pack.status == PackStatus.FAILED
    assert "Gave up after 5 attempts" in pack.failure_reason
