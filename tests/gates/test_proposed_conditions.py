"""An approver who approves with conditions proposes tracked conditions
(owner, due date, the criterion each answers); the chair adopts them into a
Conditional Go, where they become conditions like the chair's own."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.errors import InvalidInput
from core.models import AuditEvent
from gates import services
from gates.models import (
    ConditionStatus,
    Decision,
    GateCondition,
    ProposedCondition,
    ReviewApprover,
    ReviewStatus,
)
from notifications.models import Kind, Notification

pytestmark = pytest.mark.django_db

DUE = timezone.localdate() + datetime.timedelta(days=21)


def proposal(owner, text="Monthly cost report to the program office.", criterion=None):
    return {"description": text, "owner": owner, "due_date": DUE, "criterion": criterion}


def approve_with(review, approver, *conditions, comment=""):
    return services.approval_record(
        review=review,
        approver=approver,
        decision="approve_with_conditions",
        comment=comment,
        conditions=list(conditions),
    )


def test_approving_with_conditions_needs_one(sponsor, submitted_review):
    with pytest.raises(InvalidInput) as caught:
        approve_with(submitted_review, sponsor, comment="Watch the cost.")

    assert caught.value.message == (
        "Approving with conditions needs at least one condition with an owner and a due date."
    )
    assert caught.value.field == "conditions"
    assert ReviewApprover.objects.get(review=submitted_review, user=sponsor).decision == "pending"


def test_a_plain_approval_proposes_nothing(sponsor, submitted_review):
    with pytest.raises(InvalidInput) as caught:
        services.approval_record(
            review=submitted_review,
            approver=sponsor,
            decision="approve",
            conditions=[proposal(sponsor)],
        )

    assert caught.value.message == "Only approving with conditions proposes conditions."
    assert not ProposedCondition.objects.exists()


def test_a_condition_row_is_checked_with_its_number(sponsor, submitted_review):
    past = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(InvalidInput) as caught:
        approve_with(
            submitted_review,
            sponsor,
            proposal(sponsor),
            {"description": "Late one", "owner": sponsor, "due_date": past},
        )

    assert caught.value.message == "Condition 2: the due date is in the past."
    assert not ProposedCondition.objects.exists()


def test_the_proposal_is_tracked_and_audited(sponsor, lead, submitted_review):
    criterion = submitted_review.criteria.first()
    row = approve_with(submitted_review, sponsor, proposal(lead, criterion=criterion.pk))

    tracked = ProposedCondition.objects.get()
    assert (tracked.approver, tracked.proposed_by, tracked.owner) == (row, sponsor, lead)
    assert (tracked.due_date, tracked.criterion, tracked.adopted_as) == (DUE, criterion, None)
    event = AuditEvent.objects.filter(action="approval.recorded").latest("seq")
    assert event.payload["conditions"] == [
        {
            "description": "Monthly cost report to the program office.",
            "owner": "lead",
            "due_date": DUE.isoformat(),
            "criterion": criterion.name,
        }
    ]


def test_a_new_vote_replaces_the_seats_proposals(sponsor, submitted_review):
    approve_with(submitted_review, sponsor, proposal(sponsor, "First thought."))
    approve_with(submitted_review, sponsor, proposal(sponsor, "Second thought."))

    assert list(ProposedCondition.objects.values_list("description", flat=True)) == [
        "Second thought."
    ]
    services.approval_record(review=submitted_review, approver=sponsor, decision="approve")
    assert not ProposedCondition.objects.exists()


def test_the_chair_adopts_a_proposal_into_conditional_go(
    lead, sponsor, submitted_review, django_capture_on_commit_callbacks
):
    services.approval_record(review=submitted_review, approver=lead, decision="approve")
    approve_with(submitted_review, sponsor, proposal(sponsor))
    tracked = ProposedCondition.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        services.gate_decide(
            review=submitted_review,
            by=lead,
            decision=Decision.CONDITIONAL_GO,
            rationale="As the sponsor asked.",
            adopt=[tracked.pk],
        )

    condition = GateCondition.objects.get(review=submitted_review)
    assert (condition.description, condition.owner, condition.due_date) == (
        "Monthly cost report to the program office.",
        sponsor,
        DUE,
    )
    assert condition.status == ConditionStatus.OPEN
    tracked.refresh_from_db()
    assert tracked.adopted_as == condition
    event = AuditEvent.objects.get(action="gate.decided")
    assert event.payload["adopted"] == {str(tracked.pk): condition.pk}
    # Its owner hears of it like any condition of the decision.
    assert Notification.objects.filter(
        recipient=sponsor, kind=Kind.CONDITION_ASSIGNED, object_id=condition.pk
    ).exists()


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (Decision.GO, "Only Conditional Go adopts proposed conditions, not Go."),
        (Decision.HOLD, "Only Conditional Go adopts proposed conditions, not Hold."),
    ],
)
def test_only_conditional_go_adopts(lead, sponsor, submitted_review, decision, message):
    approve_with(submitted_review, sponsor, proposal(sponsor))

    with pytest.raises(InvalidInput) as caught:
        services.gate_decide(
            review=submitted_review,
            by=lead,
            decision=decision,
            rationale="Not yet.",
            adopt=[ProposedCondition.objects.get().pk],
        )

    assert (caught.value.message, caught.value.field) == (message, "adopt")
    submitted_review.refresh_from_db()
    assert submitted_review.status == ReviewStatus.SUBMITTED


def test_a_proposal_of_another_review_is_not_adopted(lead, sponsor, submitted_review):
    services.approval_record(review=submitted_review, approver=lead, decision="approve")
    approve_with(submitted_review, sponsor, proposal(sponsor))

    with pytest.raises(InvalidInput) as caught:
        services.gate_decide(
            review=submitted_review,
            by=lead,
            decision=Decision.CONDITIONAL_GO,
            adopt=[ProposedCondition.objects.get().pk + 1000],
        )

    assert caught.value.message.startswith("Not a proposed condition of this review: #")
    assert not GateCondition.objects.exists()


def test_the_page_lists_proposals_and_the_chair_adopts_them(
    client_as, lead, sponsor, submitted_review
):
    services.approval_record(review=submitted_review, approver=lead, decision="approve")
    sponsor_page = client_as(sponsor)
    response = sponsor_page.post(
        f"/reviews/{submitted_review.pk}/approval/",
        {
            "decision": "approve_with_conditions",
            "comment": "",
            "proposals-TOTAL_FORMS": "2",
            "proposals-INITIAL_FORMS": "0",
            "proposals-0-description": "Monthly cost report to the program office.",
            "proposals-0-owner": sponsor.pk,
            "proposals-0-due_date": DUE.isoformat(),
            "proposals-0-criterion": "",
        },
    )
    assert response.status_code == 302
    tracked = ProposedCondition.objects.get()

    chair = client_as(lead)
    page = chair.get(submitted_review.get_absolute_url()).content.decode()
    assert "Proposed conditions" in page
    assert "awaiting the chair" in page
    assert f'name="adopt" value="{tracked.pk}"' in page

    response = chair.post(
        f"/reviews/{submitted_review.pk}/decision/",
        {
            "decision": "conditional_go",
            "adopt": [tracked.pk],
            "conditions-TOTAL_FORMS": "0",
            "conditions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    tracked.refresh_from_db()
    assert tracked.adopted_as is not None
    assert ">adopted<" in chair.get(submitted_review.get_absolute_url()).content.decode()


def test_the_api_proposes_and_adopts(api_as, lead, sponsor, submitted_review):
    api_as(lead).post(
        f"/api/v1/reviews/{submitted_review.pk}/approvals/", {"decision": "approve"}, format="json"
    )
    response = api_as(sponsor).post(
        f"/api/v1/reviews/{submitted_review.pk}/approvals/",
        {
            "decision": "approve_with_conditions",
            "conditions": [
                {"description": "Cost report.", "owner": sponsor.pk, "due_date": DUE.isoformat()}
            ],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    proposed = response.json()["proposed_conditions"]
    assert [(p["description"], p["owner"]["id"], p["adopted_as"]) for p in proposed] == [
        ("Cost report.", sponsor.pk, None)
    ]

    response = api_as(lead).post(
        f"/api/v1/reviews/{submitted_review.pk}/decision/",
        {"decision": "conditional_go", "adopt": [proposed[0]["id"]]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [c["description"] for c in body["conditions"]] == ["Cost report."]
    assert body["proposed_conditions"][0]["adopted_as"] == body["conditions"][0]["id"]

    missing = api_as(sponsor).post(
        f"/api/v1/reviews/{submitted_review.pk}/approvals/",
        {"decision": "approve_with_conditions", "comment": "Watch it."},
        format="json",
    )
    assert missing.status_code in (400, 409)


def test_a_return_for_rework_withdraws_the_proposals_with_the_votes(
    lead, sponsor, submitted_review
):
    approve_with(submitted_review, sponsor, proposal(sponsor))

    services.review_return(review=submitted_review, by=lead, reason="The figures need a recount.")

    assert not ProposedCondition.objects.exists()
    event = AuditEvent.objects.get(action="review.returned")
    assert event.payload["withdrawn_proposals"] == [
        {
            "description": "Monthly cost report to the program office.",
            "owner": "sponsor",
            "due_date": DUE.isoformat(),
            "criterion": None,
        }
    ]
