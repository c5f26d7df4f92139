"""Error pages: JSON under /api/ (the API's one error shape, ``core.api_errors``),
the site's own pages elsewhere."""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.formats import number_format
from django.utils.translation import gettext

from core.api_errors import NOT_ALLOWED, NOT_FOUND, error_body, outage_of
from core.middleware import outage_response

logger = logging.getLogger(__name__)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request Django refused before any view (a body past
    DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields)."""
    if _wants_json(request):
        message = str(exception) if exception else ""
        if "DATA_UPLOAD_MAX_MEMORY_SIZE" in message:
            message = gettext("The request body is larger than %(limit)s bytes.") % {
                "limit": number_format(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, force_grouping=True)
            }
        return JsonResponse(error_body(message or gettext("Bad request.")), status=400)
    return render(request, "400.html", status=400)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body(gettext(NOT_FOUND)), status=404)
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body(gettext(NOT_ALLOWED)), status=403)
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django calls this while handling the exception, from any layer: a
    database or object store that did not answer (in a middleware, or in
    another error page) is still the 503 to retry."""
    exception = sys.exception()
    outage = outage_of(exception)
    if outage is not None:
        return outage_response(request, exception, outage)
    if _wants_json(request):
        return JsonResponse(error_body(gettext("Server error.")), status=500)
    # Rendered without the request, whose context processors need the
    # database and the session: whatever broke may have broken them too.
    try:
        html = render_to_string("500.html")
    except Exception:
        logger.exception("The 500 page could not be rendered")
        html = _PLAIN_500
    return HttpResponse(html, status=500)


_PLAIN_500 = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    "<title>Something went wrong · StageGate</title></head><body>"
    "<h1>Something went wrong</h1><p>The error was logged. Please try again.</p>"
    '<p><a href="/">Back to my work</a></p></body></html>'
)
