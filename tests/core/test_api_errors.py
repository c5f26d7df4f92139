"""Every error under /api/ has one shape, whoever answers it: a domain
refusal, a serializer's field errors, DRF's own 401/403/404/405/415, the JSON
parser's 400, and the error pages Django answers before or after any view."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import RequestFactory

from config.errors import server_error
from core.parsers import MAX_DEPTH
from tests.gates.helpers import make_open_review


def assert_error(response: Any, status: int | tuple[int, ...]) -> dict[str, Any]:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "reasons", "fields"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["reasons"], list)
    assert all(isinstance(reason, str) for reason in body["reasons"])
    assert isinstance(body["fields"], dict)
    for messages in body["fields"].values():
        assert messages and all(isinstance(message, str) for message in messages)
    return body


def test_a_refused_transition_is_a_409_with_its_reasons(api_as, lead, use_case):
    review = make_open_review(use_case, lead)
    response = api_as(lead).post(f"/api/v1/reviews/{review.pk}/submit/")

    body = assert_error(response, 409)
    assert body["reasons"] and body["fields"] == {}


def test_a_domain_error_on_a_field_names_the_field(api_as, sponsor, use_case):
    response = api_as(sponsor).patch(
        f"/api/v1/use-cases/{use_case.pk}/checklist/99/", {"status": "done"}, format="json"
    )

    body = assert_error(response, 400)
    assert body["detail"] == "There is no checklist item 99."
    assert body["fields"] == {"item": ["There is no checklist item 99."]}


def test_field_errors_are_named_with_dots_down_to_the_item(api_as, sponsor, use_case):
    response = api_as(sponsor).put(
        f"/api/v1/use-cases/{use_case.pk}/scorecard/",
        {"scores": [{"item": "first", "score": 9}]},
        format="json",
    )

    body = assert_error(response, 400)
    assert body["detail"] == "Invalid input."
    assert "A score must be a whole number from 1 to 5." in body["fields"]["scores.0.score"]


def test_a_body_that_is_not_an_object_is_a_reason_not_a_field(api_as, lead):
    response = api_as(lead).post("/api/v1/delegations/", ["x"], format="json")

    body = assert_error(response, 400)
    assert body["fields"] == {}
    assert body["reasons"] == [body["detail"]]
    assert "Expected a dictionary" in body["detail"]


def test_malformed_and_too_deep_json_is_a_400(api_as, lead):
    client = api_as(lead)
    broken = client.post("/api/v1/delegations/", "{not json", content_type="application/json")
    assert "JSON parse error" in assert_error(broken, 400)["detail"]

    deep = client.post("/api/v1/delegations/", "[" * 40 + "]" * 40, content_type="application/json")
    assert assert_error(deep, 400)["detail"] == (
        f"The JSON body is nested deeper than {MAX_DEPTH} levels."
    )


def test_an_unreadable_content_type_is_a_415(api_as, lead):
    response = api_as(lead).post("/api/v1/delegations/", "x", content_type="text/plain")
    assert "text/plain" in assert_error(response, 415)["detail"]


def test_an_unknown_method_is_a_405(api_as, lead, use_case):
    response = api_as(lead).put(f"/api/v1/use-cases/{use_case.pk}/", {}, format="json")
    assert_error(response, 405)


def test_anonymous_is_refused_with_the_shape(api, use_case):
    assert_error(api.get("/api/v1/use-cases/"), (401, 403))
    assert_error(api.post("/api/v1/delegations/", {}, format="json"), (401, 403))


def test_unknown_and_invisible_rows_are_404(api_as, outsider, use_case):
    client = api_as(outsider)
    assert assert_error(client.get(f"/api/v1/use-cases/{use_case.pk}/"), 404) == {
        "detail": "Not found.",
        "reasons": [],
        "fields": {},
    }
    assert_error(client.get("/api/v1/packs/999999/"), 404)


def test_a_url_no_view_answers_is_a_json_404(api_as, lead):
    # Django's own handler404 (config.errors), before any API view.
    assert_error(api_as(lead).get("/api/v1/no-such-thing/"), 404)


def test_a_body_past_djangos_limit_is_a_json_400(api_as, lead, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = api_as(lead).post(
        "/api/v1/delegations/",
        {"note": "x" * 500},
        format="multipart",
    )
    assert_error(response, 400)


@pytest.mark.parametrize("path", ["/api/v1/use-cases/", "/api/schema/"])
def test_a_server_error_under_the_api_is_json_in_the_shape(path):
    response = server_error(RequestFactory().get(path))
    assert response.status_code == 500
    assert json.loads(response.content) == {"detail": "Server error.", "reasons": [], "fields": {}}
