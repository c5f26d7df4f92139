from __future__ import annotations

from argparse import ArgumentTypeError

from django.core.files.storage import storages
from django.core.management.base import CommandError, CommandParser
from django.template.defaultfilters import filesizeformat

from core.management.base import DATABASE_STOPPED, OperatorCommand
from core.management.storage import (
    STORE_STOPPED,
    Problem,
    add_jobs_argument,
    files_counted,
    problem_lines,
    problems_error,
    progress_to,
    store_answers,
)
from core.storage import VerifyReport, storage_described, stored_models, verify_stored_files


class Command(OperatorCommand):
    help = (
        "Read every artifact and pack the database refers to from the storage the settings "
        "choose (the object store with S3_BUCKET or an s3:// STORAGE_URL set, else MEDIA_ROOT) "
        "and check each against "
        "the sha256 recorded when it was uploaded or rendered, and that sha256 against the one "
        "the audit trail recorded then. A file missing or changed, or a recorded sha256 the "
        "trail does not hold, is named, and the command exits non-zero. Nothing is written "
        "or deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--unreferenced",
            action="store_true",
            help="Also list what the storage holds that no artifact or pack refers to "
            "(a file written for an upload or render whose row was never saved).",
        )
        parser.add_argument(
            "--after",
            type=_place,
            metavar="MODEL:ID",
            help="Go on from where a run stopped: check only the files after this one "
            "(gates.artifact:1234, as the stopped run said).",
        )
        add_jobs_argument(parser, "check")

    def handle(self, *args, **options) -> None:
        storage = storages["default"]
        where = storage_described(storage)
        self.stdout.write(f"Checking {where}.")
        if options["unreferenced"] and options["after"]:
            raise CommandError("--unreferenced needs a whole run: leave out --after.")
        if options["after"] and options["after"][0] not in stored_models():
            raise CommandError(
                f"--after {options['after'][0]}: it keeps no stored files; "
                f"those that do: {', '.join(stored_models())}."
            )
        report = VerifyReport()
        with store_answers(self, where, lambda why: self.write_found(report, stopped=why)):
            verify_stored_files(
                storage,
                unreferenced=options["unreferenced"],
                report=report,
                progress=progress_to(self, "Checked"),
                after=options["after"],
                jobs=options["jobs"],
            )
        problems = self.write_found(report)
        if options["unreferenced"]:
            self.stdout.write(
                f"{files_counted(len(report.unreferenced))} in the storage that no row refers to"
                + ("." if not report.unreferenced else ":")
            )
            for name in report.unreferenced:
                self.stdout.write(f"- {name}")
        if problems:
            hint = (
                f"None of the files is in {where}: do S3_BUCKET and S3_PREFIX (or STORAGE_URL, "
                "or MEDIA_ROOT) name where they were stored?"
                if report.missing and not report.checked
                else ""
            )
            raise problems_error(problems, "not as recorded", hint)

    def write_found(self, report: VerifyReport, *, stopped: str = "") -> list[Problem]:
        """The count checked; when the run ``stopped`` before the end (the
        store, the database, Ctrl-C), the problems found until then too and how to go on
        (at the end, the command's error names them)."""
        self.stdout.write(
            f"Checked {files_counted(report.checked)} "
            f"({filesizeformat(report.checked_bytes)}) against their recorded sha256 "
            "and the audit trail" + (f" before {stopped}." if stopped else ".")
        )
        problems = [
            *(("missing", label) for label in report.missing),
            *(("does not match its recorded sha256", label) for label in report.changed),
            *(
                ("its recorded sha256 is not the one the audit trail recorded", label)
                for label in report.unaudited
            ),
        ]
        if stopped and problems:
            self.stdout.write(problem_lines(problems))
        if stopped and report.last_checked and not report.rows_done:
            when = {
                STORE_STOPPED: " once the store answers",
                DATABASE_STOPPED: " once the database answers",
            }.get(stopped, "")
            self.stdout.write(
                f"To go on from there{when}: manage.py verify_stored_files "
                f"--after {report.last_checked}"
            )
        return problems


def _place(value: str) -> tuple[str, int]:
    """``--after``: a model's label and a pk, "gates.artifact:1234"."""
    label, _, pk = value.rpartition(":")
    if not label or not pk.isdigit():
        raise ArgumentTypeError(f"not MODEL:ID (gates.artifact:1234): {value!r}")
    return label.lower(), int(pk)
