"""The dashboard's portfolio value through the API at scale (the page's
panel is measured with the dashboard in ``scenarios_reporting``)."""

from __future__ import annotations

from tests.bench.harness import BenchContext, Request, scenario
from tests.bench.value_data import ensure_value_data


@scenario("GET /api/v1/dashboard/value/ (whole portfolio)", max_queries=8, p95_ms=120)
def dashboard_value_api(ctx: BenchContext) -> Request:
    ensure_value_data(ctx)
    client = ctx.client_for(ctx.dataset.executive)
    return lambda: client.get("/api/v1/dashboard/value/")
