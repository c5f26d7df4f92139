"""The latest version of each artifact type: kept on the row by the upload
that adds a version, one per use case and type in the database, and the
portfolio's expiring evidence found by ranges of upload time that give the
same answer as comparing every expiry, on the clamped days of a short month
and in a time zone ahead of UTC."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction

from gates import services
from gates.models import Artifact, ArtifactType, _last_upload_day, add_months
from gates.selectors import expiring_evidence
from notifications.models import Kind, Notification
from notifications.sweeps import sweep
from tests.factories import UseCaseFactory
from tests.gates.helpers import isolate, text_file

pytestmark = pytest.mark.django_db

RISK = "Preliminary risk assessment"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.EVIDENCE_EXPIRY_NOTICE_DAYS = 30
    return isolate(settings, tmp_path)


def upload(use_case, by, name: str = RISK, when: datetime.datetime | None = None) -> Artifact:
    with time_machine.travel(when or datetime.datetime(2026, 1, 10, tzinfo=datetime.UTC)):
        return services.artifact_upload(
            use_case=use_case,
            by=by,
            artifact_type=ArtifactType.objects.get(name=name),
            file=text_file("evidence.md"),
        )


def latest_flags(use_case) -> list[tuple[str, int, bool]]:
    return sorted(
        Artifact.objects.filter(use_case=use_case).values_list(
            "artifact_type__name", "version", "is_latest"
        )
    )


def test_each_upload_is_the_latest_of_its_type_until_the_next(
    use_case, business_unit, sponsor, techlead
):
    other = UseCaseFactory(business_unit=business_unit, sponsor=sponsor, technical_lead=techlead)
    upload(use_case, sponsor)
    upload(use_case, sponsor, "Use case scorecard")
    upload(other, sponsor)
    assert latest_flags(use_case) == [(RISK, 1, True), ("Use case scorecard", 1, True)]

    upload(use_case, techlead)
    upload(use_case, sponsor)
    assert latest_flags(use_case) == [
        (RISK, 1, False),
        (RISK, 2, False),
        (RISK, 3, True),
        ("Use case scorecard", 1, True),
    ]
    # Another use case's version of the same type is its own latest.
    assert latest_flags(other) == [(RISK, 1, True)]


def test_the_database_refuses_two_latest_versions_of_a_type(use_case, sponsor):
    first = upload(use_case, sponsor)
    upload(use_case, sponsor)
    with pytest.raises(IntegrityError), transaction.atomic():
        Artifact.objects.filter(pk=first.pk).update(is_latest=True)
    assert latest_flags(use_case) == [(RISK, 1, False), (RISK, 2, True)]


@pytest.mark.parametrize("months", [1, 2, 6, 12, 13, 24])
def test_the_last_upload_day_is_exact_for_every_day(months):
    """An upload on the last day expires by the day; one a day later does
    not (``add_months`` runs forward, so nothing earlier is left out)."""
    day = datetime.date(2026, 1, 1)
    while day < datetime.date(2029, 1, 1):
        last = _last_upload_day(day, months)
        assert add_months(last, months) <= day
        assert add_months(last + datetime.timedelta(days=1), months) > day
        day += datetime.timedelta(days=1)


def test_the_portfolio_list_keeps_an_upload_whose_month_was_clamped(
    use_case, business_unit, sponsor, techlead, executive
):
    """Valid for a month: uploaded on 31 January 2026, it expires on 28
    February (no 31st); uploaded on 1 February, on 1 March."""
    ArtifactType.objects.filter(name=RISK).update(validity_months=1)
    other = UseCaseFactory(business_unit=business_unit, sponsor=sponsor, technical_lead=techlead)
    clamped = upload(
        use_case, sponsor, when=datetime.datetime(2026, 1, 31, 23, tzinfo=datetime.UTC)
    )
    later = upload(other, sponsor, when=datetime.datetime(2026, 2, 1, 1, tzinfo=datetime.UTC))

    def listed(today: datetime.date) -> list[tuple[int, datetime.date]]:
        return [
            (row.artifact.pk, row.expires_on)
            for row in expiring_evidence(user=executive, today=today)
        ]

    # Thirty days' notice: the list runs to 27 Feb, 28 Feb, then 1 Mar.
    assert listed(datetime.date(2026, 1, 28)) == []
    assert listed(datetime.date(2026, 1, 29)) == [(clamped.pk, datetime.date(2026, 2, 28))]
    assert listed(datetime.date(2026, 1, 30)) == [
        (clamped.pk, datetime.date(2026, 2, 28)),
        (later.pk, datetime.date(2026, 3, 1)),
    ]
    # Long expired and never replaced: still listed, as before.
    assert len(listed(datetime.date(2027, 6, 1))) == 2
    # A newer version leaves the list until it nears its own expiry.
    upload(use_case, sponsor, when=datetime.datetime(2026, 2, 20, tzinfo=datetime.UTC))
    assert listed(datetime.date(2026, 1, 30)) == [(later.pk, datetime.date(2026, 3, 1))]


def test_the_local_day_of_the_upload_decides_in_a_time_zone_ahead_of_utc(
    settings, use_case, business_unit, sponsor, techlead, executive
):
    """In Auckland (UTC+13 in January) 31 Jan 10:30 UTC is still the 31st
    there and 11:30 UTC already 1 February: a month's validity ends on 28
    February and on 1 March."""
    settings.TIME_ZONE = "Pacific/Auckland"
    ArtifactType.objects.filter(name=RISK).update(validity_months=1)
    other = UseCaseFactory(business_unit=business_unit, sponsor=sponsor, technical_lead=techlead)
    on_31st = upload(
        use_case, sponsor, when=datetime.datetime(2026, 1, 31, 10, 30, tzinfo=datetime.UTC)
    )
    on_1st = upload(
        other, sponsor, when=datetime.datetime(2026, 1, 31, 11, 30, tzinfo=datetime.UTC)
    )
    rows = expiring_evidence(user=executive, today=datetime.date(2026, 1, 29))
    assert [(row.artifact.pk, row.expires_on) for row in rows] == [
        (on_31st.pk, datetime.date(2026, 2, 28))
    ]
    rows = expiring_evidence(user=executive, today=datetime.date(2026, 1, 30))
    assert [row.artifact.pk for row in rows] == [on_31st.pk, on_1st.pk]


def test_the_sweep_announces_a_clamped_expiry_from_its_first_day_of_notice(use_case, sponsor):
    ArtifactType.objects.filter(name=RISK).update(validity_months=1)
    artifact = upload(
        use_case, sponsor, when=datetime.datetime(2026, 1, 31, 12, tzinfo=datetime.UTC)
    )

    def announced(day: datetime.date) -> int:
        with time_machine.travel(
            datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC), tick=False
        ):
            sweep()
        return Notification.objects.filter(
            kind=Kind.EVIDENCE_EXPIRING, object_id=artifact.pk
        ).count()

    assert announced(datetime.date(2026, 1, 28)) == 0  # 31 days before 28 Feb
    assert announced(datetime.date(2026, 1, 29)) == 1  # 30 days before: the sponsor
    assert announced(datetime.date(2026, 2, 27)) == 1  # once


@pytest.mark.django_db(transaction=True)
def test_the_migration_marks_every_version_a_newer_one_follows(use_case, sponsor):
    """Existing uploads: the newest version of each type and use case is the
    latest, every earlier one not."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("gates", "0015_dashboard_tally")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("gates", "Artifact")
    types = dict(ArtifactType.objects.values_list("name", "pk"))
    for name, versions in ((RISK, 3), ("Use case scorecard", 1)):
        for version in range(1, versions + 1):
            old.objects.create(
                use_case_id=use_case.pk,
                artifact_type_id=types[name],
                version=version,
                file=f"artifacts/{use_case.pk}/{name}-{version}",
                original_name="evidence.md",
                content_type="text/markdown",
                size=1,
                sha256="0" * 64,
                uploaded_by_id=sponsor.pk,
            )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert latest_flags(use_case) == [
        (RISK, 1, False),
        (RISK, 2, False),
        (RISK, 3, True),
        ("Use case scorecard", 1, True),
    ]
    # And the upload after it takes over as the latest.
    upload(use_case, sponsor)
    assert latest_flags(use_case)[2:4] == [(RISK, 3, False), (RISK, 4, True)]


