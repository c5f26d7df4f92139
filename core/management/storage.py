"""What the storage commands (``copy_media_to_storage``,
``verify_stored_files``) share: how they count files and name problems, and
how they end when the store does not answer."""

from __future__ import annotations

import signal
from argparse import ArgumentTypeError
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.management.base import DATABASE_STOPPED, database_error, is_database_outage
from core.storage import (
    JOBS_DEFAULT,
    JOBS_MAX,
    Progress,
    is_storage_refusal,
    is_storage_unavailable,
)

# (what is wrong, the file's label): "missing", "artifact 12 (artifacts/…)"
Problem = tuple[str, str]

# Why a command stopped before the end, as its last count says it.
STORE_STOPPED = "the store stopped answering"
INTERRUPTED = "it was interrupted"


def files_counted(count: int) -> str:
    return f"{count} file{'' if count == 1 else 's'}"


def progress_to(command: BaseCommand, doing: str) -> Progress:
    """Tells the operator how far ``command`` is, on stderr: "Checked 10,000
    of 1,100,000 files"."""

    def say(done: int, total: int) -> None:
        command.stderr.write(f"{doing} {done:,} of {total:,} files")

    return say


def add_jobs_argument(parser: CommandParser, doing: str) -> None:
    parser.add_argument(
        "--jobs",
        type=_jobs,
        default=JOBS_DEFAULT,
        metavar="N",
        help=f"How many files to {doing} at once (1 to {JOBS_MAX}; {JOBS_DEFAULT} unless "
        "given): a store far away answers each file in tens of milliseconds, so files "
        "one after the other take hours at a million.",
    )


def _jobs(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= JOBS_MAX:
        raise ArgumentTypeError(f"a number of files from 1 to {JOBS_MAX}, not {value!r}")
    return int(value)


def problem_lines(problems: list[Problem]) -> str:
    return "\n".join(f"- {what}: {label}" for what, label in problems)


def problems_error(problems: list[Problem], verdict: str, hint: str = "") -> CommandError:
    """The command's end: the files (one file may have two problems), each
    problem, and what to check when every file has one."""
    files = len({label for _, label in problems})
    lines = problem_lines(problems)
    return CommandError(
        f"{files_counted(files)} {verdict}:\n{lines}" + (f"\n{hint}" if hint else "")
    )


@contextmanager
def store_answers(
    command: BaseCommand, where: str, so_far: Callable[[str], None]
) -> Iterator[None]:
    """A store that does not answer, or refuses, ends the command with what
    it said, not a traceback, after ``so_far`` has written what was done and
    found until then (a copy keeps what it copied, and a rerun goes on from
    there); so do a database that stops answering and the operator's Ctrl-C.
    ``so_far`` is told why: ``STORE_STOPPED``, ``DATABASE_STOPPED`` or
    ``INTERRUPTED``."""
    try:
        yield
    except KeyboardInterrupt:
        so_far(INTERRUPTED)
        # Out now, to a file or a pipe too: the process still waits for the
        # files on their way before Python flushes what it buffered, and a
        # second Ctrl-C (below) ends it in that wait.
        command.stdout.flush()
        if getattr(command, "_called_from_command_line", False):
            # The process still waits for the files on their way as it
            # exits: a second Ctrl-C ends it there and then, as the
            # terminal's default does, not with Python's message from inside
            # its threads' join (what was said is out by then, flushed
            # above). A write cut short stores nothing: an object is
            # stored whole or not at all. (Run from Python, call_command, the
            # caller's own Ctrl-C is left as it was.)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
        raise CommandError("Interrupted.", returncode=130) from None
    except Exception as error:
        if is_database_outage(error):
            so_far(DATABASE_STOPPED)
            raise database_error(error) from error
        if not is_storage_unavailable(error):
            raise
        so_far(STORE_STOPPED)
        if is_storage_refusal(error):
            raise CommandError(
                f"The object store refused ({where}): {str(error).rstrip('.')}. Check S3_BUCKET, "
                "S3_ENDPOINT_URL, S3_REGION and the credentials (S3_ACCESS_KEY_ID, "
                "S3_SECRET_ACCESS_KEY)."
            ) from error
        raise CommandError(f"The object store did not answer ({where}): {error}") from error
