"""The API's one exception handler: every error has one shape,

    {"detail": "a sentence", "reasons": ["..."], "fields": {"name": ["..."]}}

``detail`` says what went wrong; ``reasons`` why a request was refused (what
is missing, who has not approved) or what is wrong with the input as a whole;
``fields`` a list of messages per input field, nested fields named with dots
(``scores.0.score``). All three are always present. The schema documents it as
the ``Error`` component (``core.schema``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, InternalError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.log import log_response
from django.utils.translation import gettext, gettext_noop
from prometheus_client import Counter
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.cache import is_redis_unavailable
from core.errors import DomainError
from core.storage import is_storage_unavailable

# In English here; each answer translates them (gettext) when it is built.
INVALID_INPUT = gettext_noop("Invalid input.")
NOT_FOUND = gettext_noop("Not found.")
NOT_ALLOWED = gettext_noop("You do not have permission to do this.")


def error_body(
    detail: str, reasons: Iterable[str] = (), fields: Mapping[str, list[str]] | None = None
) -> dict[str, Any]:
    return {
        "detail": str(detail),
        "reasons": [str(reason) for reason in reasons],
        "fields": {name: [str(m) for m in messages] for name, messages in (fields or {}).items()},
    }


def _flatten(errors: Any, path: str, fields: dict[str, list[str]], reasons: list[str]) -> None:
    """Walk DRF's nested errors ({field: [...]}, [{...}, {}], {0: [...]}) into
    messages per dotted field name; messages about the input as a whole go to
    ``reasons``."""
    if isinstance(errors, Mapping):
        for key, value in errors.items():
            if key in (api_settings.NON_FIELD_ERRORS_KEY, NON_FIELD_ERRORS):
                name = path
            else:
                name = f"{path}.{key}" if path else str(key)
            _flatten(value, name, fields, reasons)
    elif isinstance(errors, list | tuple):
        for index, item in enumerate(errors):
            if isinstance(item, Mapping | list | tuple):
                _flatten(item, f"{path}.{index}" if path else str(index), fields, reasons)
            else:
                _flatten(item, path, fields, reasons)
    elif path:
        fields.setdefault(path, []).append(str(errors))
    else:
        reasons.append(str(errors))


def validation_error_body(errors: Any) -> dict[str, Any]:
    fields: dict[str, list[str]] = {}
    reasons: list[str] = []
    _flatten(errors, "", fields, reasons)
    # A message about the whole input, alone, is the best summary there is.
    detail = reasons[0] if len(reasons) == 1 and not fields else gettext(INVALID_INPUT)
    return error_body(detail, reasons, fields)


# A service the request needed did not answer (the database restarting or
# failing over, the object store unreachable, Redis when the cache is there):
# the request can be retried, so it is a 503 with Retry-After, never a 500.
# The same answer for the API (here), for the site's pages (core.middleware)
# and for an error raised outside any view (config.errors.server_error).
DATABASE_UNAVAILABLE = gettext_noop(
    "The database is unavailable for a moment; try again in a few seconds."
)
DATABASE_UNAVAILABLE_REASON = gettext_noop("The database did not answer: it may be restarting.")
DATABASE_RETRY_AFTER_SECONDS = 5
STORAGE_UNAVAILABLE = gettext_noop(
    "The file store is unavailable for a moment; try again in a few seconds."
)
STORAGE_UNAVAILABLE_REASON = gettext_noop(
    "The object store that keeps artifacts and packs did not answer: it may be restarting."
)
REDIS_UNAVAILABLE_MESSAGE = gettext_noop(
    "A service the site needs is unavailable for a moment; try again in a few seconds."
)
REDIS_UNAVAILABLE_REASON = gettext_noop(
    "Redis, which keeps the rate limits and the files a bulk import checked, did not "
    "answer: it may be restarting."
)


# Counted apart from the request metrics, whose status class puts these
# 503s with the 500s: an operator alerts on each service's own count.
UNAVAILABLE_ANSWERS = Counter(
    "stagegate_service_unavailable_responses",
    "Requests answered 503 because a service they needed did not answer",
    ["service"],
)


@dataclass(frozen=True)
class Outage:
    """Which service did not answer: what the 503 says (translated when
    answered), how long to wait, where the one warning is logged, and the
    ``service`` label it is counted under."""

    message: str
    reason: str
    logger: logging.Logger
    name: str
    service: str
    retry_after: int = DATABASE_RETRY_AFTER_SECONDS

    def body(self) -> dict[str, Any]:
        return error_body(gettext(self.message), [gettext(self.reason)])

    def answered(self, request: HttpRequest, response: HttpResponse, exc: BaseException) -> None:
        """Make ``response`` (a 503) the answer to ``request``: when to retry,
        one warning per request and one count; it marks the response logged,
        so Django's request logger does not report it again as an error."""
        response["Retry-After"] = str(self.retry_after)
        UNAVAILABLE_ANSWERS.labels(service=self.service).inc()
        cause = cause_of(exc)
        log_response(
            "%s unavailable, answered %s to %s %s: %s",
            self.name,
            response.status_code,
            request.method,
            request.path,
            cause,
            response=response,
            request=request,
            logger=self.logger,
            level="warning",
        )


