"""Gate 3 for two use cases at the same stage: the EU AI Act high-risk one
faces the regulated criteria and artifacts, each with why and the controls it
cites; the low-risk one faces the framework's own. The default data names
them; a missing regulated artifact blocks submission."""

from __future__ import annotations

import pytest

from core.errors import TransitionRefused
from core.models import AuditEvent
from gates import services
from gates.models import ArtifactType, Control, GateCriterion, GateTemplate
from tests.gates.helpers import assess_all, isolate, text_file

pytestmark = pytest.mark.django_db

EU_HIGH = {"risk_tiers": ["high"], "regulations": ["eu_ai_act"]}
FRAMEWORK_CRITERIA = [
    "System stability",
    "Adoption",
    "Outcome evidence",
    "Operations readiness",
    "Production funding",
    "Change management",
]
EU_CRITERIA = [
    "Fundamental rights impact",
    "Human oversight",
    "Technical documentation",
    "Data governance",
    "Logging and record-keeping",
]
FRAMEWORK_ARTIFACTS = [
    "Pilot outcomes report",
    "Adoption metrics",
    "Operations runbook",
    "Production funding approval",
    "Change management completion summary",
    "Updated risk assessment",
]
EU_ARTIFACTS = [
    "Fundamental rights impact assessment",
    "Human oversight plan",
    "Technical documentation",
    "Data governance record",
    "Logging and record-keeping evidence",
]


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


def test_the_default_data_adds_the_regulated_gate_3_evidence_with_its_rules():
    gate3 = GateTemplate.objects.get(number=3)
    types = {t.code: t for t in ArtifactType.objects.filter(template=gate3)}
    expected = {
        "g3-fundamental-rights-impact-assessment": (
            EU_HIGH,
            12,
            {"Art. 27", "6.1.4", "8.4", "MAP 5.1"},
        ),
        "g3-human-oversight-plan": (EU_HIGH, None, {"Art. 14", "GOVERN 3.2"}),
        "g3-technical-documentation": (EU_HIGH, None, {"Art. 11", "Art. 13", "A.6.2.7"}),
        "g3-data-governance-record": (EU_HIGH, None, {"Art. 10", "A.7"}),
        "g3-logging-and-record-keeping-evidence": (EU_HIGH, None, {"Art. 12", "A.6.2.8"}),
        "g3-phi-protection-assessment": ({"regulations": ["hipaa"]}, 12, {"MEASURE 2.10"}),
        "g3-sox-control-test-evidence": ({"regulations": ["sox"]}, None, {"GOVERN 1.1"}),
        "g3-adverse-action-explanation-method": (
            {"regulations": ["fcra"]},
            None,
            {"MEASURE 2.9", "GOVERN 1.1"},
        ),
    }
    for code, (rule, months, references) in expected.items():
        row = types[code]
        assert row.applies_when == rule, code
        assert row.validity_months == months, code
        assert row.required and row.is_active
        assert {c.reference for c in row.controls.all()} == references, code
    criteria = {c.name: c for c in GateCriterion.objects.filter(template=gate3)}
    for name in EU_CRITERIA:
        assert criteria[name].applies_when == EU_HIGH
        assert criteria[name].must_meet
        assert criteria[name].controls.exists()
    assert criteria["PHI protection"].applies_when == {"regulations": ["hipaa"]}
    assert criteria["Financial reporting controls"].applies_when == {"regulations": ["sox"]}
    assert criteria["Adverse-action explanation"].applies_when == {"regulations": ["fcra"]}
    # The framework's own rows still apply to every use case.
    assert all(criteria[name].applies_when == {} for name in FRAMEWORK_CRITERIA)


def test_the_default_data_holds_the_three_frameworks_and_maps_the_seed_risk_assessments():
    references = set(Control.objects.values_list("framework", "reference"))
    for article in ["9", "10", "11", "12", "13", "14", "15", "27", "50"]:
        assert ("eu_ai_act", f"Art. {article}") in references
    for clause in ["6.1.2", "6.1.4", "8.4", "A.7", "A.6.2.8"]:
        assert ("iso_42001", clause) in references
    for function in ["GOVERN", "MAP", "MEASURE", "MANAGE", "MAP 1.1", "MANAGE 4.1"]:
        assert ("nist_ai_rmf", function) in references
    assert (
        Control.objects.get(framework="eu_ai_act", reference="Art. 14").title == "Human oversight"
    )
    risk = ArtifactType.objects.get(code="g1-preliminary-risk-assessment")
    assert {(c.framework, c.reference) for c in risk.controls.all()} == {
        ("eu_ai_act", "Art. 9"),
        ("iso_42001", "6.1.2"),
        ("nist_ai_rmf", "MAP"),
    }


