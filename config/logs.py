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
        "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        "rename_fields": {"levelname": "level", "name": "logger", "asctime": "time"},
        "static_fields": {"service": "stagegate"},
    },
}


class FailureInLine(logging.Filter):
    """A warning about a failure outside the application (a readiness check
    whose service does not answer) as one line: the exception's message, and
    its cause's, where the host and port are, in the record's message instead
    of a traceback at every probe. Errors keep their traceback: those are
    bugs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING or not record.exc_info:
            return True
        error = record.exc_info[1]
        if error is None:
            return True
        said = f"{record.getMessage()}: {error}"
        cause = error.__cause__ or error.__context__
        if cause is not None:
            said += f" ({type(cause).__name__}: {cause})"
        record.msg, record.args = said, ()
        record.exc_info, record.exc_text = None, None
        return True
