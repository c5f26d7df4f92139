from __future__ import annotations

import datetime

import pytest
import time_machine

from readiness.models import StageNorm
from readiness.selectors import annotate_overdue_stalled, readiness_summary
from tests.factories import UseCaseFactory
from usecases.models import UseCase

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def test_it_seeds_the_seed_durations_and_no_norm_for_scale(db):
    norms = {n.stage: n.describe() for n in StageNorm.objects.all()}
    assert norms == {
        "discovery": "2–4 weeks",
        "poc": "4–8 weeks",
        "pilot": "8–16 weeks",
        "production": "4–8 weeks",
    }


@pytest.fixture
def started(use_case):
    UseCase.objects.filter(pk=use_case.pk).update(stage_entered_at=START, last_activity_at=START)
    return use_case


def _flags(use_case, now):
    row = annotate_overdue_stalled(UseCase.objects.filter(pk=use_case.pk), now=now).get()
    return row.is_overdue, row.is_stalled


@pytest.mark.parametrize(
    ("days", "overdue", "stalled"),
    [
        (20, False, False),
        (21, False, False),
        (22, False, True),
        (28, False, True),
        (29, True, True),
    ],
)
def test_it_flags_overdue_past_the_norm_and_stalled_after_21_quiet_days(
    started, days, overdue, stalled
):
    now = START + datetime.timedelta(days=days, minutes=1 if days in (22, 29) else 0)
    assert _flags(started, now) == (overdue, stalled)
    with time_machine.travel(now, tick=False):
        started.refresh_from_db()
        timing = readiness_summary(use_case=started).timing
    assert (timing.overdue, timing.stalled, timing.days_in_stage) == (overdue, stalled, days)


def test_it_takes_stalled_days_from_the_setting(started, settings):
    settings.STALLED_AFTER_DAYS = 7
    assert _flags(started, START + datetime.timedelta(days=8)) == (False, True)


def test_it_uses_edited_norms(started):
    StageNorm.objects.filter(stage="discovery").update(min_days=5, max_days=10)
    assert _flags(started, START + datetime.timedelta(days=11)) == (True, False)


def test_it_never_flags_a_use_case_on_hold(started):
    UseCase.objects.filter(pk=started.pk).update(status="on_hold")
    assert _flags(started, START + datetime.timedelta(days=90)) == (False, False)


def test_it_filters_the_portfolio(business_unit):
    with time_machine.travel(START, tick=False):
        old = UseCaseFactory(business_unit=business_unit)
    fresh = UseCaseFactory(business_unit=business_unit)
    overdue = annotate_overdue_stalled(UseCase.objects.all()).filter(is_overdue=True)
    assert list(overdue.values_list("pk", flat=True)) == [old.pk] != [fresh.pk]
