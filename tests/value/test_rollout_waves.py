"""Production waves: planned (25%, 50%, 100% by default), started in order
once the wave before passed its validation, validated for stability and
adoption against the wave's threshold; a failed validation is recorded
again later, each one in the audit trail."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from tests.value.rollout_helpers import days_ago, pass_wave, planned
from value.models import RolloutWave
from value.services import rollout

pytestmark = pytest.mark.django_db


def _waves(use_case):
    return list(RolloutWave.objects.filter(use_case=use_case).order_by("order"))


def test_the_default_plan_is_25_50_100_at_the_pilots_adoption_rate(use_case, sponsor):
    planned(use_case, sponsor, pilot_adoption="64")

    waves = _waves(use_case)
    assert [w.share_percent for w in waves] == [Decimal("25"), Decimal("50"), Decimal("100")]
    assert {w.adoption_threshold_percent for w in waves} == {Decimal("64")}
    event = AuditEvent.objects.get(action="rollout.planned")
    assert event.summary == "Rollout planned in waves of 25%, 50%, 100%"
    assert event.payload["default_threshold"]["source"] == "the pilot's adoption rate"


def test_without_a_pilot_rate_the_default_threshold_is_60(use_case, sponsor):
    planned(use_case, sponsor, pilot_adoption=None)

    assert {w.adoption_threshold_percent for w in _waves(use_case)} == {Decimal("60")}


def test_a_plan_of_its_own_with_dates_and_thresholds(use_case, lead):
    rollout.waves_plan(
        use_case=use_case,
        by=lead,
        waves=[
            {"share_percent": "20", "planned_date": "2027-01-10", "adoption_threshold_percent": 55},
            {"share_percent": "100", "planned_date": "2027-03-01"},
        ],
    )

    first, last = _waves(use_case)
    assert (first.share_percent, str(first.planned_date), first.adoption_threshold_percent) == (
        Decimal("20"),
        "2027-01-10",
        Decimal("55"),
    )
    assert last.adoption_threshold_percent == Decimal("60")


@pytest.mark.parametrize(
    ("waves", "field"),
    [
        (
            [{"share_percent": 50}, {"share_percent": 50}, {"share_percent": 100}],
            "waves.1.share_percent",
        ),
        (
            [{"share_percent": 50}, {"share_percent": 25}, {"share_percent": 100}],
            "waves.1.share_percent",
        ),
        ([{"share_percent": 25}, {"share_percent": 90}], "waves.1.share_percent"),
        ([{"share_percent": 0}, {"share_percent": 100}], "waves.0.share_percent"),
        ([{"share_percent": 100.5}], "waves.0.share_percent"),
        (
            [{"share_percent": 100, "adoption_threshold_percent": -1}],
            "waves.0.adoption_threshold_percent",
        ),
        (
            [
                {"share_percent": 50, "planned_date": "2027-03-01"},
                {"share_percent": 100, "planned_date": "2027-02-01"},
            ],
            "waves.1.planned_date",
        ),
        ([{"share_percent": 100, "planned_date": "soon"}], "waves.0.planned_date"),
        ([], "waves"),
        ([{"share_percent": 10 * n} for n in range(1, 11)] + [{"share_percent": 100}], "waves"),
    ],
)
def test_a_bad_plan_is_refused_and_changes_nothing(use_case, sponsor, waves, field):
    with pytest.raises(InvalidInput) as caught:
        rollout.waves_plan(use_case=use_case, by=sponsor, waves=waves)

    assert caught.value.field == field
    assert not RolloutWave.objects.exists()


def test_it_can_be_planned_again_until_a_wave_starts(use_case, sponsor):
    planned(use_case, sponsor)
    rollout.waves_plan(
        use_case=use_case, by=sponsor, waves=[{"share_percent": 50}, {"share_percent": 100}]
    )
    assert len(_waves(use_case)) == 2

    rollout.wave_start(wave=_waves(use_case)[0], by=sponsor, started_on=days_ago(1))
    with pytest.raises(TransitionRefused) as caught:
        rollout.waves_plan(use_case=use_case, by=sponsor)

    assert (
        caught.value.message == "The rollout has started: its waves can no longer be planned again."
    )
    assert len(_waves(use_case)) == 2


def test_the_first_wave_starts_at_any_time_the_next_only_after_it_passed(use_case, sponsor):
    first, second, _ = planned(use_case, sponsor)

    with pytest.raises(TransitionRefused) as caught:
        rollout.wave_start(wave=second, by=sponsor, started_on=days_ago(1))
    assert caught.value.message == "Wave 2 starts once wave 1 passed its validation."
    assert caught.value.reasons == ["Wave 1 has not been validated yet."]

    rollout.wave_start(wave=first, by=sponsor, started_on=days_ago(20))
    first.refresh_from_db()
    assert first.started_on == days_ago(20)
    assert AuditEvent.objects.filter(action="rollout_wave.started").count() == 1


def test_a_failed_validation_blocks_the_next_wave_and_is_recorded_again_later(
    use_case, sponsor, techlead
):
    first, second, _ = planned(use_case, sponsor, pilot_adoption="64")
    rollout.wave_start(wave=first, by=sponsor, started_on=days_ago(30))

    rollout.wave_validate(
        wave=first,
        by=sponsor,
        validated_on=days_ago(20),
        stable=True,
        adoption_percent="58",
        note="",
    )
    first.refresh_from_db()
    assert first.passed is False  # 58% against 64%
    with pytest.raises(TransitionRefused) as caught:
        rollout.wave_start(wave=second, by=sponsor, started_on=days_ago(5))
    assert caught.value.reasons == [
        f"Wave 1's validation on {days_ago(20).isoformat()} failed: "
        "stable, adoption 58% against 64%."
    ]

    rollout.wave_validate(
        wave=first,
        by=techlead,
        validated_on=days_ago(10),
        stable=True,
        adoption_percent="66",
        note="Better.",
    )
    first.refresh_from_db()
    assert first.passed is True
    assert first.validated_by == techlead
    history = list(AuditEvent.objects.filter(action="rollout_wave.validated").order_by("seq"))
    assert [e.payload["passed"] for e in history] == [False, True]
    assert history[1].payload["before"]["adoption_percent"] == "58.00"

    rollout.wave_start(wave=second, by=sponsor, started_on=days_ago(5))
    second.refresh_from_db()
    assert second.started_on == days_ago(5)


def test_an_unstable_wave_fails_whatever_its_adoption(use_case, sponsor):
    first, _, _ = planned(use_case, sponsor)
    rollout.wave_start(wave=first, by=sponsor, started_on=days_ago(30))
    rollout.wave_validate(
        wave=first,
        by=sponsor,
        validated_on=days_ago(2),
        stable=False,
        adoption_percent="90",
        note="Outages.",
    )
    first.refresh_from_db()
    assert first.passed is False


def test_adoption_exactly_at_the_threshold_passes(use_case, sponsor):
    first, _, _ = planned(use_case, sponsor, pilot_adoption="64")
    passed = pass_wave(first, sponsor, started=30, validated=2, adoption="64")
    assert passed.passed is True


def test_a_passed_validation_stands(use_case, sponsor):
    first, _, _ = planned(use_case, sponsor)
    pass_wave(first, sponsor, started=30, validated=2)

    with pytest.raises(TransitionRefused) as caught:
        rollout.wave_validate(
            wave=first, by=sponsor, validated_on=days_ago(1), stable=False, adoption_percent="1"
        )
    assert caught.value.message == "Wave 1 has passed its validation."


def test_a_wave_is_validated_only_once_started_and_not_before_its_start(use_case, sponsor):
    first, _, _ = planned(use_case, sponsor)
    with pytest.raises(TransitionRefused):
        rollout.wave_validate(
            wave=first, by=sponsor, validated_on=days_ago(1), stable=True, adoption_percent="70"
        )
    rollout.wave_start(wave=first, by=sponsor, started_on=days_ago(5))
    with pytest.raises(InvalidInput) as caught:
        rollout.wave_validate(
            wave=first, by=sponsor, validated_on=days_ago(6), stable=True, adoption_percent="70"
        )
    assert caught.value.field == "validated_on"


def test_dates_in_the_future_and_double_starts_are_refused(use_case, sponsor):
    first, second, _ = planned(use_case, sponsor)
    with pytest.raises(InvalidInput) as caught:
        rollout.wave_start(wave=first, by=sponsor, started_on=days_ago(-1))
    assert caught.value.field == "started_on"

    pass_wave(first, sponsor, started=30, validated=10)
    with pytest.raises(TransitionRefused):
        rollout.wave_start(wave=first, by=sponsor, started_on=days_ago(1))
    with pytest.raises(InvalidInput) as caught:
        rollout.wave_start(
            wave=second, by=sponsor, started_on=days_ago(11)
        )  # before wave 1's validation
    assert caught.value.field == "started_on"


@pytest.mark.parametrize(
    ("stable", "adoption", "field"),
    [("yes", "70", "stable"), (True, None, "adoption_percent"), (True, "101", "adoption_percent")],
)
def test_a_bad_validation_is_refused_and_changes_nothing(
    use_case, sponsor, stable, adoption, field
):
    first, _, _ = planned(use_case, sponsor)
    rollout.wave_start(wave=first, by=sponsor, started_on=days_ago(5))

    with pytest.raises(InvalidInput) as caught:
        rollout.wave_validate(
            wave=first,
            by=sponsor,
            validated_on=days_ago(1),
            stable=stable,
            adoption_percent=adoption,
        )

    assert caught.value.field == field
    first.refresh_from_db()
    assert first.validated_on is None


@pytest.mark.parametrize("who", ["contributor", "executive", "outsider"])
def test_only_leads_the_sponsor_and_the_technical_lead_plan_start_and_validate(
    use_case, sponsor, request, who
):
    first, _, _ = planned(use_case, sponsor)
    person = request.getfixturevalue(who)

    with pytest.raises(PermissionRefused):
        rollout.waves_plan(use_case=use_case, by=person)
    with pytest.raises(PermissionRefused):
        rollout.wave_start(wave=first, by=person, started_on=days_ago(1))
    first.refresh_from_db()
    assert first.started_on is None
