"""The demo seed plays years of history; the people it creates start with
that history read, and the inbox still holds it, not e-mailed."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db.models import F
from rest_framework.test import APIClient

from gates.models import ReviewApprover
from gates.services import approval_record
from notifications.models import EmailMode, EmailStatus, Notification
from notifications.services import emails_deliver_pending, preferences_for

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
    """A year of past gate reviews would be some 600 e-mails to the demo's
    addresses, from the console of `make run` or a deployment's mail server.
    They stay in the inboxes, not e-mailed; the next decision is e-mailed."""
    call_command("seed_demo", stdout=io.StringIO())

    history = Notification.objects.all()
    assert history.count() > 300
    assert set(history.values_list("email_status", flat=True)) == {EmailStatus.SKIPPED}
    # What a worker's delivery run then finds to send: nothing.
    assert emails_deliver_pending().sent == 0
    assert mail.outbox == []
    # Each account's e-mail is on again, as it is for any new account.
    User = get_user_model()
    for username in ("lead", "sponsor", "techlead", "buhead", "cio", "risk", "exec"):
        preference = preferences_for(User.objects.get(username=username))
        assert (preference.email_mode, preference.email_kinds_off) == (EmailMode.IMMEDIATE, [])

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
