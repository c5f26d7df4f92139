"""E-mail delivery as a state on the row: failures retry with backoff, the
notification is never lost, preferences decide immediate, digest or nothing."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail

from notifications import services
from notifications.models import EmailMode, EmailStatus, Kind, Notification, NotificationPreference
from notifications.services import (
    Draft,
    digests_send,
    emails_deliver_pending,
    preferences_update,
)
from notifications.sweeps import sweep
from tests.notifications.backends import FlakySMTPBackend

FAILING = {"default": {"BACKEND": "tests.notifications.backends.FailingSMTPBackend"}}
FLAKY = {"default": {"BACKEND": "tests.notifications.backends.FlakySMTPBackend"}}


def test_an_smtp_failure_keeps_the_notification_and_a_later_delivery_sends_it(
    gate1_review, clock, settings, sponsor
):
    settings.MAILERS = FLAKY
    FlakySMTPBackend.down = True
    clock(2)
    sweep()
    report = emails_deliver_pending()
    assert report.sent == 0 and report.retrying == 2
    row = Notification.objects.get(kind=Kind.APPROVAL_REMINDER, recipient=sponsor)
    assert row.email_status == EmailStatus.PENDING
    assert row.email_attempts == 1 and "Connection unexpectedly closed" in row.email_last_error
    assert row.email_next_attempt_at == clock(2) + datetime.timedelta(seconds=60)
    assert mail.outbox == []

    FlakySMTPBackend.down = False
    clock(2 + 30 / 86400)  # 30 s later: still backing off
    assert emails_deliver_pending().sent == 0
    clock(2 + 61 / 86400)
    assert emails_deliver_pending().sent == 2
    row.refresh_from_db()
    assert row.email_status == EmailStatus.SENT and row.email_attempts == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["lead@example.com", "sponsor@example.com"]
    assert emails_deliver_pending().sent == 0  # nothing twice


def test_it_gives_up_after_the_last_attempt(gate1_review, clock, settings):
    settings.MAILERS = FAILING
    settings.NOTIFICATIONS_EMAIL_MAX_ATTEMPTS = 3
    clock(2)
    sweep()
    for minutes in (0, 2, 5, 10):
        clock(2 + minutes / 1440)
        emails_deliver_pending()
    statuses = set(
        Notification.objects.filter(kind=Kind.APPROVAL_REMINDER).values_list(
            "email_status", "email_attempts"
        )
    )
    assert statuses == {(EmailStatus.FAILED, 3)}
    # The inbox still has them, unread.
    assert Notification.objects.filter(kind=Kind.APPROVAL_REMINDER, read_at=None).count() == 2


def test_a_crashed_senders_claim_is_released_after_the_timeout(gate1_review, clock):
    clock(2)
    sweep()
    Notification.objects.filter(kind=Kind.APPROVAL_REMINDER).update(
        email_status=EmailStatus.SENDING, email_claimed_at=clock(2)
    )
    clock(2 + 10 / 1440)
    assert emails_deliver_pending().sent == 0
    clock(2 + 16 / 1440)
    assert emails_deliver_pending().sent == 2


def test_email_off_keeps_the_inbox_but_sends_nothing(gate1_review, clock, sponsor):
    preferences_update(user=sponsor, email_mode=EmailMode.OFF, email_kinds_off=[])
    clock(2)
    sweep()
    emails_deliver_pending()
    row = Notification.objects.get(kind=Kind.APPROVAL_REMINDER, recipient=sponsor)
    assert row.email_status == EmailStatus.SKIPPED
    assert [m.to for m in mail.outbox] == [["lead@example.com"]]


def test_a_kind_turned_off_is_not_emailed_but_others_are(gate1_review, clock, sponsor):
    preferences_update(
        user=sponsor, email_mode=EmailMode.IMMEDIATE, email_kinds_off=[Kind.APPROVAL_REMINDER]
    )
    clock(5)
    sweep()
    emails_deliver_pending()
    assert "sponsor@example.com" not in [m.to[0] for m in mail.outbox]
    assert Notification.objects.filter(recipient=sponsor, kind=Kind.APPROVAL_REMINDER).exists()


def test_turning_email_off_stops_what_is_queued(gate1_review, clock, sponsor):
    clock(2)
    sweep()
    preferences_update(user=sponsor, email_mode=EmailMode.OFF, email_kinds_off=[])
    emails_deliver_pending()
    assert [m.to for m in mail.outbox] == [["lead@example.com"]]


def test_the_daily_digest_gathers_a_days_notifications_into_one_email(
    gate1_review, clock, sponsor, settings
):
    settings.NOTIFICATIONS_DIGEST_HOUR = 7
    preferences_update(user=sponsor, email_mode=EmailMode.DIGEST, email_kinds_off=[])
    clock(2)  # 5 March, 09:00: reminder 1 is queued for the digest
    sweep()
    emails_deliver_pending()
    assert "sponsor@example.com" not in [m.to[0] for m in mail.outbox]
    clock(2.5)  # 21:00
    services.notifications_create(
        [
            Draft(
                sponsor.pk,
                Kind.USECASE_STALLED,
                "usecase",
                gate1_review.use_case_id,
                "x",
                "Stalled: “Claims triage assistant” (Discovery)",
                "Nothing happened.",
                gate1_review.use_case.get_absolute_url(),
            )
        ]
    )
    mail.outbox.clear()
    clock(2.9)  # 6 March, 06:36: before the digest hour
    assert digests_send().emails == 0
    clock(3)  # 6 March, 09:00
    report = digests_send()
    assert report.emails == 1 and report.sent == 2
    (digest,) = mail.outbox
    assert digest.to == ["sponsor@example.com"]
    assert digest.subject == "StageGate daily digest: 2 notifications"
    assert "Reminder: your approval of the Gate 1 (to POC) review" in digest.body
    assert "Stalled: “Claims triage assistant” (Discovery)" in digest.body
    assert f"https://stagegate.example.com/reviews/{gate1_review.pk}/" in digest.body
    assert f"https://stagegate.example.com/use-cases/{gate1_review.use_case_id}/" in digest.body
    clock(4)  # 7 March, 09:00: reminder 2 is queued after today's digest hour
    sweep()
    assert digests_send().emails == 0
    clock(5)  # 8 March: it goes out with the next digest
    assert digests_send().sent == 1
    assert NotificationPreference.objects.get(user=sponsor).last_digest_at == clock(5)


def test_a_failed_digest_is_retried(gate1_review, clock, sponsor, settings):
    preferences_update(user=sponsor, email_mode=EmailMode.DIGEST, email_kinds_off=[])
    clock(2)
    sweep()
    settings.MAILERS = FAILING
    clock(3)
    assert digests_send().retrying == 1
    assert mail.outbox == []
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    clock(3.1)
    assert digests_send().emails == 1
    assert Notification.objects.get(
        recipient=sponsor, kind=Kind.APPROVAL_REMINDER
    ).email_status == (EmailStatus.SENT)


def test_a_recipient_without_an_address_is_skipped(gate1_review, clock, sponsor):
    sponsor.email = ""
    sponsor.save()
    clock(2)
    sweep()
    emails_deliver_pending()
    row = Notification.objects.get(recipient=sponsor, kind=Kind.APPROVAL_REMINDER)
    assert row.email_status == EmailStatus.SKIPPED and "no e-mail address" in row.email_last_error


@pytest.mark.parametrize("mode", ["sometimes", ""])
def test_preferences_refuse_unknown_modes(sponsor, mode):
    from core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.preferences_update(user=sponsor, email_mode=mode, email_kinds_off=[])
