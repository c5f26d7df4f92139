"""Gate 4's "Adoption at scale" criterion bound to "adoption at or above the
pilot rate": met while the latest validated wave's adoption is at or above
the pilot's, assessed again at each validation and pilot change."""

from __future__ import annotations

import pytest

from gates import services as gate_services
from gates.models import AssessmentStatus
from tests.gates.helpers import pass_gate
from tests.value.rollout_helpers import days_ago, pass_wave, planned
from value.services import rollout, rules

pytestmark = pytest.mark.django_db


@pytest.fixture
def gate4(use_case, lead, sponsor, cio):
    """The Gate 4 review open on a use case in Production; its "Adoption at
    scale" criterion bound to adoption against the pilot ≥ 0."""
    for _ in range(3):
        pass_gate(use_case, lead, sponsor)
    review = gate_services.review_open(use_case=use_case, by=lead)
    assert review.gate_number == 4
    criterion = review.criteria.get(name="Adoption at scale")
    rules.value_rule_bind(
        review_criterion=criterion, by=lead, metric="adoption_vs_pilot", operator=">=", threshold=0
    )
    return review, criterion


def test_it_waits_for_the_pilot_rate_and_a_validated_wave(gate4, use_case, sponsor):
    _, criterion = gate4
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.NOT_MET
    assert criterion.evidence == (
        "The pilot's adoption rate is not recorded "
        "(rule: Adoption against the pilot rate (points) ≥ 0)"
    )

    planned(use_case, sponsor, pilot_adoption="64")
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.NOT_MET
    assert criterion.evidence.startswith("No rollout wave validated yet (pilot adoption 64%)")


def test_a_wave_at_or_above_the_pilot_rate_meets_it_a_later_one_below_does_not(
    gate4, use_case, sponsor, techlead
):
    review, criterion = gate4
    first, second, _ = planned(use_case, sponsor, pilot_adoption="64")

    pass_wave(first, sponsor, started=40, validated=30, adoption="70")
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.MET
    assert criterion.evidence.startswith(
        f"Wave 1 (25%) adoption 70% on {days_ago(30).isoformat()} against the pilot's 64%: "
        "+6 points"
    )

    rollout.wave_start(wave=second, by=techlead, started_on=days_ago(20))
    rollout.wave_validate(
        wave=second,
        by=techlead,
        validated_on=days_ago(5),
        stable=True,
        adoption_percent="60",
        note="Second region slower.",
    )
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.NOT_MET
    assert "against the pilot's 64%: −4 points" in criterion.evidence
    assert criterion.assessed_by == techlead


def test_a_lower_pilot_rate_recorded_later_meets_it(gate4, use_case, sponsor):
    _, criterion = gate4
    first, _, _ = planned(use_case, sponsor, pilot_adoption="80")
    rollout.wave_start(wave=first, by=sponsor, started_on=days_ago(20))
    rollout.wave_validate(
        wave=first, by=sponsor, validated_on=days_ago(5), stable=True, adoption_percent="75"
    )
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.NOT_MET

    rollout.pilot_scope_set(
        use_case=use_case,
        by=sponsor,
        unit="users",
        pilot_units=100,
        target_units=1000,
        adoption_percent="75",
    )
    criterion.refresh_from_db()
    assert criterion.status == AssessmentStatus.MET
