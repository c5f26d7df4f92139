"""The application's URLs (``config.urls``) and one more, for the load
test's server only: a trivial synchronous view, whose throughput through
the whole middleware stack is the ceiling the mixed workload is compared
with. The product has no such route."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as application_urlpatterns
from tests.load import CEILING_PATH


def plain(request: HttpRequest) -> HttpResponse:
    """A short plain-text answer: no query, no template, no session write."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    # First, as /healthz is in config.urls: the ceiling's request is resolved
    # at the first pattern.
    path(CEILING_PATH.removeprefix("/"), plain, name="load-plain"),
    *application_urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