def test_the_dashboards_first_rows_are_the_whole_lists_first_rows(
    business_unit, sponsor, techlead, executive
):
    """With a limit the list stops at the last expiry shown. Ties on a day,
    days a clamped month folds into one (29, 30 and 31 January + 1 month = 28
    February) and two validities give the same rows, in the same order
    (soonest, then the oldest row), as the whole list's first ones."""
    ArtifactType.objects.filter(name=RISK).update(validity_months=1)
    cases = [
        UseCaseFactory(
            title=f"Case {n}", business_unit=business_unit, sponsor=sponsor, technical_lead=techlead
        )
        for n in range(6)
    ]
    utc = datetime.UTC
    on = [
        upload(cases[0], sponsor, when=datetime.datetime(2026, 1, 31, 18, tzinfo=utc)),
        upload(cases[1], sponsor, when=datetime.datetime(2026, 1, 29, 9, tzinfo=utc)),
        upload(cases[2], sponsor, when=datetime.datetime(2026, 1, 30, 7, tzinfo=utc)),
        upload(cases[3], sponsor, when=datetime.datetime(2026, 1, 28, 23, tzinfo=utc)),
        upload(cases[4], sponsor, when=datetime.datetime(2026, 1, 31, 6, tzinfo=utc)),
        # Twelve months from 28 February 2025: 28 February 2026 as well.
        upload(
            cases[5],
            sponsor,
            "Updated risk assessment",
            datetime.datetime(2025, 2, 28, 12, tzinfo=utc),
        ),
    ]
    expired = upload(
        cases[0], sponsor, "Updated risk assessment", datetime.datetime(2025, 2, 1, tzinfo=utc)
    )
    today = datetime.date(2026, 2, 20)
    whole = [
        (row.artifact.pk, row.expires_on) for row in expiring_evidence(user=executive, today=today)
    ]
    # Soonest first, then the oldest row: upload order, not upload time.
    assert whole == [(expired.pk, datetime.date(2026, 2, 1))] + [
        (artifact.pk, datetime.date(2026, 2, 28)) for artifact in on
    ]
    for limit in range(1, len(whole) + 2):
        rows = expiring_evidence(user=executive, today=today, limit=limit)
        assert [(row.artifact.pk, row.expires_on) for row in rows] == whole[:limit], limit
