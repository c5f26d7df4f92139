"""The sweep's set-based SQL (PostgreSQL, ``notifications.bulk``) writes the
very rows its Python drafts write (the path on other databases): the same
delivery keys, links, e-mail routing and text values, so the texts read the
same in every language; and neither path writes again what the other wrote."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.utils import translation

from gates import services
from gates.models import Artifact, ArtifactType
from notifications.models import EmailMode, Kind, Notification
from notifications.services import _COLUMNS, emails_deliver_pending, preferences_update
from notifications.sweeps import sweep
from tests.factories import UseCaseFactory, UserFactory
from tests.gates.helpers import make_submitted_review, text_file
from usecases.models import MemberRole, Status, UseCase, UseCaseMember, UserLanguage

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the set-based sweep is PostgreSQL's"
)

BULK_RULES = ("approval_reminders", "approval_escalations", "usecase_timeliness", "evidence_expiry")
# The columns the SQL path writes, the recipient by name across the two paths.
COLUMNS = ("recipient__username", *_COLUMNS[1:])


def snapshot() -> list[tuple]:
    return sorted(
        Notification.objects.order_by().values_list(*COLUMNS),
        key=lambda row: tuple(str(value) for value in row),
    )


def texts(language: str) -> dict[tuple, tuple[str, str]]:
    """Each row's subject and body as its reader would see them."""
    from django.utils import translation

    with translation.override(language):
        return {
            (n.recipient_id, n.kind, n.object_id, n.period): (n.subject, n.body)
            for n in Notification.objects.all()
        }


@pytest.fixture
def varied_reviews(
    clock, gate1_review, use_case, lead, sponsor, django_capture_on_commit_callbacks
):
    """Three submitted reviews chaired by the lead, whose approvers read
    German with a digest (Sam), turned approval reminders off (the lead), have
    no e-mail address (Nora, no last name), or left (Gus, inactive); the second
    review was returned once and submitted again (round 1)."""
    UserLanguage.objects.create(user=sponsor, language="de")
    preferences_update(user=sponsor, email_mode=EmailMode.DIGEST, email_kinds_off=[])
    preferences_update(
        user=lead, email_mode=EmailMode.IMMEDIATE, email_kinds_off=[Kind.APPROVAL_REMINDER]
    )
    nora = UserFactory(username="nora", first_name="Nora", last_name="", email="")
    gus = UserFactory(username="gus", first_name="Gus", last_name="Gone")
    with django_capture_on_commit_callbacks(execute=True):
        second = make_submitted_review(
            UseCaseFactory(title="Invoice matcher", sponsor=nora), lead, nora
        )
        services.review_return(review=second, by=lead, reason="Add the baseline.")
        services.review_submit(review=second, by=nora)
        make_submitted_review(UseCaseFactory(title="Churn radar", sponsor=gus), lead, gus)
    gus.is_active = False
    gus.save(update_fields=["is_active"])
    second.refresh_from_db()
    assert second.rework_count == 1
    return second


@pytest.mark.parametrize("days", [6, 60])
def test_the_sql_and_python_paths_write_the_same_rows(clock, varied_reviews, days):
    """Day 6: reminders and escalations; day 60: the use cases are overdue
    in their stage and stalled too."""
    clock(days)
    Notification.objects.all().delete()
    offered = sweep(set_based=False)
    python_rows, python_en, python_de = snapshot(), texts("en"), texts("de")

    Notification.objects.all().delete()
    counts = sweep()
    assert snapshot() == python_rows
    assert texts("en") == python_en and texts("de") == python_de
    assert {rule: counts[rule] for rule in BULK_RULES} == {
        rule: offered[rule] for rule in BULK_RULES
    }

    periods = set(Notification.objects.values_list("recipient__username", "kind", "period"))
    number = 1 + (days - 2) // 2
    assert ("lead", Kind.APPROVAL_REMINDER, f"round-1-reminder-{number}") in periods
    assert ("lead", Kind.APPROVAL_ESCALATION, "round-1-escalation") in periods
    assert ("sponsor", Kind.APPROVAL_REMINDER, f"reminder-{number}") in periods
    timeliness = {kind for _, kind, _ in periods} & {Kind.USECASE_OVERDUE, Kind.USECASE_STALLED}
    assert timeliness == (set() if days == 6 else {Kind.USECASE_OVERDUE, Kind.USECASE_STALLED})
    assert not Notification.objects.filter(recipient__username="gus").exists()
    routing = set(
        Notification.objects.filter(kind=Kind.APPROVAL_REMINDER).values_list(
            "recipient__username", "email_status", "email_last_error"
        )
    )
    assert routing == {
        ("lead", "skipped", "This kind is off in the recipient's preferences."),
        ("sponsor", "digest", ""),
        ("nora", "skipped", "The recipient has no e-mail address."),
    }
    names = sorted(
        n.params["pending"] for n in Notification.objects.filter(kind=Kind.APPROVAL_ESCALATION)
    )
    assert names == [["Gus Gone"], ["Nora"], ["Sam Sponsor"]]
    # The table holds the values, not the texts.
    stored = Notification.objects.filter(
        kind__in=[Kind.APPROVAL_REMINDER, Kind.APPROVAL_ESCALATION, Kind.USECASE_STALLED]
    )
    assert set(stored.values_list("subject", "body")) == {("", "")}

    # A rerun on either path writes nothing: neither repeats the other.
    assert {rule: sweep()[rule] for rule in BULK_RULES} == dict.fromkeys(BULK_RULES, 0)
    assert {rule: sweep(set_based=False)[rule] for rule in BULK_RULES} == dict.fromkeys(
        BULK_RULES, 0
    )
    assert snapshot() == python_rows


