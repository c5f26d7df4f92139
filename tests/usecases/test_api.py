from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import AuditEvent
from gates.models import GateReview, GateTemplate, ReviewStatus
from tests.factories import BusinessUnitFactory, UseCaseFactory
from tests.usecases.conftest import kill
from usecases.models import Stage, Status, UseCase

LIST = reverse("api-usecase-list")


def detail_url(use_case) -> str:
    return reverse("api-usecase-detail", args=[use_case.pk])


def new_use_case(unit, **extra) -> dict:
    return {
        "title": "Invoice matching",
        "summary": "Match supplier invoices to purchase orders.",
        "business_unit": unit.pk,
        **extra,
    }


# Reading


def test_it_refuses_anonymous_callers(use_case):
    client = APIClient()
    assert client.get(LIST).status_code in (401, 403)
    assert client.get(detail_url(use_case)).status_code in (401, 403)
    assert client.post(LIST, {}, format="json").status_code in (401, 403)


def test_it_lists_only_visible_use_cases(
    use_case, api_as, outsider, buhead, executive, contributor
):
    UseCaseFactory(title="Fraud scoring")
    assert api_as(outsider).get(LIST).json()["count"] == 0
    assert [r["title"] for r in api_as(buhead).get(LIST).json()["results"]] == [use_case.title]
    assert [r["title"] for r in api_as(contributor).get(LIST).json()["results"]] == [use_case.title]
    assert api_as(executive).get(LIST).json()["count"] == 2


def test_it_filters_the_list(use_case, api_as, lead, business_unit):
    other = UseCaseFactory(title="Fraud scoring", summary="Score card payments.")
    UseCase.objects.filter(pk=other.pk).update(stage=Stage.PILOT, status=Status.ON_HOLD)
    client = api_as(lead)

    def titles(**params):
        return sorted(r["title"] for r in client.get(LIST, params).json()["results"])

    assert titles(stage="pilot") == ["Fraud scoring"]
    assert titles(status="active") == ["Claims triage assistant"]
    assert titles(business_unit=business_unit.pk) == ["Claims triage assistant"]
    assert titles(q="card PAYMENTS") == ["Fraud scoring"]
    assert titles(sort="title") == ["Claims triage assistant", "Fraud scoring"]


def test_it_sorts_by_priority_and_filters_by_timing_like_the_portfolio(use_case, api_as, lead):
    """The list reads the portfolio's annotated rows: sorting by priority and
    filtering overdue or stalled answer as the page does, never a 500."""
    from datetime import timedelta

    from django.utils import timezone

    stale = UseCaseFactory(title="Fraud scoring")
    long_ago = timezone.now() - timedelta(days=400)
    UseCase.objects.filter(pk=stale.pk).update(stage_entered_at=long_ago, last_activity_at=long_ago)
    client = api_as(lead)

    def titles(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200, response.content
        return [r["title"] for r in response.json()["results"]]

    assert sorted(titles(sort="priority")) == ["Claims triage assistant", "Fraud scoring"]
    assert titles(timing="overdue") == ["Fraud scoring"]
    assert titles(timing="stalled") == ["Fraud scoring"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"stage": "launched"}, "stage"),
        ({"status": "paused"}, "status"),
        ({"business_unit": "abc"}, "business_unit"),
        ({"business_unit": "999999"}, "business_unit"),
        ({"q": "claims\x00"}, "q"),
        ({"whose": "theirs"}, "whose"),
    ],
)
def test_it_answers_400_to_bad_filters(use_case, api_as, lead, params, field):
    response = api_as(lead).get(LIST, params)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_it_shows_a_use_case_with_its_team_and_open_review(use_case, api_as, techlead, lead):
    template = GateTemplate.objects.get(number=1)
    review = GateReview.objects.create(
        use_case=use_case,
        template=template,
        template_version=template.version,
        gate_number=1,
        from_stage="discovery",
        to_stage="poc",
        status=ReviewStatus.OPEN,
        chair=lead,
    )
    body = api_as(techlead).get(detail_url(use_case)).json()
    assert body["stage"] == "discovery"
    assert body["stage_display"] == "Discovery"
    assert body["status"] == "active"
    assert body["days_in_stage"] == 0
    assert body["business_unit"] == {"id": use_case.business_unit_id, "name": "Claims Operations"}
    assert body["open_review"] == {"id": review.pk, "gate_number": 1, "status": "open"}
    assert [(m["username"], m["role"]) for m in body["team"]] == [
        ("sponsor", "sponsor"),
        ("techlead", "technical_lead"),
        ("contrib", "contributor"),
    ]
    assert body["team"][0]["name"] == "Sam Sponsor"
    assert body["team"][0]["user"] == use_case.members.get(role="sponsor").user_id


