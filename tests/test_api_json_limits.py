"""JSON bodies are bounded in depth and size before they are parsed: deeply
nested JSON was a RecursionError (500) on the use case, scorecard and review
endpoints."""

from __future__ import annotations

import pytest

from core.parsers import MAX_DEPTH, json_depth

NESTED = "[" * 100_000 + "]" * 100_000  # about 200 KB


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("patch", "/api/v1/use-cases/{use_case}/"),
        ("put", "/api/v1/use-cases/{use_case}/scorecard/"),
        ("post", "/api/v1/use-cases/{use_case}/reviews/"),
    ],
)
def test_deeply_nested_json_is_a_400_that_says_why(api_as, lead, use_case, method, path):
    client = api_as(lead)
    response = getattr(client, method)(
        path.format(use_case=use_case.pk),
        data=f'{{"title": {NESTED}}}',
        content_type="application/json",
    )

    assert response.status_code == 400, response.content
    assert response.json()["detail"] == f"The JSON body is nested deeper than {MAX_DEPTH} levels."
    use_case.refresh_from_db()
    assert use_case.title == "Claims triage assistant"


def test_a_body_past_the_size_limit_is_a_400(api_as, lead, use_case, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_as(lead).patch(
        f"/api/v1/use-cases/{use_case.pk}/",
        data='{"summary": "' + "x" * 2000 + '"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["detail"] in (
        "The JSON body is larger than 1,000 bytes.",
        "The request body is larger than 1,000 bytes.",  # refused by Django first
    )


def test_ordinary_bodies_still_parse(api_as, sponsor, use_case):
    response = api_as(sponsor).patch(
        f"/api/v1/use-cases/{use_case.pk}/",
        data='{"title": "Claims triage [v2] {beta}", "data_sources": "CRM [v2]"}',
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Claims triage [v2] {beta}"


@pytest.mark.parametrize(
    ("text", "depth"),
    [(b"{}", 1), (b'{"a": [1, {"b": []}]}', 4), (b'{"a": "[[[[{{"}', 1), (b'"\\"[["', 0)],
)
def test_depth_ignores_brackets_inside_strings(text, depth):
    assert json_depth(text) == depth