def test_the_sql_and_python_paths_announce_the_same_expiring_evidence(
    clock, use_case, sponsor, techlead, lead
):
    """Uploads about to expire: the latest version only, two types, a second
    sponsor who reads German with a digest, an uploader who has left, a use
    case on hold whose sponsor has no e-mail address, a killed one."""

    def upload(case, by, name):
        return services.artifact_upload(
            use_case=case,
            by=by,
            artifact_type=ArtifactType.objects.get(name=name),
            file=text_file("evidence.md"),
        )

    risk, scorecard = "Preliminary risk assessment", "Use case scorecard"
    ArtifactType.objects.filter(name=scorecard).update(validity_months=12)
    sam = UserFactory(username="sam2", first_name="Sam", last_name="Second")
    UserLanguage.objects.create(user=sam, language="de")
    preferences_update(user=sam, email_mode=EmailMode.DIGEST, email_kinds_off=[])
    UseCaseMember.objects.create(use_case=use_case, user=sam, role=MemberRole.SPONSOR)
    upload(use_case, techlead, risk)
    upload(use_case, lead, risk)  # the latest: only it is announced
    upload(use_case, sponsor, scorecard)
    nora = UserFactory(username="nora", first_name="Nora", last_name="", email="")
    gus = UserFactory(username="gus", first_name="Gus", last_name="Gone")
    on_hold = UseCaseFactory(title="Invoice matcher", sponsor=nora, contributors=[gus])
    upload(on_hold, gus, risk)
    killed = UseCaseFactory(title="Churn radar", sponsor=nora)
    upload(killed, nora, risk)
    UseCase.objects.filter(pk=on_hold.pk).update(status=Status.ON_HOLD)
    UseCase.objects.filter(pk=killed.pk).update(status=Status.KILLED)
    gus.is_active = False
    gus.save(update_fields=["is_active"])

    clock(365 - 30)  # 30 days before the uploads of T0 expire
    Notification.objects.all().delete()
    offered = sweep(set_based=False)
    python_rows, python_en, python_de = snapshot(), texts("en"), texts("de")
    Notification.objects.all().delete()
    assert sweep()["evidence_expiry"] == offered["evidence_expiry"] == 6
    assert snapshot() == python_rows
    assert texts("en") == python_en and texts("de") == python_de

    rows = set(
        Notification.objects.filter(kind=Kind.EVIDENCE_EXPIRING).values_list(
            "recipient__username", "object_id", "email_status"
        )
    )
    latest_risk, latest_scorecard, held = (
        Artifact.objects.get(use_case=case, artifact_type__name=name, is_latest=True).pk
        for case, name in ((use_case, risk), (use_case, scorecard), (on_hold, risk))
    )
    assert rows == {
        ("lead", latest_risk, "pending"),
        ("sponsor", latest_risk, "pending"),
        ("sam2", latest_risk, "digest"),
        ("sponsor", latest_scorecard, "pending"),
        ("sam2", latest_scorecard, "digest"),
        ("nora", held, "skipped"),
    }
    with translation.override("en"):
        mine = Notification.objects.get(recipient=lead, kind=Kind.EVIDENCE_EXPIRING)
    assert mine.subject == f"Evidence expires in 30 days: {risk} v2 of “{use_case.title}”"
    assert mine.link.endswith(f"/use-cases/{use_case.pk}/artifacts/")
    assert set(
        Notification.objects.filter(kind=Kind.EVIDENCE_EXPIRING).values_list("subject", "body")
    ) == {("", "")}

    # A rerun on either path writes nothing: neither repeats the other.
    assert sweep()["evidence_expiry"] == sweep(set_based=False)["evidence_expiry"] == 0
    assert snapshot() == python_rows


def _backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _inserts(queries) -> int:
    return sum(q["sql"].lstrip().startswith("WITH c AS") for q in queries)