def test_it_shows_no_open_review_once_decided(use_case, api_as, lead):
    assert api_as(lead).get(detail_url(use_case)).json()["open_review"] is None


def test_it_answers_404_for_unknown_and_invisible_use_cases(use_case, api_as, outsider, lead):
    assert api_as(outsider).get(detail_url(use_case)).status_code == 404
    assert (
        api_as(outsider).patch(detail_url(use_case), {"title": "x"}, format="json").status_code
        == 404
    )
    response = api_as(lead).get(reverse("api-usecase-detail", args=[999999]))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "reasons": [], "fields": {}}


# Creating


def test_it_creates_a_use_case_in_discovery_with_the_caller_as_sponsor(
    api_as, sponsor, business_unit
):
    response = api_as(sponsor).post(LIST, new_use_case(business_unit), format="json")
    assert response.status_code == 201
    body = response.json()
    use_case = UseCase.objects.get(pk=body["id"])
    assert response["Location"] == use_case.get_absolute_url()
    assert body["stage"] == "discovery" and body["status"] == "active"
    # Set by the risk classification later: none yet, medium until decided.
    assert (body["regulatory_constraints"], body["risk_tier"]) == ([], "medium")
    assert [(m["username"], m["role"]) for m in body["team"]] == [("sponsor", "sponsor")]
    assert AuditEvent.objects.filter(action="usecase.created", use_case=use_case).exists()


def test_it_lets_a_lead_name_the_sponsor(api_as, lead, sponsor, business_unit):
    response = api_as(lead).post(
        LIST, new_use_case(business_unit, sponsor=sponsor.pk), format="json"
    )
    assert response.status_code == 201
    assert [m["username"] for m in response.json()["team"]] == ["sponsor"]


def test_it_refuses_a_sponsor_named_by_someone_who_is_not_a_lead(
    api_as, techlead, sponsor, business_unit
):
    response = api_as(techlead).post(
        LIST, new_use_case(business_unit, sponsor=sponsor.pk), format="json"
    )
    assert response.status_code == 403
    assert not UseCase.objects.exists()


def test_it_refuses_creation_by_an_executive(api_as, executive, business_unit):
    response = api_as(executive).post(LIST, new_use_case(business_unit), format="json")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "You may not propose use cases.",
        "reasons": [],
        "fields": {},
    }


