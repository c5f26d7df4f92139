"""The framework as default data (the data migration) and the snapshot a
review keeps when an administrator edits the template afterwards."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db.models import F

from gates.models import (
    ApproverCondition,
    ApproverRoleKind,
    ArtifactType,
    GateApproverRole,
    GateCriterion,
    GateTemplate,
)
from tests.factories import UseCaseFactory
from tests.gates.helpers import advance, isolate, make_open_review
from usecases import services as usecase_services
from usecases.models import RiskTier, Stage

SEED = Path("/work/shared/seeds/stage-gate-framework.md")


def seed_criteria(gate: int) -> list[tuple[str, str]]:
    """The seed's "Gate N Decision Criteria" table, row by row."""
    lines = SEED.read_text().splitlines()
    start = lines.index(f"Gate {gate} Decision Criteria:")
    rows = []
    for line in lines[start + 3 :]:
        if not line.startswith("|"):
            break
        name, requirement = (cell.strip() for cell in line.strip("|").split("|"))
        rows.append((name, requirement))
    return rows


def seed_list(gate: int, heading: str) -> list[str]:
    match = re.search(rf"^Gate {gate} {heading}: (.+)\.$", SEED.read_text(), re.MULTILINE)
    return [item.strip() for item in match.group(1).split(",")]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


@pytest.mark.django_db
def test_it_seeds_four_gates_between_the_five_stages_and_the_recertification():
    gates = list(GateTemplate.objects.order_by("number"))
    assert [(g.number, g.from_stage, g.to_stage) for g in gates] == [
        (1, Stage.DISCOVERY, Stage.POC),
        (2, Stage.POC, Stage.PILOT),
        (3, Stage.PILOT, Stage.PRODUCTION),
        (4, Stage.PRODUCTION, Stage.SCALE),
        (5, Stage.SCALE, Stage.SCALE),
    ]
    assert [g.name for g in gates] == [
        "Gate 1: Discovery to POC",
        "Gate 2: POC to Pilot",
        "Gate 3: Pilot to Production",
        "Gate 4: Production to Scale",
        "Recertification: Scale in operation",
    ]
    assert [g.label for g in gates] == [
        "Gate 1",
        "Gate 2",
        "Gate 3",
        "Gate 4",
        "Recertification",
    ]
    assert all(g.version == 1 for g in gates)


@pytest.mark.django_db
@pytest.mark.parametrize("gate", [1, 2, 3, 4])
def test_it_seeds_the_decision_criteria_word_for_word(gate):
    # The seed's criteria apply to every use case; regulated ones carry a rule.
    criteria = GateCriterion.objects.filter(template__number=gate, applies_when={}).order_by(
        "order"
    )
    assert [(c.name, c.requirement) for c in criteria] == seed_criteria(gate)
    assert all(c.must_meet for c in criteria)


@pytest.mark.django_db
def test_it_keeps_full_requirement_strings_from_the_seed():
    requirements = set(GateCriterion.objects.values_list("requirement", flat=True))
    assert "Quantified outcome with executive sign-off on the assumption" in requirements
    assert (
        "Model meets or exceeds defined accuracy, precision, or other performance threshold"
        in requirements
    )
    assert "Usage rate among pilot users meets defined threshold (typically 60%+)" in requirements
    assert (
        "Retraining, monitoring, and incident response processes running without AI program "
        "involvement" in requirements
    )
    # Gates 1-4, then the Recertification's six.
    assert GateCriterion.objects.filter(applies_when={}).count() == 5 + 5 + 6 + 5 + 6


@pytest.mark.django_db
@pytest.mark.parametrize("gate", [1, 2, 3, 4])
def test_it_seeds_the_required_artifact_types(gate):
    types = ArtifactType.objects.filter(template__number=gate, applies_when={}).order_by("order")
    assert [t.name.lower() for t in types] == [a.lower() for a in seed_list(gate, "Artifacts")]
    assert all(t.required and t.is_active for t in types)
    assert all(t.code.startswith(f"g{gate}-") for t in types)


