"""The log formats (LOG_FORMAT): one record per line, as text or as a JSON
object, each with its request id (``correlation_id``). The application's
LOGGING (config/settings.py) and gunicorn's own lines (gunicorn.conf.py)
both write them."""

import logging

LOG_FORMATTERS = {
    "text": {
        "format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s",
    },
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(levelname)s %(name)s %(message)s",
        "rename_fields": {"levelname": "level", "name": "logger"},
        # ISO 8601 in UTC, with its offset: 2026-12-05T20:10:00.123456+00:00.
        "timestamp": "time",
        "static_fields": {"service": "stagegate"},
    },
}


class FailureInLine(logging.Filter):
    """A warning about a failure outside the application (a readiness check
    whose service does not answer) as one line: the exception's message, and
    its cause's, where the host and port are, in the record's message instead
    of a traceback at every probe. A check that did not finish in time says
    so, with its budget (the check's ``timeout`` and the second
    django-health-check adds), where the exception itself says nothing.
    Errors keep their traceback: those are bugs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING or not record.exc_info:
            return True
        error = record.exc_info[1]
        if error is None:
            return True
        if isinstance(error, TimeoutError) and not str(error):
            said = f"{record.getMessage()}: no answer within {_budget(record)}"
        else:
            said = f"{record.getMessage()}: {error}"
            cause = error.__cause__ or error.__context__
            if cause is not None:
                said += f" ({type(cause).__name__}: {cause})"
        record.msg, record.args = said, ()
        record.exc_info, record.exc_text = None, None
        return True


def _budget(record: logging.LogRecord) -> str:
    """The time a timed-out readiness check had: its ``timeout`` (the
    record's first argument is the check) and one second."""
    check = record.args[0] if isinstance(record.args, tuple) and record.args else None
    timeout = getattr(check, "timeout", None)
    if timeout is None:
        return "its time"
    return f"{timeout.total_seconds() + 1:g} s"
