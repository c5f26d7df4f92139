"""gunicorn's settings wherever it serves the site from this directory (the
image, docker-compose.yml, ``make run``, the tests' and the load test's
servers): gunicorn reads ./gunicorn.conf.py unless told otherwise.

Its own lines (starting, workers booted and timed out, and, where
``--access-logfile`` asks for them, each request's access line) go to
standard error in the application's format: JSON objects with
LOG_FORMAT=json, else text, as config/settings.py writes the application's.
An access line carries the request id the response answered with
(X-Request-ID), as ``correlation_id`` beside the application's lines of the
same request. With PROMETHEUS_MULTIPROC_DIR, a server starts from no counts
(``on_starting``)."""

from __future__ import annotations

import logging
import os

from config.logs import LOG_FORMATTERS

# Combined log format, and how long the request took, and its request id.
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms request_id=%({x-request-id}o)s'
)


class _AccessRequestId(logging.Filter):
    """The request id of an access line (its X-Request-ID response header,
    one of the atoms gunicorn formats it from); none on gunicorn's other lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args if record.name == "gunicorn.access" else None
        request_id = atoms["{x-request-id}o"] if atoms else "-"
        record.correlation_id = None if request_id == "-" else request_id
        return True


_format = os.environ.get("LOG_FORMAT", "text")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": _AccessRequestId}},
    "formatters": LOG_FORMATTERS,
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "filters": ["request_id"],
            "formatter": "json" if _format == "json" else "text",
        }
    },
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        # Their levels stay gunicorn's: --log-level, and on_starting below.
        "gunicorn.error": {"handlers": ["console"], "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "propagate": False},
    },
}


def _access_lines(server) -> None:
    """Access lines only where --access-logfile asks for them (the image
    does; the load test's server does not spend its time on them)."""
    wanted = logging.INFO if server.cfg.accesslog else logging.WARNING
    logging.getLogger("gunicorn.access").setLevel(wanted)


def on_starting(server) -> None:
    _access_lines(server)
    # With PROMETHEUS_MULTIPROC_DIR, the processes' counts are files there:
    # a server starts from none, not from the counts of its last run.
    if shared := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.makedirs(shared, exist_ok=True)
        for name in os.listdir(shared):
            if name.endswith(".db"):
                os.remove(os.path.join(shared, name))


on_reload = _access_lines
