"""The risk questionnaire: its questions (code data, versioned) and the rules
that turn answers into a proposed risk tier and the regulations that apply,
with the reasoning shown.

``propose(answers)`` is pure: it reads nothing from the database. The risk and
compliance role confirms or overrides what it proposes
(``usecases.services.risk``). Change the questions or the rules: raise
``QUESTIONNAIRE_VERSION`` (each classification records the version it was
answered with).

The questions follow the regimes the framework names (EU AI Act, HIPAA, SOX,
the Fair Credit Reporting Act, and privacy law such as GDPR): "What
regulatory constraints apply? These questions answered upfront prevent the
most common POC failure mode: discovering an insurmountable constraint after
six months of development."
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import InvalidInput
from usecases.models import RegulatoryConstraint, RiskTier

QUESTIONNAIRE_VERSION = 1

YES_NO = "yes_no"
CHOICES = "choices"  # any number of the options, none included
QUESTION_KINDS = [
    (YES_NO, gettext_lazy("Yes or no")),
    (CHOICES, gettext_lazy("Any of the options")),
]


@dataclass(frozen=True)
class Question:
    code: str
    group: str
    text: str
    help: str
    kind: str = YES_NO
    options: tuple[tuple[str, str], ...] = ()

    def option_label(self, code: str) -> str:
        """The option's label in the active language."""
        return str(dict(self.options).get(code, code))


# The groups, in the order the questionnaire shows them.
GROUPS: tuple[tuple[str, str], ...] = (
    ("prohibited", gettext_lazy("Prohibited practices (EU AI Act, Article 5)")),
    ("high_risk", gettext_lazy("High-risk areas (EU AI Act, Annex III and safety components)")),
    ("transparency", gettext_lazy("Transparency obligations (EU AI Act, Article 50)")),
    ("gpai", gettext_lazy("General-purpose AI models")),
    ("data", gettext_lazy("Personal and sensitive data")),
    ("decisions", gettext_lazy("Automated decisions about people")),
    ("regimes", gettext_lazy("Sector regimes (HIPAA, SOX, FCRA)")),
)

PROHIBITED_PRACTICES: tuple[tuple[str, str], ...] = (
    (
        "manipulation",
        gettext_lazy("Subliminal, manipulative or deceptive techniques that distort behaviour"),
    ),
    (
        "vulnerabilities",
        gettext_lazy("Exploiting the vulnerabilities of age, disability or social situation"),
    ),
    ("social_scoring", gettext_lazy("Social scoring of people leading to unfair treatment")),
    (
        "crime_prediction",
        gettext_lazy("Predicting a person's crimes from profiling or personality traits"),
    ),
    (
        "face_scraping",
        gettext_lazy("Untargeted scraping of facial images to build recognition databases"),
    ),
    ("emotion_workplace", gettext_lazy("Inferring emotions at the workplace or in education")),
    (
        "biometric_categorisation",
        gettext_lazy("Biometric categorisation inferring race, beliefs or sexuality"),
    ),
    (
        "remote_biometric_id",
        gettext_lazy("Real-time remote biometric identification in public spaces"),
    ),
)

ANNEX_III_AREAS: tuple[tuple[str, str], ...] = (
    (
        "biometrics",
        gettext_lazy("Biometrics (remote identification, categorisation, emotion recognition)"),
    ),
    (
        "critical_infrastructure",
        gettext_lazy("Critical infrastructure (utilities, traffic, digital)"),
    ),
    (
        "education",
        gettext_lazy("Education and vocational training (admission, grading, proctoring)"),
    ),
    (
        "employment",
        gettext_lazy("Employment and workers' management (hiring, promotion, termination)"),
    ),
    (
        "essential_services",
        gettext_lazy(
            "Essential services: public benefits, credit scoring, life and "
            "health insurance pricing, emergency dispatch"
        ),
    ),
    ("law_enforcement", gettext_lazy("Law enforcement")),
    ("migration", gettext_lazy("Migration, asylum and border control")),
    ("justice_democracy", gettext_lazy("Administration of justice and democratic processes")),
)

