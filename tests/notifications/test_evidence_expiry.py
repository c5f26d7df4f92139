"""The evidence expiry sweep: the uploader and the use case's sponsors hear
EVIDENCE_EXPIRY_NOTICE_DAYS before an upload expires, once per version, and
never about a type without a validity."""

from __future__ import annotations

import pytest
from django.core import mail

from gates import services
from gates.models import ArtifactType
from notifications.models import Kind, Notification
from notifications.services import emails_deliver_pending
from notifications.sweeps import sweep
from tests.gates.helpers import text_file
from usecases.models import Status, UseCase

pytestmark = pytest.mark.django_db

RISK = "Preliminary risk assessment"
# Uploaded at T0 (3 Mar 2025), valid 12 months: expires on 3 Mar 2026, which
# is 365 days after T0.
EXPIRES_AFTER = 365


def upload(use_case, by, name: str = RISK):
    artifact_type = ArtifactType.objects.get(name=name)
    return services.artifact_upload(
        use_case=use_case, by=by, artifact_type=artifact_type, file=text_file("evidence.md")
    )


def expiring() -> list[tuple[str, int, str]]:
    return sorted(
        Notification.objects.filter(kind=Kind.EVIDENCE_EXPIRING).values_list(
            "recipient__username", "object_id", "period"
        )
    )


def test_it_reminds_the_uploader_and_the_sponsors_once(clock, use_case, techlead, sponsor):
    artifact = upload(use_case, techlead)
    upload(use_case, techlead, "Use case scorecard")  # no validity: never announced

    clock(EXPIRES_AFTER - 31)
    assert sweep()["evidence_expiry"] == 0

    clock(EXPIRES_AFTER - 30)
    sweep()
    emails_deliver_pending()
    assert expiring() == [
        ("sponsor", artifact.pk, "expiring"),
        ("techlead", artifact.pk, "expiring"),
    ]
    message = next(m for m in mail.outbox if m.to == ["techlead@example.com"])
    assert message.subject == (f"Evidence expires in 30 days: {RISK} v1 of “{use_case.title}”")
    assert "03 Mar 2026" in message.body
    assert f"https://stagegate.example.com/use-cases/{use_case.pk}/artifacts/" in message.body

    for day in (EXPIRES_AFTER - 30, EXPIRES_AFTER - 10, EXPIRES_AFTER - 1, EXPIRES_AFTER + 3):
        clock(day)
        sweep()
    assert len(expiring()) == 2


def test_a_new_version_is_announced_on_its_own(clock, use_case, techlead, sponsor):
    first = upload(use_case, techlead)
    clock(EXPIRES_AFTER - 20)
    sweep()
    second = upload(use_case, sponsor)
    clock(EXPIRES_AFTER - 19)
    sweep()
    # The new version is valid for a year: nothing new until its own window.
    assert {object_id for _, object_id, _ in expiring()} == {first.pk}

    clock(EXPIRES_AFTER - 20 + EXPIRES_AFTER - 29)
    sweep()
    assert [row for row in expiring() if row[1] == second.pk] == [
        ("sponsor", second.pk, "expiring")
    ]


def test_a_superseded_version_or_a_stopped_use_case_is_not_announced(
    clock, use_case, techlead, sponsor
):
    upload(use_case, techlead)
    clock(EXPIRES_AFTER - 40)
    upload(use_case, techlead)  # v2 replaces v1 before v1's window opens
    clock(EXPIRES_AFTER - 25)
    sweep()
    assert expiring() == []

    UseCase.objects.filter(pk=use_case.pk).update(status=Status.KILLED)
    clock(EXPIRES_AFTER - 40 + EXPIRES_AFTER - 5)
    sweep()
    assert expiring() == []


def test_the_notice_window_is_a_setting(clock, settings, use_case, techlead, sponsor):
    settings.EVIDENCE_EXPIRY_NOTICE_DAYS = 7
    upload(use_case, techlead)
    clock(EXPIRES_AFTER - 8)
    sweep()
    assert expiring() == []
    clock(EXPIRES_AFTER - 7)
    sweep()
    assert len(expiring()) == 2
