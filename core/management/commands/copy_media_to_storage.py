from __future__ import annotations

from pathlib import Path

from django.core.files.storage import FileSystemStorage, storages
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat

from core.storage import copy_stored_files


def _files(count: int) -> str:
    return f"{count} file{'' if count == 1 else 's'}"


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
        report = copy_stored_files(
            FileSystemStorage(location=source_dir), target, dry_run=options["dry_run"]
        )
        verb = "Would copy" if options["dry_run"] else "Copied"
        self.stdout.write(
            f"{verb} {_files(report.copied)} ({filesizeformat(report.copied_bytes)}); "
            f"{report.present} already there."
        )
        problems = [f"missing: {label}" for label in report.missing] + [
            f"does not match its recorded sha256: {label}" for label in report.damaged
        ]
        if problems:
            raise CommandError(f"{_files(len(problems))} not copied:\n- " + "\n- ".join(problems))
