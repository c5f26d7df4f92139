"""``/healthz`` and ``/readyz``, for load balancers and orchestrators.

Both answer JSON (``?format=text`` for people) and are never cached. A
failing readiness probe is a 503 naming the failing check, never a 500.
Neither needs a session or a signed-in user, and neither reveals more than
each check's name and its OK or the kind of its failure ("Unavailable"): what
failed, with hosts and ports, goes to the log (django-health-check's warning,
one line under the request id: ``config.logs.FailureInLine``), and the 503
itself is one warning naming the failing checks: an outage of a service
the application waits out, not an error of its own (as the pages' 503s,
``core.api_errors.Outage``).

A probe answers within its checks' budgets (each check's timeout and one
second), whatever a service does: a check still waiting on a service that
took the connection and never answers is left to its client's own timeout
in the background, not waited for."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.utils.log import log_response
from health_check.views import HealthCheckView

from monitoring.checks import readiness_checks

logger = logging.getLogger(__name__)


def _said(result: Any) -> str:
    """What the answer says of one check: OK, or its failure's kind."""
    return "OK" if not result.error else result.error.message_type


class _Probe(HealthCheckView):
    @contextmanager
    def get_executor(self) -> Iterator[ThreadPoolExecutor]:
        """The threads of the checks that block: once every check has its
        result (or its timeout), the probe answers without waiting for a
        thread still blocked on a service that does not answer."""
        executor = ThreadPoolExecutor(thread_name_prefix="readyz")
        try:
            yield executor
        finally:
            executor.shutdown(wait=False, cancel_futures=True)

    async def get(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        with self.get_executor() as executor:
            self.results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        healthy = not any(result.error for result in self.results)
        status = 200 if healthy else 503
        checks = {result.check.labels["check"]: _said(result) for result in self.results}
        if request.GET.get("format") == "text":
            response: HttpResponse = HttpResponse(
                "".join(f"{name}: {said}\n" for name, said in checks.items()),
                content_type="text/plain; charset=utf-8",
                status=status,
            )
        else:
            response = JsonResponse(
                {"status": "ok" if healthy else "unavailable", "checks": checks}, status=status
            )
        if not healthy:
            log_response(
                "Not ready, answered %s to %s: %s",
                status,
                request.path,
                ", ".join(name for name, said in checks.items() if said != "OK"),
                response=response,
                request=request,
                logger=logger,
                level="warning",
            )
        return response


class Liveness(_Probe):
    """The process answers requests: no check of any service, so a database
    outage never gets a healthy web process restarted."""

    checks = ()


class Readiness(_Probe):
    """The process can serve: database, storage, Redis and workers answer."""

    def get_checks(self):  # type: ignore[override]
        self.checks = readiness_checks()
        return super().get_checks()
