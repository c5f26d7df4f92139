"""``manage.py verify_stored_files``: every artifact and pack read back from
the storage the settings choose and checked against the sha256 recorded when
it was stored; missing and changed files named, what no row refers to listed,
nothing written or deleted."""

from __future__ import annotations

import hashlib
import io
import re
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.db import connection
from django.template.defaultfilters import filesizeformat

from core import storage as core_storage
from gates.models import Artifact
from tests.storage.conftest import (
    interrupted,
    on_store_events,
    sent_together,
    store_requests,
)
from tests.workers import end_backend


def verify(*args: str) -> str:
    out = io.StringIO()
    call_command("verify_stored_files", *args, stdout=out)
    return out.getvalue()


@dataclass
class Files:
    """The files of the storage under test, changed behind the application's back."""

    store: Any = None  # the object store, or None for the local disk
    root: Path | None = None

    def write(self, name: str, content: bytes) -> None:
        if self.store is not None:
            self.store.client().put_object(
                Bucket=self.store.bucket, Key=f"media/{name}", Body=content
            )
        else:
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)

    def remove(self, name: str) -> None:
        if self.store is not None:
            self.store.client().delete_object(Bucket=self.store.bucket, Key=f"media/{name}")
        else:
            (self.root / name).unlink()

    @property
    def where(self) -> str:
        """How the commands name the storage."""
        if self.store is not None:
            return f"s3://{self.store.bucket}/media/ at {self.store.url}"
        return str(self.root)

    def names(self) -> list[str]:
        if self.store is not None:
            return [key.removeprefix("media/") for key in self.store.object_keys()]
        return sorted(
            p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file()
        )


@pytest.fixture(params=["object store", "local disk"])
def files(request, settings, tmp_path) -> Files:
    """The default storage: moto's S3 server on loopback, or MEDIA_ROOT."""
    if request.param == "object store":
        return Files(store=request.getfixturevalue("on_object_store"))
    settings.MEDIA_ROOT = tmp_path / "media"
    return Files(root=settings.MEDIA_ROOT)


def test_every_stored_file_is_checked_and_a_missing_or_changed_one_named(files, ready_pack):
    artifacts = list(Artifact.objects.order_by("pk"))
    assert len(artifacts) > 5
    stored = files.names()
    assert len(stored) == len(artifacts) + 1
    total = sum(a.size for a in artifacts) + ready_pack.size

    asked = store_requests(storages["default"]) if files.store is not None else None
    assert verify() == (
        f"Checking {files.where}.\n"
        f"Checked {len(artifacts) + 1} files ({filesizeformat(total)}) against their recorded "
        "sha256 and the audit trail.\n"
    )
    if asked is not None:  # one request a file, streamed: no HEAD first, no spooling
        assert asked == ["GetObject"] * (len(artifacts) + 1)
    listed = verify("--unreferenced")
    assert listed.endswith("0 files in the storage that no row refers to.\n")

    changed, missing, rewritten = artifacts[0], artifacts[1], artifacts[2]
    files.write(changed.file.name, b"not what was uploaded")
    files.remove(missing.file.name)
    files.write(ready_pack.file.name, b"%PDF-1.7 another pack")
    files.write("artifacts/stray/left-over.md", b"# A write whose row never was\n")
    # A file replaced and its row's sha256 with it, behind the application's
    # back: the audit trail still holds the sha256 of what was uploaded.
    forged = b"# Other findings\n"
    files.write(rewritten.file.name, forged)
    Artifact.objects.filter(pk=rewritten.pk).update(
        sha256=hashlib.sha256(forged).hexdigest(), size=len(forged)
    )
    # Only the row's sha256 changed: two problems, one file.
    row_only = artifacts[3]
    Artifact.objects.filter(pk=row_only.pk).update(sha256="0" * 64)

    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("verify_stored_files", "--unreferenced", stdout=out)
    message = str(refused.value)
    assert message.startswith("5 files not as recorded:")
    assert message.count(f"artifact {row_only.pk} ") == 2
    assert f"missing: artifact {missing.pk} ({missing.file.name})" in message
    assert f"does not match its recorded sha256: artifact {changed.pk}" in message
    assert f"does not match its recorded sha256: gate pack {ready_pack.pk}" in message
    assert (
        f"its recorded sha256 is not the one the audit trail recorded: artifact {rewritten.pk}"
        in message
    )
    assert f"artifact {artifacts[4].pk}" not in message
    assert out.getvalue().startswith(f"Checking {files.where}.\nChecked {len(artifacts)} files")
    assert "1 file in the storage that no row refers to:\n- artifacts/stray/left-over.md\n" in (
        out.getvalue()
    )
    # Nothing written or deleted.
    assert sorted(files.names()) == sorted(
        [*(n for n in stored if n != missing.file.name), "artifacts/stray/left-over.md"]
    )


