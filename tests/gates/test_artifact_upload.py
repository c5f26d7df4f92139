"""artifact_upload: hostile files are refused with a clear message and leave
nothing behind; accepted files are versioned, never overwritten."""

from __future__ import annotations

import hashlib

import pytest

from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.models import AuditEvent
from gates import services
from gates.models import Artifact
from tests.gates.helpers import (
    JPEG_BYTES,
    KILL_EXIT,
    PDF_BYTES,
    PNG_BYTES,
    artifact_type,
    files_under,
    isolate,
    make_open_review,
    named_file,
    ooxml_bytes,
)

pytestmark = pytest.mark.django_db

ALLOWED = "csv, docx, jpeg, jpg, md, pdf, png, pptx, txt, xlsx"
PATH_REFUSAL = "The file name must not contain a path (/, \\ or ..)."
CONTROL_REFUSAL = "The file name contains control characters."


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


def upload(use_case, by, name, content, gate=1, position=1, **kwargs):
    return services.artifact_upload(
        use_case=use_case,
        by=by,
        artifact_type=artifact_type(gate, position),
        file=named_file(name, content),
        **kwargs,
    )


HOSTILE = [
    pytest.param(
        "setup.exe",
        b"MZ\x90\x00binary",
        f"Files of type .exe are not accepted. Allowed: {ALLOWED}.",
        id="exe",
    ),
    pytest.param(
        "page.html",
        b"<html><script>alert(1)</script></html>",
        f"Files of type .html are not accepted. Allowed: {ALLOWED}.",
        id="html",
    ),
    pytest.param(
        "logo.svg",
        b'<svg onload="alert(1)"/>',
        f"Files of type .svg are not accepted. Allowed: {ALLOWED}.",
        id="svg",
    ),
    pytest.param(
        "README",
        b"hello",
        f"The file name has no extension. Allowed: {ALLOWED}.",
        id="no-extension",
    ),
    pytest.param(
        "report.pdf", PNG_BYTES, "The file's content is not a valid .pdf file.", id="png-named-pdf"
    ),
    pytest.param(
        "notes.docx",
        b"just some text\n",
        "The file's content is not a valid .docx file.",
        id="text-named-docx",
    ),
    pytest.param(
        "fake.docx",
        ooxml_bytes("other/part.xml"),
        "The file's content is not a valid .docx file.",
        id="zip-without-word-named-docx",
    ),
    pytest.param(
        "sheet.xlsx",
        ooxml_bytes("word/document.xml"),
        "The file's content is not a valid .xlsx file.",
        id="docx-named-xlsx",
    ),
    pytest.param(
        "chart.png", PDF_BYTES, "The file's content is not a valid .png file.", id="pdf-named-png"
    ),
    pytest.param(
        "photo.jpg", PNG_BYTES, "The file's content is not a valid .jpg file.", id="png-named-jpg"
    ),
    pytest.param("../../etc/passwd.txt", b"root:x:0:0\n", PATH_REFUSAL, id="traversal"),
    pytest.param("a/b.txt", b"text\n", PATH_REFUSAL, id="slash"),
    pytest.param("..\\x.txt", b"text\n", PATH_REFUSAL, id="backslash"),
    pytest.param("bad\x00name.txt", b"text\n", CONTROL_REFUSAL, id="nul-in-name"),
    pytest.param("bad\nname.txt", b"text\n", CONTROL_REFUSAL, id="newline-in-name"),
    pytest.param("\u202egnp.txt", b"text\n", CONTROL_REFUSAL, id="rtl-override"),
    pytest.param(
        "a" * 296 + ".txt",
        b"text\n",
        "The file name is longer than 150 characters.",
        id="overlong-name",
    ),
    pytest.param(
        ".hidden.txt",
        b"text\n",
        "The file name must not start with a dot or dash or with spaces.",
        id="dotfile",
    ),
    pytest.param(
        "data.csv",
        bytes(range(256)) * 4,
        "The file's content is not a valid .csv file.",
        id="binary-named-csv",
    ),
    pytest.param(
        "notes.txt",
        b"first line\x00second line\n",
        "The file's content is not a valid .txt file.",
        id="nul-in-txt",
    ),
    pytest.param("empty.txt", b"", "The file is empty.", id="empty"),
    pytest.param("", b"text\n", "The file has no name.", id="no-name"),
]