@pytest.mark.django_db
def test_it_seeds_the_approver_roles_of_each_gate():
    def roles(gate):
        return [
            (r.role, r.condition)
            for r in GateApproverRole.objects.filter(template__number=gate).order_by("order")
        ]

    always, if_applicable = ApproverCondition.ALWAYS, ApproverCondition.IF_APPLICABLE
    assert roles(1) == [(ApproverRoleKind.PROGRAM_LEAD, always), (ApproverRoleKind.SPONSOR, always)]
    assert roles(2) == [
        (ApproverRoleKind.PROGRAM_LEAD, always),
        (ApproverRoleKind.TECHNICAL_LEAD, always),
        (ApproverRoleKind.SPONSOR, always),
    ]
    assert roles(3) == [
        (ApproverRoleKind.PROGRAM_LEAD, always),
        (ApproverRoleKind.CIO_CTO, always),
        (ApproverRoleKind.BUSINESS_UNIT_HEAD, always),
        (ApproverRoleKind.RISK_COMPLIANCE, if_applicable),
    ]
    assert roles(4) == [
        (ApproverRoleKind.BUSINESS_UNIT_HEAD, always),
        (ApproverRoleKind.PROGRAM_LEAD, always),
    ]
    # The seed names the same people, in words.
    assert seed_list(3, "Approvers")[-1] == "risk or compliance (if applicable)"


@pytest.mark.parametrize(
    ("risk_tier", "constraints", "risk_approves"),
    [
        (RiskTier.MEDIUM, [], False),
        (RiskTier.LOW, [], False),
        (RiskTier.HIGH, [], True),
        (RiskTier.MEDIUM, ["hipaa"], True),
    ],
)
def test_it_asks_risk_and_compliance_at_gate_3_only_when_high_risk_or_regulated(
    lead, sponsor, cio, risk, buhead, use_case, risk_tier, constraints, risk_approves
):
    if (risk_tier, constraints) != (use_case.risk_tier, use_case.regulatory_constraints):
        # Lowering is the risk officer's reclassification; it covers raising too.
        usecase_services.usecase_reclassify(
            use_case=use_case,
            by=risk,
            risk_tier=risk_tier,
            regulatory_constraints=constraints,
            reason="Classified for the test.",
        )
    advance(use_case, lead, sponsor, gates=2)
    assert use_case.stage == Stage.PILOT

    review = make_open_review(use_case, lead)

    approvers = {row.user.username: row.roles for row in review.approvers.select_related("user")}
    expected = {
        "lead": [ApproverRoleKind.PROGRAM_LEAD],
        "cio": [ApproverRoleKind.CIO_CTO],
        "buhead": [ApproverRoleKind.BUSINESS_UNIT_HEAD],
    }
    if risk_approves:
        expected["risk"] = [ApproverRoleKind.RISK_COMPLIANCE]
    assert approvers == expected


@pytest.mark.django_db
def test_it_keeps_the_snapshot_when_the_template_is_edited_after_the_review_opened(
    lead, sponsor, business_unit, use_case
):
    review = make_open_review(use_case, lead)
    original = [(c.name, c.requirement, c.must_meet) for c in review.criteria.order_by("order")]

    # What the admin does: edit a criterion, add one, make one optional, bump the version.
    template = GateTemplate.objects.get(number=1)
    first = template.criteria.order_by("order").first()
    first.requirement = "Edited requirement"
    first.must_meet = False
    first.save()
    GateCriterion.objects.create(template=template, order=9, name="New", requirement="Added")
    GateTemplate.objects.filter(pk=template.pk).update(version=F("version") + 1)

    review.refresh_from_db()
    assert review.template_version == 1
    assert [(c.name, c.requirement, c.must_meet) for c in review.criteria.order_by("order")] == (
        original
    )
    assert original[0] == (
        "Business value",
        "Quantified outcome with executive sign-off on the assumption",
        True,
    )

    # A review opened afterwards takes the edited template.
    other = UseCaseFactory(business_unit=business_unit, sponsor=sponsor)
    later = make_open_review(other, lead)
    assert later.template_version == 2
    criteria = list(later.criteria.order_by("order"))
    assert (criteria[0].requirement, criteria[0].must_meet) == ("Edited requirement", False)
    assert criteria[-1].name == "New"
    assert len(criteria) == 6


@pytest.mark.django_db
def test_it_keeps_the_snapshot_when_a_criterion_is_deleted_from_the_template(lead, use_case):
    review = make_open_review(use_case, lead)
    GateCriterion.objects.filter(template__number=1, name="Risk").delete()

    names = list(review.criteria.order_by("order").values_list("name", flat=True))
    assert names == [
        "Business value",
        "Data availability",
        "Process maturity",
        "Risk",
        "Sponsorship",
    ]
    assert review.criteria.get(name="Risk").source is None
