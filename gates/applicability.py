"""Applicability rules: when a gate criterion or artifact type applies to a
use case.

A rule (``applies_when`` on ``GateCriterion`` and ``ArtifactType``) is a JSON
object; empty means always. Its keys, all optional, must each hold:

- ``risk_tiers``: a list of tiers; the use case's tier is one of them.
- ``regulations``: a list of regulation codes; one of them applies to the
  use case.
- ``answers``: question code to value; the risk questionnaire (its latest
  confirmed or overridden version) answered so. A list of values means any
  of them; an answer given as a list (several choices) holds when it
  contains the value.

The facts are read once per use case (``facts_of``) and every rule of a gate
is judged against them (``applies``), so a review's snapshot, its preview on
the open-review page and the crosswalk tell the same story.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from usecases.models import (
    RegulatoryConstraint,
    RiskClassification,
    RiskClassificationStatus,
    RiskTier,
    UseCase,
)

RULE_KEYS = ("risk_tiers", "regulations", "answers")
MAX_APPLICABILITY_CHARS = 300
_MAX_LIST = 20
_MAX_CODE = 80
_MAX_TEXT = 200


@dataclass(frozen=True)
class UseCaseFacts:
    """What applicability rules are judged against."""

    tier: str
    regulations: frozenset[str]
    answers: dict[str, Any] = field(default_factory=dict)


def facts_of(use_case: UseCase) -> UseCaseFacts:
    """The use case's tier and regulations, and the answers of its latest
    decided risk classification (one query)."""
    classification = (
        RiskClassification.objects.filter(
            use_case=use_case,
            status__in=[RiskClassificationStatus.CONFIRMED, RiskClassificationStatus.OVERRIDDEN],
        )
        .order_by("-version")
        .only("answers")
        .first()
    )
    answers = classification.answers if classification is not None else {}
    return UseCaseFacts(
        tier=use_case.risk_tier,
        regulations=frozenset(use_case.regulatory_constraints or ()),
        answers=answers if isinstance(answers, dict) else {},
    )


def _label(choices: type, code: str) -> str:
    return str(dict(choices.choices).get(code, code))


def _value_text(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return " or ".join(_value_text(v) for v in value)
    return str(value)


def _answer_holds(answer: Any, expected: Any) -> bool:
    options = expected if isinstance(expected, list) else [expected]
    if isinstance(answer, list):
        return any(option in answer for option in options)
    return answer in options


def applies(applies_when: dict[str, Any] | None, facts: UseCaseFacts) -> tuple[bool, str]:
    """Whether the rule holds for these facts, and why, in words a reader
    of the review page understands: ("Applies: EU AI Act and high risk") or
    ("Does not apply: needs high risk; this use case is low risk"). An empty
    rule always applies, with no reason to give."""
    if not applies_when:
        return True, ""
    met: list[str] = []
    missing: list[str] = []
    regulations = applies_when.get("regulations")
    if regulations:
        matched = [code for code in regulations if code in facts.regulations]
        if matched:
            met.append(" and ".join(_label(RegulatoryConstraint, c) for c in matched))
        else:
            wanted = " or ".join(_label(RegulatoryConstraint, c) for c in regulations)
            missing.append(f"needs {wanted}")
    tiers = applies_when.get("risk_tiers")
    if tiers:
        tier_label = _label(RiskTier, facts.tier).lower()
        if facts.tier in tiers:
            met.append(f"{tier_label} risk")
        else:
            wanted = " or ".join(_label(RiskTier, t).lower() for t in tiers)
            missing.append(f"needs {wanted} risk; this use case is {tier_label} risk")
    for question, expected in (applies_when.get("answers") or {}).items():
        answer = facts.answers.get(question)
        if answer is not None and _answer_holds(answer, expected):
            met.append(f"the answer to “{question}” is {_value_text(answer)}")
        else:
            missing.append(f"needs the answer to “{question}” to be {_value_text(expected)}")
    if missing:
        return False, _clip("Does not apply: " + "; ".join(missing))
    return True, _clip("Applies: " + " and ".join(met))


def _clip(text: str) -> str:
    if len(text) <= MAX_APPLICABILITY_CHARS:
        return text
    return text[: MAX_APPLICABILITY_CHARS - 1] + "…"


def _is_scalar(value: Any) -> bool:
    return (
        isinstance(value, bool)
        or (isinstance(value, int) and abs(value) < 10**9)
        or (isinstance(value, str) and 0 < len(value) <= _MAX_TEXT and "\x00" not in value)
    )


def _code_list(value: Any, key: str, allowed: dict[str, str], what: str) -> list[str]:
    if not isinstance(value, list) or not value:
        return [f"“{key}” must be a non-empty list of {what}."]
    if len(value) > _MAX_LIST:
        return [f"“{key}” lists at most {_MAX_LIST} values."]
    unknown = [str(v) for v in value if not isinstance(v, str) or v not in allowed]
    if unknown:
        return [
            f"Unknown {what} in “{key}”: {', '.join(unknown)[:_MAX_TEXT]}. "
            f"Use {', '.join(allowed)}."
        ]
    if len(set(value)) != len(value):
        return [f"“{key}” lists a value twice."]
    return []


def validation_errors(applies_when: Any) -> list[str]:
    """Everything wrong with a rule, each in a sentence an administrator can
    act on; empty when the rule is valid."""
    if applies_when in (None, {}):
        return []
    if not isinstance(applies_when, dict):
        return ['The rule must be an object, for example {"risk_tiers": ["high"]}.']
    errors: list[str] = []
    unknown = [str(k) for k in applies_when if k not in RULE_KEYS]
    if unknown:
        shown = ", ".join(unknown)[:_MAX_TEXT]
        errors.append(f"Unknown keys: {shown}. Use {', '.join(RULE_KEYS)}.")
    if "risk_tiers" in applies_when:
        errors += _code_list(
            applies_when["risk_tiers"], "risk_tiers", dict(RiskTier.choices), "risk tiers"
        )
    if "regulations" in applies_when:
        errors += _code_list(
            applies_when["regulations"],
            "regulations",
            dict(RegulatoryConstraint.choices),
            "regulation codes",
        )
    if "answers" in applies_when:
        answers = applies_when["answers"]
        if not isinstance(answers, dict) or not answers:
            errors.append("“answers” must be a non-empty object of question code to value.")
        else:
            for question, expected in answers.items():
                if not question or len(question) > _MAX_CODE or "\x00" in question:
                    errors.append("Each question code in “answers” is 1 to 80 characters.")
                elif not (
                    _is_scalar(expected)
                    or (
                        isinstance(expected, list)
                        and 0 < len(expected) <= _MAX_LIST
                        and all(_is_scalar(v) for v in expected)
                    )
                ):
                    errors.append(
                        f"The value for “{question[:_MAX_CODE]}” in “answers” must be text, "
                        "a number, true or false, or a list of them."
                    )
    return errors


def validate_applies_when(applies_when: Any) -> None:
    """Raise Django's ``ValidationError`` naming every problem (model
    validation: the admin and the framework services both run it)."""
    from django.core.exceptions import ValidationError

    errors = validation_errors(applies_when)
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class Judged:
    """One criterion or artifact type of a gate judged for a use case."""

    row: Any
    applies: bool
    reason: str

    @property
    def conditional(self) -> bool:
        return bool(self.row.applies_when)


def judge(rows: Any, facts: UseCaseFacts) -> list[Judged]:
    """Each row (criterion or artifact type) with whether it applies and why."""
    judged = []
    for row in rows:
        holds, reason = applies(row.applies_when, facts)
        judged.append(Judged(row=row, applies=holds, reason=reason))
    return judged


@dataclass(frozen=True)
class GatePreview:
    """What a use case will face at a gate beyond the criteria and artifacts
    every use case faces: the conditional ones that apply, and those that do
    not, each with why."""

    criteria: list[Judged]
    artifact_types: list[Judged]

    @property
    def extra_criteria(self) -> list[Judged]:
        return [j for j in self.criteria if j.conditional and j.applies]

    @property
    def extra_artifact_types(self) -> list[Judged]:
        return [j for j in self.artifact_types if j.conditional and j.applies]

    @property
    def skipped(self) -> list[Judged]:
        return [j for j in (*self.criteria, *self.artifact_types) if not j.applies]

    @property
    def has_extra(self) -> bool:
        return bool(self.extra_criteria or self.extra_artifact_types)


def gate_preview(template: Any, use_case: UseCase) -> GatePreview:
    """The gate's rules judged for the use case, as ``review_open`` will
    snapshot them (three queries: the facts, criteria, artifact types)."""
    facts = facts_of(use_case)
    # .all() and sorted here: a template read with its criteria and artifact
    # types prefetched (the use case page's gate ahead) asks for no more.
    criteria = sorted(template.criteria.all(), key=lambda c: (c.order, c.pk))
    artifact_types = sorted(
        (t for t in template.artifact_types.all() if t.is_active and t.required),
        key=lambda t: (t.order, t.pk),
    )
    return GatePreview(criteria=judge(criteria, facts), artifact_types=judge(artifact_types, facts))