DATABASE_OUTAGE = Outage(
    DATABASE_UNAVAILABLE,
    DATABASE_UNAVAILABLE_REASON,
    logging.getLogger("core.database"),
    "Database",
    "database",
)
STORAGE_OUTAGE = Outage(
    STORAGE_UNAVAILABLE,
    STORAGE_UNAVAILABLE_REASON,
    logging.getLogger("core.storage"),
    "Object store",
    "object_store",
)
# With CACHE_IN_REDIS=1: what the cache keeps as state (core.cache).
REDIS_OUTAGE = Outage(
    REDIS_UNAVAILABLE_MESSAGE,
    REDIS_UNAVAILABLE_REASON,
    logging.getLogger("core.cache"),
    "Redis",
    "redis",
)
# Each service's count exists from the start, at 0: Prometheus' increase()
# then counts a process's first 503s too (deploy/prometheus/alerts.yml).
for _outage in (DATABASE_OUTAGE, STORAGE_OUTAGE, REDIS_OUTAGE):
    UNAVAILABLE_ANSWERS.labels(service=_outage.service)


def cause_of(exc: BaseException) -> str:
    """What a log line says of ``exc``: its message's first line, else its type."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# PostgreSQL's "cannot execute ... in a read-only transaction": after a
# failover, a connection that reached a standby not yet promoted.
READ_ONLY_SQL_TRANSACTION = "25006"


def outage_of(exc: BaseException | None) -> Outage | None:
    """The service ``exc`` says did not answer, if it says so."""
    # OperationalError also covers SQLite's "database is locked" and
    # PostgreSQL's serialization failures: worth a retry too.
    if isinstance(exc, OperationalError | InterfaceError):
        return DATABASE_OUTAGE
    if (
        isinstance(exc, InternalError)
        and getattr(exc.__cause__, "pgcode", None) == READ_ONLY_SQL_TRANSACTION
    ):
        return DATABASE_OUTAGE
    if is_storage_unavailable(exc):
        return STORAGE_OUTAGE
    if is_redis_unavailable(exc):
        return REDIS_OUTAGE
    return None


def exception_handler(exc: Exception, context: dict) -> Response | None:
    outage = outage_of(exc)
    if outage is not None:
        response = Response(outage.body(), status=status.HTTP_503_SERVICE_UNAVAILABLE)
        outage.answered(context["request"], response, exc)
        return response
    if isinstance(exc, DomainError):
        field = getattr(exc, "field", None)
        fields = {field: [exc.message]} if field else {}
        return Response(error_body(exc.message, exc.reasons, fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return Response(validation_error_body(errors), status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Http404):
        response.data = error_body(gettext(NOT_FOUND))
    elif isinstance(exc, PermissionDenied):
        response.data = error_body(gettext(NOT_ALLOWED))
    elif isinstance(exc, ValidationError):
        response.data = validation_error_body(response.data)
    elif isinstance(response.data, Mapping) and "detail" in response.data:
        response.data = error_body(response.data["detail"])
    else:
        response.data = validation_error_body(response.data)
    return response
