"""The mail server is down while a review goes through approval: every
action answers, the notifications are in the inboxes, their e-mails wait and
are retried; once the server is back, each person receives each e-mail
exactly once."""

from __future__ import annotations

from collections import Counter

import pytest
from django.conf import settings
from django.utils import timezone

from notifications.models import EmailStatus, Kind, Notification
from tests.gates.helpers import assess_all
from tests.workers import WORKER_TEST, run_as_beat, wait_for, wait_until_worker_caught_up

SET_UP_KINDS = (
    Kind.REVIEW_OPENED,
    Kind.RISK_CLASSIFICATION_PROPOSED,
    Kind.RISK_CLASSIFICATION_DECIDED,
)

pytestmark = WORKER_TEST

TIMEOUT_S = 60


@pytest.fixture
def assessed_review(uploaded_review, sponsor):
    """Gate 1, every artifact uploaded and every criterion assessed as met by
    the sponsor: ready to submit."""
    assess_all(uploaded_review, sponsor)
    return uploaded_review


def test_emails_wait_for_the_mail_server_and_each_arrives_once(
    assessed_review, lead, sponsor, techlead, contributor, api_as, celery_worker, smtp_server
):
    review = assessed_review
    celery_worker.start(
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_server.port),
        EMAIL_USE_TLS="0",
        # Retry after a second instead of a minute, so the test need not wait.
        NOTIFICATIONS_EMAIL_RETRY_BASE_SECONDS="1",
        NOTIFICATIONS_EMAIL_RETRY_MAX_SECONDS="1",
    )
    smtp_server.stop()

    def tried_and_waiting(kind: str, people) -> bool:
        """Each person has the notification, and its e-mail failed at least
        once and waits for a retry."""
        celery_worker.assert_alive()
        rows = Notification.objects.filter(kind=kind, recipient__in=people)
        return rows.count() == len(people) and all(
            row.email_status == EmailStatus.PENDING and row.email_attempts >= 1 for row in rows
        )

    def act(person, path: str, data: dict | None = None) -> None:
        response = api_as(person).post(path, data or {}, format="json")
        assert response.status_code == 200, response.content

    def then_tried(kind: str, people) -> None:
        wait_for(
            lambda: tried_and_waiting(kind, people),
            timeout=TIMEOUT_S,
            what=f"{kind} e-mails to be tried",
            details=celery_worker.log_text,
        )

    # Each step waits for its notifications before the next, as people would
    # (the event of a submission names whoever is still pending when it is read).
    # The technical lead submits: both named approvers are asked (whoever
    # submits is not asked to approve their own submission).
    act(techlead, f"/api/v1/reviews/{review.pk}/submit/")
    then_tried(Kind.APPROVAL_REQUESTED, [lead, sponsor])
    act(sponsor, f"/api/v1/reviews/{review.pk}/approvals/", {"decision": "approve"})
    then_tried(Kind.APPROVAL_RECORDED, [lead])
    act(lead, f"/api/v1/reviews/{review.pk}/approvals/", {"decision": "approve"})
    act(lead, f"/api/v1/reviews/{review.pk}/decision/", {"decision": "go", "rationale": "Holds."})
    then_tried(Kind.GATE_DECIDED, [sponsor, techlead, contributor])

    # Nothing arrived; nothing is lost: the inboxes have them, the e-mails
    # wait with the reason.
    assert smtp_server.messages == []
    # The review's opening and the risk classification reached people while
    # the fixture built them, before the mail server went down: not this story.
    story = Notification.objects.exclude(kind__in=SET_UP_KINDS)
    rows = list(story.select_related("recipient").order_by("pk"))
    assert len(rows) == 6
    for row in rows:
        assert row.email_status == EmailStatus.PENDING
        assert "Connection refused" in row.email_last_error, row.email_last_error
    inbox = api_as(techlead).get("/api/v1/notifications/").json()["results"]
    assert [n["kind"] for n in inbox if n["kind"] not in SET_UP_KINDS[1:]] == [
        Kind.GATE_DECIDED,
        Kind.REVIEW_OPENED,
    ]

    # The server is back; beat's delivery runs once the retries are due.
    smtp_server.start()
    wait_for(
        lambda: (
            not Notification.objects.filter(
                email_status=EmailStatus.PENDING, email_next_attempt_at__gt=timezone.now()
            ).exists()
        ),
        timeout=TIMEOUT_S,
        what="the retries to fall due",
    )
    run_as_beat("notifications.deliver_pending_emails")
    wait_for(
        lambda: (
            set(Notification.objects.values_list("email_status", flat=True)) == {EmailStatus.SENT}
        ),
        timeout=TIMEOUT_S,
        interval=0.2,
        what="every e-mail to be sent",
        details=celery_worker.log_text,
    )
    # Beat runs the delivery again: nothing goes twice.
    run_as_beat("notifications.deliver_pending_emails")
    wait_until_worker_caught_up(timeout=TIMEOUT_S, details=celery_worker.log_text)

    received = Counter((m.rcpt_tos, m.subject) for m in smtp_server.messages)
    assert received == Counter(((row.recipient.email,), row.subject) for row in rows)
    assert sorted((row.recipient.email, row.kind) for row in rows) == sorted(
        [
            (lead.email, Kind.APPROVAL_REQUESTED),
            (sponsor.email, Kind.APPROVAL_REQUESTED),
            (lead.email, Kind.APPROVAL_RECORDED),
            (sponsor.email, Kind.GATE_DECIDED),
            (techlead.email, Kind.GATE_DECIDED),
            (contributor.email, Kind.GATE_DECIDED),
        ]
    )
    assert {m.mail_from for m in smtp_server.messages} == {settings.DEFAULT_FROM_EMAIL}
