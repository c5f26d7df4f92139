from __future__ import annotations

from functools import partial
from pathlib import Path

from django.core.files.storage import FileSystemStorage, storages
from django.core.management.base import CommandError, CommandParser
from django.template.defaultfilters import filesizeformat

from core.management.base import OperatorCommand
from core.management.storage import (
    Problem,
    add_jobs_argument,
    files_counted,
    problem_lines,
    problems_error,
    progress_to,
    store_answers,
)
from core.storage import CopyReport, copy_stored_files, storage_described


class Command(OperatorCommand):
    help = (
        "Copy the artifacts and packs the database refers to from a media directory (the "
        "local disk of one machine: MEDIA_ROOT) into the storage the settings choose (the "
        "object store, with S3_BUCKET or an s3:// STORAGE_URL set), under the same names. "
        "Files already there are left as they are, so it can run again; a file that no "
        "longer matches its recorded sha256, or is missing, is named and not copied, and the "
        "command exits non-zero."
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
        add_jobs_argument(parser, "copy")

    def handle(self, *args, **options) -> None:
        source_dir: Path = options["source"].resolve()
        if not source_dir.is_dir():
            raise CommandError(f"--from {source_dir}: no such directory.")
        target = storages["default"]
        if isinstance(target, FileSystemStorage) and Path(target.location).resolve() == source_dir:
            raise CommandError(
                f"--from {source_dir} is the storage the settings choose: set S3_BUCKET, "
                "STORAGE_URL or MEDIA_ROOT to where the files should go."
            )
        where = storage_described(target)
        self.stdout.write(f"From {source_dir} into {where}.")
        report = CopyReport()
        dry_run = options["dry_run"]
        so_far = partial(self.write_done, report, dry_run=dry_run)
        with store_answers(self, where, lambda why: so_far(stopped=why)):
            copy_stored_files(
                FileSystemStorage(location=source_dir),
                target,
                dry_run=dry_run,
                report=report,
                progress=progress_to(self, "Went through"),
                jobs=options["jobs"],
            )
        if problems := self.write_done(report, dry_run=dry_run):
            none_there = not (report.copied or report.present or report.damaged)
            hint = (
                f"None of the files is in {source_dir}: is it the old MEDIA_ROOT, the "
                "directory that holds artifacts/?"
                if none_there
                else ""
            )
            raise problems_error(problems, "not copied", hint)

    def write_done(self, report: CopyReport, *, dry_run: bool, stopped: str = "") -> list[Problem]:
        """The count copied; when the copy ``stopped`` before the end (the
        store, the database, Ctrl-C), the problems found until then too (at the end, the
        command's error names them)."""
        verb = "Would copy" if dry_run else "Copied"
        until = f" before {stopped}" if stopped else ""
        self.stdout.write(
            f"{verb} {files_counted(report.copied)} ({filesizeformat(report.copied_bytes)})"
            f"{until}; {report.present} already there."
        )
        problems = [("missing from --from", label) for label in report.missing] + [
            ("does not match its recorded sha256", label) for label in report.damaged
        ]
        if stopped and problems:
            self.stdout.write(problem_lines(problems))
        return problems
