"""Bulk import of use cases (services.usecase_import): a dry run reports every
problem with its row and column and changes nothing; an import creates every
row or none, through the propose service, audited."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput, PermissionRefused
from core.models import AuditEvent
from tests.factories import BusinessUnitFactory, UseCaseFactory
from tests.usecases.import_files import HEADER, csv_file, xlsx_file
from usecases.models import MemberRole, UseCase, UseCaseMember
from usecases.services import ImportRefused, usecase_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def retail(db):
    return BusinessUnitFactory(name="Retail Banking", code="retail")


def _problems(report):
    return [(p.row, p.column, p.message) for p in report.problems]


def test_it_reports_every_problem_with_row_and_column_in_a_dry_run(
    sponsor, business_unit, retail, techlead
):
    file = csv_file(
        [
            HEADER,
            ["Claims intake bot", "Reads claim forms.", "claims", "techlead"],
            ["", "No title here.", "Claims Operations", ""],
            ["Fraud scoring", "Scores claims.", "nowhere", "nobody"],
            ["Retail advisor", "Advises.", "retail", ""],
            ["x" * 201, "Too long a title.", "claims", ""],
        ]
    )
    report = usecase_import(by=sponsor, file=file, dry_run=True)
    assert report.rows == 5
    problems = _problems(report)
    assert (3, "title", "This column is required.") in problems
    assert (4, "business_unit", "No business unit has the code or name “nowhere”.") in problems
    assert (
        4,
        "technical_lead",
        "No active person has the username or e-mail address “nobody”.",
    ) in problems
    # Sponsor holds no role in Retail Banking: the propose rule, for that row.
    assert [p[:2] for p in problems if p[0] == 5] == [(5, "business_unit")]
    assert "You hold no role in Retail Banking" in next(m for r, _c, m in problems if r == 5)
    assert [p[:2] for p in problems if p[0] == 6] == [(6, "title")]
    assert 2 not in {p[0] for p in problems}
    assert report.created == []
    assert not UseCase.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="usecase.").exists()


def test_it_reads_xlsx_rows_with_their_sheet_row_numbers(sponsor, business_unit):
    file = xlsx_file(
        [
            ["Title", "SUMMARY", "Business unit", "Colour"],
            ["Claims intake bot", "Reads claim forms.", "claims", "blue"],
            [None, None, None, None],
            ["Fraud scoring", None, "claims", None],
        ]
    )
    report = usecase_import(by=sponsor, file=file, dry_run=True)
    assert report.rows == 2
    assert _problems(report) == [
        (1, "Colour", "Unknown column. The columns are: " + _column_names() + "."),
    ]
    file = xlsx_file(
        [
            ["Title", "SUMMARY", "Business unit"],
            ["Claims intake bot", "Reads claim forms.", "claims"],
            [None, None, None],
            ["Fraud scoring", None, "claims"],
        ]
    )
    report = usecase_import(by=sponsor, file=file, dry_run=True)
    assert _problems(report) == [(4, "summary", "This column is required.")]


def _column_names() -> str:
    from usecases.imports import COLUMNS

    return ", ".join(c.name for c in COLUMNS)


def test_it_creates_nothing_when_one_row_is_bad(sponsor, business_unit):
    file = csv_file(
        [
            HEADER,
            ["Claims intake bot", "Reads claim forms.", "claims", ""],
            ["Fraud scoring", "Scores claims.", "claims", "nobody"],
        ]
    )
    with pytest.raises(ImportRefused) as refused:
        usecase_import(by=sponsor, file=file, dry_run=False)
    assert _problems(refused.value.report) == [
        (3, "technical_lead", "No active person has the username or e-mail address “nobody”.")
    ]
    assert "nothing was imported" in refused.value.message
    assert not UseCase.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="usecase.").exists()


def test_it_rolls_back_rows_the_service_created_when_a_later_row_fails(
    lead, business_unit, techlead
):
    """The second row passes parsing but the service refuses it (a title with
    a line break): the first row's use case, created already, rolls back."""
    file = csv_file(
        [
            HEADER,
            ["Claims intake bot", "Reads claim forms.", "claims", "techlead"],
            ["Fraud\nscoring", "Scores claims.", "claims", ""],
        ]
    )
    with pytest.raises(ImportRefused) as refused:
        usecase_import(by=lead, file=file, dry_run=False)
    assert [(p.row, p.column) for p in refused.value.report.problems] == [(3, "title")]
    assert not UseCase.objects.exists()
    assert not UseCaseMember.objects.exists()


def test_it_imports_every_row_through_the_propose_service_and_audits_it(
    sponsor, business_unit, techlead
):
    file = csv_file(
        [
            ["title", "summary", "business_unit", "technical_lead", "quantified_outcome"],
            ["Claims intake bot", "Reads claim forms.", "claims", "TECHLEAD", "Cut by 30%"],
            ["Fraud scoring", "Scores claims.", "Claims Operations", "techlead@example.com", ""],
        ],
        delimiter=";",
        bom=True,
        name="q3.csv",
    )
    report = usecase_import(by=sponsor, file=file, dry_run=False)
    created = list(UseCase.objects.order_by("pk"))
    assert report.created == [u.pk for u in created]
    assert [u.title for u in created] == ["Claims intake bot", "Fraud scoring"]
    assert created[0].quantified_outcome == "Cut by 30%"
    assert {u.stage for u in created} == {"discovery"}
    for use_case in created:
        roles = set(use_case.members.values_list("user__username", "role"))
        assert roles == {("sponsor", MemberRole.SPONSOR), ("techlead", MemberRole.TECHNICAL_LEAD)}
    assert AuditEvent.objects.filter(action="usecase.created").count() == 2
    assert AuditEvent.objects.filter(action="usecase.member_added").count() == 2
    summary = AuditEvent.objects.get(action="usecase.imported")
    assert summary.actor == sponsor
    assert summary.payload == {"file": "q3.csv", "rows": 2, "ids": report.created}


