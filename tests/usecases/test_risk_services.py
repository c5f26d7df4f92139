"""Answering the risk questionnaire and deciding it: who may, versions,
the audit trail, the override's reason, only the latest version decided, and
the decision becoming the use case's risk tier and regulations."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from tests.factories import UseCaseFactory
from tests.gates.helpers import make_open_review
from usecases import risk as questionnaire
from usecases.models import RiskClassificationStatus, UseCaseMember
from usecases.services import risk_answer, risk_decide

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh(business_unit, sponsor, techlead, contributor):
    """A use case nobody has classified yet."""
    return UseCaseFactory(
        title="Loan pre-approval",
        business_unit=business_unit,
        sponsor=sponsor,
        technical_lead=techlead,
        contributors=[contributor],
        risk_classified=False,
    )


def credit_answers():
    answers = questionnaire.blank_answers()
    answers.update(
        annex_iii_areas=["essential_services"], consumer_reports=True, personal_data=True
    )
    return answers


@pytest.mark.parametrize("who", ["sponsor", "techlead", "contributor", "lead"])
def test_it_records_a_proposed_version_for_the_team_and_program_leads(request, fresh, who):
    person = request.getfixturevalue(who)

    row = risk_answer(use_case=fresh, by=person, answers=credit_answers())

    assert row.version == 1
    assert row.status == RiskClassificationStatus.PROPOSED
    assert row.proposed_tier == "high"
    assert row.proposed_regulations == ["eu_ai_act", "fcra", "gdpr"]
    assert any("Annex III" in sentence for sentence in row.reasoning)
    assert row.answered_by == person
    event = AuditEvent.objects.get(action="risk.answered", use_case=fresh)
    assert event.actor == person
    assert event.payload["proposed_tier"] == "high"


@pytest.mark.parametrize("who", ["outsider", "buhead", "risk", "executive"])
def test_it_refuses_to_take_answers_from_outside_the_team(request, fresh, who):
    with pytest.raises(PermissionRefused, match="team"):
        risk_answer(use_case=fresh, by=request.getfixturevalue(who), answers=credit_answers())

    assert not fresh.risk_classifications.exists()


def test_it_refuses_unknown_codes_and_records_nothing(fresh, sponsor):
    answers = credit_answers() | {"shoe_size": True}

    with pytest.raises(InvalidInput, match="Unknown questions: shoe_size"):
        risk_answer(use_case=fresh, by=sponsor, answers=answers)

    assert not fresh.risk_classifications.exists()
    assert not AuditEvent.objects.filter(action="risk.answered").exists()


def test_each_answer_is_a_new_version(fresh, sponsor):
    risk_answer(use_case=fresh, by=sponsor, answers=questionnaire.blank_answers())
    second = risk_answer(use_case=fresh, by=sponsor, answers=credit_answers())

    assert second.version == 2
    assert list(fresh.risk_classifications.values_list("version", flat=True)) == [2, 1]


def test_risk_and_compliance_confirms_and_the_use_case_takes_the_tier(fresh, sponsor, risk):
    row = risk_answer(use_case=fresh, by=sponsor, answers=credit_answers())

    risk_decide(classification=row, by=risk, confirm=True)

    row.refresh_from_db()
    fresh.refresh_from_db()
    assert row.status == RiskClassificationStatus.CONFIRMED
    assert (row.tier, row.regulations) == ("high", ["eu_ai_act", "fcra", "gdpr"])
    assert row.decided_by == risk
    assert fresh.risk_tier == "high"
    assert fresh.regulatory_constraints == ["eu_ai_act", "fcra", "gdpr"]
    event = AuditEvent.objects.get(action="risk.decided", use_case=fresh)
    assert event.actor == risk
    assert event.payload["after"] == {
        "risk_tier": "high",
        "regulatory_constraints": ["eu_ai_act", "fcra", "gdpr"],
    }


def test_an_override_needs_a_reason(fresh, sponsor, risk):
    row = risk_answer(use_case=fresh, by=sponsor, answers=credit_answers())

    with pytest.raises(InvalidInput, match="An override needs a reason"):
        risk_decide(classification=row, by=risk, tier="medium", regulations=["gdpr"], reason=" ")

    row.refresh_from_db()
    assert row.status == RiskClassificationStatus.PROPOSED
    assert not AuditEvent.objects.filter(action="risk.decided").exists()


def test_an_override_sets_its_tier_and_regulations_with_the_reason(fresh, sponsor, risk):
    row = risk_answer(use_case=fresh, by=sponsor, answers=credit_answers())

    risk_decide(
        classification=row,
        by=risk,
        tier="medium",
        regulations=["fcra", "gdpr"],
        reason="A person reviews every refusal; the score only ranks applications.",
    )

    row.refresh_from_db()
    fresh.refresh_from_db()
    assert row.status == RiskClassificationStatus.OVERRIDDEN
    assert row.override_reason.startswith("A person reviews")
    assert (fresh.risk_tier, fresh.regulatory_constraints) == ("medium", ["fcra", "gdpr"])


@pytest.mark.parametrize("who", ["lead", "sponsor", "executive", "outsider"])
def test_only_risk_and_compliance_decides(request, fresh, sponsor, who):
    row = risk_answer(use_case=fresh, by=sponsor, answers=credit_answers())

    with pytest.raises(PermissionRefused, match="Only the risk and compliance role"):
        risk_decide(classification=row, by=request.getfixturevalue(who), confirm=True)


def test_a_risk_officer_on_the_team_may_not_decide(fresh, sponsor, risk):
    UseCaseMember.objects.create(use_case=fresh, user=risk, role="contributor")
    row = risk_answer(use_case=fresh, by=sponsor, answers=credit_answers())

    with pytest.raises(PermissionRefused, match="segregation of duties"):
        risk_decide(classification=row, by=risk, confirm=True)


def test_only_the_latest_version_is_decided(fresh, sponsor, risk):
    first = risk_answer(use_case=fresh, by=sponsor, answers=credit_answers())
    risk_answer(use_case=fresh, by=sponsor, answers=risk_blank())

    with pytest.raises(TransitionRefused) as refused:
        risk_decide(classification=first, by=risk, confirm=True)

    assert refused.value.message == "Only the latest answers are decided."
    assert "Version 2 replaced version 1." in refused.value.reasons


def risk_blank():
    return questionnaire.blank_answers()


def test_a_decided_version_is_not_decided_twice(fresh, sponsor, risk):
    row = risk_answer(use_case=fresh, by=sponsor, answers=credit_answers())
    risk_decide(classification=row, by=risk, confirm=True)

    with pytest.raises(TransitionRefused, match="already decided"):
        risk_decide(classification=row, by=risk, tier="low", regulations=[], reason="Second go.")


def test_a_prohibited_practice_may_still_be_decided(fresh, sponsor, risk):
    answers = questionnaire.blank_answers() | {"prohibited_practices": ["social_scoring"]}
    row = risk_answer(use_case=fresh, by=sponsor, answers=answers)

    risk_decide(classification=row, by=risk, confirm=True)

    row.refresh_from_db()
    assert row.prohibited and row.status == RiskClassificationStatus.CONFIRMED


def test_a_decision_that_moves_the_tier_waits_for_the_open_review(fresh, sponsor, risk, lead):
    make_open_review(fresh, lead)
    row = risk_answer(use_case=fresh, by=sponsor, answers=credit_answers())

    with pytest.raises(TransitionRefused, match="cannot change now"):
        risk_decide(classification=row, by=risk, confirm=True)

    fresh.refresh_from_db()
    assert fresh.risk_tier == "medium"
