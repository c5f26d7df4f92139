"""Errors that are not the server's fault never become a 500 page.

A domain error raised in an HTML view becomes an inline message. A service
that does not answer (the database restarting or failing over, the object
store unreachable) becomes a 503 with Retry-After: JSON under /api/, the
site's own page elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext

from core.api_errors import Outage, outage_of
from core.errors import DomainError
from core.web import is_htmx


def outage_response(request: HttpRequest, exc: BaseException, outage: Outage) -> HttpResponse:
    """The 503 for a service that did not answer: JSON under /api/; for htmx,
    the message alone, which base.html's htmx configuration shows in the
    page's message area (the form stays as it was, to be sent again); else
    the page. Rendered without the request: its context processors would
    query a database that failed."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(outage.body(), status=503)
    elif is_htmx(request):
        error = {"message": gettext(outage.message), "reasons": [gettext(outage.reason)]}
        response = HttpResponse(
            render_to_string("partials/refusal.html", {"error": error}), status=503
        )
    else:
        html = render_to_string(
            "503.html",
            {
                "message": gettext(outage.message),
                "reason": gettext(outage.reason),
                "retry_after": outage.retry_after,
                "retry_url": request.get_full_path() if request.method == "GET" else "",
            },
        )
        response = HttpResponse(html, status=503)
    outage.answered(request, response, exc)
    return response


class ServiceUnavailableMiddleware:
    """A view (or its template) that finds the database or the object store
    gone answers 503.

    A failed database connection is not reused: Django closes a connection
    that saw an error and no longer answers when the request ends, and checks
    a kept one before the next request uses it (CONN_HEALTH_CHECKS)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        outage = outage_of(exception)
        if outage is None:
            return None
        return outage_response(request, exception, outage)


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        if getattr(request, "htmx", False):
            # htmx swaps only 2xx answers; the refusal goes to the page's
            # message area whatever element asked.
            html = render_to_string("partials/refusal.html", {"error": exception}, request=request)
            response = HttpResponse(html, status=200)
            response["HX-Retarget"] = "#flash"
            response["HX-Reswap"] = "innerHTML"
            return response
        messages.error(request, str(exception))
        back = request.headers.get("referer", "/")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = "/"
        return HttpResponseRedirect(back)
