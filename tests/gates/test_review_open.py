"""review_open: the lead opens the next gate's review; approvers come from the
roles the framework names; at most one open review per use case."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from gates import services
from gates.models import ApproverRoleKind, GateReview, GateTemplate, ReviewStatus
from tests.factories import OrgRole, UseCaseFactory, UserFactory
from tests.gates.helpers import KILL_EXIT, advance, isolate, make_open_review
from usecases.models import Stage, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


def approvers_of(review) -> dict[str, list[str]]:
    return {row.user.username: row.roles for row in review.approvers.select_related("user")}


def test_it_opens_the_gate_1_review_with_a_snapshot_of_the_template(lead, sponsor, use_case):
    review = make_open_review(use_case, lead)

    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN
    assert (review.gate_number, review.from_stage, review.to_stage) == (1, "discovery", "poc")
    assert review.template == GateTemplate.objects.get(number=1)
    assert review.template_version == 1
    assert review.chair == lead
    assert list(review.criteria.values_list("name", "status", "must_meet")) == [
        ("Business value", "pending", True),
        ("Data availability", "pending", True),
        ("Process maturity", "pending", True),
        ("Risk", "pending", True),
        ("Sponsorship", "pending", True),
    ]
    assert [r.artifact_type.name for r in review.artifact_requirements.all()] == [
        "Use case scorecard",
        "Data availability assessment",
        "Preliminary risk assessment",
        "Business value hypothesis with assumptions documented",
    ]
    assert approvers_of(review) == {"lead": ["program_lead"], "sponsor": ["sponsor"]}
    assert all(row.decision == "pending" for row in review.approvers.all())


def test_it_writes_the_opening_to_the_audit_trail(lead, use_case):
    review = make_open_review(use_case, lead)

    event = AuditEvent.objects.get(action="review.opened")
    assert (event.actor, event.use_case, event.object_id) == (lead, use_case, str(review.pk))
    assert event.summary == "Opened the Gate 1 review (template v1)"
    assert event.payload == {
        "gate": 1,
        "template_version": 1,
        "approvers": {"lead": ["program_lead"], "sponsor": ["sponsor"]},
    }


@pytest.mark.parametrize("who", ["sponsor", "executive", "techlead", "outsider", "cio"])
def test_it_lets_only_a_program_lead_open_a_review(request, use_case, who):
    with pytest.raises(PermissionRefused) as caught:
        services.review_open(use_case=use_case, by=request.getfixturevalue(who))

    assert caught.value.message == "Only a program lead opens and chairs gate reviews."
    assert not GateReview.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="review.").exists()


def test_it_resolves_gate_2_approvers_with_the_technical_lead(lead, sponsor, use_case):
    advance(use_case, lead, sponsor, gates=1)

    review = make_open_review(use_case, lead)

    assert review.gate_number == 2
    assert approvers_of(review) == {
        "lead": ["program_lead"],
        "techlead": ["technical_lead"],
        "sponsor": ["sponsor"],
    }


def test_it_resolves_gate_3_approvers_from_org_roles_and_the_business_unit(
    lead, sponsor, cio, risk, buhead, use_case
):
    advance(use_case, lead, sponsor, gates=2)

    review = make_open_review(use_case, lead)

    assert review.gate_number == 3
    # Medium risk, no regulatory constraint: risk and compliance does not approve.
    assert approvers_of(review) == {
        "lead": ["program_lead"],
        "cio": ["cio_cto"],
        "buhead": ["business_unit_head"],
    }


def test_it_resolves_gate_4_approvers_to_the_business_unit_head_and_the_lead(
    lead, sponsor, cio, buhead, use_case
):
    advance(use_case, lead, sponsor, gates=3)

    review = make_open_review(use_case, lead)

    assert review.gate_number == 4
    assert approvers_of(review) == {"buhead": ["business_unit_head"], "lead": ["program_lead"]}


def test_it_refuses_one_person_in_two_seats(lead, business_unit, sponsor, techlead):
    """Segregation of duties: the sponsor who is also the technical lead would
    approve Gate 2 twice, and the technical lead's seat is independent."""
    use_case = UseCaseFactory(business_unit=business_unit, sponsor=sponsor, technical_lead=sponsor)
    advance(use_case, lead, sponsor, gates=1)

    with pytest.raises(TransitionRefused) as caught:
        make_open_review(use_case, lead)

    assert caught.value.message == "These approvers would not keep the gate's duties apart."
    assert caught.value.reasons == [
        "Sam Sponsor would hold 2 approver seats (Technical lead, Business unit sponsor); "
        "one person holds one seat, so name someone else for the others.",
        "Sam Sponsor is this use case's business unit sponsor, so cannot fill the "
        "independent seat Technical lead.",
        "This gate needs at least 3 distinct approvers; 2 are named.",
    ]
    assert not GateReview.objects.filter(gate_number=2).exists()

    review = make_open_review(
        use_case, lead, approvers={ApproverRoleKind.TECHNICAL_LEAD: [techlead]}
    )
    assert approvers_of(review) == {
        "lead": ["program_lead"],
        "sponsor": ["sponsor"],
        "techlead": ["technical_lead"],
    }


