"""The rollout page and API: who sees and who changes what, the warning,
errors in the project's shape, and reads in a constant number of queries."""

from __future__ import annotations

import pytest

from core.models import AuditEvent
from tests.value.rollout_helpers import days_ago, pass_wave, planned
from value.models import PilotScope, RolloutWave
from value.services import rollout

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
PAGE_QUERIES = 8
API_QUERIES = 6


def api_url(use_case, tail=""):
    return f"/api/v1/use-cases/{use_case.pk}/rollout/{tail}"


def page_url(use_case, tail=""):
    return f"/use-cases/{use_case.pk}/rollout/{tail}"


# --- API -------------------------------------------------------------------------


def test_the_api_sets_the_pilot_and_answers_the_warning(use_case, sponsor, api_as):
    response = api_as(sponsor).put(
        api_url(use_case, "pilot/"),
        {"unit": "branches", "pilot_units": 2, "target_units": 10, "adoption_percent": "61.5"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["pilot"]["share_percent"] == "20.0"
    assert body["pilot"]["adoption_percent"] == "61.50"
    assert body["warning"].startswith("The pilot reaches 20.0% of the target: above")
    assert body["default_threshold_percent"] == "61.50"
    assert body["default_threshold_source"] == "the pilot's adoption rate"


def test_the_api_plans_starts_and_validates(use_case, sponsor, api_as):
    api = api_as(sponsor)
    planned_body = api.post(api_url(use_case, "waves/"), {}, format="json")
    assert planned_body.status_code == 201
    waves = planned_body.json()["waves"]
    assert [w["share_percent"] for w in waves] == ["25.00", "50.00", "100.00"]
    assert [w["can_start"] for w in waves] == [True, False, False]

    first = waves[0]["id"]
    started = api.post(
        f"/api/v1/rollout-waves/{first}/start/", {"started_on": str(days_ago(10))}, format="json"
    )
    assert started.status_code == 200
    assert started.json()["waves"][0]["can_validate"] is True

    refused = api.post(
        f"/api/v1/rollout-waves/{waves[1]['id']}/start/",
        {"started_on": str(days_ago(1))},
        format="json",
    )
    assert refused.status_code == 409
    assert refused.json()["detail"] == "Wave 2 starts once wave 1 passed its validation."
    assert refused.json()["reasons"] == ["Wave 1 has not been validated yet."]

    validated = api.post(
        f"/api/v1/rollout-waves/{first}/validate/",
        {
            "validated_on": str(days_ago(2)),
            "stable": True,
            "adoption_percent": "65",
            "note": "Fine.",
        },
        format="json",
    )
    assert validated.status_code == 200
    row = validated.json()["waves"][0]
    assert row["passed"] is True
    assert row["validated_by"]["username"] == "sponsor"
    assert validated.json()["waves"][1]["can_start"] is True


def test_the_api_plans_waves_of_its_own_and_refuses_bad_ones_in_the_error_shape(
    use_case, lead, api_as
):
    api = api_as(lead)
    bad = api.post(
        api_url(use_case, "waves/"),
        {"waves": [{"share_percent": "50"}, {"share_percent": "40"}]},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()) == {"detail", "reasons", "fields"}
    assert "waves.1.share_percent" in bad.json()["fields"]
    assert not RolloutWave.objects.exists()
    empty = api.post(api_url(use_case, "waves/"), {"waves": []}, format="json")
    assert empty.status_code == 400
    assert empty.json()["fields"] == {"waves": ["Plan from 1 to 10 waves."]}

    good = api.post(
        api_url(use_case, "waves/"),
        {
            "waves": [
                {"share_percent": "30", "planned_date": "2027-02-01"},
                {"share_percent": "100", "adoption_threshold_percent": "70"},
            ]
        },
        format="json",
    )
    assert good.status_code == 201
    assert [w["adoption_threshold_percent"] for w in good.json()["waves"]] == ["60.00", "70.00"]


def test_the_api_permission_ladder(use_case, sponsor, contributor, executive, outsider, api_as):
    planned(use_case, sponsor)
    wave = RolloutWave.objects.get(use_case=use_case, order=1)
    body = {"unit": "users", "pilot_units": 1, "target_units": 10}
    for person in (contributor, executive):
        api = api_as(person)
        assert api.get(api_url(use_case)).status_code == 200
        assert api.put(api_url(use_case, "pilot/"), body, format="json").status_code == 403
        assert api.post(f"/api/v1/rollout-waves/{wave.pk}/start/", {}).status_code == 403
    api = api_as(outsider)
    assert api.get(api_url(use_case)).status_code == 404
    assert api.put(api_url(use_case, "pilot/"), body, format="json").status_code == 404
    assert api.post(f"/api/v1/rollout-waves/{wave.pk}/validate/", {}).status_code == 404
    assert PilotScope.objects.get(use_case=use_case).pilot_units == 100


def test_the_api_refuses_the_pilot_beyond_the_target(use_case, sponsor, api_as):
    response = api_as(sponsor).put(
        api_url(use_case, "pilot/"),
        {"unit": "users", "pilot_units": 11, "target_units": 10},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "pilot_units": ["The pilot (11) cannot reach more than the target (10)."]
    }


# --- The page --------------------------------------------------------------------


def test_the_page_shows_the_pilot_the_warning_and_the_waves(use_case, sponsor, client_as):
    rollout.pilot_scope_set(
        use_case=use_case, by=sponsor, unit="users", pilot_units=40, target_units=1000
    )
    rollout.waves_plan(use_case=use_case, by=sponsor)

    page = client_as(sponsor).get(page_url(use_case)).content.decode()

    assert "40 of 1000 users" in page
    assert 'id="pilot-warning"' in page
    assert "The pilot reaches 4.0% of the target: below the playbook" in page
    assert "Start wave 1" in page
    assert "the framework&#x27;s 60% (no pilot rate yet)" in page


def test_the_use_case_page_links_to_it(use_case, sponsor, client_as):
    page = client_as(sponsor).get(f"/use-cases/{use_case.pk}/").content.decode()
    assert f'href="/use-cases/{use_case.pk}/rollout/"' in page


def test_the_page_sets_plans_starts_and_validates_with_htmx(use_case, techlead, client_as):
    client = client_as(techlead)
    answer = client.post(
        page_url(use_case, "pilot/"),
        {"unit": "users", "pilot_units": 100, "target_units": 1000, "adoption_percent": "64"},
        headers=HTMX,
    )
    assert answer.status_code == 200
    assert 'id="pilot-warning"' not in answer.content.decode()

    assert client.post(page_url(use_case, "waves/"), {}, headers=HTMX).status_code == 200
    first = RolloutWave.objects.get(use_case=use_case, order=1)
    client.post(
        page_url(use_case, f"waves/{first.pk}/start/"),
        {f"wave{first.pk}-start-started_on": str(days_ago(9))},
        headers=HTMX,
    )
    answer = client.post(
        page_url(use_case, f"waves/{first.pk}/validate/"),
        {
            f"wave{first.pk}-validate-validated_on": str(days_ago(1)),
            f"wave{first.pk}-validate-stable": "no",
            f"wave{first.pk}-validate-adoption_percent": "70",
        },
        headers=HTMX,
    )
    first.refresh_from_db()
    assert (first.stable, first.passed) == (False, False)
    assert "failed" in answer.content.decode()
    assert AuditEvent.objects.filter(action="rollout_wave.validated").count() == 1


def test_the_page_shows_errors_in_place_and_changes_nothing(use_case, sponsor, client_as):
    response = client_as(sponsor).post(
        page_url(use_case, "waves/"), {"shares": "25, 50, 90"}, headers=HTMX
    )
    assert response.status_code == 200
    assert "The last wave reaches the whole target (100%)." in response.content.decode()
    assert not RolloutWave.objects.exists()

    plain = client_as(sponsor).post(
        page_url(use_case, "pilot/"), {"unit": "users", "pilot_units": 5, "target_units": 4}
    )
    assert plain.status_code == 400
    assert "cannot reach more than the target" in plain.content.decode()


def test_the_page_permission_ladder(use_case, contributor, outsider, client, client_as):
    body = {"unit": "users", "pilot_units": 1, "target_units": 10}
    assert client.get(page_url(use_case)).status_code == 302  # anonymous: sign in
    reader = client_as(contributor)
    page = reader.get(page_url(use_case))
    assert page.status_code == 200
    assert "Save the pilot scope" not in page.content.decode()
    assert reader.post(page_url(use_case, "pilot/"), body).status_code == 403
    assert client_as(outsider).get(page_url(use_case)).status_code == 404
    assert not PilotScope.objects.exists()


# --- Query bounds ----------------------------------------------------------------


def _grow(use_case, by, waves: int) -> None:
    rollout.pilot_scope_set(
        use_case=use_case,
        by=by,
        unit="users",
        pilot_units=100,
        target_units=1000,
        adoption_percent="60",
    )
    shares = [round(100 * (n + 1) / waves, 2) for n in range(waves)]
    rollout.waves_plan(use_case=use_case, by=by, waves=[{"share_percent": str(s)} for s in shares])
    for wave in RolloutWave.objects.filter(use_case=use_case).order_by("order")[: waves - 1]:
        pass_wave(wave, by, started=60 - 2 * wave.order, validated=59 - 2 * wave.order)


@pytest.mark.parametrize("waves", [2, 10])
def test_the_page_and_api_read_in_a_constant_number_of_queries(
    use_case, sponsor, client_as, api_as, django_assert_max_num_queries, waves
):
    _grow(use_case, sponsor, waves)
    client = client_as(sponsor)
    api = api_as(sponsor)
    with django_assert_max_num_queries(PAGE_QUERIES):
        assert client.get(page_url(use_case)).status_code == 200
    with django_assert_max_num_queries(API_QUERIES):
        assert api.get(api_url(use_case)).status_code == 200
