"""Webhook tests run against a real HTTP receiver on loopback
(pytest-httpserver's ``httpserver``): what it records is what a receiver
got, headers and bytes."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from collections.abc import Iterable

import pytest
import time_machine

from integrations import services
from integrations.catalogue import EVENT_TYPES
from tests.factories import UserFactory

T0 = datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.SITE_URL = "https://stagegate.example.com"
    settings.WEBHOOKS_MAX_ATTEMPTS = 4
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 30
    settings.WEBHOOKS_RETRY_MAX_SECONDS = 3600
    settings.WEBHOOKS_TIMEOUT_SECONDS = 2
    settings.READINESS_GATE3_CHECKLIST_REQUIRED = False


@pytest.fixture
def admin(db):
    return UserFactory(
        username="admin", first_name="Ada", last_name="Admin", is_superuser=True, is_staff=True
    )


@pytest.fixture
def clock():
    """Frozen at T0; ``clock(seconds)`` travels to T0 + seconds."""
    traveller = time_machine.travel(T0, tick=False)
    traveller.start()

    def travel(seconds: float = 0) -> datetime.datetime:
        nonlocal traveller
        traveller.stop()
        traveller = time_machine.travel(T0 + datetime.timedelta(seconds=seconds), tick=False)
        traveller.start()
        return T0 + datetime.timedelta(seconds=seconds)

    yield travel
    traveller.stop()


@pytest.fixture
def register(admin):
    def make(url: str, event_types: Iterable[str] = tuple(EVENT_TYPES), **kwargs):
        return services.endpoint_create(
            by=admin,
            name=kwargs.pop("name", "Governance feed"),
            url=url,
            event_types=list(event_types),
            **kwargs,
        )

    return make


def received(httpserver, path: str | None = None) -> list[tuple[dict, dict]]:
    """(headers, JSON body) of every request the receiver got, in order."""
    return [
        (dict(request.headers), json.loads(request.get_data()))
        for request, _response in httpserver.log
        if path is None or request.path == path
    ]


def verify(secret: str, request) -> bool:
    """The receiver's check, as the README tells it."""
    timestamp = request.headers["X-StageGate-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request.get_data(), hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(f"sha256={expected}", request.headers["X-StageGate-Signature"])
