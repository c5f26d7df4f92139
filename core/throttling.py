"""Rate limits per person on expensive actions, with DRF's throttle classes.

An app declares a throttle by its scope (``class PackRequestThrottle(ScopedUserThrottle):
scope = "pack_requests"``); the rate comes from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]`` (``config/settings.py``).
The same class bounds the API view (``throttle_classes`` with
``ThrottledAPIView``) and the browser view (``ensure_not_throttled``); both
count in the same cache entry, so a person has one allowance whichever way
they ask.

A throttled request is refused with ``RequestThrottled`` (429): the API's
one error shape with a ``Retry-After`` header, an inline message in the
browser. The counters live in Django's cache: in-process memory unless
``CACHE_IN_REDIS`` is on, which a deployment with several processes needs
for one shared count.
"""

from __future__ import annotations

import math

from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy, ngettext
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

from core.errors import DomainError

PERIODS = {
    1: gettext_lazy("second"),
    60: gettext_lazy("minute"),
    3600: gettext_lazy("hour"),
    86400: gettext_lazy("day"),
}


class RequestThrottled(DomainError):
    """Too many requests of one kind by one person: try again after ``wait`` seconds."""

    status_code = 429

    def __init__(self, message: str, reasons: list[str], wait: int | None) -> None:
        super().__init__(message, reasons)
        self.wait = wait


class ScopedUserThrottle(UserRateThrottle):
    """DRF's per-user throttle (per address for anonymous requests), with the
    rate read when the throttle is built rather than when the class is: the
    settings can change (tests, a reload) and DRF's class attribute would
    keep the first value."""

    #: What is counted, for the message: "pack requests" (a translated text).
    subject = gettext_lazy("requests")

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def refusal(self, wait: float | None) -> RequestThrottled:
        seconds = math.ceil(wait) if wait is not None else None
        period = PERIODS.get(self.duration) or ngettext(
            "%(count)d second", "%(count)d seconds", self.duration
        ) % {"count": self.duration}
        subject = gettext(str(self.subject))
        return RequestThrottled(
            gettext("Too many %(subject)s: try again %(when)s.")
            % {"subject": subject, "when": _in(seconds)},
            [
                gettext("Each person may make at most %(count)s %(subject)s per %(period)s.")
                % {"count": self.num_requests, "subject": subject, "period": period}
            ],
            seconds,
        )


def _in(seconds: int | None) -> str:
    if seconds is None:
        return gettext("later")
    if seconds < 60:
        return ngettext("in %(count)d second", "in %(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("in %(count)d minute", "in %(count)d minutes", minutes) % {"count": minutes}


def ensure_not_throttled(request: HttpRequest, throttle_class: type[ScopedUserThrottle]) -> None:
    """Count this request of a browser view; raise ``RequestThrottled`` past the rate."""
    throttle = throttle_class()
    if not throttle.allow_request(request, None):
        raise throttle.refusal(throttle.wait())


class ThrottledAPIView:
    """Mixin for an APIView: its ``throttle_classes`` count only the methods
    in ``throttled_methods`` (a list read with GET is not a pack request),
    and a throttled request is refused in the API's one error shape, with
    ``Retry-After``."""

    throttled_methods: tuple[str, ...] = ("POST",)

    def get_throttles(self) -> list[ScopedUserThrottle]:
        if self.request.method not in self.throttled_methods:  # type: ignore[attr-defined]
            return []
        return super().get_throttles()  # type: ignore[misc]

    def check_throttles(self, request: Request) -> None:
        for throttle in self.get_throttles():
            if not throttle.allow_request(request, self):
                raise throttle.refusal(throttle.wait())

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)  # type: ignore[misc]
        if isinstance(exc, RequestThrottled) and exc.wait is not None:
            response["Retry-After"] = str(exc.wait)
        return response