@pytest.mark.parametrize(("name", "content", "message"), HOSTILE)
def test_it_refuses_a_hostile_upload_and_stores_nothing(
    media_root, sponsor, use_case, name, content, message
):
    with pytest.raises(InvalidInput) as caught:
        upload(use_case, sponsor, name, content)

    assert caught.value.message == message
    assert caught.value.field == "file"
    assert not Artifact.objects.exists()
    assert files_under(media_root) == []
    assert not AuditEvent.objects.filter(action="artifact.uploaded").exists()


def test_it_refuses_a_file_over_the_size_limit(settings, media_root, sponsor, use_case):
    settings.ARTIFACT_MAX_BYTES = 1536

    with pytest.raises(InvalidInput) as caught:
        upload(use_case, sponsor, "big.txt", b"x" * 1537)

    assert caught.value.message == "The file is larger than the 1.5 KB limit."
    assert not Artifact.objects.exists()
    assert files_under(media_root) == []


def test_it_accepts_a_file_exactly_at_the_size_limit(settings, sponsor, use_case):
    settings.ARTIFACT_MAX_BYTES = 1536

    artifact = upload(use_case, sponsor, "edge.txt", b"x" * 1536)

    assert artifact.size == 1536


def test_it_words_the_default_limit_in_megabytes(settings, sponsor, use_case):
    settings.ARTIFACT_MAX_BYTES = 25 * 1024 * 1024

    with pytest.raises(InvalidInput) as caught:
        upload(use_case, sponsor, "big.txt", b"x" * (25 * 1024 * 1024 + 1))

    assert caught.value.message == "The file is larger than the 25 MB limit."


def test_it_refuses_an_inactive_artifact_type(media_root, sponsor, use_case):
    retired = artifact_type(1, 2)
    retired.is_active = False
    retired.save()

    with pytest.raises(InvalidInput) as caught:
        services.artifact_upload(
            use_case=use_case, by=sponsor, artifact_type=retired, file=named_file("a.txt", b"a")
        )

    assert caught.value.message == (
        "“Data availability assessment” is no longer an artifact type of the framework."
    )
    assert not Artifact.objects.exists()
    assert files_under(media_root) == []


def test_it_refuses_a_note_over_1000_characters(media_root, sponsor, use_case):
    with pytest.raises(InvalidInput) as caught:
        upload(use_case, sponsor, "a.txt", b"a", note="n" * 1001)

    assert caught.value.message == "The note is longer than 1,000 characters."
    assert files_under(media_root) == []


@pytest.mark.parametrize("who", ["outsider", "executive", "buhead", "cio"])
def test_it_refuses_people_without_an_uploading_role(request, media_root, use_case, who):
    person = request.getfixturevalue(who)

    with pytest.raises(PermissionRefused) as caught:
        upload(use_case, person, "a.txt", b"evidence\n")

    assert caught.value.message == (
        "Only the use case's sponsor, technical lead, contributors and program leads "
        "may upload artifacts."
    )
    assert not Artifact.objects.exists()
    assert files_under(media_root) == []


@pytest.mark.parametrize("who", ["sponsor", "techlead", "contributor", "lead"])
def test_it_lets_the_team_and_program_leads_upload(request, use_case, who):
    person = request.getfixturevalue(who)

    artifact = upload(use_case, person, "a.txt", b"evidence\n")

    assert artifact.uploaded_by == person


def test_it_refuses_uploads_to_a_killed_use_case(media_root, lead, sponsor, use_case):
    review = make_open_review(use_case, lead)
    services.gate_decide(
        review=review, by=lead, decision="kill", rationale="No value.", **KILL_EXIT
    )

    with pytest.raises(TransitionRefused) as caught:
        upload(use_case, sponsor, "a.txt", b"evidence\n")

    assert caught.value.message == "This use case was killed at a gate; it is read-only."
    assert caught.value.reasons == ["Killed use cases are terminal."]
    assert not Artifact.objects.exists()
    assert files_under(media_root) == []