def test_it_refuses_when_nobody_holds_an_approver_role(lead, business_unit):
    use_case = UseCaseFactory(business_unit=business_unit)

    with pytest.raises(TransitionRefused) as caught:
        make_open_review(use_case, lead)

    assert caught.value.message == "The gate's approvers cannot be named yet."
    assert caught.value.reasons == [
        "Nobody holds the role “Business unit sponsor” for this use case; name an approver for it."
    ]
    assert not GateReview.objects.exists()


def test_it_names_every_role_nobody_holds_at_gate_3(lead, sponsor, techlead, business_unit):
    business_unit.head = None
    business_unit.save()
    use_case = UseCaseFactory(business_unit=business_unit, sponsor=sponsor, technical_lead=techlead)
    advance(use_case, lead, sponsor, gates=2)

    with pytest.raises(TransitionRefused) as caught:
        make_open_review(use_case, lead)

    assert caught.value.reasons == [
        "Nobody holds the role “CIO or CTO” for this use case; name an approver for it.",
        "Nobody holds the role “Business unit head” for this use case; name an approver for it.",
    ]
    assert not GateReview.objects.filter(gate_number=3).exists()


def test_it_lets_the_lead_name_an_approver_explicitly(lead, sponsor, contributor, use_case):
    review = make_open_review(use_case, lead, approvers={ApproverRoleKind.SPONSOR: [contributor]})

    assert approvers_of(review) == {"lead": ["program_lead"], "contrib": ["sponsor"]}


def test_it_lets_the_lead_name_an_approver_for_a_role_nobody_holds(
    lead, contributor, business_unit
):
    use_case = UseCaseFactory(business_unit=business_unit)

    review = make_open_review(use_case, lead, approvers={"sponsor": [contributor]})

    assert approvers_of(review) == {"lead": ["program_lead"], "contrib": ["sponsor"]}


def test_it_refuses_naming_a_role_that_does_not_approve_this_gate(lead, cio, risk, use_case):
    with pytest.raises(InvalidInput) as caught:
        make_open_review(
            use_case,
            lead,
            approvers={ApproverRoleKind.CIO_CTO: [cio], ApproverRoleKind.RISK_COMPLIANCE: [risk]},
        )

    assert caught.value.message == (
        "These roles do not approve this gate: CIO or CTO, Risk or compliance."
    )
    assert caught.value.field == "approvers"
    assert not GateReview.objects.exists()


def test_it_refuses_naming_risk_at_gate_3_when_it_does_not_apply(
    lead, sponsor, cio, risk, use_case
):
    advance(use_case, lead, sponsor, gates=2)

    with pytest.raises(InvalidInput) as caught:
        make_open_review(use_case, lead, approvers={ApproverRoleKind.RISK_COMPLIANCE: [risk]})

    assert caught.value.message == "These roles do not approve this gate: Risk or compliance."


