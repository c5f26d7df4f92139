"""A pack is stale once anything it shows has changed: its content hash is
not the hash of the review's pack data now. Closing a condition is such a
change, though it is not a change of the review's own rows."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from gates.models import ConditionStatus
from reporting.models import GatePack

pytestmark = pytest.mark.django_db

STALE = "stale: the review changed since"


def stale_flags(api_as, user, review) -> list[bool]:
    response = api_as(user).get(f"/api/v1/reviews/{review.pk}/packs/")
    assert response.status_code == 200
    return [pack["stale"] for pack in response.json()]


def test_a_pack_of_the_review_as_it_stands_is_not_stale(
    api_as, client_as, lead, decided_review, ready_pack_row
):
    assert stale_flags(api_as, lead, decided_review) == [False]
    detail = api_as(lead).get(f"/api/v1/packs/{ready_pack_row.pk}/").json()
    assert detail["stale"] is False
    html = client_as(lead).get(f"/reviews/{decided_review.pk}/packs/").content.decode()
    assert STALE not in html


def test_closing_a_condition_makes_the_older_pack_stale(
    api_as, client_as, lead, sponsor, decided_review, ready_pack_row
):
    # Read before: the content hash is kept until the use case's next event.
    assert stale_flags(api_as, lead, decided_review) == [False]
    condition = decided_review.conditions.get()
    response = api_as(sponsor).post(
        f"/api/v1/conditions/{condition.pk}/close/", {"note": "Agreement signed."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == ConditionStatus.CLOSED

    assert stale_flags(api_as, lead, decided_review) == [True]
    assert api_as(lead).get(f"/api/v1/packs/{ready_pack_row.pk}/").json()["stale"] is True
    html = client_as(lead).get(f"/reviews/{decided_review.pk}/packs/").content.decode()
    assert STALE in html
    # Lists of packs across reviews (the dashboard) see it too.
    assert GatePack.objects.with_stale().get(pk=ready_pack_row.pk).stale is True


def test_a_new_pack_after_the_change_is_current_and_the_old_one_stays_stale(
    api_as, lead, sponsor, decided_review, ready_pack_row
):
    condition = decided_review.conditions.get()
    api_as(sponsor).post(
        f"/api/v1/conditions/{condition.pk}/close/", {"note": "Agreement signed."}, format="json"
    )

    response = api_as(lead).post(f"/api/v1/reviews/{decided_review.pk}/packs/")
    assert response.status_code == 202

    # Newest first: the pack just requested reads the data as it is now.
    assert stale_flags(api_as, lead, decided_review) == [False, True]


def test_a_change_without_an_event_of_the_use_case_shows_once_the_seconds_pass(
    api_as, lead, sponsor, decided_review, ready_pack_row, settings
):
    """A sponsor's new name is in the pack but is no event of the use case:
    the kept content hash marks the pack stale once PACK_STALENESS_CACHE_SECONDS
    have passed, and at once with the keeping turned off."""
    settings.PACK_STALENESS_CACHE_SECONDS = 30
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert stale_flags(api_as, lead, decided_review) == [False]
        get_user_model().objects.filter(pk=sponsor.pk).update(first_name="Renamed")
        assert stale_flags(api_as, lead, decided_review) == [False]
        clock.shift(datetime.timedelta(seconds=31))
        assert stale_flags(api_as, lead, decided_review) == [True]
        get_user_model().objects.filter(pk=sponsor.pk).update(first_name=sponsor.first_name)
        settings.PACK_STALENESS_CACHE_SECONDS = 0
        assert stale_flags(api_as, lead, decided_review) == [False]
