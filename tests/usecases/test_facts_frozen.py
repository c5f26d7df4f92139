"""The facts that decide who approves (risk tier, regulations, business unit,
team) are frozen while a review is open; lowering the risk or removing a
regulation is a recorded reclassification by the risk and compliance role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.errors import PermissionRefused, TransitionRefused
from core.models import AuditEvent
from tests.factories import BusinessUnitFactory, UserFactory
from tests.gates.helpers import make_open_review
from usecases import services
from usecases.models import MemberRole, UseCase, UseCaseMember

FROZEN = "is open: its approvers were fixed when it opened. Change this after the gate is decided."


@pytest.fixture
def regulated(use_case):
    UseCase.objects.filter(pk=use_case.pk).update(
        risk_tier="high", regulatory_constraints=["eu_ai_act"]
    )
    use_case.refresh_from_db()
    return use_case


@pytest.mark.parametrize(
    "changes",
    [
        {"risk_tier": "low"},
        {"regulatory_constraints": []},
        {"risk_tier": "high", "regulatory_constraints": ["eu_ai_act", "gdpr"]},
        {"business_unit": "other"},
    ],
)
def test_an_open_review_freezes_what_decides_who_approves(lead, sponsor, regulated, changes):
    make_open_review(regulated, lead)
    if changes.get("business_unit") == "other":
        changes = {"business_unit": BusinessUnitFactory(name="Retail", code="retail")}
    before = AuditEvent.objects.count()

    with pytest.raises(TransitionRefused) as caught:
        services.usecase_update(use_case=regulated, by=sponsor, **changes)

    assert caught.value.reasons[0].endswith(FROZEN)
    regulated.refresh_from_db()
    assert (regulated.risk_tier, regulated.regulatory_constraints) == ("high", ["eu_ai_act"])
    assert AuditEvent.objects.count() == before


def test_an_open_review_freezes_the_team(lead, sponsor, techlead, regulated):
    make_open_review(regulated, lead)
    member = UseCaseMember.objects.get(use_case=regulated, user=techlead)

    with pytest.raises(TransitionRefused) as removed:
        services.member_remove(member=member, by=sponsor)
    with pytest.raises(TransitionRefused) as added:
        services.member_add(
            use_case=regulated, by=sponsor, user=sponsor, role=MemberRole.TECHNICAL_LEAD
        )

    assert removed.value.message == "The team cannot change now."
    assert added.value.reasons[0].endswith(FROZEN)
    assert UseCaseMember.objects.filter(use_case=regulated, user=techlead).exists()


def test_the_api_refuses_the_sponsor_lowering_the_risk(api_as, sponsor, regulated):
    """The finding that started this: PATCH risk_tier low, regulations []. The
    risk classification sets both now: the API refuses them outright."""
    response = api_as(sponsor).patch(
        f"/api/v1/use-cases/{regulated.pk}/",
        {"risk_tier": "low", "regulatory_constraints": []},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"]["risk_tier"] == [
        "The risk tier is set by the risk classification."
    ]
    regulated.refresh_from_db()
    assert regulated.risk_tier == "high"


def test_editors_may_still_raise_the_risk_or_add_a_regulation(sponsor, use_case):
    services.usecase_update(
        use_case=use_case, by=sponsor, risk_tier="high", regulatory_constraints=["hipaa"]
    )
    use_case.refresh_from_db()
    assert (use_case.risk_tier, use_case.regulatory_constraints) == ("high", ["hipaa"])


def test_the_risk_officer_reclassifies_with_a_reason(risk, regulated):
    services.usecase_reclassify(
        use_case=regulated,
        by=risk,
        risk_tier="medium",
        regulatory_constraints=[],
        reason="Scoring is advisory only; no automated decision about people.",
    )

    regulated.refresh_from_db()
    assert (regulated.risk_tier, regulated.regulatory_constraints) == ("medium", [])
    event = AuditEvent.objects.get(action="usecase.reclassified")
    assert event.actor == risk
    assert event.payload == {
        "before": {"risk_tier": "high", "regulatory_constraints": ["eu_ai_act"]},
        "after": {"risk_tier": "medium", "regulatory_constraints": []},
        "reason": "Scoring is advisory only; no automated decision about people.",
    }


@pytest.mark.parametrize("who", ["sponsor", "lead", "cio"])
def test_only_the_risk_officer_reclassifies(request, who, regulated):
    with pytest.raises(PermissionRefused):
        services.usecase_reclassify(
            use_case=regulated,
            by=request.getfixturevalue(who),
            risk_tier="low",
            regulatory_constraints=[],
            reason="Because.",
        )
    regulated.refresh_from_db()
    assert regulated.risk_tier == "high"


def test_a_reclassification_needs_a_reason_and_no_open_review(risk, lead, regulated):
    from core.errors import InvalidInput

    with pytest.raises(InvalidInput) as no_reason:
        services.usecase_reclassify(
            use_case=regulated, by=risk, risk_tier="low", regulatory_constraints=[], reason=" "
        )
    assert no_reason.value.field == "reason"

    make_open_review(regulated, lead)
    with pytest.raises(TransitionRefused) as frozen:
        services.usecase_reclassify(
            use_case=regulated, by=risk, risk_tier="low", regulatory_constraints=[], reason="x"
        )
    assert frozen.value.reasons[0].endswith(FROZEN)
    assert not AuditEvent.objects.filter(action="usecase.reclassified").exists()


def test_the_reclassify_page_and_api(client_as, api_as, risk, sponsor, regulated):
    url = reverse("usecase-reclassify", args=[regulated.pk])
    assert client_as(sponsor).get(url).status_code == 403
    page = client_as(risk).get(url)
    assert page.status_code == 200
    assert "Record the reclassification" in page.content.decode()
    assert "Reclassify risk" in client_as(risk).get(regulated.get_absolute_url()).content.decode()

    missing = client_as(risk).post(url, {"risk_tier": "low"})
    assert missing.status_code == 400
    assert "This field is required." in missing.content.decode()

    done = client_as(risk).post(
        url, {"risk_tier": "medium", "regulatory_constraints": ["gdpr"], "reason": "Re-scoped."}
    )
    assert done.status_code == 302
    regulated.refresh_from_db()
    assert (regulated.risk_tier, regulated.regulatory_constraints) == ("medium", ["gdpr"])

    api = api_as(risk)
    response = api.post(
        f"/api/v1/use-cases/{regulated.pk}/reclassify/",
        {"risk_tier": "low", "regulatory_constraints": [], "reason": "Pilot ended at one team."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["risk_tier"] == "low"
    refused = api_as(sponsor).post(
        f"/api/v1/use-cases/{regulated.pk}/reclassify/",
        {"risk_tier": "high", "regulatory_constraints": [], "reason": "x"},
        format="json",
    )
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(action="usecase.reclassified").count() == 2


def test_a_sponsor_made_head_of_their_own_unit_never_approves_as_head(
    lead, sponsor, business_unit, use_case
):
    """Admin edits cannot make a sponsor their own business-unit-head approver."""
    from gates.models import ApproverRoleKind

    business_unit.head = sponsor
    business_unit.save()
    UseCase.objects.filter(pk=use_case.pk).update(stage="production")
    use_case.refresh_from_db()
    with pytest.raises(TransitionRefused) as caught:
        make_open_review(use_case, lead)
    assert (
        "Sam Sponsor is this use case's business unit sponsor, so cannot fill the independent "
        "seat Business unit head." in caught.value.reasons
    )
    review = make_open_review(
        use_case,
        lead,
        approvers={ApproverRoleKind.BUSINESS_UNIT_HEAD: [UserFactory(username="acting-head")]},
    )
    assert sponsor.pk not in {row.user_id for row in review.approvers.all()}