QUESTIONS: tuple[Question, ...] = (
    Question(
        code="prohibited_practices",
        group="prohibited",
        kind=CHOICES,
        options=PROHIBITED_PRACTICES,
        text=gettext_lazy("Does the system do any of these?"),
        help=gettext_lazy("Practices the EU AI Act prohibits outright. Tick none if none applies."),
    ),
    Question(
        code="annex_iii_areas",
        group="high_risk",
        kind=CHOICES,
        options=ANNEX_III_AREAS,
        text=gettext_lazy("Is the system used in any of these areas?"),
        help=gettext_lazy(
            "The EU AI Act's high-risk areas (Annex III). Tick none if none applies."
        ),
    ),
    Question(
        code="safety_component",
        group="high_risk",
        text=gettext_lazy(
            "Is the system a safety component of a product (machinery, medical device, "
            "vehicle, lift, toy)?"
        ),
        help=gettext_lazy(
            "A safety component of a product under EU product safety law is high-risk."
        ),
    ),
    Question(
        code="interacts_with_people",
        group="transparency",
        text=gettext_lazy("Do people talk to the system directly (a chatbot or voice assistant)?"),
        help=gettext_lazy("People must be told they are interacting with an AI system."),
    ),
    Question(
        code="synthetic_content",
        group="transparency",
        text=gettext_lazy(
            "Does the system generate or alter text, images, audio or video that people will see?"
        ),
        help=gettext_lazy("Synthetic content and deep fakes must be marked as generated."),
    ),
    Question(
        code="emotion_recognition",
        group="transparency",
        text=gettext_lazy(
            "Does the system recognise emotions or categorise people from biometric data "
            "(outside the workplace and education)?"
        ),
        help=gettext_lazy("The people exposed to it must be informed."),
    ),
    Question(
        code="gpai_model",
        group="gpai",
        text=gettext_lazy(
            "Does the organisation train, fine-tune and release, or place on the market, a "
            "general-purpose AI model?"
        ),
        help=gettext_lazy(
            "Providers of general-purpose models have their own obligations "
            "(documentation, copyright policy, training-data summary)."
        ),
    ),
    Question(
        code="personal_data",
        group="data",
        text=gettext_lazy(
            "Does the system process personal data (anything about an identifiable person)?"
        ),
        help=gettext_lazy(
            "Names, customer records, employee data, device identifiers, free text about people."
        ),
    ),
    Question(
        code="special_category_data",
        group="data",
        text=gettext_lazy(
            "Does it process special-category data (health, biometrics, ethnicity, religion, "
            "sexual orientation, union membership, criminal records)?"
        ),
        help=gettext_lazy("Sensitive data needs a specific legal basis and stronger safeguards."),
    ),
    Question(
        code="automated_decisions",
        group="decisions",
        text=gettext_lazy(
            "Does the system decide, without a person reviewing each case, something with "
            "legal or similarly significant effects on people?"
        ),
        help=gettext_lazy(
            "Refusing credit, a claim, a job or a benefit; a person only rubber-stamping "
            "counts as no review."
        ),
    ),
    Question(
        code="phi",
        group="regimes",
        text=gettext_lazy(
            "Does it use protected health information of a covered entity or its business "
            "associates?"
        ),
        help=gettext_lazy("HIPAA: patient records, claims with diagnoses, health plan data."),
    ),
    Question(
        code="financial_reporting",
        group="regimes",
        text=gettext_lazy(
            "Does its output feed financial statements or internal controls over financial "
            "reporting?"
        ),
        help=gettext_lazy(
            "SOX: journal entries, reconciliations, revenue recognition, control testing."
        ),
    ),
    Question(
        code="consumer_reports",
        group="regimes",
        text=gettext_lazy(
            "Does it use consumer reports to decide on credit, insurance, employment or housing?"
        ),
        help=gettext_lazy(
            "FCRA: credit bureau data, background checks; adverse action notices apply."
        ),
    ),
)

QUESTIONS_BY_CODE = {q.code: q for q in QUESTIONS}


@dataclass
class Proposal:
    tier: str
    regulations: list[str]
    reasoning: list[str] = field(default_factory=list)
    prohibited: bool = False


def _labels(question: Question, codes: list[str]) -> str:
    return "; ".join(question.option_label(code).lower() for code in codes)


def clean_answers(answers: Any) -> dict[str, Any]:
    """Every question answered, with a value of its kind; unknown codes
    refused. Returns the answers in the questionnaire's order."""
    if not isinstance(answers, dict):
        raise InvalidInput(_("Answers must be an object of question codes."), field="answers")
    unknown = sorted(str(code) for code in answers if code not in QUESTIONS_BY_CODE)
    if unknown:
        raise InvalidInput(
            _("Unknown questions: %(unknown)s.") % {"unknown": ", ".join(unknown)}, field="answers"
        )
    cleaned: dict[str, Any] = {}
    missing: list[str] = []
    for question in QUESTIONS:
        if question.code not in answers or answers[question.code] is None:
            missing.append(question.code)
            continue
        value = answers[question.code]
        if question.kind == YES_NO:
            if not isinstance(value, bool):
                raise InvalidInput(
                    _("Answer %(code)s with true or false.") % {"code": question.code},
                    field=question.code,
                )
            cleaned[question.code] = value
        else:
            allowed = [code for code, _label in question.options]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InvalidInput(
                    _("Answer %(code)s with a list of options.") % {"code": question.code},
                    field=question.code,
                )
            wrong = sorted({v for v in value if v not in allowed})
            if wrong:
                raise InvalidInput(
                    _("Unknown options for %(code)s: %(wrong)s. Choose from %(allowed)s.")
                    % {
                        "code": question.code,
                        "wrong": ", ".join(wrong),
                        "allowed": ", ".join(allowed),
                    },
                    field=question.code,
                )
            cleaned[question.code] = [code for code in allowed if code in value]
    if missing:
        raise InvalidInput(
            _("Answer every question."),
            [f"Not answered: {QUESTIONS_BY_CODE[code].text}" for code in missing],
            field=missing[0],
        )
    return cleaned


