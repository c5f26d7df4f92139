"""The demo portfolio: believable, complete, built through the services."""

from __future__ import annotations

import io

from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory

from core.audit import audit_verify
from gates.models import GateReview, StageTransition
from gates.queues import my_queues
from usecases.models import BusinessUnit, Stage, Status, UseCase


def test_it_builds_a_portfolio_over_every_stage_and_status_and_is_idempotent(
    db,
):
    call_command("seed_demo", stdout=io.StringIO())

    assert BusinessUnit.objects.count() >= 3
    assert UseCase.objects.count() >= 24
    assert set(UseCase.objects.values_list("stage", flat=True)) == set(Stage.values)
    assert set(UseCase.objects.values_list("status", flat=True)) == set(Status.values)
    for username in ("lead", "sponsor", "techlead", "buhead", "cio", "risk", "exec", "admin"):
        # As the sign-in page does: django-axes needs the request.
        request = RequestFactory().post("/accounts/login/")
        assert authenticate(request, username=username, password="demo") is not None
    # Every stage beyond Discovery was reached through a recorded gate decision.
    for use_case in UseCase.objects.exclude(stage=Stage.DISCOVERY):
        passed = Stage.ordered().index(use_case.stage_enum)
        assert StageTransition.objects.filter(use_case=use_case).count() == passed
    assert GateReview.objects.filter(status="submitted").exists()
    # One review went back to its team for rework and waits there.
    returned = GateReview.objects.get(rework_count=1)
    assert (returned.status, returned.returned_by.username) == ("open", "lead")
    checked, broken = audit_verify()
    assert broken is None and checked > 500

    # Every queue of My work holds something for the demo's people, and one
    # open review is past its planned date.
    people = {u.username: u for u in get_user_model().objects.all()}
    assert GateReview.objects.late().count() == 1
    lead, sponsor = my_queues(people["lead"]), my_queues(people["sponsor"])
    assert lead.decisions and lead.preparing
    assert sponsor.approvals and sponsor.preparing
    assert any(row.late for row in sponsor.preparing)
    assert my_queues(people["techlead"]).conditions
    assert my_queues(people["cio"]).delegations and my_queues(people["buhead"]).delegations
    assert my_queues(people["exec"]).is_empty

    # Life in operation: a drift breach opened a recertification early and an
    # incident joined it; the schedule opened one due in three weeks; one use
    # case was recertified on schedule and later retired.
    drift = GateReview.objects.get(use_case__title="First notice of loss chatbot", trigger="drift")
    assert drift.is_open and drift.incidents.count() == 1 and drift.drift_breaches.count() == 1
    due = GateReview.objects.get(use_case__title="Document intake for customs", trigger="scheduled")
    assert due.is_open and due.planned_date == due.use_case.recertification_due_on
    retired = UseCase.objects.get(title="Expense receipt checking")
    assert retired.status == Status.RETIRED
    assert list(
        retired.reviews.filter(gate_number=5).order_by("id").values_list("trigger", "decision")
    ) == [("scheduled", "go"), ("manual", "retire")]

    counts = (UseCase.objects.count(), GateReview.objects.count())
    again = io.StringIO()
    call_command("seed_demo", stdout=again)
    assert (UseCase.objects.count(), GateReview.objects.count()) == counts
    assert "already present" in again.getvalue()