def test_two_use_cases_at_gate_3_with_different_risk_face_different_gates(lead, eu_high, low):
    regulated = services.review_open(use_case=eu_high, by=lead)
    plain = services.review_open(use_case=low, by=lead)

    assert list(plain.criteria.values_list("name", "applicability")) == [
        (name, "") for name in FRAMEWORK_CRITERIA
    ]
    assert [r.artifact_type.name for r in plain.artifact_requirements.all()] == FRAMEWORK_ARTIFACTS
    assert list(regulated.criteria.values_list("name", "applicability")) == [
        *((name, "") for name in FRAMEWORK_CRITERIA),
        *((name, "Applies: EU AI Act and high risk") for name in EU_CRITERIA),
    ]
    requirements = list(regulated.artifact_requirements.select_related("artifact_type"))
    assert [(r.artifact_type.name, r.applicability) for r in requirements] == [
        *((name, "") for name in FRAMEWORK_ARTIFACTS),
        *((name, "Applies: EU AI Act and high risk") for name in EU_ARTIFACTS),
    ]
    # No HIPAA, SOX or FCRA evidence for a use case none of them applies to.
    assert not regulated.criteria.filter(name="PHI protection").exists()


def test_it_copies_the_cited_controls_onto_the_review_and_records_why(lead, eu_high):
    review = services.review_open(use_case=eu_high, by=lead)

    oversight = review.criteria.get(name="Human oversight")
    assert {c.reference for c in oversight.controls.all()} == {"Art. 14", "GOVERN 3.2"}
    operations = review.criteria.get(name="Operations readiness")
    assert {c.reference for c in operations.controls.all()} == {"A.6.2.6", "MANAGE 4.1"}
    # A later edit of the template's citations leaves the review's snapshot alone.
    GateCriterion.objects.get(template__number=3, name="Human oversight").controls.clear()
    assert oversight.controls.count() == 2
    event = AuditEvent.objects.get(action="review.opened", object_id=str(review.pk))
    assert "Human oversight: Applies: EU AI Act and high risk" in event.payload["applicable"]
    assert "Human oversight plan: Applies: EU AI Act and high risk" in event.payload["applicable"]


def test_it_snapshots_the_rules_of_each_regulation(lead, team, cio, risk):
    hipaa = services.review_open(use_case=team(regulatory_constraints=["hipaa"]), by=lead)
    sox_fcra = services.review_open(use_case=team(regulatory_constraints=["sox", "fcra"]), by=lead)

    def extra(review) -> list[tuple[str, str]]:
        return list(
            review.artifact_requirements.exclude(applicability="").values_list(
                "artifact_type__name", "applicability"
            )
        )

    assert extra(hipaa) == [("PHI protection assessment", "Applies: HIPAA")]
    assert extra(sox_fcra) == [
        ("SOX control-test evidence", "Applies: SOX"),
        ("Adverse-action explanation method", "Applies: FCRA"),
    ]
    assert list(sox_fcra.criteria.exclude(applicability="").values_list("name", flat=True)) == [
        "Financial reporting controls",
        "Adverse-action explanation",
    ]


def test_a_missing_regulated_artifact_blocks_submission(lead, sponsor, eu_high, low):
    review = services.review_open(use_case=eu_high, by=lead)
    for requirement in review.artifact_requirements.select_related("artifact_type"):
        if requirement.artifact_type.code != "g3-human-oversight-plan":
            services.artifact_upload(
                use_case=eu_high,
                by=sponsor,
                artifact_type=requirement.artifact_type,
                file=text_file(f"{requirement.artifact_type.code}.md"),
            )
    assess_all(review, sponsor)

    with pytest.raises(TransitionRefused) as caught:
        services.review_submit(review=review, by=sponsor)

    assert any("Human oversight plan" in reason for reason in caught.value.reasons)
    review.refresh_from_db()
    assert review.status == "open"


def test_an_applicability_rule_on_questionnaire_answers_decides_at_opening(lead, team, cio, risk):
    from tests.factories import classify
    from usecases import risk as questionnaire

    criterion = GateCriterion.objects.create(
        template=GateTemplate.objects.get(number=3),
        order=99,
        name="Credit decisions explained",
        requirement="Reasons are given for each credit decision.",
        applies_when={"answers": {"automated_decisions": True}},
    )
    # Both are classified through the services; only one answered "yes".
    answered = team()
    classify(
        answered,
        answers=questionnaire.blank_answers() | {"automated_decisions": True},
        officer=risk,
    )
    answered_no = team()

    review = services.review_open(use_case=answered, by=lead)
    other = services.review_open(use_case=answered_no, by=lead)

    assert review.criteria.get(source=criterion).applicability.startswith(
        "Applies: the answer to “automated_decisions”"
    )
    assert not other.criteria.filter(source=criterion).exists()