@pytest.mark.parametrize(
    "command", [["verify_stored_files"], ["copy_media_to_storage", "--from", "{disk}"]]
)
def test_with_the_store_down_the_commands_say_so(
    command, on_object_store, ready_pack_row, tmp_path
):
    on_object_store.stop()
    out = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command(*(arg.format(disk=tmp_path) for arg in command), stdout=out)
    where = f"s3://{on_object_store.bucket}/media/ at {on_object_store.url}"
    said = f"The object store did not answer ({where}): Could not connect to the endpoint URL"
    assert str(refused.value).startswith(f'{said}: "{on_object_store.url}/')
    # What was done until then, said first.
    assert "before the store stopped answering" in out.getvalue()


@pytest.mark.parametrize(
    "command", [["verify_stored_files"], ["copy_media_to_storage", "--from", "{disk}"]]
)
def test_a_bucket_that_is_not_there_is_named_with_the_settings_to_check(
    command, on_object_store, ready_pack_row, settings, tmp_path
):
    on_object_store.use_with(settings, bucket_name="no-such-bucket")
    with pytest.raises(CommandError) as refused:
        call_command(*(arg.format(disk=tmp_path) for arg in command), stdout=io.StringIO())
    message = str(refused.value)
    assert message.startswith(
        f"The object store refused (s3://no-such-bucket/media/ at {on_object_store.url}): "
    )
    assert "NoSuchBucket" in message
    assert message.endswith(
        "Check S3_BUCKET, S3_ENDPOINT_URL, S3_REGION and the credentials (S3_ACCESS_KEY_ID, "
        "S3_SECRET_ACCESS_KEY)."
    )


def test_a_storage_that_holds_none_of_the_files_is_said_to_be_the_wrong_one(
    on_object_store, ready_pack_row, settings
):
    on_object_store.use_with(settings, location="elsewhere")
    with pytest.raises(CommandError) as refused:
        verify()
    where = f"s3://{on_object_store.bucket}/elsewhere/ at {on_object_store.url}"
    assert str(refused.value).endswith(
        f"None of the files is in {where}: do S3_BUCKET and S3_PREFIX (or STORAGE_URL, or "
        "MEDIA_ROOT) name where they were stored?"
    )


def test_a_long_run_says_how_far_it_is(decided_review, settings, tmp_path, monkeypatch):
    """Every PROGRESS_EVERY files (10,000; 4 here), a line on stderr."""
    monkeypatch.setattr(core_storage, "PROGRESS_EVERY", 4)
    total = Artifact.objects.count()
    assert total >= 8
    err = io.StringIO()
    call_command("verify_stored_files", stdout=io.StringIO(), stderr=err)
    said = [f"Checked {n} of {total} files" for n in range(4, total + 1, 4)]
    assert err.getvalue().splitlines() == said

    # Reading four at once, a line says what the report holds: files
    # checked, not files handed to a thread.
    report = core_storage.VerifyReport()
    when: list[tuple[int, int]] = []
    core_storage.verify_stored_files(
        storages["default"],
        report=report,
        progress=lambda done, _: when.append((done, report.checked)),
        jobs=4,
    )
    assert when == [(n, n) for n in range(4, total + 1, 4)]