def test_it_reports_duplicate_titles_in_the_file_and_in_the_unit(sponsor, business_unit):
    UseCaseFactory(title="Claims Triage Assistant", business_unit=business_unit)
    file = csv_file(
        [
            HEADER,
            ["claims triage assistant", "Again.", "claims", ""],
            ["Fraud scoring", "Scores claims.", "claims", ""],
            ["FRAUD SCORING", "Twice in the file.", "claims", ""],
        ]
    )
    report = usecase_import(by=sponsor, file=file, dry_run=True)
    assert _problems(report) == [
        (2, "title", "Claims Operations already has a use case with this title."),
        (4, "title", "Row 3 has the same title in the same business unit."),
    ]


def test_it_refuses_more_rows_than_the_limit(settings, sponsor, business_unit):
    settings.IMPORT_MAX_ROWS = 3
    rows = [HEADER] + [[f"Use case {n}", "Summary.", "claims", ""] for n in range(4)]
    report = usecase_import(by=sponsor, file=csv_file(rows), dry_run=True)
    assert _problems(report) == [(5, "", "An import takes at most 3 rows: split the file.")]
    with pytest.raises(ImportRefused):
        usecase_import(by=sponsor, file=csv_file(rows), dry_run=False)
    assert not UseCase.objects.exists()
    report = usecase_import(by=sponsor, file=csv_file(rows[:4]), dry_run=True)
    assert report.clean and report.rows == 3


def test_it_refuses_a_file_larger_than_the_byte_limit(settings, sponsor, business_unit):
    settings.IMPORT_MAX_BYTES = 100
    rows = [HEADER, ["Claims intake bot", "x" * 200, "claims", ""]]
    with pytest.raises(InvalidInput) as refused:
        usecase_import(by=sponsor, file=csv_file(rows), dry_run=True)
    assert refused.value.field == "file"
    assert "larger than 100 bytes" in refused.value.message


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cases.pdf", b"%PDF-1.4", "Upload a .csv or .xlsx file"),
        ("cases.xlsx", b"title,summary\n", "is not an XLSX workbook"),
        ("cases.csv", "title\n\xe9".encode("latin-1"), "not UTF-8"),
        ("cases.csv", b"", "The file is empty."),
        ("cases.csv", b"\n\ntitle\n", "The first row must be the header"),
    ],
)
def test_it_refuses_a_file_it_cannot_read(sponsor, business_unit, name, content, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(InvalidInput) as refused:
        usecase_import(by=sponsor, file=SimpleUploadedFile(name, content), dry_run=True)
    assert message in refused.value.message
    assert refused.value.field == "file"


def test_it_refuses_people_who_may_not_propose(executive, business_unit):
    with pytest.raises(PermissionRefused):
        usecase_import(by=executive, file=csv_file([HEADER]), dry_run=True)


def test_a_sponsor_may_not_name_another_sponsor_but_a_lead_may(
    sponsor, lead, business_unit, techlead
):
    rows = [
        ["title", "summary", "business_unit", "sponsor"],
        ["Claims intake bot", "Reads claim forms.", "claims", "techlead"],
    ]
    report = usecase_import(by=sponsor, file=csv_file(rows), dry_run=True)
    assert _problems(report) == [
        (2, "sponsor", "Only a program lead may name someone else as sponsor.")
    ]
    report = usecase_import(by=lead, file=csv_file(rows), dry_run=False)
    use_case = UseCase.objects.get(pk=report.created[0])
    assert list(use_case.members.values_list("user__username", "role")) == [
        ("techlead", MemberRole.SPONSOR)
    ]


def _queries(by, rows) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        usecase_import(by=by, file=csv_file([HEADER, *rows]), dry_run=True)
    return len(captured)


def test_reading_a_file_does_not_grow_with_its_rows(sponsor, business_unit, techlead):
    """Units and people are read once per file: a file whose rows all fail to
    parse costs the same at 3 and 30 rows."""
    bad = ["Claims intake bot", "Reads forms.", "nowhere", "techlead"]
    _queries(sponsor, [bad])  # the person's roles, read once per request
    assert _queries(sponsor, [bad] * 3) == _queries(sponsor, [bad] * 30)


def test_each_row_costs_the_same_queries_whatever_the_size(sponsor, business_unit, techlead):
    def rows(count: int) -> list[list[str]]:
        return [[f"Case {n}", "Summary.", "claims", "techlead"] for n in range(count)]

    _queries(sponsor, rows(1))  # the person's roles, read once per request
    small, large = _queries(sponsor, rows(3)), _queries(sponsor, rows(9))
    # Each row is written through the services (savepoints, the use case, its
    # team, their audit events): the same cost per row, none per file size.
    per_row = (large - small) / 6
    assert per_row == int(per_row) and per_row <= 35
    assert small - 3 * per_row <= 12  # the file's own reads


def test_it_refuses_a_sheet_of_endless_empty_rows(sponsor, business_unit):
    from usecases.imports import MAX_EMPTY_ROWS

    rows = [HEADER, *([[None, None, None, None]] * 5), ["Claims intake bot", "S.", "claims", ""]]
    report = usecase_import(by=sponsor, file=xlsx_file(rows), dry_run=True)
    assert report.clean and report.rows == 1
    book_rows = [HEADER, *([["", "", "", " "]] * (MAX_EMPTY_ROWS + 1))]
    with pytest.raises(InvalidInput) as refused:
        usecase_import(by=sponsor, file=csv_file(book_rows), dry_run=True)
    assert "empty rows" in refused.value.message
