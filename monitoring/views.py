"""``/healthz`` and ``/readyz``, for load balancers and orchestrators.

Both answer JSON (``?format=text`` for people) and are never cached. A
failing readiness probe is a 503 naming the failing check, never a 500.
Neither needs a session or a signed-in user, and neither reveals more than
each check's name and its OK or error."""

from __future__ import annotations

import asyncio
from typing import Any

from django.http import HttpResponse, JsonResponse
from health_check.views import HealthCheckView

from monitoring.checks import readiness_checks


class _Probe(HealthCheckView):
    async def get(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        with self.get_executor() as executor:
            self.results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        healthy = not any(result.error for result in self.results)
        status = 200 if healthy else 503
        if request.GET.get("format") == "text":
            return self.render_to_response_text(status)
        return JsonResponse(
            {
                "status": "ok" if healthy else "unavailable",
                "checks": {
                    result.check.labels["check"]: "OK" if not result.error else str(result.error)
                    for result in self.results
                },
            },
            status=status,
        )


class Liveness(_Probe):
    """The process answers requests: no check of any service, so a database
    outage never gets a healthy web process restarted."""

    checks = ()


class Readiness(_Probe):
    """The process can serve: database, storage, Redis and workers answer."""

    def get_checks(self):  # type: ignore[override]
        self.checks = readiness_checks()
        return super().get_checks()
