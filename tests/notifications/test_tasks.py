"""The Celery side: the beat schedule names registered tasks, and the tasks
run the services (eagerly here, as with no REDIS_URL)."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.core import mail

import reporting.tasks  # noqa: E402,F401 - registers the task the settings schedule
from config.celery import app
from notifications import tasks
from notifications.models import Kind, Notification
from notifications.schedule import BEAT_SCHEDULE, beat_schedule


def test_every_scheduled_task_is_registered():
    # Importing notifications.tasks (above) registered its shared tasks.
    registered = set(app.tasks)
    names = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert names == {
        "notifications.sweep",
        "notifications.deliver_pending_emails",
        "notifications.send_daily_digests",
    }
    assert names <= registered
    # Whatever the project merged into its settings must name real tasks too.
    assert {e["task"] for e in django_settings.CELERY_BEAT_SCHEDULE.values()} <= registered


def test_the_schedule_follows_its_arguments():
    schedule = beat_schedule(sweep_minutes=5, deliver_seconds=30)
    assert schedule["notifications-deliver-pending-emails"]["schedule"] == 30.0
    assert schedule["notifications-sweep"]["schedule"].minute == set(range(0, 60, 5))


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
