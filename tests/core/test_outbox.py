"""Events go through a transactional outbox: written with the action, handed
to a worker after the commit; a process that dies right after the commit
loses nothing."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core import events
from core.models import OutboxEvent
from core.tasks import deliver_outbox
from gates.models import ReviewStatus
from notifications.models import Kind, Notification
from tests.gates.helpers import assess_all, make_open_review, upload_required

ROOT = Path(__file__).resolve().parents[2]

# The web process's last act: it submits the review and is killed right after
# the commit, before any after-commit hand-over runs (callbacks run in the
# order registered, and this one is registered first).
SUBMIT_THEN_DIE = """
import os, signal
from django.contrib.auth import get_user_model
from django.db import transaction
from gates import services
from gates.models import GateReview

review = GateReview.objects.get(pk={review_id})
sponsor = get_user_model().objects.get(username="sponsor")
with transaction.atomic():
    transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))
    services.review_submit(review=review, by=sponsor)
print("not reached")
"""


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = quote(db["PASSWORD"] or "", safe="")
    auth = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.postgres("a second process reads the test database")
@pytest.mark.django_db(transaction=True)
def test_a_web_process_killed_after_the_commit_loses_no_notification(lead, sponsor, use_case):
    review = make_open_review(use_case, lead)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(DATABASE_URL=_database_url(), DJANGO_SETTINGS_MODULE="config.settings")
    env.pop("REDIS_URL", None)

    web = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SUBMIT_THEN_DIE.format(review_id=review.pk)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert web.returncode == -signal.SIGKILL, web.stderr
    assert "not reached" not in web.stdout
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED  # the action committed
    pending = OutboxEvent.objects.get(name=events.REVIEW_SUBMITTED)
    assert pending.delivered_at is None  # ... and its event was never handed over
    assert not Notification.objects.filter(kind=Kind.APPROVAL_REQUESTED).exists()

    # The periodic delivery (beat runs it every minute), as a worker runs it.
    deliver_outbox.apply()

    pending.refresh_from_db()
    assert pending.delivered_at is not None
    notified = set(
        Notification.objects.filter(kind=Kind.APPROVAL_REQUESTED).values_list(
            "recipient__username", flat=True
        )
    )
    # Every named approver but the one who submitted (nobody hears of their own action).
    approvers = review.approvers.exclude(user=review.submitted_by)
    assert notified == set(approvers.values_list("user__username", flat=True))
    assert notified


@pytest.mark.django_db(transaction=True)
def test_an_event_exists_exactly_when_its_action_committed(lead, sponsor, use_case):
    review = make_open_review(use_case, lead)
    assert OutboxEvent.objects.filter(name=events.REVIEW_OPENED).count() == 1
    with pytest.raises(Exception):  # noqa: B017 - any refusal rolls the action back
        from gates import services

        services.review_submit(review=review, by=sponsor)  # nothing uploaded yet
    assert not OutboxEvent.objects.filter(name=events.REVIEW_SUBMITTED).exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_listener_keeps_the_event_for_a_retry(monkeypatch, lead, use_case):
    seen: list[str] = []

    def broken(name, data):
        raise RuntimeError("the inbox is down")

    monkeypatch.setattr(events, "_listeners", [broken])
    make_open_review(use_case, lead)  # delivered eagerly after the commit: fails
    row = OutboxEvent.objects.get(name=events.REVIEW_OPENED)
    assert row.delivered_at is None
    assert row.attempts == 1
    assert row.last_error == "RuntimeError: the inbox is down"
    assert row.next_attempt_at > row.created_at

    monkeypatch.setattr(events, "_listeners", [lambda name, data: seen.append(name)])
    assert events.outbox_deliver() == 0  # not due yet: backing off
    OutboxEvent.objects.filter(pk=row.pk).update(next_attempt_at=row.created_at)
    assert events.outbox_deliver() == 1
    row.refresh_from_db()
    assert row.delivered_at is not None and row.last_error == ""
    assert seen == [events.REVIEW_OPENED]
    assert events.outbox_deliver() == 0  # delivered once


_kicks: list[str] = []


def _kick() -> None:
    _kicks.append("kick")


@pytest.mark.django_db(transaction=True)
def test_the_work_a_batchs_events_ask_for_runs_once_after_its_commit(monkeypatch):
    # Five events due at once: one outbox batch, one transaction.
    for n in range(5):
        OutboxEvent.objects.create(name=events.REVIEW_SUBMITTED, data={"review_id": n})
    heard: list[int] = []
    committed: list[bool] = []

    def listener(name, data):
        heard.append(data["review_id"])
        events.on_commit_once(_kick)
        committed.append(bool(_kicks))  # nothing runs before the commit

    monkeypatch.setattr(events, "_listeners", [listener])
    _kicks.clear()
    assert events.outbox_deliver() == 5
    assert heard == [0, 1, 2, 3, 4]
    assert committed == [False] * 5
    assert _kicks == ["kick"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_batch_each_ask_is_an_after_commit_callback():
    from django.db import transaction

    _kicks.clear()
    with transaction.atomic():
        events.on_commit_once(_kick)
        events.on_commit_once(_kick)
        assert _kicks == []
    assert _kicks == ["kick", "kick"]


def _hold(row_id: int, claimed: threading.Event, release: threading.Event) -> None:
    """Another deliverer (a worker): claims the event, delivers it once
    ``release`` is set, and commits."""
    try:
        with transaction.atomic():
            row = OutboxEvent.objects.select_for_update().get(pk=row_id)
            claimed.set()
            release.wait(30)
            row.delivered_at = timezone.now()
            row.save(update_fields=["delivered_at"])
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_draining_waits_for_the_events_another_deliverer_holds(monkeypatch):
    """The demo seed drains the outbox before turning e-mail back on: an event
    a worker is delivering counts as waiting until the worker commits."""
    seen: list[str] = []
    monkeypatch.setattr(events, "_listeners", [lambda name, data: seen.append(name)])
    held = OutboxEvent.objects.create(name=events.REVIEW_OPENED, data={})
    OutboxEvent.objects.create(name=events.REVIEW_SUBMITTED, data={})
    # Failed once, retried in an hour: not due, so it holds nothing up.
    OutboxEvent.objects.create(
        name=events.GATE_DECIDED,
        data={},
        attempts=1,
        next_attempt_at=timezone.now() + datetime.timedelta(hours=1),
    )
    claimed, release = threading.Event(), threading.Event()
    worker = threading.Thread(target=_hold, args=(held.pk, claimed, release))
    worker.start()
    try:
        assert claimed.wait(10)
        assert events.outbox_drain(timeout=0.5) is False  # the worker still holds it
        assert seen == [events.REVIEW_SUBMITTED]

        threading.Timer(0.5, release.set).start()
        assert events.outbox_drain(timeout=30) is True
        # Returned once the worker had delivered it, not before.
        assert OutboxEvent.objects.get(pk=held.pk).delivered_at is not None
    finally:
        release.set()
        worker.join(30)
    assert seen == [events.REVIEW_SUBMITTED]
