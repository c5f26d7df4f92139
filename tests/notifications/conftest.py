from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail

from tests.gates.helpers import make_submitted_review

# A fixed Monday morning, UTC: every rule is tested against a frozen clock.
T0 = datetime.datetime(2025, 3, 3, 9, 0, tzinfo=datetime.UTC)


def at(days: float, *, base: datetime.datetime = T0) -> datetime.datetime:
    return base + datetime.timedelta(days=days)


@pytest.fixture(autouse=True)
def _gate_engine_only(settings):
    # These tests are about notifications; the Gate 3 checklist is not.
    settings.READINESS_GATE3_CHECKLIST_REQUIRED = False
    settings.SITE_URL = "https://stagegate.example.com"


@pytest.fixture
def clock():
    """Frozen at T0 from setup on (so fixtures listed after it are created at
    T0); travel to T0 + days with ``clock(days)``."""
    traveller = time_machine.travel(T0, tick=False)
    traveller.start()

    def travel(days: float = 0) -> datetime.datetime:
        nonlocal traveller
        traveller.stop()
        traveller = time_machine.travel(at(days), tick=False)
        traveller.start()
        return at(days)

    yield travel
    traveller.stop()


@pytest.fixture
def gate1_review(clock, use_case, lead, sponsor, django_capture_on_commit_callbacks):
    """Gate 1 of the Claims triage assistant, submitted at T0; approvers are
    the lead (who chairs) and the sponsor. The notifications of submission
    are cleared so each test starts from an empty outbox."""
    clock(0)
    with django_capture_on_commit_callbacks(execute=True):
        review = make_submitted_review(use_case, lead, sponsor)
    mail.outbox.clear()
    return review