def test_a_run_the_store_stopped_says_how_to_go_on_and_goes_on_from_there(
    on_object_store, decided_review
):
    artifacts = list(Artifact.objects.order_by("pk"))
    third = artifacts[2]

    # From a file on: only the files after it.
    assert f"Checked {len(artifacts) - 3} files" in verify("--after", f"gates.artifact:{third.pk}")
    for wrong, said in [
        (["--after", "gates.artifact:7", "--unreferenced"], "--unreferenced needs a whole run"),
        (["--after", "artifact 7"], "not MODEL:ID (gates.artifact:1234): 'artifact 7'"),
        (["--after", "auth.user:1"], "--after auth.user: it keeps no stored files; those"),
    ]:
        with pytest.raises(CommandError, match=re.escape(said)):
            verify(*wrong)

    # The third file is missing; the store stops as the fourth is asked for
    # (one file at a time).
    on_object_store.client().delete_object(
        Bucket=on_object_store.bucket, Key=f"media/{third.file.name}"
    )
    asked: list[str] = []

    def store_stops(**kwargs):
        asked.append("GetObject")
        if len(asked) == 4:
            on_object_store.stop()

    on_store_events(storages["default"], "before-call.s3.GetObject", store_stops)
    out = io.StringIO()
    with pytest.raises(CommandError, match="The object store did not answer"):
        call_command("verify_stored_files", "--jobs", "1", stdout=out)
    size = filesizeformat(sum(a.size for a in artifacts[:2]))
    assert out.getvalue().splitlines()[1:] == [
        f"Checked 2 files ({size}) against their recorded sha256 and the audit trail before the "
        "store stopped answering.",
        f"- missing: artifact {third.pk} ({third.file.name})",
        "To go on from there once the store answers: manage.py verify_stored_files "
        f"--after gates.artifact:{third.pk}",
    ]


def test_several_files_are_read_at_once_and_reported_in_their_order(files, decided_review):
    artifacts = list(Artifact.objects.order_by("pk"))
    assert len(artifacts) >= 9
    files.remove(artifacts[1].file.name)
    files.remove(artifacts[6].file.name)
    files.write(artifacts[4].file.name, b"not what was uploaded")

    def found(*args: str) -> tuple[str, str]:
        out = io.StringIO()
        with pytest.raises(CommandError) as refused:
            call_command("verify_stored_files", *args, stdout=out)
        return out.getvalue(), str(refused.value)

    one_at_a_time = found("--jobs", "1")
    assert one_at_a_time[1].startswith("3 files not as recorded:\n- missing: artifact ")
    if files.store is None:
        assert found("--jobs", "4") == one_at_a_time
        return
    # The first four reads wait for each other, so they pass only when four
    # are asked for at once; the second file's read waits until the
    # seventh's is done: the report keeps the files' order all the same.
    storage = storages["default"]
    reads = sent_together(storage, "GetObject", together=4)
    seventh_read = threading.Event()

    def second_after_seventh(params, **kwargs):
        if params["Key"] == f"media/{artifacts[1].file.name}":
            assert seventh_read.wait(20), "the seventh file was not read meanwhile"

    def note_seventh(context, **kwargs):
        if context.get("key") == f"media/{artifacts[6].file.name}":
            seventh_read.set()

    def name_it(params, context, **kwargs):
        context["key"] = params["Key"]

    on_store_events(storage, "before-parameter-build.s3.GetObject", name_it)
    on_store_events(storage, "before-parameter-build.s3.GetObject", second_after_seventh)
    on_store_events(storage, "after-call.s3.GetObject", note_seventh)
    assert found("--jobs", "4") == one_at_a_time
    assert sorted(reads) == sorted(f"media/{a.file.name}" for a in artifacts)

    for wrong in ["0", "65", "many"]:
        with pytest.raises(CommandError, match=re.escape(f"from 1 to 64, not {wrong!r}")):
            verify("--jobs", wrong)


def test_a_run_the_store_stops_counts_only_the_files_before_the_one_it_failed(
    on_object_store, decided_review
):
    """Reading four at once, the files after the one the store failed may
    have been read already: the run counts none of them, so going on
    ``--after`` the last one counted checks every file once."""
    artifacts = list(Artifact.objects.order_by("pk"))
    assert len(artifacts) >= 9
    row_of = {f"media/{a.file.name}": i for i, a in enumerate(artifacts)}
    read: set[int] = set()

    def name_it(params, context, **kwargs):
        context["row"] = row_of.get(params["Key"])
        if context["row"] == 5:
            # The sixth file's read waits until the five before it and the
            # two after it were read, then the store stops.
            deadline = time.monotonic() + 20
            while not {0, 1, 2, 3, 4, 6, 7} <= read:
                assert time.monotonic() < deadline, f"read so far: {sorted(read)}"
                time.sleep(0.01)
            # "after-call" comes with a response's headers: a moment more
            # for their bodies (a few bytes each) to be read, or a store
            # stopped now would cut one short and the run stop before it.
            time.sleep(0.5)
            on_object_store.stop()

    def note_read(context, **kwargs):
        read.add(context.get("row"))

    storage = storages["default"]
    on_store_events(storage, "before-parameter-build.s3.GetObject", name_it)
    on_store_events(storage, "after-call.s3.GetObject", note_read)
    out = io.StringIO()
    with pytest.raises(CommandError, match="The object store did not answer"):
        call_command("verify_stored_files", "--jobs", "4", stdout=out)
    size = filesizeformat(sum(a.size for a in artifacts[:5]))
    assert out.getvalue().splitlines()[1:] == [
        f"Checked 5 files ({size}) against their recorded sha256 and the audit trail before the "
        "store stopped answering.",
        "To go on from there once the store answers: manage.py verify_stored_files "
        f"--after gates.artifact:{artifacts[4].pk}",
    ]


