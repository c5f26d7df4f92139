"""The sweep announces each deadline once as a domain event, for the
webhooks: two sweeps at once on real PostgreSQL connections, then a rerun,
emit one event per occurrence."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from core import events
from core.models import OutboxEvent
from gates.models import ConditionStatus, GateCondition
from notifications.models import Kind, Notification
from notifications.sweeps import sweep
from tests.notifications.test_concurrency import run_together
from tests.reporting.helpers import make_decided_review


@pytest.mark.postgres("INSERT ... RETURNING reports the rows a concurrent sweep did not insert")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_announce_a_condition_due_once(use_case, lead, sponsor, settings):
    settings.READINESS_GATE3_CHECKLIST_REQUIRED = False
    make_decided_review(use_case, lead, sponsor)
    conditions = set(
        GateCondition.objects.filter(status=ConditionStatus.OPEN).values_list("pk", flat=True)
    )
    assert conditions
    with time_machine.travel(timezone.localdate() + datetime.timedelta(days=25), tick=False):
        run_together(sweep, workers=3)
        sweep()
    announced = list(
        OutboxEvent.objects.filter(name=events.CONDITION_DUE).values_list("data", flat=True)
    )
    assert sorted(d["condition_id"] for d in announced) == sorted(conditions)
    assert {d["period"] for d in announced} == {"due-soon"}
    # One notification per owner and condition, as before.
    assert Notification.objects.filter(kind=Kind.CONDITION_DUE_SOON).count() == len(conditions)