@pytest.mark.parametrize("days", [6, 60])
def test_side_by_side_the_statements_write_what_they_write_one_after_the_other(
    transactional_db, clock, varied_reviews, settings, days
):
    """Called outside a transaction, as by its task, the sweep runs its
    set-based statements on connections of their own, two at a time
    (NOTIFICATIONS_SWEEP_CONNECTIONS): the same rows as those statements one
    after the other in one transaction, nothing on a rerun, and the extra
    connections closed again afterwards."""
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    clock(days)
    Notification.objects.all().delete()
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        in_one = sweep()
    one_after_the_other = snapshot()
    # The reminders in two parts, the timeliness notices in two.
    assert one_after_the_other and _inserts(queries) == 6

    Notification.objects.all().delete()
    connections_before = _backends()
    with CaptureQueriesContext(connection) as queries:
        side_by_side = sweep()
    assert snapshot() == one_after_the_other
    assert side_by_side == in_one
    assert _inserts(queries) == 0  # on the other connections, not this one
    deadline = time.monotonic() + 5
    while _backends() > connections_before and time.monotonic() < deadline:
        time.sleep(0.05)
    # At most as many as before: another process's connection to this
    # database (a server a test before stopped) may close in between.
    assert _backends() <= connections_before

    assert {rule: sweep()[rule] for rule in BULK_RULES} == dict.fromkeys(BULK_RULES, 0)
    settings.NOTIFICATIONS_SWEEP_CONNECTIONS = 1
    Notification.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        assert sweep() == in_one
    assert _inserts(queries) == 6 and snapshot() == one_after_the_other


def test_a_row_another_writer_commits_while_the_insert_waits_on_it_is_left_to_the_key(
    transactional_db, clock, varied_reviews
):
    """A writer outside the rules' locks inserts a row the sweep is about to
    write and commits while the sweep's INSERT waits on it: the INSERT fails
    on the delivery key, runs again with ON CONFLICT DO NOTHING, and the
    sweep ends with every row written once, that one by the other writer."""
    import threading

    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    clock(6)
    Notification.objects.all().delete()
    with transaction.atomic():
        alone = sweep()
    expected = snapshot()
    held = Notification.objects.filter(
        kind=Kind.APPROVAL_REMINDER, recipient__username="sponsor"
    ).values()[0]
    del held["id"]
    Notification.objects.all().delete()

    inserted, waited = threading.Event(), threading.Event()

    def other_writer() -> None:
        try:
            with transaction.atomic():
                Notification.objects.create(**held)
                inserted.set()
                # Commit once the sweep's INSERT waits for this transaction.
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "SELECT count(*) FROM pg_locks WHERE NOT granted"
                            " AND locktype = 'transactionid'"
                            " AND transactionid = xid(pg_current_xact_id())"
                        )
                        if cursor.fetchone()[0]:
                            waited.set()
                            break
                    time.sleep(0.02)
        finally:
            connection.close()

    writer = threading.Thread(target=other_writer)
    writer.start()
    assert inserted.wait(10)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        counts = sweep()
    writer.join(10)

    assert waited.is_set(), "the sweep's INSERT never waited on the other writer's row"
    assert any(q["sql"].rstrip().endswith("ON CONFLICT DO NOTHING") for q in queries)
    assert snapshot() == expected
    assert counts["approval_reminders"] == alone["approval_reminders"] - 1
    assert {rule: counts[rule] for rule in BULK_RULES if rule != "approval_reminders"} == {
        rule: alone[rule] for rule in BULK_RULES if rule != "approval_reminders"
    }


def test_texts_are_written_in_the_readers_language_when_shown_and_mailed(
    clock, varied_reviews, sponsor, lead
):
    from django.core import mail
    from django.utils import translation

    clock(6)
    sweep()
    emails_deliver_pending()
    escalation = next(m for m in mail.outbox if m.subject.startswith("Approvals overdue"))
    assert escalation.to == ["lead@example.com"]
    assert "still waits for: " in escalation.body
    with translation.override("de"):
        row = Notification.objects.get(recipient=sponsor, kind=Kind.APPROVAL_REMINDER)
    assert row.subject.startswith("Erinnerung: Ihre Genehmigung des Gate 1 (zu ")
    with translation.override("en"):
        row = Notification.objects.get(recipient=sponsor, kind=Kind.APPROVAL_REMINDER)
    assert row.subject.startswith("Reminder: your approval of the Gate 1 (to POC) review")
    assert "has waited 6 days for your decision (reminder 3)" in row.body


def test_a_sweep_that_wrote_many_rows_leaves_fresh_statistics(clock, varied_reviews, monkeypatch):
    """After a bulk insert the planner must not take the table for the empty
    one it last analysed (bulk.analyze): here, any rule writing a row counts."""
    from notifications import bulk

    monkeypatch.setattr(bulk, "ANALYZE_AFTER_ROWS", 1)
    clock(6)
    Notification.objects.all().delete()
    sweep()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = 'notifications_notification'::regclass"
        )
        assert cursor.fetchone()[0] == Notification.objects.count() > 0
