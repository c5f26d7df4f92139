"""gate_decide: the chair's decision. Go and Conditional Go need every approval
and every must-meet criterion met, and move the stage in the same transaction;
Hold, Recycle and Kill need a rationale."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import FieldError
from django.forms import modelform_factory
from django.utils import timezone

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from gates import services
from gates.models import (
    Decision,
    GateCondition,
    GateCriterion,
    GateReview,
    ReviewStatus,
    StageTransition,
)
from tests.factories import OrgRole, UserFactory
from tests.gates.helpers import (
    KILL_EXIT,
    advance,
    approve_all,
    artifact_type,
    complete_readiness_checklist,
    isolate,
    make_open_review,
    make_submitted_review,
    named_file,
    ready_for_decision,
    upload_required,
)
from usecases import services as usecase_services
from usecases.models import MemberRole, Stage, Status, UseCase

pytestmark = pytest.mark.django_db

CRITERIA = ["Business value", "Data availability", "Process maturity", "Risk", "Sponsorship"]
FUTURE = datetime.date.today() + datetime.timedelta(days=30)
READ_ONLY = "This use case was killed at a gate; it is read-only."


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


def tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


def decide(review, by, decision, rationale="", conditions=(), **ending):
    return services.gate_decide(
        review=review,
        by=by,
        decision=decision,
        rationale=rationale,
        conditions=conditions,
        **ending,
    )


def assert_stage_unchanged(use_case, status=Status.ACTIVE):
    use_case.refresh_from_db()
    assert (use_case.stage, use_case.status) == (Stage.DISCOVERY, status)
    assert not StageTransition.objects.filter(use_case=use_case).exists()


# --- Go: what blocks it -----------------------------------------------------


def test_it_refuses_go_before_submission_listing_everything(lead, use_case):
    review = make_open_review(use_case, lead)

    with pytest.raises(TransitionRefused) as caught:
        decide(review, lead, Decision.GO)

    assert caught.value.message == "Go cannot be recorded yet."
    assert caught.value.reasons == [
        "The review has not been submitted.",
        "Lena Lead has not approved yet.",
        "Sam Sponsor has not approved yet.",
        *[f"Must-meet criterion “{name}” is not assessed." for name in CRITERIA],
    ]
    review.refresh_from_db()
    assert (review.status, review.decision) == (ReviewStatus.OPEN, "")
    assert_stage_unchanged(use_case)
    assert not AuditEvent.objects.filter(action="gate.decided").exists()


def test_it_refuses_go_naming_each_approver_who_has_not_approved(lead, sponsor, use_case):
    review = make_submitted_review(use_case, lead, sponsor)

    with pytest.raises(TransitionRefused) as caught:
        decide(review, lead, Decision.GO)
    assert caught.value.reasons == [
        "Lena Lead has not approved yet.",
        "Sam Sponsor has not approved yet.",
    ]

    services.approval_record(review=review, approver=lead, decision="approve")
    with pytest.raises(TransitionRefused) as caught:
        decide(review, lead, Decision.GO)
    assert caught.value.reasons == ["Sam Sponsor has not approved yet."]
    assert_stage_unchanged(use_case)


def test_it_counts_approve_with_conditions_as_approved(lead, sponsor, use_case):
    review = make_submitted_review(use_case, lead, sponsor)
    services.approval_record(review=review, approver=lead, decision="approve")
    services.approval_record(
        review=review,
        approver=sponsor,
        decision="approve_with_conditions",
        comment="Watch cost.",
        conditions=[{"description": "Cost report monthly.", "owner": sponsor, "due_date": FUTURE}],
    )

    decide(review, lead, Decision.GO)

    use_case.refresh_from_db()
    assert use_case.stage == Stage.POC


def test_it_refuses_go_while_an_approver_rejects_quoting_the_comment(lead, sponsor, use_case):
    review = make_submitted_review(use_case, lead, sponsor)
    services.approval_record(review=review, approver=lead, decision="approve")
    services.approval_record(
        review=review, approver=sponsor, decision="reject", comment="Numbers do not add up."
    )

    with pytest.raises(TransitionRefused) as caught:
        decide(review, lead, Decision.GO)

    assert caught.value.reasons == ["Sam Sponsor rejected: Numbers do not add up."]
    assert_stage_unchanged(use_case)


@pytest.mark.parametrize(
    ("status", "label"),
    [
        ("partially_met", "partially met"),
        ("not_met", "not met"),
        ("not_applicable", "not applicable"),
    ],
)
def test_it_refuses_go_unless_every_must_meet_criterion_is_met(
    lead, sponsor, use_case, status, label
):
    review = make_open_review(use_case, lead)
    upload_required(review, sponsor)
    for criterion in review.criteria.all():
        services.criterion_assess(
            review=review,
            criterion=criterion,
            by=sponsor,
            status=status if criterion.name == "Process maturity" else "met",
            evidence="Checked against the review documents.",
        )
    services.review_submit(review=review, by=sponsor)
    approve_all(review)

    with pytest.raises(TransitionRefused) as caught:
        decide(review, lead, Decision.GO)

    expected = f"Must-meet criterion “Process maturity” is {label}."
    if status == "partially_met":
        expected = (
            "Must-meet criterion “Process maturity” is partially met: Go needs it met; "
            "Conditional Go needs a condition attached to it."
        )
    assert caught.value.reasons == [expected]
    assert_stage_unchanged(use_case)


def test_it_lets_go_pass_with_an_optional_criterion_not_met(lead, sponsor, use_case):
    GateCriterion.objects.filter(template__number=1, name="Risk").update(must_meet=False)
    review = make_open_review(use_case, lead)
    upload_required(review, sponsor)
    for criterion in review.criteria.all():
        services.criterion_assess(
            review=review,
            criterion=criterion,
            by=sponsor,
            status="not_met" if criterion.name == "Risk" else "met",
            evidence="Checked against the review documents.",
        )
    services.review_submit(review=review, by=sponsor)
    approve_all(review)

    decide(review, lead, Decision.GO)

    use_case.refresh_from_db()
    assert use_case.stage == Stage.POC


# --- Go: what it does ---------------------------------------------------------


def test_it_moves_the_stage_on_go_in_the_same_transaction(lead, sponsor, use_case):
    review = ready_for_decision(use_case, lead, sponsor)
    use_case.refresh_from_db()
    entered_before = use_case.stage_entered_at

    decide(review, lead, Decision.GO, rationale="Evidence holds.")

    review.refresh_from_db()
    use_case.refresh_from_db()
    assert (review.status, review.decision, review.decided_by) == ("decided", "go", lead)
    assert review.rationale == "Evidence holds."
    assert (use_case.stage, use_case.status) == (Stage.POC, Status.ACTIVE)
    assert use_case.stage_entered_at == review.decided_at
    assert use_case.stage_entered_at > entered_before
    transition = StageTransition.objects.get(use_case=use_case)
    assert (transition.from_stage, transition.to_stage) == (Stage.DISCOVERY, Stage.POC)
    assert (transition.review, transition.decision, transition.decided_by) == (review, "go", lead)
    assert transition.occurred_at == review.decided_at
    event = AuditEvent.objects.get(action="gate.decided")
    assert event.summary == "Gate 1: Go; moved to POC"
    assert event.payload == {
        "decision": "go",
        "rationale": "Evidence holds.",
        "from_stage": "discovery",
        "to_stage": "poc",
        # Set only when Gate 4 starts operation or a recertification passes.
        "operating_owner": None,
        "recertification_due_on": None,
        "decommissioning": [],
        "exit_reason": None,
        "lessons_learned": "",
        "conditions": [],
        "adopted": {},
        "enforce_scorecard_bands": False,
        "meeting": {
            "date": timezone.localdate().isoformat(),
            "attendees": ["lead"],
            "guests": "",
            "minutes": "",
        },
    }


def test_it_refuses_a_second_decision_as_already_decided(lead, sponsor, use_case):
    review = ready_for_decision(use_case, lead, sponsor)
    decide(review, lead, Decision.GO)
    review.refresh_from_db()

    for decision in (Decision.GO, Decision.KILL):
        with pytest.raises(TransitionRefused) as caught:
            decide(review, lead, decision, rationale="Again.")
        assert caught.value.message == "The gate has already been decided."
        assert caught.value.reasons == [f"Decision: Go on {review.decided_at:%d %b %Y}."]

    use_case.refresh_from_db()
    assert (use_case.stage, use_case.status) == (Stage.POC, Status.ACTIVE)
    assert StageTransition.objects.filter(use_case=use_case).count() == 1
    assert AuditEvent.objects.filter(action="gate.decided").count() == 1


# --- Conditional Go -----------------------------------------------------------


def test_it_records_conditional_go_with_its_conditions(lead, sponsor, techlead, use_case):
    review = ready_for_decision(use_case, lead, sponsor)
    due = tomorrow()

    decide(
        review,
        lead,
        Decision.CONDITIONAL_GO,
        rationale="Go, with two follow-ups.",
        conditions=[
            {"description": "Name a data owner", "owner": sponsor, "due_date": due},
            {"description": "Load test", "owner": techlead, "due_date": due.isoformat()},
        ],
    )

    use_case.refresh_from_db()
    assert use_case.stage == Stage.POC
    assert StageTransition.objects.get(use_case=use_case).decision == "conditional_go"
    conditions = list(GateCondition.objects.filter(review=review).order_by("id"))
    assert [(c.description, c.owner, c.due_date, c.status) for c in conditions] == [
        ("Name a data owner", sponsor, due, "open"),
        ("Load test", techlead, due, "open"),
    ]
    event = AuditEvent.objects.get(action="gate.decided")
    assert [c["owner"] for c in event.payload["conditions"]] == ["sponsor", "techlead"]


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ([], "Conditional Go needs at least one condition with an owner and a due date."),
        (
            [{"description": "", "owner": "sponsor", "due_date": "tomorrow"}],
            "Condition 1 needs a description.",
        ),
        (
            [{"description": "Load test", "owner": None, "due_date": "tomorrow"}],
            "Condition 1 needs an active owner.",
        ),
        (
            [{"description": "Load test", "owner": "sponsor", "due_date": None}],
            "Condition 1 needs a due date.",
        ),
        (
            [{"description": "Load test", "owner": "sponsor", "due_date": "31/12/2099"}],
            "Condition 1: due date must be YYYY-MM-DD.",
        ),
        (
            [{"description": "Load test", "owner": "sponsor", "due_date": "yesterday"}],
            "Condition 1: the due date is in the past.",
        ),
        (
            [
                {"description": "Fine", "owner": "sponsor", "due_date": "tomorrow"},
                {"description": "No owner", "owner": None, "due_date": "tomorrow"},
            ],
            "Condition 2 needs an active owner.",
        ),
    ],
)
def test_it_refuses_conditional_go_without_complete_conditions(
    lead, sponsor, use_case, conditions, message
):
    review = ready_for_decision(use_case, lead, sponsor)
    dates = {"tomorrow": tomorrow(), "yesterday": timezone.localdate() - datetime.timedelta(1)}
    people = {"sponsor": sponsor}
    resolved = [
        {
            **c,
            "owner": people.get(c["owner"]),
            "due_date": dates.get(c["due_date"], c["due_date"]),
        }
        for c in conditions
    ]

    with pytest.raises(InvalidInput) as caught:
        decide(review, lead, Decision.CONDITIONAL_GO, conditions=resolved)

    assert caught.value.message == message
    assert caught.value.field == "conditions"
    assert not GateCondition.objects.exists()
    assert_stage_unchanged(use_case)


def test_it_refuses_conditions_owned_by_an_inactive_user(lead, sponsor, contributor, use_case):
    review = ready_for_decision(use_case, lead, sponsor)
    contributor.is_active = False
    contributor.save()

    with pytest.raises(InvalidInput) as caught:
        decide(
            review,
            lead,
            Decision.CONDITIONAL_GO,
            conditions=[{"description": "X", "owner": contributor, "due_date": tomorrow()}],
        )

    assert caught.value.message == "Condition 1 needs an active owner."


def test_it_accepts_a_condition_due_today(lead, sponsor, use_case):
    review = ready_for_decision(use_case, lead, sponsor)

    decide(
        review,
        lead,
        Decision.CONDITIONAL_GO,
        conditions=[{"description": "X", "owner": sponsor, "due_date": timezone.localdate()}],
    )

    assert GateCondition.objects.get(review=review).due_date == timezone.localdate()


def test_it_refuses_conditions_on_a_plain_go(lead, sponsor, use_case):
    review = ready_for_decision(use_case, lead, sponsor)

    with pytest.raises(InvalidInput) as caught:
        decide(
            review,
            lead,
            Decision.GO,
            conditions=[{"description": "X", "owner": sponsor, "due_date": tomorrow()}],
        )

    assert caught.value.message == "Only Conditional Go carries conditions."
    assert_stage_unchanged(use_case)


def test_it_refuses_conditional_go_while_approvals_are_missing(lead, sponsor, use_case):
    review = make_submitted_review(use_case, lead, sponsor)
    services.approval_record(review=review, approver=lead, decision="approve")

    with pytest.raises(TransitionRefused) as caught:
        decide(
            review,
            lead,
            Decision.CONDITIONAL_GO,
            conditions=[{"description": "X", "owner": sponsor, "due_date": tomorrow()}],
        )

    assert caught.value.message == "Conditional Go cannot be recorded yet."
    assert caught.value.reasons == ["Sam Sponsor has not approved yet."]
    assert not GateCondition.objects.exists()
    assert_stage_unchanged(use_case)


# --- Hold, Recycle, Kill ------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "label"), [("hold", "Hold"), ("recycle", "Recycle"), ("kill", "Kill")]
)
@pytest.mark.parametrize("rationale", ["", "  \n "])
def test_it_requires_a_rationale_for_hold_recycle_and_kill(
    lead, use_case, decision, label, rationale
):
    review = make_open_review(use_case, lead)

    with pytest.raises(InvalidInput) as caught:
        decide(review, lead, decision, rationale=rationale)

    assert caught.value.message == f"A rationale is required to record {label}."
    assert caught.value.field == "rationale"
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    assert_stage_unchanged(use_case)


def test_it_puts_the_use_case_on_hold_until_a_lead_resumes_it(lead, sponsor, use_case):
    review = make_open_review(use_case, lead)

    decide(review, lead, Decision.HOLD, rationale="Budget freeze until Q3.")

    review.refresh_from_db()
    assert (review.status, review.decision) == ("decided", "hold")
    assert review.rationale == "Budget freeze until Q3."
    assert_stage_unchanged(use_case, status=Status.ON_HOLD)

    with pytest.raises(PermissionRefused) as caught:
        services.usecase_resume(use_case=use_case, by=sponsor)
    assert caught.value.message == "Only a program lead resumes a use case on hold."
    assert_stage_unchanged(use_case, status=Status.ON_HOLD)

    services.usecase_resume(use_case=use_case, by=lead, note="Budget released.")
    assert_stage_unchanged(use_case, status=Status.ACTIVE)


def test_it_recycles_the_review_and_keeps_the_stage(lead, sponsor, use_case):
    review = make_submitted_review(use_case, lead, sponsor)

    decide(review, lead, Decision.RECYCLE, rationale="Rework the data assessment.")

    review.refresh_from_db()
    assert (review.status, review.decision) == ("decided", "recycle")
    assert_stage_unchanged(use_case)
    again = make_open_review(use_case, lead)
    assert (again.gate_number, again.status) == (1, "open")
    assert GateReview.objects.filter(use_case=use_case).count() == 2


def test_it_kills_the_use_case_and_makes_it_read_only(lead, sponsor, contributor, use_case):
    review = make_open_review(use_case, lead)

    decide(review, lead, Decision.KILL, rationale="No measurable value.", **KILL_EXIT)

    review.refresh_from_db()
    assert (review.status, review.decision) == ("decided", "kill")
    assert_stage_unchanged(use_case, status=Status.KILLED)
    event = AuditEvent.objects.get(action="gate.decided")
    assert event.summary == "Gate 1: Kill"
    assert event.payload["to_stage"] is None

    refusals = [
        lambda: services.artifact_upload(
            use_case=use_case,
            by=sponsor,
            artifact_type=artifact_type(1),
            file=named_file("a.txt", b"evidence\n"),
        ),
        lambda: services.review_open(use_case=use_case, by=lead),
        lambda: usecase_services.usecase_update(use_case=use_case, by=lead, title="Revived"),
        lambda: usecase_services.usecase_update(use_case=use_case, by=sponsor, title="Revived"),
        lambda: usecase_services.member_add(
            use_case=use_case, by=lead, user=contributor, role=MemberRole.TECHNICAL_LEAD
        ),
        lambda: services.usecase_resume(use_case=use_case, by=lead),
        lambda: decide(review, lead, Decision.GO),
    ]
    events_before = AuditEvent.objects.count()
    for attempt in refusals:
        with pytest.raises(TransitionRefused) as caught:
            attempt()
        assert caught.value.message == READ_ONLY
        assert caught.value.reasons == ["Killed use cases are terminal."]
    use_case.refresh_from_db()
    assert use_case.title == "Claims triage assistant"
    assert AuditEvent.objects.count() == events_before


def test_it_lets_the_chair_hold_a_submitted_review_at_any_time(lead, sponsor, use_case):
    review = make_submitted_review(use_case, lead, sponsor)
    services.approval_record(
        review=review, approver=sponsor, decision="reject", comment="Not convinced."
    )

    decide(review, lead, Decision.HOLD, rationale="Waiting for the sponsor.")

    assert_stage_unchanged(use_case, status=Status.ON_HOLD)


# --- Who decides ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_lead", "sponsor", "executive", "buhead"])
def test_it_lets_only_the_chair_decide(request, lead, sponsor, use_case, who):
    if who == "other_lead":
        person = UserFactory(
            username="lead2", first_name="Lars", last_name="Lead", org_roles=[OrgRole.PROGRAM_LEAD]
        )
    else:
        person = request.getfixturevalue(who)
    review = ready_for_decision(use_case, lead, sponsor)

    for decision in (Decision.GO, Decision.KILL):
        with pytest.raises(PermissionRefused) as caught:
            decide(review, person, decision, rationale="Mine to call.")
        assert (
            caught.value.message == "Only the chair of this gate (Lena Lead) records its decision."
        )

    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert_stage_unchanged(use_case)


def test_it_refuses_an_unknown_decision(lead, use_case):
    review = make_open_review(use_case, lead)

    with pytest.raises(InvalidInput) as caught:
        decide(review, lead, "approve", rationale="x")

    assert (
        caught.value.message
        == "Decision must be one of: go, conditional_go, hold, recycle, kill, retire."
    )


# --- The stage has no other writer --------------------------------------------------


@pytest.mark.parametrize("field", ["stage", "status", "stage_entered_at"])
def test_it_refuses_stage_and_status_edits_through_usecase_update(lead, use_case, field):
    value = {"stage": Stage.PRODUCTION, "status": Status.ACTIVE, "stage_entered_at": None}[field]

    with pytest.raises(InvalidInput) as caught:
        usecase_services.usecase_update(use_case=use_case, by=lead, **{field: value})

    assert caught.value.message == "The stage and status change only through a gate decision."
    assert caught.value.field == field
    use_case.refresh_from_db()
    assert use_case.stage == Stage.DISCOVERY


def test_it_keeps_stage_and_status_out_of_every_model_form():
    for name in ("stage", "status", "stage_entered_at"):
        assert UseCase._meta.get_field(name).editable is False
        with pytest.raises(FieldError):
            modelform_factory(UseCase, fields=[name])
    form_fields = modelform_factory(UseCase, exclude=[]).base_fields
    assert not {"stage", "status", "stage_entered_at"} & set(form_fields)


def test_it_shows_the_stage_read_only_in_the_admin(rf, use_case):
    from django.contrib import admin

    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    request = rf.get(f"/admin/usecases/usecase/{use_case.pk}/change/")
    request.user = superuser
    model_admin = admin.site._registry[UseCase]

    for obj in (None, use_case):
        form = model_admin.get_form(request, obj=obj)
        assert not {"stage", "status", "stage_entered_at"} & set(form.base_fields)


def test_it_adds_the_reasons_of_registered_go_checks(settings, lead, sponsor, cio, use_case):
    # The readiness app registers the production readiness checklist at Gate 3.
    settings.READINESS_GATE3_CHECKLIST_REQUIRED = True
    advance(use_case, lead, sponsor, gates=2)
    review = ready_for_decision(use_case, lead, sponsor)

    with pytest.raises(TransitionRefused) as caught:
        decide(review, lead, Decision.GO)

    assert caught.value.reasons == ["Production readiness checklist not started"]
    use_case.refresh_from_db()
    assert use_case.stage == Stage.PILOT

    complete_readiness_checklist(use_case, lead)
    decide(review, lead, Decision.GO)

    use_case.refresh_from_db()
    assert use_case.stage == Stage.PRODUCTION
