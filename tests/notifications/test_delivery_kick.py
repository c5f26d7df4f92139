"""The e-mails of an outbox batch are handed to a worker once: each event
that notifies asks for the delivery, one run sends them all."""

from __future__ import annotations

import pytest
from celery.signals import task_prerun
from django.core import mail

from core import events
from core.models import OutboxEvent
from notifications.models import EmailStatus, Notification
from tests.gates.helpers import make_submitted_review


@pytest.mark.django_db(transaction=True)
def test_a_batch_of_notifying_events_sends_its_emails_in_one_run(use_case, lead, sponsor):
    make_submitted_review(use_case, lead, sponsor)  # delivered as it happened
    # The same events again, in one batch, to an inbox that has forgotten them.
    Notification.objects.all().delete()
    mail.outbox.clear()
    assert OutboxEvent.objects.update(delivered_at=None) >= 2

    runs: list[str] = []

    def count(sender=None, **kwargs):
        if sender.name == "notifications.deliver_pending_emails":
            runs.append(sender.name)

    task_prerun.connect(count)
    try:
        events.outbox_deliver()
    finally:
        task_prerun.disconnect(count)

    notified = Notification.objects.exclude(email_status=EmailStatus.SKIPPED)
    kinds = set(notified.values_list("kind", flat=True))
    assert len(kinds) >= 2, kinds  # more than one event of the batch notified
    assert runs == ["notifications.deliver_pending_emails"]
    assert set(notified.values_list("email_status", flat=True)) == {EmailStatus.SENT}
    assert len(mail.outbox) == notified.count()