_ORDER = {tier: index for index, tier in enumerate(RiskTier.values)}  # low < medium < high


def propose(answers: dict[str, Any]) -> Proposal:
    """The tier and regulations the answers call for, one sentence per rule
    that fired. ``answers`` as ``clean_answers`` returns them. The reasoning
    is kept with the classification as it was written, so it is written in
    the installation's language whoever answered (the questions themselves
    show in the reader's language)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _propose(answers)


def _propose(answers: dict[str, Any]) -> Proposal:
    tier = RiskTier.LOW
    regulations: set[str] = set()
    reasoning: list[str] = []
    prohibited = False

    def raise_to(level: str) -> None:
        nonlocal tier
        if _ORDER[level] > _ORDER[tier]:
            tier = RiskTier(level)

    q = QUESTIONS_BY_CODE
    practices = answers.get("prohibited_practices") or []
    if practices:
        prohibited = True
        raise_to(RiskTier.HIGH)
        regulations.add(RegulatoryConstraint.EU_AI_ACT)
        reasoning.append(
            "Prohibited practice under the EU AI Act (Article 5): "
            f"{_labels(q['prohibited_practices'], practices)}. The use case cannot pass "
            "Gate 1 while this stands."
        )
    areas = answers.get("annex_iii_areas") or []
    if areas:
        raise_to(RiskTier.HIGH)
        regulations.add(RegulatoryConstraint.EU_AI_ACT)
        reasoning.append(
            "High-risk area of the EU AI Act (Annex III): "
            f"{_labels(q['annex_iii_areas'], areas)}: high risk."
        )
    if answers.get("safety_component"):
        raise_to(RiskTier.HIGH)
        regulations.add(RegulatoryConstraint.EU_AI_ACT)
        reasoning.append(
            "A safety component of a product is high-risk under the EU AI Act (Article 6(1))."
        )
    if answers.get("automated_decisions"):
        raise_to(RiskTier.HIGH)
        reasoning.append(
            "Automated decisions with legal or similarly significant effects on people: "
            "high risk (human review, contestability)."
        )
    transparency = [
        label
        for code, label in (
            ("interacts_with_people", "people interact with it directly"),
            ("synthetic_content", "it generates synthetic content"),
            ("emotion_recognition", "it recognises emotions or categorises people"),
        )
        if answers.get(code)
    ]
    if transparency:
        raise_to(RiskTier.MEDIUM)
        regulations.add(RegulatoryConstraint.EU_AI_ACT)
        reasoning.append(
            "Transparency obligations of the EU AI Act (Article 50) apply: "
            f"{', '.join(transparency)}: at least medium risk."
        )
    if answers.get("gpai_model"):
        regulations.add(RegulatoryConstraint.EU_AI_ACT)
        reasoning.append(
            "A general-purpose AI model: the EU AI Act's obligations for its providers apply."
        )
    if answers.get("special_category_data"):
        raise_to(RiskTier.MEDIUM)
        regulations.add(RegulatoryConstraint.GDPR)
        reasoning.append("Special-category personal data (GDPR, Article 9): at least medium risk.")
    elif answers.get("personal_data"):
        regulations.add(RegulatoryConstraint.GDPR)
        reasoning.append("Personal data: GDPR applies.")
    if answers.get("phi"):
        raise_to(RiskTier.MEDIUM)
        regulations.add(RegulatoryConstraint.HIPAA)
        reasoning.append("Protected health information: HIPAA applies, at least medium risk.")
    if answers.get("financial_reporting"):
        raise_to(RiskTier.MEDIUM)
        regulations.add(RegulatoryConstraint.SOX)
        reasoning.append(
            "Output feeds financial reporting controls: SOX applies, at least medium risk."
        )
    if answers.get("consumer_reports"):
        raise_to(RiskTier.MEDIUM)
        regulations.add(RegulatoryConstraint.FCRA)
        reasoning.append(
            "Consumer reports used for credit, insurance, employment or housing decisions: "
            "FCRA applies, at least medium risk."
        )
    if not reasoning:
        reasoning.append("No answer raises the risk or names a regulation: low risk.")
    ordered = [code for code in RegulatoryConstraint.values if code in regulations]
    return Proposal(
        tier=tier.value, regulations=ordered, reasoning=reasoning, prohibited=prohibited
    )


def blank_answers() -> dict[str, Any]:
    """Every question answered "no" / none: what proposes low risk."""
    return {q.code: (False if q.kind == YES_NO else []) for q in QUESTIONS}


def answer_rows(answers: dict[str, Any]) -> list[dict[str, Any]]:
    """The answers in the questionnaire's order, in words, for pages and packs."""
    rows = []
    for question in QUESTIONS:
        if question.code not in answers:
            continue
        value = answers[question.code]
        if question.kind == YES_NO:
            shown = _("Yes") if value else _("No")
        else:
            shown = "; ".join(question.option_label(c) for c in value) or _("None")
        rows.append({"question": question.text, "answer": shown, "code": question.code})
    return rows
