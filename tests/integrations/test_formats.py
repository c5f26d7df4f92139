"""Slack and Microsoft Teams endpoints get readable messages of the same
events, with a link back."""

from __future__ import annotations

import pytest

from core import events
from core.events import Occurrence
from integrations import services
from integrations.models import EndpointFormat
from tests.integrations.conftest import T0, received, verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat_endpoints(httpserver, register):
    httpserver.expect_request("/slack").respond_with_data("ok")
    httpserver.expect_request("/teams").respond_with_data("1")
    slack = register(
        httpserver.url_for("/slack"), [events.GATE_DECIDED], format=EndpointFormat.SLACK
    )
    teams = register(
        httpserver.url_for("/teams"), [events.GATE_DECIDED], format=EndpointFormat.TEAMS
    )
    return slack, teams


def test_slack_and_teams_render_the_decision_readably_with_a_link_back(
    httpserver, chat_endpoints, decided_review
):
    events.deliver(
        events.GATE_DECIDED, {"review_id": decided_review.pk}, occurrence=Occurrence(7, T0)
    )
    services.deliveries_send_due()
    link = f"https://stagegate.example.com/reviews/{decided_review.pk}/"

    [(_headers, slack)] = received(httpserver, "/slack")
    assert set(slack) == {"text", "blocks"}
    assert "Gate decided: Claims triage assistant · Gate 2 — Conditional Go" in slack["text"]
    assert link in slack["text"]
    assert slack["blocks"][0]["text"]["text"].startswith("*Gate decided")
    assert slack["blocks"][1]["elements"][0]["url"] == link

    [(_headers, teams)] = received(httpserver, "/teams")
    assert teams["@type"] == "MessageCard"
    assert teams["title"] == "Gate decided"
    assert "Claims triage assistant" in teams["text"] and "Conditional Go" in teams["text"]
    assert {"name": "Decision", "value": "Conditional Go"} in teams["sections"][0]["facts"]
    assert teams["potentialAction"][0]["targets"][0]["uri"] == link

    # Signed like every delivery.
    slack_endpoint, teams_endpoint = chat_endpoints
    requests = {request.path: request for request, _response in httpserver.log}
    assert verify(slack_endpoint.secret, requests["/slack"])
    assert verify(teams_endpoint.secret, requests["/teams"])


def test_a_test_message_reads_as_one(httpserver, chat_endpoints, admin):
    slack, _teams = chat_endpoints
    services.endpoint_test(by=admin, endpoint=slack)
    services.deliveries_send_due()
    [(headers, body)] = received(httpserver, "/slack")
    assert headers["X-Stagegate-Event"] == "ping"
    assert "Test message from StageGate" in body["text"]
    assert "https://stagegate.example.com/integrations/webhooks/" in body["text"]
