"""The demo seed plays years of history; the people it creates start with
that history read, and the inbox still holds it, not e-mailed."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db.models import F
from rest_framework.test import APIClient

from core.errors import TransitionRefused
from core.models import AuditEvent
from front.management.commands.seed_demo import SEED_LOCK_KEY
from gates.models import ReviewApprover
from gates.services import approval_record
from notifications.models import (
    EmailMode,
    EmailStatus,
    Kind,
    Notification,
    NotificationPreference,
)
from notifications.services import (
    emails_deliver_pending,
    emails_pause,
    emails_resume,
    preferences_for,
    preferences_update,
)
from tests.factories import UserFactory
from tests.workers import ROOT, app_environment, postgres_connection, wait_for
from usecases.models import OrgRole, UseCase

pytestmark = pytest.mark.django_db


def test_seeded_accounts_start_with_their_history_read():
    call_command("seed_demo", stdout=io.StringIO())

    User = get_user_model()
    seen_any = 0
    for username in ("lead", "sponsor", "techlead", "buhead", "cio", "risk", "exec"):
        client = APIClient()
        client.force_authenticate(User.objects.get(username=username))
        unread = client.get("/api/v1/notifications/?unread=true")
        assert unread.status_code == 200
        assert unread.json()["count"] == 0, username
        seen_any += client.get("/api/v1/notifications/").json()["count"]
    # The history is there, read: the demo's inboxes are not empty.
    assert seen_any > 0


def test_the_history_is_not_emailed_and_what_happens_after_it_is(
    django_capture_on_commit_callbacks,
):
    """A year of past gate reviews would be some 600 e-mails, from the console
    of `make run` or a deployment's mail server, to the demo's addresses and
    to anyone the rules notify (every member of risk and compliance, for one).
    They stay in the inboxes, not e-mailed; e-mail is then as it was for
    everyone, and the next decision is e-mailed."""
    # Someone already on the deployment, notified of risk proposals, with a
    # daily digest and an e-mail waiting in it.
    colleague = UserFactory(username="rosa", org_roles=[OrgRole.RISK_COMPLIANCE])
    preferences_update(user=colleague, email_mode=EmailMode.DIGEST, email_kinds_off=[])
    waiting = Notification.objects.create(
        recipient=colleague,
        kind=Kind.REVIEW_OPENED,
        subject="Waiting for the digest",
        body="b",
        object_type="review",
        object_id=1,
        email_status=EmailStatus.DIGEST,
        email_in_digest=True,
    )

    call_command("seed_demo", stdout=io.StringIO())

    history = Notification.objects.exclude(pk=waiting.pk)
    assert history.count() > 300
    assert set(history.values_list("email_status", flat=True)) == {EmailStatus.SKIPPED}
    # The colleague was notified of the history, not e-mailed, and finds it
    # read; their own notification from before is as it was, unread.
    assert history.filter(recipient=colleague).exists()
    assert not history.filter(read_at__isnull=True).exists()
    # What a worker's delivery run then finds to send: nothing.
    assert emails_deliver_pending().sent == 0
    assert mail.outbox == []
    # Each account's e-mail is as it was: the colleague's digest, with what
    # waited in it; the defaults for the demo's new accounts.
    waiting.refresh_from_db()
    assert (waiting.email_status, waiting.email_in_digest) == (EmailStatus.DIGEST, True)
    assert waiting.read_at is None
    assert preferences_for(colleague).email_mode == EmailMode.DIGEST
    User = get_user_model()
    for username in ("lead", "sponsor", "techlead", "buhead", "cio", "risk", "exec"):
        user = User.objects.get(username=username)
        assert not NotificationPreference.objects.filter(user=user).exists(), username
    # The pause and its end are in the audit trail, the pause with what each
    # account had.
    paused = AuditEvent.objects.get(action="notifications.emails_paused")
    assert paused.summary == "E-mail paused while the demo's history is seeded."
    assert paused.payload["preferences"][str(colleague.pk)] == [EmailMode.DIGEST, []]
    resumed = AuditEvent.objects.get(action="notifications.emails_resumed")
    assert resumed.seq > paused.seq and resumed.payload["paused"] == paused.seq

    seat = (
        ReviewApprover.objects.filter(review__status="submitted", decision="pending")
        .exclude(user=F("review__chair"))
        .select_related("review__chair")
        .first()
    )
    with django_capture_on_commit_callbacks(execute=True):
        approval_record(review=seat.review, approver=seat.user, decision="approve")

    assert [seat.review.chair.email] in [m.to for m in mail.outbox]
    assert Notification.objects.filter(email_status=EmailStatus.SENT).exists()


@pytest.mark.postgres("the seed runs in a process of its own on the test database")
@pytest.mark.django_db(transaction=True)
def test_a_seed_killed_while_email_is_paused_is_put_back_by_the_next_run():
    colleague = UserFactory(username="rosa", org_roles=[OrgRole.RISK_COMPLIANCE])
    preferences_update(user=colleague, email_mode=EmailMode.DIGEST, email_kinds_off=[])
    environment = app_environment("", {})  # no broker: tasks run in the seed's process
    seed = subprocess.Popen(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: UseCase.objects.count() >= 3, timeout=180, what="the seed to play its history"
        )
    finally:
        seed.kill()  # SIGKILL, as the kernel's OOM killer sends: no clean-up runs
        seed.wait(timeout=30)
    assert preferences_for(colleague).email_mode == EmailMode.OFF  # left paused

    rerun = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "The last seed stopped part-way: e-mail is back on for " in rerun.stderr
    assert "Its demo portfolio is incomplete; seed an empty database for a whole one." in (
        rerun.stderr
    )
    assert "Demo portfolio already present; nothing to do." in rerun.stdout
    assert "Traceback" not in rerun.stderr
    assert preferences_for(colleague).email_mode == EmailMode.DIGEST
    assert not NotificationPreference.objects.filter(user__username="lead").exists()
    assert AuditEvent.objects.filter(action="notifications.emails_resumed").count() == 1


def test_a_second_pause_is_refused_while_one_is_in_force(lead, sponsor):
    preferences_update(
        user=sponsor, email_mode=EmailMode.DIGEST, email_kinds_off=[Kind.REVIEW_OPENED]
    )
    assert emails_pause(by=lead, reason="Seeding.") == 2

    with pytest.raises(TransitionRefused) as refused:
        emails_pause(by=lead, reason="Seeding again.")

    assert str(refused.value) == "E-mail is already paused (Seeding); resume it first."
    assert preferences_for(sponsor).email_mode == EmailMode.OFF
    assert emails_resume(by=lead) == 2
    sponsor_now = preferences_for(sponsor)
    assert (sponsor_now.email_mode, sponsor_now.email_kinds_off) == (
        EmailMode.DIGEST,
        [Kind.REVIEW_OPENED],
    )
    assert not NotificationPreference.objects.filter(user=lead).exists()
    assert emails_resume(by=lead) is None  # nothing paused any more
    assert AuditEvent.objects.filter(action="notifications.emails_paused").count() == 1


@pytest.mark.postgres("the seeds' lock is PostgreSQL's")
def test_a_seed_while_another_runs_does_nothing():
    """Two at once would play the history twice, and one would put e-mail
    back while the other plays."""
    other = postgres_connection()
    try:
        with other.cursor() as cursor:  # the running seed's session
            cursor.execute("SELECT pg_advisory_lock(%s)", [SEED_LOCK_KEY])
        out, err = io.StringIO(), io.StringIO()

        call_command("seed_demo", stdout=out, stderr=err)

        assert err.getvalue() == "Another seed_demo is running; this one does nothing.\n"
        assert out.getvalue() == ""
        assert not UseCase.objects.exists()
    finally:
        other.close()
