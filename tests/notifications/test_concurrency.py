"""Two sweeps and two deliveries at once, on real PostgreSQL connections:
each notification is created once and e-mailed once."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection

from notifications.models import EmailStatus, Kind, Notification
from notifications.services import emails_deliver_pending
from notifications.sweeps import sweep
from tests.gates.helpers import make_submitted_review
from tests.notifications.conftest import T0, at


def run_together(target, workers: int = 2) -> list:
    barrier = threading.Barrier(workers)
    results: list = []
    errors: list = []

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except Exception as exc:  # reported below, in the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_and_deliveries_send_once(use_case, lead, sponsor, settings):
    settings.READINESS_GATE3_CHECKLIST_REQUIRED = False
    with time_machine.travel(T0, tick=False):
        review = make_submitted_review(use_case, lead, sponsor)
    Notification.objects.all().delete()
    mail.outbox.clear()
    with time_machine.travel(at(5), tick=False):
        run_together(sweep)
        reports = run_together(emails_deliver_pending)
    assert Notification.objects.filter(kind=Kind.APPROVAL_REMINDER).count() == 2
    assert Notification.objects.filter(kind=Kind.APPROVAL_ESCALATION).count() == 1
    assert sum(r.sent for r in reports) == 3
    assert len(mail.outbox) == 3
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == 3
    assert set(Notification.objects.values_list("email_status", flat=True)) == {EmailStatus.SENT}
    assert review.pk
