"""The base of the commands an operator runs (``verify_audit``,
``verify_stored_files``, ``copy_media_to_storage``, ``seed_demo``): a
database that does not answer ends the command with what it said and what to
check, not a traceback, whether at the start (Django's system checks already
ask PostgreSQL for its version) or part-way."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.api_errors import DATABASE_OUTAGE, cause_of, outage_of

# Why a command stopped before the end, as its last count says it.
DATABASE_STOPPED = "the database stopped answering"


def is_database_outage(error: BaseException) -> bool:
    return outage_of(error) is DATABASE_OUTAGE


def database_error(error: BaseException) -> CommandError:
    return CommandError(
        f"The database did not answer: {cause_of(error).rstrip('.')}. Check DATABASE_URL and "
        "that the database server is running, then run the command again."
    )


class OperatorCommand(BaseCommand):
    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except Exception as error:
            if not is_database_outage(error):
                raise
            raise database_error(error) from error
