"""Notifications and e-mails are written in each recipient's language: a
person who chose German reads German, the others English, from the same
event or sweep, and the languages cost one query however many recipients."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from gates import services
from notifications import texts
from notifications.models import EmailMode, Kind, Notification
from notifications.services import (
    Draft,
    digests_send,
    emails_deliver_pending,
    notifications_create,
    preferences_update,
)
from notifications.sweeps import sweep
from tests.gates.helpers import approve_all, assess_all, upload_required
from usecases.models import UserLanguage

pytestmark = pytest.mark.django_db


def german(user) -> None:
    UserLanguage.objects.update_or_create(user=user, defaults={"language": "de"})


def test_an_approval_request_reaches_a_german_approver_in_german(
    use_case, lead, sponsor, techlead, django_capture_on_commit_callbacks
):
    german(sponsor)
    review = services.review_open(use_case=use_case, by=lead)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.review_submit(review=review, by=techlead)

    row = Notification.objects.get(recipient=sponsor, kind=Kind.APPROVAL_REQUESTED)
    assert row.subject.startswith("Genehmigung angefordert: Gate 1 (zu ")
    assert "-Review von „Claims triage assistant“" in row.subject
    assert "zur Genehmigung eingereicht" in row.body
    # The English approver reads the same event in English.
    english = Notification.objects.get(recipient=lead, kind=Kind.APPROVAL_REQUESTED)
    assert english.subject == (
        "Approval requested: Gate 1 (to POC) review of “Claims triage assistant”"
    )

    by_address = {m.to[0]: m for m in mail.outbox if m.subject.startswith(("Approval", "Gen"))}
    message = by_address["sponsor@example.com"]
    assert message.subject == row.subject
    assert "In StageGate öffnen:" in message.body
    assert "Ändern, was StageGate Ihnen per E-Mail schickt:" in message.body
    assert "Open it in StageGate:" not in message.body
    assert "Open it in StageGate:" in by_address["lead@example.com"].body


def test_a_condition_is_assigned_in_german_with_a_german_date(
    clock, use_case, lead, sponsor, techlead, django_capture_on_commit_callbacks
):
    german(techlead)
    clock(0)
    with django_capture_on_commit_callbacks(execute=True):
        review = services.review_open(use_case=use_case, by=lead)
        upload_required(review, sponsor)
        assess_all(review, sponsor)
        services.review_submit(review=review, by=sponsor)
        approve_all(review)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.gate_decide(
            review=review,
            by=lead,
            decision="conditional_go",
            rationale="Good enough with one fix.",
            conditions=[
                {
                    "description": "Anonymise the training data",
                    "owner": techlead,
                    "due_date": datetime.date(2025, 3, 20),
                }
            ],
        )
    condition = Notification.objects.get(kind=Kind.CONDITION_ASSIGNED)
    assert condition.recipient == techlead
    assert condition.subject.startswith("Ihnen zugewiesene Auflage: „Claims triage assistant“")
    assert "fällig am 20. März 2025" in condition.subject
    assert "Anonymise the training data" in condition.body
    assert "Bedingtes Go" in condition.body
    decided = Notification.objects.get(kind=Kind.GATE_DECIDED, recipient=techlead)
    assert "für „Claims triage assistant“ entschieden" in decided.subject
    # The sponsor chose nothing: English, as before.
    assert Notification.objects.get(kind=Kind.GATE_DECIDED, recipient=sponsor).subject.endswith(
        "decided for “Claims triage assistant”: Conditional Go"
    )


def test_a_german_digest(gate1_review, clock, sponsor, settings):
    german(sponsor)
    settings.NOTIFICATIONS_DIGEST_HOUR = 7
    preferences_update(user=sponsor, email_mode=EmailMode.DIGEST, email_kinds_off=[])
    clock(2)  # reminder 1, queued for the digest
    sweep()
    emails_deliver_pending()
    mail.outbox.clear()
    clock(3)
    assert digests_send().emails == 1
    (digest,) = mail.outbox
    assert digest.subject == "StageGate-Tageszusammenfassung: 1 Benachrichtigung"
    assert digest.body.startswith("Guten Tag Sam Sponsor,")
    assert "hier ist Ihre 1 StageGate-Benachrichtigung seit Ihrer letzten Zusammenfassung." in (
        digest.body
    )
    assert "Erinnerung: Ihre Genehmigung des Gate 1 (zu " in digest.body


def _people(count: int, start: int) -> list:
    User = get_user_model()
    people = [
        User.objects.create_user(f"reader{start + i}", email=f"reader{start + i}@example.com")
        for i in range(count)
    ]
    for person in people[::2]:
        german(person)
    return people


def _drafts(people, object_id: int) -> list[Draft]:
    compose = texts.later(
        texts.pack_ready, use_case="Claims triage assistant", gate=(2, "pilot", "poc")
    )
    return [
        Draft(p.pk, Kind.PACK_READY, "pack", object_id, "", "", "", "/reviews/1/", compose)
        for p in people
    ]


def test_the_languages_cost_the_same_queries_for_few_or_many_recipients(
    django_assert_num_queries, gate1_review
):
    few, many = _people(2, 0), _people(40, 100)
    notifications_create(_drafts(few, 1))  # warm up whatever is read once
    with django_assert_num_queries(4) as few_queries:
        notifications_create(_drafts(few, 2))
    with django_assert_num_queries(len(few_queries.captured_queries)):
        notifications_create(_drafts(many, 3))
    rows = Notification.objects.filter(kind=Kind.PACK_READY, object_id=3)
    subjects = {row.recipient.username: row.subject for row in rows.select_related("recipient")}
    assert subjects["reader100"].startswith("Gate-Paket bereit: Gate 2 (zu ")
    assert subjects["reader101"].startswith("Gate pack ready: Gate 2 (to ")
