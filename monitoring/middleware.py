"""Request metrics with prometheus_client, labelled by method, route (the URL
pattern's name, so the label set stays small whatever the ids in the paths)
and status code class:

- ``stagegate_http_request_duration_seconds``: a histogram of the time to
  answer;
- ``stagegate_http_request_cpu_seconds_total``: the CPU the serving thread
  spent answering (``time.thread_time``: this thread's alone, also with
  gunicorn's threads), so that the CPU per request of each route is
  ``rate(..._cpu_seconds_total) / rate(..._duration_seconds_count)``. The
  database's own CPU is not in it, only the web process's."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

REQUEST_SECONDS = Histogram(
    "stagegate_http_request_duration_seconds",
    "Seconds to answer an HTTP request",
    ["method", "route", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REQUEST_CPU_SECONDS = Counter(
    "stagegate_http_request_cpu_seconds",
    "CPU seconds the serving thread spent answering HTTP requests",
    ["method", "route", "status"],
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unresolved"
    return match.view_name or "unnamed"


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        cpu_started = time.thread_time()
        response = self.get_response(request)
        cpu = time.thread_time() - cpu_started
        labels = {
            "method": request.method if request.method in METHODS else "other",
            "route": route_of(request),
            "status": f"{response.status_code // 100}xx",
        }
        REQUEST_SECONDS.labels(**labels).observe(time.perf_counter() - started)
        REQUEST_CPU_SECONDS.labels(**labels).inc(cpu)
        return response