def test_it_refuses_naming_an_inactive_user(lead, contributor, use_case):
    contributor.is_active = False
    contributor.save()

    with pytest.raises(InvalidInput) as caught:
        make_open_review(use_case, lead, approvers={"sponsor": [contributor]})

    assert caught.value.message == "contrib is not an active user."
    assert not GateReview.objects.exists()


def test_it_refuses_a_second_open_review(lead, use_case):
    first = make_open_review(use_case, lead)

    with pytest.raises(TransitionRefused) as caught:
        make_open_review(use_case, lead)

    assert caught.value.message == "This use case already has an open review."
    assert caught.value.reasons == [f"Gate 1 review #{first.pk}: Open: preparing evidence."]
    assert GateReview.objects.filter(use_case=use_case).count() == 1
    assert AuditEvent.objects.filter(action="review.opened").count() == 1


@pytest.mark.parametrize("status", [ReviewStatus.OPEN, ReviewStatus.SUBMITTED])
def test_it_enforces_one_open_review_in_the_database(lead, use_case, status):
    first = make_open_review(use_case, lead)

    with pytest.raises(IntegrityError), transaction.atomic():
        GateReview.objects.create(
            use_case=use_case,
            template=first.template,
            template_version=1,
            gate_number=1,
            from_stage=Stage.DISCOVERY,
            to_stage=Stage.POC,
            chair=lead,
            status=status,
        )

    assert GateReview.objects.filter(use_case=use_case).count() == 1


def test_it_lets_a_decided_review_stand_beside_a_new_open_one(lead, use_case):
    first = make_open_review(use_case, lead)
    services.gate_decide(review=first, by=lead, decision="recycle", rationale="Rework data.")

    second = make_open_review(use_case, lead)

    assert second.pk != first.pk
    assert GateReview.objects.filter(use_case=use_case).count() == 2


def test_at_scale_the_next_review_is_the_recertification(lead, sponsor, cio, use_case):
    advance(use_case, lead, sponsor, gates=4)
    assert use_case.stage == Stage.SCALE

    review = make_open_review(use_case, lead)

    assert review.is_recertification
    assert review.gate_label == "Recertification"
    assert (review.from_stage, review.to_stage) == (Stage.SCALE, Stage.SCALE)
    assert review.trigger == "manual"
    assert [c.name for c in review.criteria.all()][:2] == [
        "Performance within drift thresholds",
        "Incidents reviewed",
    ]


def test_it_refuses_a_use_case_on_hold_until_it_is_resumed(lead, use_case):
    first = make_open_review(use_case, lead)
    services.gate_decide(review=first, by=lead, decision="hold", rationale="Budget freeze.")

    with pytest.raises(TransitionRefused) as caught:
        make_open_review(use_case, lead)

    assert caught.value.message == "This use case is on hold."
    assert caught.value.reasons == ["Resume it before opening a gate review."]
    assert GateReview.objects.filter(use_case=use_case).count() == 1

    services.usecase_resume(use_case=use_case, by=lead, note="Budget back.")
    again = make_open_review(use_case, lead)

    assert again.status == ReviewStatus.OPEN
    assert again.gate_number == 1


def test_it_refuses_a_killed_use_case(lead, use_case):
    first = make_open_review(use_case, lead)
    services.gate_decide(review=first, by=lead, decision="kill", rationale="No value.", **KILL_EXIT)

    with pytest.raises(TransitionRefused) as caught:
        make_open_review(use_case, lead)

    assert caught.value.message == "This use case was killed at a gate; it is read-only."
    use_case.refresh_from_db()
    assert use_case.status == Status.KILLED
    assert GateReview.objects.filter(use_case=use_case).count() == 1


def test_it_makes_the_opening_lead_the_chair(use_case):
    other_lead = UserFactory(
        username="lead2", first_name="Lars", last_name="Lead", org_roles=[OrgRole.PROGRAM_LEAD]
    )

    review = make_open_review(use_case, other_lead)

    assert review.chair == other_lead
    assert approvers_of(review)["lead2"] == ["program_lead"]
