"""Rollout test helpers: real services, as people would use them."""

from __future__ import annotations

import datetime

from value.services import rollout

DAY = datetime.timedelta(days=1)


def days_ago(n: int) -> datetime.date:
    from django.utils import timezone

    return timezone.localdate() - n * DAY


def planned(use_case, by, *, pilot_adoption: str | None = "64"):
    """A pilot of 100 of 1,000 users (10%) and the default waves."""
    rollout.pilot_scope_set(
        use_case=use_case,
        by=by,
        unit="users",
        pilot_units=100,
        target_units=1000,
        adoption_percent=pilot_adoption,
    )
    return rollout.waves_plan(use_case=use_case, by=by)


def pass_wave(wave, by, *, started: int, validated: int, adoption: str = "70"):
    rollout.wave_start(wave=wave, by=by, started_on=days_ago(started))
    return rollout.wave_validate(
        wave=wave,
        by=by,
        validated_on=days_ago(validated),
        stable=True,
        adoption_percent=adoption,
        note="Stable for two weeks.",
    )
