"""Error pages: JSON under /api/ (the API's one error shape, ``core.api_errors``),
the site's own pages elsewhere."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from core.api_errors import NOT_ALLOWED, NOT_FOUND, error_body


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request Django refused before any view (a body past
    DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields)."""
    if _wants_json(request):
        message = str(exception) if exception else ""
        if "DATA_UPLOAD_MAX_MEMORY_SIZE" in message:
            message = (
                f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes."
            )
        return JsonResponse(error_body(message or "Bad request."), status=400)
    return render(request, "400.html", status=400)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body(NOT_FOUND), status=404)
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body(NOT_ALLOWED), status=403)
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("Server error."), status=500)
    return render(request, "500.html", status=500)
