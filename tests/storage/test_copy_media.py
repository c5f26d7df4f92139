"""From one machine to several: the artifacts and packs one machine kept on
its disk are copied into the object store (``manage.py
copy_media_to_storage``), then download through the views from there."""

from __future__ import annotations

import io
import re
import signal

import pytest
from django.core.files.storage import storages
from django.core.management import CommandError, call_command

from gates.models import Artifact
from tests.gates.helpers import files_under
from tests.storage.conftest import interrupted, sent_together, store_requests


def copy(source, *args: str) -> str:
    """What the command wrote after the line that says from where to where."""
    out = io.StringIO()
    call_command("copy_media_to_storage", "--from", str(source), *args, stdout=out)
    first, rest = out.getvalue().split("\n", 1)
    assert first.startswith(f"From {source} into ")
    return rest


@pytest.fixture
def old_disk(settings, tmp_path):
    """One machine's MEDIA_ROOT, set before any fixture stores a file."""
    settings.MEDIA_ROOT = tmp_path / "old-disk"
    return settings.MEDIA_ROOT


@pytest.fixture
def kept_on_disk(old_disk, ready_pack):
    """What that machine kept: a use case's evidence for two gates and the
    pack rendered for its Gate 2 decision."""
    ready_pack.refresh_from_db()
    artifacts = list(Artifact.objects.order_by("pk"))
    assert len(artifacts) > 3
    assert len(files_under(old_disk)) == len(artifacts) + 1
    return old_disk, artifacts, ready_pack


def test_the_files_of_one_machine_move_to_the_object_store_and_download_from_there(
    kept_on_disk, object_store, settings, client_as, sponsor, lead
):
    disk, artifacts, pack = kept_on_disk
    object_store.use_with(settings)
    settings.MEDIA_ROOT = disk.parent / "new-disk"

    out = io.StringIO()
    call_command("copy_media_to_storage", "--from", str(disk), "--dry-run", stdout=out)
    bucket = f"s3://{object_store.bucket}/media/ at {object_store.url}"
    assert out.getvalue().startswith(
        f"From {disk} into {bucket}.\nWould copy {len(artifacts) + 1} files"
    )
    assert object_store.object_keys() == []

    assert copy(disk).startswith(f"Copied {len(artifacts) + 1} files")
    keys = object_store.object_keys()
    assert sorted(keys) == sorted(f"media/{a.file.name}" for a in [*artifacts, pack])
    for artifact in artifacts:
        response = client_as(sponsor).get(f"/artifacts/{artifact.pk}/download/")
        assert response.status_code == 200
        on_disk = (disk / artifact.file.name).read_bytes()
        assert b"".join(response.streaming_content) == on_disk
    pdf = client_as(lead).get(f"/packs/{pack.pk}/download/")
    assert b"".join(pdf.streaming_content) == (disk / pack.file.name).read_bytes()

    # Again: nothing left to copy, found from a listing of the bucket (a
    # thousand names a request: a bucket holding 1,000 other files beside
    # them takes two), not from a request about each file.
    client = object_store.client()
    for n in range(1000):
        client.put_object(Bucket=object_store.bucket, Key=f"media/elsewhere/{n}.txt", Body=b"")
    asked = store_requests(storages["default"])
    assert copy(disk).startswith(f"Copied 0 files (0\xa0bytes); {len(artifacts) + 1} already")
    assert asked == ["ListObjectsV2", "ListObjectsV2"]

    # A file the application, already on the store, stores while the copy
    # runs (after the listing): in the bucket, not on the old disk; it is
    # there, not missing.
    def uploaded_meanwhile(**kwargs):
        if not late:
            client.put_object(Bucket=object_store.bucket, Key="media/artifacts/late/x.md", Body=b"")
            late.append(
                Artifact.objects.create(
                    **{
                        **{f.attname: getattr(artifacts[0], f.attname) for f in fields},
                        "file": "artifacts/late/x.md",
                        "version": 99,
                        "is_latest": False,
                    }
                )
            )

    late: list[Artifact] = []
    fields = [f for f in Artifact._meta.concrete_fields if not f.primary_key]
    events = storages["default"].connection.meta.client.meta.events
    events.register("after-call.s3.ListObjectsV2", uploaded_meanwhile)
    try:
        assert copy(disk).startswith(f"Copied 0 files (0\xa0bytes); {len(artifacts) + 2} already")
    finally:
        events.unregister("after-call.s3.ListObjectsV2", uploaded_meanwhile)
    assert late and asked[-1] == "HeadObject"
    assert files_under(disk.parent / "new-disk") == []


