"""What the risk questionnaire proposes, over a table of answers: the tier,
the regulations, the prohibited flag, and one sentence of reasoning per rule
that fired. ``propose`` is pure: no database."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput
from usecases import risk


def answers(**changes):
    base = risk.blank_answers()
    base.update(changes)
    return base


CASES = [
    # (id, answers, tier, regulations, prohibited, words in the reasoning)
    ("none", {}, "low", [], False, ["low risk"]),
    (
        "prohibited social scoring",
        {"prohibited_practices": ["social_scoring"]},
        "high",
        ["eu_ai_act"],
        True,
        ["Prohibited practice", "social scoring", "cannot pass Gate 1"],
    ),
    (
        "prohibited remote biometric id",
        {"prohibited_practices": ["remote_biometric_id", "manipulation"]},
        "high",
        ["eu_ai_act"],
        True,
        ["Prohibited practice", "real-time remote biometric identification"],
    ),
    *[
        (
            f"annex iii {code}",
            {"annex_iii_areas": [code]},
            "high",
            ["eu_ai_act"],
            False,
            ["Annex III", label.split(" (")[0].lower()],
        )
        for code, label in risk.ANNEX_III_AREAS
    ],
    (
        "safety component",
        {"safety_component": True},
        "high",
        ["eu_ai_act"],
        False,
        ["safety component", "Article 6(1)"],
    ),
    (
        "automated decisions",
        {"automated_decisions": True},
        "high",
        [],
        False,
        ["Automated decisions", "high risk"],
    ),
    (
        "chatbot",
        {"interacts_with_people": True},
        "medium",
        ["eu_ai_act"],
        False,
        ["Transparency", "interact with it directly"],
    ),
    (
        "synthetic content",
        {"synthetic_content": True},
        "medium",
        ["eu_ai_act"],
        False,
        ["Article 50", "synthetic content"],
    ),
    (
        "emotion recognition",
        {"emotion_recognition": True},
        "medium",
        ["eu_ai_act"],
        False,
        ["recognises emotions"],
    ),
    ("gpai", {"gpai_model": True}, "low", ["eu_ai_act"], False, ["general-purpose AI model"]),
    ("personal data", {"personal_data": True}, "low", ["gdpr"], False, ["GDPR applies"]),
    (
        "special category data",
        {"personal_data": True, "special_category_data": True},
        "medium",
        ["gdpr"],
        False,
        ["Special-category", "Article 9"],
    ),
    ("phi", {"phi": True}, "medium", ["hipaa"], False, ["HIPAA"]),
    ("sox", {"financial_reporting": True}, "medium", ["sox"], False, ["SOX"]),
    ("fcra", {"consumer_reports": True}, "medium", ["fcra"], False, ["FCRA"]),
    (
        "credit scoring from bureau data about customers",
        {
            "annex_iii_areas": ["essential_services"],
            "consumer_reports": True,
            "personal_data": True,
            "automated_decisions": True,
        },
        "high",
        ["eu_ai_act", "fcra", "gdpr"],
        False,
        ["Annex III", "Automated decisions", "GDPR", "FCRA"],
    ),
    (
        "claims chatbot on patient records",
        {"interacts_with_people": True, "phi": True, "personal_data": True},
        "medium",
        ["eu_ai_act", "hipaa", "gdpr"],
        False,
        ["Transparency", "HIPAA", "GDPR"],
    ),
]


@pytest.mark.parametrize(
    ("given", "tier", "regulations", "prohibited", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_it_proposes_the_tier_and_regulations_with_its_reasoning(
    given, tier, regulations, prohibited, words
):
    proposal = risk.propose(risk.clean_answers(answers(**given)))

    assert proposal.tier == tier
    assert sorted(proposal.regulations) == sorted(regulations)
    assert proposal.prohibited is prohibited
    reasoning = " ".join(proposal.reasoning)
    for word in words:
        assert word.lower() in reasoning.lower()


def test_it_writes_one_sentence_per_rule_that_fired():
    proposal = risk.propose(
        answers(annex_iii_areas=["employment"], personal_data=True, financial_reporting=True)
    )

    assert len(proposal.reasoning) == 3
    assert all(sentence.endswith(".") for sentence in proposal.reasoning)


def test_it_keeps_the_regulations_in_the_framework_order():
    proposal = risk.propose(
        answers(personal_data=True, consumer_reports=True, phi=True, financial_reporting=True)
    )

    assert proposal.regulations == ["hipaa", "sox", "fcra", "gdpr"]


def test_every_group_has_questions_and_every_annex_iii_area_is_offered():
    groups = {q.group for q in risk.QUESTIONS}
    assert groups == {code for code, _ in risk.GROUPS}
    area_codes = [code for code, _ in risk.QUESTIONS_BY_CODE["annex_iii_areas"].options]
    assert area_codes == [
        "biometrics",
        "critical_infrastructure",
        "education",
        "employment",
        "essential_services",
        "law_enforcement",
        "migration",
        "justice_democracy",
    ]


def test_it_refuses_unknown_questions():
    with pytest.raises(InvalidInput, match="Unknown questions: favourite_colour"):
        risk.clean_answers(answers(favourite_colour=True))


def test_it_refuses_a_missing_answer_naming_the_question():
    given = risk.blank_answers()
    del given["phi"]

    with pytest.raises(InvalidInput) as refused:
        risk.clean_answers(given)

    assert refused.value.field == "phi"
    assert any("protected health information" in r for r in refused.value.reasons)


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("phi", "yes", "true or false"),
        ("annex_iii_areas", "employment", "list of options"),
        ("annex_iii_areas", ["astrology"], "Unknown options for annex_iii_areas: astrology"),
    ],
)
def test_it_refuses_answers_of_the_wrong_kind(code, value, message):
    with pytest.raises(InvalidInput, match=message):
        risk.clean_answers(answers(**{code: value}))
