from __future__ import annotations

import pytest

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from readiness import services
from readiness.models import PocScorecard, ScorecardBand, ScorecardItem
from tests.readiness.helpers import to_poc


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (6, ScorecardBand.MORE_POC),
        (17, ScorecardBand.MORE_POC),
        (18, ScorecardBand.CONDITIONAL),
        (23, ScorecardBand.CONDITIONAL),
        (24, ScorecardBand.RECOMMENDED),
        (30, ScorecardBand.RECOMMENDED),
    ],
)
def test_it_bands_totals_at_the_seed_thresholds(total, band):
    assert services.scorecard_band(total) == band


def test_it_seeds_the_six_items_with_the_seed_descriptions_word_for_word(db):
    items = list(ScorecardItem.objects.order_by("order"))
    assert [i.name for i in items] == [
        "Business KPI improvement",
        "Front-line user acceptance",
        "Data quality stability",
        "Integration feasibility",
        "Operating cost predictability",
        "Executive investment readiness",
    ]
    ops = items[4]
    assert (ops.excellent, ops.acceptable, ops.insufficient) == (
        "Within +/-10%",
        "Within +/-30%",
        "Difficult to estimate",
    )


def _scores(values):
    items = list(ScorecardItem.objects.order_by("order"))
    return {item.pk: value for item, value in zip(items, values, strict=True)}


@pytest.mark.parametrize(
    ("values", "band"),
    [
        ((3, 3, 3, 3, 3, 2), ScorecardBand.MORE_POC),  # 17
        ((3, 3, 3, 3, 3, 3), ScorecardBand.CONDITIONAL),  # 18
        ((5, 5, 5, 4, 2, 2), ScorecardBand.CONDITIONAL),  # 23
        ((4, 4, 4, 4, 4, 4), ScorecardBand.RECOMMENDED),  # 24
    ],
)
def test_it_saves_a_version_with_its_total_and_band(
    use_case, lead, sponsor, techlead, values, band
):
    to_poc(use_case, lead, sponsor)
    card = services.scorecard_save(use_case=use_case, by=techlead, scores=_scores(values))
    card.refresh_from_db()
    assert (card.total, card.band, card.version) == (sum(values), band, 1)
    event = AuditEvent.objects.filter(action="scorecard.saved").get()
    assert event.payload["total"] == sum(values)
    assert event.actor == techlead


def test_it_names_items_scored_two_or_below_to_improve_first_when_conditional(
    use_case, lead, sponsor
):
    to_poc(use_case, lead, sponsor)
    services.scorecard_save(use_case=use_case, by=sponsor, scores=_scores((5, 5, 5, 4, 2, 2)))
    event = AuditEvent.objects.filter(action="scorecard.saved").get()
    assert event.payload["improve_first"] == [
        "Operating cost predictability",
        "Executive investment readiness",
    ]


def test_it_keeps_earlier_versions_and_the_latest_wins(use_case, lead, sponsor):
    to_poc(use_case, lead, sponsor)
    services.scorecard_save(use_case=use_case, by=sponsor, scores=_scores((3,) * 6))
    services.scorecard_save(use_case=use_case, by=sponsor, scores=_scores((4,) * 6))
    versions = list(PocScorecard.objects.filter(use_case=use_case).values_list("version", "total"))
    assert versions == [(2, 24), (1, 18)]


def test_it_refuses_a_score_out_of_range_and_keeps_nothing(use_case, lead, sponsor):
    to_poc(use_case, lead, sponsor)
    with pytest.raises(InvalidInput) as refusal:
        services.scorecard_save(use_case=use_case, by=sponsor, scores=_scores((3, 3, 3, 3, 3, 6)))
    assert "from 1 to 5" in refusal.value.message
    assert not PocScorecard.objects.exists()


def test_it_refuses_a_scorecard_outside_poc(use_case, sponsor):
    with pytest.raises(TransitionRefused):
        services.scorecard_save(use_case=use_case, by=sponsor, scores=_scores((3,) * 6))


def test_it_refuses_an_executive(use_case, executive):
    with pytest.raises(PermissionRefused):
        services.scorecard_save(use_case=use_case, by=executive, scores=_scores((3,) * 6))
