from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.files.storage import FileSystemStorage, storages
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat

from core.storage import copy_stored_files, is_storage_unavailable


def files_counted(count: int) -> str:
    return f"{count} file{'' if count == 1 else 's'}"


@contextmanager
def store_answers() -> Iterator[None]:
    """A store that does not answer ends the command with what it said, not
    a traceback; what was done before stays done, and a rerun goes on."""
    try:
        yield
    except Exception as error:
        if not is_storage_unavailable(error):
            raise
        raise CommandError(f"The object store did not answer: {error}") from error


class Command(BaseCommand):
    help = (
        "Copy the artifacts and packs the database refers to from a media directory (the "
        "local disk of one machine: MEDIA_ROOT) into the storage the settings choose (the "
        "object store, with S3_BUCKET set), under the same names. Files already there are "
        "left as they are, so it can run again; a file that no longer matches its recorded "
        "sha256, or is missing, is named and not copied, and the command exits non-zero."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from",
            dest="source",
            type=Path,
            required=True,
            help="The media directory to copy from (the old MEDIA_ROOT).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count, and copy nothing."
        )

    def handle(self, *args, **options) -> None:
        source_dir: Path = options["source"].resolve()
        if not source_dir.is_dir():
            raise CommandError(f"--from {source_dir}: no such directory.")
        target = storages["default"]
        if isinstance(target, FileSystemStorage) and Path(target.location).resolve() == source_dir:
            raise CommandError(
                f"--from {source_dir} is the storage the settings choose: set S3_BUCKET (or "
                "MEDIA_ROOT) to where the files should go."
            )
        with store_answers():
            report = copy_stored_files(
                FileSystemStorage(location=source_dir), target, dry_run=options["dry_run"]
            )
        verb = "Would copy" if options["dry_run"] else "Copied"
        self.stdout.write(
            f"{verb} {files_counted(report.copied)} ({filesizeformat(report.copied_bytes)}); "
            f"{report.present} already there."
        )
        problems = [f"missing: {label}" for label in report.missing] + [
            f"does not match its recorded sha256: {label}" for label in report.damaged
        ]
        if problems:
            raise CommandError(
                f"{files_counted(len(problems))} not copied:\n- " + "\n- ".join(problems)
            )