def test_several_files_are_copied_at_once(kept_on_disk, object_store, settings):
    disk, artifacts, pack = kept_on_disk
    object_store.use_with(settings)
    writes = sent_together(storages["default"], "PutObject", together=4)
    assert copy(disk, "--jobs", "4").startswith(f"Copied {len(artifacts) + 1} files")
    stored = sorted(f"media/{a.file.name}" for a in [*artifacts, pack])
    assert sorted(writes) == stored
    assert object_store.object_keys() == stored
    for artifact in artifacts:
        assert object_store.read(f"media/{artifact.file.name}") == (
            (disk / artifact.file.name).read_bytes()
        )


def test_an_interrupted_copy_says_what_it_copied_and_a_rerun_goes_on(
    transactional_db, kept_on_disk, object_store, settings
):
    disk, artifacts, pack = kept_on_disk
    # The listing, then the files one at a time, two or three chunks each:
    # the first is copied by the eighth chunk sent.
    command = ["copy_media_to_storage", "--from", str(disk), "--jobs", "1"]
    run = interrupted(command, object_store, after=8)
    assert run.returncode == 130, run
    assert run.stderr.strip().endswith("CommandError: Interrupted."), run.stderr
    assert "Traceback" not in run.stderr
    said = run.stdout.splitlines()[1:]
    count = re.fullmatch(
        r"Copied (\d+) files? \(.*\) before it was interrupted; 0 already there\.", said[0]
    )
    copied = int(count[1])
    assert 1 <= copied < len(artifacts)
    assert said[1:] == []
    # A rerun copies the rest; a file sent as Ctrl-C came is there already.
    object_store.use_with(settings)
    rerun = re.fullmatch(
        r"Copied (\d+) files? \(.*\); (\d+) already there\.", copy(disk).splitlines()[0]
    )
    assert int(rerun[1]) + int(rerun[2]) == len(artifacts) + 1
    assert copied <= int(rerun[2]) <= copied + 2
    assert len(object_store.object_keys()) == len(artifacts) + 1


def test_a_second_ctrl_c_ends_the_wait_for_the_files_on_their_way(
    transactional_db, kept_on_disk, object_store, settings
):
    """After the first Ctrl-C the copy has said what it copied and waits, as
    it exits, for the writes already sent; a second one ends it there, as the
    terminal's default, without a message from Python's insides. A write cut
    short stores nothing, and a rerun copies the rest."""
    disk, artifacts, pack = kept_on_disk
    command = ["copy_media_to_storage", "--from", str(disk), "--jobs", "4"]
    run = interrupted(command, object_store, after=3, twice=True)
    assert run.returncode == -signal.SIGINT, run
    assert run.stderr.strip().endswith("CommandError: Interrupted."), run.stderr
    assert "Exception ignored" not in run.stderr
    assert "Traceback" not in run.stderr
    assert re.fullmatch(
        r"Copied \d+ files? \(.*\) before it was interrupted; 0 already there\.",
        run.stdout.splitlines()[1],
    )
    object_store.use_with(settings)
    rerun = re.fullmatch(
        r"Copied (\d+) files? \(.*\); (\d+) already there\.", copy(disk).splitlines()[0]
    )
    assert int(rerun[1]) + int(rerun[2]) == len(artifacts) + 1
    for item in [*artifacts, pack]:
        assert object_store.read(f"media/{item.file.name}") == (disk / item.file.name).read_bytes()


def test_a_damaged_or_missing_file_is_named_and_not_copied(kept_on_disk, object_store, settings):
    disk, artifacts, pack = kept_on_disk
    damaged, missing = artifacts[0], artifacts[1]
    (disk / damaged.file.name).write_bytes(b"not what was uploaded")
    (disk / missing.file.name).unlink()
    object_store.use_with(settings)

    with pytest.raises(CommandError) as refused:
        copy(disk)
    message = str(refused.value)
    assert message.startswith("2 files not copied:")
    assert f"does not match its recorded sha256: artifact {damaged.pk}" in message
    assert f"missing from --from: artifact {missing.pk}" in message
    # The others were copied all the same.
    keys = object_store.object_keys()
    assert f"media/{damaged.file.name}" not in keys
    assert f"media/{pack.file.name}" in keys
    assert len(keys) == len(artifacts) - 1
    assert Artifact.objects.count() == len(artifacts)


def test_it_refuses_to_copy_a_directory_onto_itself_or_from_nowhere(settings, tmp_path, db):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(CommandError, match="is the storage the settings choose"):
        copy(tmp_path)
    with pytest.raises(CommandError, match="no such directory"):
        copy(tmp_path / "nowhere")


def test_a_directory_that_holds_none_of_the_files_is_said_to_be_the_wrong_one(
    kept_on_disk, object_store, settings
):
    disk, artifacts, _ = kept_on_disk
    object_store.use_with(settings)
    with pytest.raises(CommandError) as refused:
        copy(disk.parent)
    message = str(refused.value)
    assert message.startswith(f"{len(artifacts) + 1} files not copied:")
    assert message.endswith(
        f"None of the files is in {disk.parent}: is it the old MEDIA_ROOT, the directory "
        "that holds artifacts/?"
    )
    assert object_store.object_keys() == []