def test_it_refuses_a_stage_or_status_on_creation(api_as, sponsor, business_unit):
    response = api_as(sponsor).post(
        LIST, new_use_case(business_unit, stage="scale", status="active"), format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["stage"] == ["The stage changes only through a gate decision."]
    assert response.json()["fields"]["status"] == [
        "The status changes only through a gate decision."
    ]
    assert not UseCase.objects.exists()


def test_it_answers_400_with_field_messages(api_as, sponsor, business_unit):
    response = api_as(sponsor).post(LIST, {"summary": ""}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Invalid input."
    assert body["fields"]["title"] == ["This field is required."]
    assert body["fields"]["summary"] == ["This field may not be blank."]
    assert body["fields"]["business_unit"] == ["This field is required."]


@pytest.mark.parametrize(
    "bad",
    [
        {"title": "Invoice\x00matching"},
        {"summary": "Nul\x00"},
        {"business_problem": "Nul\x00"},
        {"regulatory_constraints": ["sox\x00"]},
        {"regulatory_constraints": ["ccpa"]},
        {"regulatory_constraints": "sox"},
        {"regulatory_constraints": ["sox"]},  # the risk classification sets them
        {"risk_tier": "extreme"},
        {"risk_tier": "low"},
        {"business_unit": "1\x00"},
        {"business_unit": 999999},
        {"title": "x" * 201},
        {"sponsor": 999999},
    ],
)
def test_it_answers_400_to_bad_input_never_500(api_as, lead, business_unit, bad):
    response = api_as(lead).post(LIST, new_use_case(business_unit, **bad), format="json")
    assert response.status_code == 400
    # A message per field, an item of a list named by its index (regulatory_constraints.0).
    assert set(bad) <= {name.split(".")[0] for name in response.json()["fields"]}
    assert not UseCase.objects.exists()


def test_it_answers_400_to_a_body_that_is_not_an_object(api_as, sponsor, business_unit):
    response = api_as(sponsor).post(LIST, ["title"], format="json")
    assert response.status_code == 400
    response = api_as(sponsor).post(LIST, "{not json", content_type="application/json")
    assert response.status_code == 400


# Editing


def test_it_lets_the_sponsor_patch_the_facts(use_case, api_as, sponsor):
    response = api_as(sponsor).patch(
        detail_url(use_case),
        {"title": "Claims triage v2", "data_sources": "CRM; claims ledger."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Claims triage v2"
    use_case.refresh_from_db()
    assert use_case.data_sources == "CRM; claims ledger."
    assert use_case.summary == "Automate triage of incoming requests with a classifier."


def test_it_refuses_the_risk_tier_and_regulations_in_a_patch(use_case, api_as, sponsor):
    response = api_as(sponsor).patch(
        detail_url(use_case),
        {"risk_tier": "high", "regulatory_constraints": ["gdpr"]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "risk_tier": ["The risk tier is set by the risk classification."],
        "regulatory_constraints": ["The regulations are set by the risk classification."],
    }
    use_case.refresh_from_db()
    assert (use_case.risk_tier, use_case.regulatory_constraints) == ("medium", [])


def test_it_refuses_stage_and_status_in_a_patch(use_case, api_as, lead):
    response = api_as(lead).patch(
        detail_url(use_case), {"title": "New", "stage": "scale", "status": "killed"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["stage"] == ["The stage changes only through a gate decision."]
    assert response.json()["fields"]["status"] == [
        "The status changes only through a gate decision."
    ]
    use_case.refresh_from_db()
    assert (use_case.stage, use_case.status, use_case.title) == (
        "discovery",
        "active",
        "Claims triage assistant",
    )


@pytest.mark.parametrize("who", ["techlead", "contributor", "buhead", "executive"])
def test_it_refuses_a_patch_by_anyone_but_a_lead_or_the_sponsor(use_case, api_as, who, request):
    response = api_as(request.getfixturevalue(who)).patch(
        detail_url(use_case), {"title": "x"}, format="json"
    )
    assert response.status_code == 403
    use_case.refresh_from_db()
    assert use_case.title == "Claims triage assistant"


def test_it_answers_409_to_a_patch_of_a_killed_use_case(use_case, api_as, sponsor):
    kill(use_case)
    response = api_as(sponsor).patch(detail_url(use_case), {"title": "x"}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == "This use case was killed at a gate; it is read-only."


def test_it_answers_400_to_a_bad_patch(use_case, api_as, sponsor):
    response = api_as(sponsor).patch(
        detail_url(use_case), {"title": "", "assumptions": "a\x00b"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) >= {"title", "assumptions"}


def test_it_does_not_accept_put(use_case, api_as, sponsor):
    assert api_as(sponsor).put(detail_url(use_case), {}, format="json").status_code == 405


# Business units and the list's cost


def test_it_lists_business_units(business_unit, api_as, outsider):
    BusinessUnitFactory(name="Underwriting", code="uw")
    body = api_as(outsider).get(reverse("api-businessunit-list")).json()
    assert [unit["name"] for unit in body] == ["Claims Operations", "Underwriting"]
    assert body[0]["head"] == {
        "id": business_unit.head_id,
        "username": "buhead",
        "name": "Bea Head",
    }
    assert body[1]["head"] is None


@pytest.mark.parametrize("size", [5, 60])
def test_it_lists_use_cases_in_a_fixed_number_of_queries(
    size, make_portfolio, api_as, lead, sponsor, django_assert_max_num_queries
):
    make_portfolio(size, member=sponsor)
    for person in (lead, sponsor):
        client = api_as(person)
        with django_assert_max_num_queries(12):
            response = client.get(LIST, {"page_size": 100})
        assert response.json()["count"] == size
        with django_assert_max_num_queries(12):
            response = client.get(LIST, {"stage": "pilot", "q": "Use case"})
        assert response.status_code == 200


def test_it_documents_the_endpoints_in_the_schema(api_as, lead):
    response = api_as(lead).get(reverse("api-schema"), {"format": "json"})
    paths = response.json()["paths"]
    assert set(paths["/api/v1/use-cases/"]) >= {"get", "post"}
    assert set(paths["/api/v1/use-cases/{id}/"]) >= {"get", "patch"}
    assert "put" not in paths["/api/v1/use-cases/{id}/"]
    assert "/api/v1/business-units/" in paths


def test_it_filters_to_the_use_cases_that_are_the_callers_own(use_case, api_as, lead, techlead):
    UseCaseFactory(title="Fraud scoring")
    assert {row["title"] for row in api_as(lead).get(LIST).json()["results"]} == {
        "Claims triage assistant",
        "Fraud scoring",
    }
    mine = api_as(techlead).get(LIST, {"whose": "mine"}).json()
    assert [row["title"] for row in mine["results"]] == ["Claims triage assistant"]
    # A program lead sees the whole portfolio but holds no role on it.
    assert api_as(lead).get(LIST, {"whose": "mine"}).json()["results"] == []
