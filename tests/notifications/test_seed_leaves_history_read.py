"""The demo seed plays years of history; the people it creates start with
that history read, and the inbox still holds it."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_seeded_accounts_start_with_their_history_read():
    call_command("seed_demo", stdout=io.StringIO())

    User = get_user_model()
    seen_any = 0
    for username in ("lead", "sponsor", "techlead", "buhead", "cio", "risk", "exec"):
        client = APIClient()
        client.force_authenticate(User.objects.get(username=username))
        unread = client.get("/api/v1/notifications/?unread=true")
        assert unread.status_code == 200
        assert unread.json()["count"] == 0, username
        seen_any += client.get("/api/v1/notifications/").json()["count"]
    # The history is there, read: the demo's inboxes are not empty.
    assert seen_any > 0