def test_an_interrupted_run_says_how_to_go_on(transactional_db, on_object_store, decided_review):
    """Ctrl-C in a long run: the count so far and the ``--after`` to go on
    with, not a traceback."""
    artifacts = list(Artifact.objects.order_by("pk"))
    assert len(artifacts) >= 9
    run = interrupted(["verify_stored_files", "--jobs", "1"], on_object_store, after=4)
    assert run.returncode == 130, run
    assert run.stderr.strip().endswith("CommandError: Interrupted."), run.stderr
    assert "Traceback" not in run.stderr
    said = run.stdout.splitlines()[1:]
    # The fourth file asked for: the three before it were read, at least two
    # of them counted before the signal (0.5 s later).
    count = re.fullmatch(r"Checked (\d+) files? \(.*\) .* before it was interrupted\.", said[0])
    checked = int(count[1])
    assert 2 <= checked < len(artifacts)
    assert said[1:] == [
        "To go on from there: manage.py verify_stored_files "
        f"--after gates.artifact:{artifacts[checked - 1].pk}"
    ]


def test_ctrl_c_in_a_run_from_python_leaves_the_callers_ctrl_c_as_it_was(
    on_object_store, decided_review
):
    """From the command line a second Ctrl-C ends the process at once; from
    Python (call_command, in a shell) the caller keeps its own Ctrl-C."""
    asked: list[str] = []

    def operator_presses_ctrl_c(**kwargs):
        asked.append("GetObject")
        if len(asked) == 3:
            raise KeyboardInterrupt

    on_store_events(storages["default"], "before-call.s3.GetObject", operator_presses_ctrl_c)
    handler = signal.getsignal(signal.SIGINT)
    out = io.StringIO()
    with pytest.raises(CommandError, match="Interrupted.") as stopped:
        call_command("verify_stored_files", "--jobs", "1", stdout=out)

    assert stopped.value.returncode == 130
    assert "before it was interrupted." in out.getvalue()
    assert signal.getsignal(signal.SIGINT) is handler


@pytest.mark.postgres("a connection ended by the server (pg_terminate_backend)")
def test_a_run_the_database_stopped_says_how_to_go_on(
    transactional_db, on_object_store, decided_review
):
    """The database stops answering part-way (its server ended the
    command's connection, as a restart does): the count so far and the
    ``--after`` to go on with once it answers, not a traceback."""
    artifacts = list(Artifact.objects.order_by("pk"))
    assert len(artifacts) >= 9
    backend = connection.connection.get_backend_pid()
    asked: list[str] = []

    def database_stops(**kwargs):
        asked.append("GetObject")
        if len(asked) == 4:
            end_backend(backend)

    on_store_events(storages["default"], "before-call.s3.GetObject", database_stops)
    out = io.StringIO()
    try:
        with pytest.raises(CommandError) as refused:
            call_command("verify_stored_files", "--jobs", "1", stdout=out)
    finally:
        connection.close()  # the test's next query opens a new one
    assert str(refused.value).startswith("The database did not answer: ")
    assert str(refused.value).endswith(
        "Check DATABASE_URL and that the database server is running, then run the command again."
    )
    said = out.getvalue().splitlines()[1:]
    # The fourth file was asked for before the connection ended: those before
    # it were checked, and the run ended when it next asked for rows.
    count = re.fullmatch(
        r"Checked (\d+) files \(.*\) against their recorded sha256 and the audit trail "
        r"before the database stopped answering\.",
        said[0],
    )
    checked = int(count[1])
    assert 3 <= checked < len(artifacts)
    assert said[1:] == [
        "To go on from there once the database answers: manage.py verify_stored_files "
        f"--after gates.artifact:{artifacts[checked - 1].pk}"
    ]
    # Going on from there checks the files left, on a new connection.
    going_on = verify("--after", f"gates.artifact:{artifacts[checked - 1].pk}")
    left = len(artifacts) - checked
    assert f"Checked {left} file{'' if left == 1 else 's'} (" in going_on
