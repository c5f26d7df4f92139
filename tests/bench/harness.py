"""The benchmark harness: a registry of scenarios and the measuring loop.

A scenario is a name, targets and a ``prepare`` function. ``prepare`` runs once
with a :class:`BenchContext` (the scale data set, signed-in clients), may add
the data it needs (idempotently: the benchmark database is kept between runs),
and returns a zero-argument callable that makes one request. To add scenarios,
create ``tests/bench/scenarios_<area>.py`` and register them there; ``run.py``
imports every such module::

    from tests.bench.harness import get_scenario, scenario

    get_scenario("GET /dashboard/", "/dashboard/", user="lead")

    @scenario("GET /reviews/<id>/ (40 criteria)", max_queries=15)
    def review_page(ctx):
        review = ...  # get or create the review once
        client = ctx.client_for(ctx.dataset.lead)
        return lambda: client.get(f"/reviews/{review.pk}/")
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpResponse
    from django.test import Client

    from tests.bench.dataset import Dataset

DEFAULT_MAX_QUERIES = 12
DEFAULT_P95_MS = 100.0

Request = Callable[[], "HttpResponse"]


@dataclass
class BenchContext:
    dataset: Dataset
    _clients: dict[int, Client] = field(default_factory=dict)

    def client_for(self, user: Any) -> Client:
        """A test client signed in as ``user`` (one per user, reused)."""
        from django.test import Client

        if user.pk not in self._clients:
            client = Client()
            client.force_login(user)
            self._clients[user.pk] = client
        return self._clients[user.pk]

    def user(self, name: str) -> Any:
        """A named person of the data set: ``lead``, ``executive``, ``sponsor``."""
        return getattr(self.dataset, name)


@dataclass(frozen=True)
class Scenario:
    name: str
    prepare: Callable[[BenchContext], Request]
    max_queries: int = DEFAULT_MAX_QUERIES
    p95_ms: float = DEFAULT_P95_MS
    expected_status: int = 200


SCENARIOS: list[Scenario] = []


def register(new: Scenario) -> Scenario:
    if any(existing.name == new.name for existing in SCENARIOS):
        raise ValueError(f"A benchmark scenario named {new.name!r} is already registered")
    SCENARIOS.append(new)
    return new


def scenario(
    name: str,
    *,
    max_queries: int = DEFAULT_MAX_QUERIES,
    p95_ms: float = DEFAULT_P95_MS,
    expected_status: int = 200,
) -> Callable[[Callable[[BenchContext], Request]], Callable[[BenchContext], Request]]:
    """Register the decorated ``prepare(ctx) -> request`` function as a scenario."""

    def decorate(prepare: Callable[[BenchContext], Request]) -> Callable[[BenchContext], Request]:
        register(Scenario(name, prepare, max_queries, p95_ms, expected_status))
        return prepare

    return decorate


def get_scenario(
    name: str,
    path: str,
    *,
    user: str = "lead",
    max_queries: int = DEFAULT_MAX_QUERIES,
    p95_ms: float = DEFAULT_P95_MS,
    **headers: str,
) -> Scenario:
    """Register a plain ``GET path`` made as one of the data set's people."""

    def prepare(ctx: BenchContext) -> Request:
        client = ctx.client_for(ctx.user(user))
        return lambda: client.get(path, headers=headers or None)

    return register(Scenario(name, prepare, max_queries, p95_ms))


@dataclass
class Result:
    name: str
    requests: int
    status: int | None = None
    queries: int | None = None
    median_ms: float | None = None
    p95_ms: float | None = None
    max_ms: float | None = None
    target_queries: int = DEFAULT_MAX_QUERIES
    target_p95_ms: float = DEFAULT_P95_MS
    error: str | None = None

    @property
    def passed(self) -> bool:
        return (
            self.error is None
            and self.queries is not None
            and self.p95_ms is not None
            and self.queries <= self.target_queries
            and self.p95_ms <= self.target_p95_ms
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "requests": self.requests,
            "status": self.status,
            "queries": self.queries,
            "median_ms": self.median_ms,
            "p95_ms": self.p95_ms,
            "max_ms": self.max_ms,
            "target_queries": self.target_queries,
            "target_p95_ms": self.target_p95_ms,
            "passed": self.passed,
            "error": self.error,
        }


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def measure(item: Scenario, ctx: BenchContext, *, requests: int, warmups: int) -> Result:
    """Time ``requests`` calls after ``warmups``; the query count is the largest
    seen, so a page whose count drifts between requests cannot hide it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reporting.services import tally_compact

    result = Result(item.name, requests, target_queries=item.max_queries, target_p95_ms=item.p95_ms)
    try:
        request = item.prepare(ctx)
        # What beat does every DASHBOARD_TALLY_COMPACT_SECONDS in a running
        # deployment: fold the dashboard tally's changes the data set's bulk
        # loads and this preparation wrote (a few ms once folded).
        tally_compact()
        # What the bench process holds (data set, earlier scenarios' objects)
        # is no part of a web or worker process: keep the cycle collector
        # from rescanning it on every full collection during the timings.
        gc.collect()
        gc.freeze()
        for _ in range(warmups):
            response = request()
            if response.status_code != item.expected_status:
                result.status = response.status_code
                result.error = f"HTTP {response.status_code}, expected {item.expected_status}"
                return result
        timings: list[float] = []
        query_counts: list[int] = []
        for _ in range(requests):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = request()
                timings.append((time.perf_counter() - started) * 1000)
            query_counts.append(len(captured.captured_queries))
            if response.status_code != item.expected_status:
                result.status = response.status_code
                result.error = f"HTTP {response.status_code}, expected {item.expected_status}"
                return result
    except Exception as exc:  # a benchmark reports a broken page, it does not stop
        result.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        return result
    result.status = response.status_code
    result.queries = max(query_counts)
    result.median_ms = round(statistics.median(timings), 1)
    result.p95_ms = round(percentile(timings, 0.95), 1)
    result.max_ms = round(max(timings), 1)
    return result


def format_table(results: list[Result]) -> str:
    headers = ["scenario", "status", "queries", "median ms", "p95 ms", "target", "result"]
    rows = []
    for r in results:
        target = f"<= {r.target_queries} q, p95 <= {r.target_p95_ms:g} ms"
        if r.error:
            rows.append([r.name, str(r.status or "-"), "-", "-", "-", target, f"FAIL ({r.error})"])
            continue
        rows.append(
            [
                r.name,
                str(r.status),
                str(r.queries),
                f"{r.median_ms:.1f}",
                f"{r.p95_ms:.1f}",
                target,
                "PASS" if r.passed else "FAIL",
            ]
        )
    widths = [
        max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
        for i, h in enumerate(headers)
    ]
    right = {1, 2, 3, 4}

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(row) for row in rows)
    return "\n".join(out)
