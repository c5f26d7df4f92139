"""Every supported event reaches an endpoint subscribed to it, and only
those; the sweep's deadlines become events once per occurrence."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from core.models import OutboxEvent
from gates.models import ConditionStatus, GateCondition
from integrations.catalogue import EVENT_TYPES
from notifications.sweeps import sweep
from reporting import services as reporting
from tests.factories import UseCaseFactory, UserFactory
from tests.integrations.conftest import received
from tests.operations.helpers import in_operation
from tests.reporting.helpers import make_decided_review

pytestmark = pytest.mark.django_db


def test_each_event_reaches_a_subscribed_endpoint_and_not_an_unsubscribed_one(
    httpserver,
    register,
    use_case,
    lead,
    sponsor,
    business_unit,
    django_capture_on_commit_callbacks,
):
    httpserver.expect_request("/all").respond_with_data("ok")
    httpserver.expect_request("/opened").respond_with_data("ok")
    register(httpserver.url_for("/all"), name="Everything")
    register(httpserver.url_for("/opened"), ["review.opened"], name="Openings only")
    operated = UseCaseFactory(
        title="Invoice matching", business_unit=business_unit, sponsor=sponsor
    )
    in_operation(operated, UserFactory(username="owner"), due_in_days=10)
    today = timezone.localdate()

    # Each block's commit callbacks (the outbox, the worker) run at its end.
    with django_capture_on_commit_callbacks(execute=True):
        # Opened, submitted, approvals, a Conditional Go with a condition due in 30 days.
        review = make_decided_review(use_case, lead, sponsor)
        reporting.pack_request(review=review, by=lead)
        sweep()  # the recertification is due in 10 days
    with time_machine.travel(today + datetime.timedelta(days=25)):
        with django_capture_on_commit_callbacks(execute=True):
            sweep()  # the condition is due within 7 days; the recertification overdue
        with django_capture_on_commit_callbacks(execute=True):
            sweep()  # a rerun announces nothing again
    with (
        time_machine.travel(today + datetime.timedelta(days=31)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        sweep()  # the condition is overdue

    everything = received(httpserver, "/all")
    assert {body["event"] for _headers, body in everything} == set(EVENT_TYPES)
    openings = received(httpserver, "/opened")
    assert openings and {body["event"] for _headers, body in openings} == {"review.opened"}

    by_event = {}
    for _headers, body in everything:
        by_event.setdefault(body["event"], []).append(body)
    conditions = GateCondition.objects.filter(status=ConditionStatus.OPEN).count()
    assert len(by_event["condition.due"]) == conditions
    assert len(by_event["condition.overdue"]) == conditions
    assert len(by_event["recertification.due"]) == 1
    assert len(by_event["recertification.overdue"]) == 1
    assert OutboxEvent.objects.filter(name="condition.due").count() == conditions

    decided = by_event["gate.decided"][-1]
    assert decided["data"]["decision"] == "conditional_go"
    assert decided["data"]["review"]["gate_label"] == "Gate 2"
    assert decided["link"] == f"https://stagegate.example.com/reviews/{review.pk}/"
    pack = by_event["pack.ready"][0]
    assert pack["data"]["pack"]["download"].startswith("https://stagegate.example.com/packs/")
    assert pack["link"] == pack["data"]["pack"]["download"]
    due = by_event["condition.due"][0]["data"]
    assert due["condition"]["owner"] and due["period"] == "due-soon"
    recert = by_event["recertification.due"][0]
    assert recert["data"]["use_case"]["title"] == "Invoice matching"
    assert recert["link"] == (f"https://stagegate.example.com/use-cases/{operated.pk}/operation/")
    approvals = [body["data"]["approval"] for body in by_event["approval.recorded"]]
    assert {a["decision"] for a in approvals} == {"approve", "approve_with_conditions"}
    assert all(a["approver"] for a in approvals)
