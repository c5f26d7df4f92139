"""The Celery side: the beat schedule names registered tasks, and the tasks
run the services (eagerly here, as with no REDIS_URL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail

from config.celery import app
from notifications import tasks
from notifications.models import Kind, Notification

ROOT = Path(__file__).resolve().parents[2]


def test_every_scheduled_task_is_registered():
    # The apps' ready() registered every task, as in any process.
    registered = set(app.tasks)
    names = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert names <= registered
    assert {
        "reporting.requeue_stale_packs",
        "notifications.sweep",
        "notifications.deliver_pending_emails",
        "notifications.send_daily_digests",
    } <= names


def test_the_schedule_follows_the_environment():
    # Settings are read once, at import: read them in a fresh interpreter.
    script = (
        "import json; from config import settings as s; b = s.CELERY_BEAT_SCHEDULE; "
        "print(json.dumps([b['notifications-deliver-pending-emails']['schedule'], "
        "sorted(b['notifications-sweep']['schedule'].minute)]))"
    )
    env = {**os.environ, "NOTIFICATIONS_SWEEP_MINUTES": "5", "NOTIFICATIONS_DELIVER_SECONDS": "30"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    deliver, sweep_minutes = json.loads(result.stdout)
    assert deliver == 30.0
    assert sweep_minutes == list(range(0, 60, 5))


@pytest.mark.parametrize("minutes", ["7", "0", "90"])
def test_a_sweep_interval_that_does_not_divide_an_hour_is_refused_at_start(minutes):
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env={**os.environ, "NOTIFICATIONS_SWEEP_MINUTES": minutes},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "NOTIFICATIONS_SWEEP_MINUTES must divide an hour: 1, 2, 3" in result.stderr


def test_tasks_acknowledge_late_and_back_off_below_the_visibility_timeout():
    visibility = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    for task in (tasks.sweep, tasks.deliver_pending_emails, tasks.send_daily_digests):
        assert task.acks_late is True
        assert task.retry_backoff_max < visibility


def test_the_sweep_task_creates_and_emails(gate1_review, clock, django_capture_on_commit_callbacks):
    clock(2)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep.delay()
    assert Notification.objects.filter(kind=Kind.APPROVAL_REMINDER).count() == 2
    assert len(mail.outbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        tasks.sweep.delay()
    assert len(mail.outbox) == 2