ACCEPTED = [
    ("report.pdf", PDF_BYTES, "application/pdf"),
    (
        "memo.docx",
        ooxml_bytes("word/document.xml"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "figures.xlsx",
        ooxml_bytes("xl/workbook.xml"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "deck.pptx",
        ooxml_bytes("ppt/presentation.xml"),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("data.csv", b"month,claims\n2025-01,2000\n", "text/csv"),
    ("notes.txt", "Résumé: figures hold.\r\n\tIndented.\n".encode(), "text/plain"),
    ("README.md", b"# Findings\n\n- point\n", "text/markdown"),
    ("chart.png", PNG_BYTES, "image/png"),
    ("photo.jpg", JPEG_BYTES, "image/jpeg"),
    ("PHOTO.JPEG", JPEG_BYTES, "image/jpeg"),
]


@pytest.mark.parametrize(("name", "content", "content_type"), ACCEPTED)
def test_it_stores_an_accepted_file_with_what_it_checked(
    media_root, sponsor, use_case, name, content, content_type
):
    artifact = upload(use_case, sponsor, name, content, note="First cut")

    artifact.refresh_from_db()
    assert artifact.version == 1
    assert artifact.original_name == name
    assert artifact.content_type == content_type
    assert artifact.size == len(content)
    assert artifact.sha256 == hashlib.sha256(content).hexdigest()
    assert artifact.note == "First cut"
    # The stored name is generated, never built from the uploader's file name.
    assert artifact.file.name.startswith(f"artifacts/{use_case.pk}/")
    stem = name.rsplit(".", 1)[0]
    assert stem not in artifact.file.name and name not in artifact.file.name
    assert files_under(media_root) == [media_root / artifact.file.name]
    with artifact.file.open("rb") as stored:
        assert stored.read() == content


def test_it_writes_the_upload_to_the_audit_trail(sponsor, use_case):
    artifact = upload(use_case, sponsor, "report.pdf", PDF_BYTES)

    event = AuditEvent.objects.get(action="artifact.uploaded")
    assert event.actor == sponsor
    assert event.use_case == use_case
    assert event.object_id == str(artifact.pk)
    assert event.summary == "Uploaded Use case scorecard v1: report.pdf"
    assert event.payload == {
        "artifact_type": "g1-use-case-scorecard",
        "version": 1,
        "sha256": hashlib.sha256(PDF_BYTES).hexdigest(),
        "size": len(PDF_BYTES),
    }


def test_it_versions_uploads_of_the_same_type_and_never_overwrites(
    media_root, sponsor, techlead, use_case
):
    first = upload(use_case, sponsor, "scorecard.txt", b"version one\n")
    second = upload(use_case, techlead, "scorecard.txt", b"version two\n")
    other_type = upload(use_case, sponsor, "scorecard.txt", b"other type\n", position=2)

    first.refresh_from_db()
    assert (first.version, second.version, other_type.version) == (1, 2, 1)
    assert first.file.name != second.file.name
    assert len(files_under(media_root)) == 3
    with first.file.open("rb") as stored:
        assert stored.read() == b"version one\n"
    with second.file.open("rb") as stored:
        assert stored.read() == b"version two\n"
    assert first.sha256 != second.sha256
    assert (
        Artifact.objects.filter(use_case=use_case, artifact_type=first.artifact_type).count() == 2
    )


def test_it_numbers_versions_per_use_case(sponsor, business_unit, use_case):
    from tests.factories import UseCaseFactory

    other = UseCaseFactory(business_unit=business_unit, sponsor=sponsor)

    upload(use_case, sponsor, "a.txt", b"a\n")
    elsewhere = upload(other, sponsor, "a.txt", b"a\n")

    assert elsewhere.version == 1


def test_it_still_takes_a_retired_type_that_an_open_review_requires(lead, sponsor, use_case):
    review = make_open_review(use_case, lead)
    retired = artifact_type(1, 2)
    retired.is_active = False
    retired.save()

    artifact = services.artifact_upload(
        use_case=use_case, by=sponsor, artifact_type=retired, file=named_file("a.txt", b"a\n")
    )

    assert artifact.version == 1
    missing = services.submission_blockers(review)
    assert "Missing artifact: Data availability assessment" not in missing
