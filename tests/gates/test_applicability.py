"""Applicability rules: each key alone, combinations, the empty rule, the
questionnaire's answers, and the refusals of a rule that could never hold."""

from __future__ import annotations

import pytest

from gates.applicability import UseCaseFacts, applies, facts_of, validation_errors
from tests.factories import UseCaseFactory, UserFactory
from usecases.models import RiskClassification, RiskClassificationStatus

EU_HIGH = {"risk_tiers": ["high"], "regulations": ["eu_ai_act"]}


def facts(tier="medium", regulations=(), answers=None) -> UseCaseFacts:
    return UseCaseFacts(tier=tier, regulations=frozenset(regulations), answers=answers or {})


def test_it_applies_an_empty_rule_to_every_use_case_with_no_reason():
    assert applies({}, facts()) == (True, "")
    assert applies(None, facts(tier="low")) == (True, "")


def test_it_applies_a_risk_tier_rule_only_to_those_tiers():
    assert applies({"risk_tiers": ["high"]}, facts(tier="high")) == (True, "Applies: high risk")
    assert applies({"risk_tiers": ["high"]}, facts(tier="low")) == (
        False,
        "Does not apply: needs high risk; this use case is low risk",
    )
    assert applies({"risk_tiers": ["medium", "high"]}, facts(tier="medium"))[0]


def test_it_applies_a_regulation_rule_when_any_listed_regulation_applies():
    assert applies({"regulations": ["hipaa"]}, facts(regulations=["hipaa", "gdpr"])) == (
        True,
        "Applies: HIPAA",
    )
    assert applies({"regulations": ["sox", "fcra"]}, facts(regulations=["fcra"])) == (
        True,
        "Applies: FCRA",
    )
    assert applies({"regulations": ["hipaa"]}, facts(regulations=["sox"])) == (
        False,
        "Does not apply: needs HIPAA",
    )


def test_it_needs_every_key_of_a_combined_rule_to_hold():
    assert applies(EU_HIGH, facts(tier="high", regulations=["eu_ai_act"])) == (
        True,
        "Applies: EU AI Act and high risk",
    )
    # One key holding is not enough.
    assert applies(EU_HIGH, facts(tier="low", regulations=["eu_ai_act"])) == (
        False,
        "Does not apply: needs high risk; this use case is low risk",
    )
    assert applies(EU_HIGH, facts(tier="high", regulations=["hipaa"])) == (
        False,
        "Does not apply: needs EU AI Act",
    )


def test_it_reads_the_questionnaire_answers():
    rule = {"answers": {"affects_credit": True}}
    assert applies(rule, facts(answers={"affects_credit": True})) == (
        True,
        "Applies: the answer to “affects_credit” is yes",
    )
    assert applies(rule, facts(answers={"affects_credit": False}))[0] is False
    assert applies(rule, facts())[1] == (
        "Does not apply: needs the answer to “affects_credit” to be yes"
    )
    # A list of values means any of them; a multiple-choice answer holds when it contains one.
    assert applies(
        {"answers": {"domain": ["health", "finance"]}}, facts(answers={"domain": "health"})
    )[0]
    assert applies(
        {"answers": {"data": "biometric"}}, facts(answers={"data": ["biometric", "pii"]})
    )[0]
    assert not applies({"answers": {"data": "biometric"}}, facts(answers={"data": ["pii"]}))[0]


def test_it_combines_answers_with_tiers_and_regulations():
    rule = {**EU_HIGH, "answers": {"interacts_with_public": True}}
    holds, reason = applies(
        rule, facts(tier="high", regulations=["eu_ai_act"], answers={"interacts_with_public": True})
    )
    assert holds
    assert (
        reason
        == "Applies: EU AI Act and high risk and the answer to “interacts_with_public” is yes"
    )


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("high", "The rule must be an object"),
        ({"tiers": ["high"]}, "Unknown keys: tiers. Use risk_tiers, regulations, answers."),
        (
            {"risk_tiers": ["severe"]},
            "Unknown risk tiers in “risk_tiers”: severe. Use low, medium, high.",
        ),
        ({"risk_tiers": "high"}, "“risk_tiers” must be a non-empty list of risk tiers."),
        ({"risk_tiers": []}, "“risk_tiers” must be a non-empty list of risk tiers."),
        ({"regulations": ["eu-ai-act"]}, "Unknown regulation codes in “regulations”: eu-ai-act."),
        ({"regulations": ["sox", "sox"]}, "“regulations” lists a value twice."),
        ({"answers": ["q"]}, "“answers” must be a non-empty object of question code to value."),
        ({"answers": {"q": {"nested": 1}}}, "The value for “q” in “answers” must be text"),
        ({"answers": {"q": None}}, "The value for “q” in “answers” must be text"),
    ],
)
def test_it_refuses_a_rule_that_could_never_hold(rule, message):
    errors = validation_errors(rule)
    assert errors, rule
    assert any(message in error for error in errors), errors


def test_it_accepts_the_rules_of_the_default_data():
    assert validation_errors({}) == []
    assert validation_errors(EU_HIGH) == []
    assert validation_errors({"regulations": ["fcra"], "answers": {"q": [1, "x", True]}}) == []


@pytest.mark.django_db
def test_it_reads_the_facts_once_from_the_use_case_and_its_decided_classification(
    django_assert_num_queries,
):
    person = UserFactory()
    use_case = UseCaseFactory(risk_tier="high", regulatory_constraints=["eu_ai_act", "gdpr"])
    for version, status, answers in [
        (1, RiskClassificationStatus.CONFIRMED, {"affects_credit": False}),
        (2, RiskClassificationStatus.OVERRIDDEN, {"affects_credit": True}),
        # Proposed and not yet decided by risk and compliance: not a fact yet.
        (3, RiskClassificationStatus.PROPOSED, {"affects_credit": "unsure"}),
    ]:
        RiskClassification.objects.create(
            use_case=use_case,
            version=version,
            answers=answers,
            proposed_tier="high",
            answered_by=person,
            status=status,
        )

    with django_assert_num_queries(1):
        read = facts_of(use_case)

    assert read == UseCaseFacts(
        tier="high", regulations=frozenset({"eu_ai_act", "gdpr"}), answers={"affects_credit": True}
    )


@pytest.mark.django_db
def test_the_data_check_reports_a_rule_written_past_the_admin():
    from gates.checks import check_applicability_rules
    from gates.models import GateCriterion, GateTemplate

    # The default data holds valid rules only.
    assert check_applicability_rules(databases=["default"]) == []
    GateCriterion.objects.create(
        template=GateTemplate.objects.get(number=3),
        name="Typo rule",
        requirement="Anything.",
        applies_when={"regulation": ["hipaa"]},
    )

    errors = check_applicability_rules(databases=["default"])

    assert [e.id for e in errors] == ["gates.E010"]
    assert errors[0].msg == (
        "Gate 3 criterion “Typo rule” has an applicability rule that could never hold: "
        "Unknown keys: regulation. Use risk_tiers, regulations, answers."
    )
