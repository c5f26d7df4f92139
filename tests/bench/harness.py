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

A scenario whose preparation measures something with a target of its own
(the notification sweep's first run) records it with ``ctx.check``; the
figure and its verdict are written with the scenario's result, and the
scenario fails when it is missed. ``ctx.note`` records figures without a
target.

The query count of a request is every query it ran: on the measuring
thread's connection, and on the connections other threads open while it
runs (the sweep's statements run side by side on connections of their own).
"""

from __future__ import annotations

import gc
import math
import statistics
import threading
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
class Check:
    """A target a scenario measures in its preparation: ``value`` at most
    ``at_most`` (in ``unit``)."""

    name: str
    value: float
    at_most: float
    unit: str = ""

    @property
    def passed(self) -> bool:
        return self.value <= self.at_most

    def describe(self) -> str:
        sign = "<=" if self.passed else ">"
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.name} {self.value:g}{unit} {sign} {self.at_most:g}{unit}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "at_most": self.at_most,
            "unit": self.unit,
            "passed": self.passed,
        }


@dataclass
class BenchContext:
    dataset: Dataset
    _clients: dict[int, Client] = field(default_factory=dict)
    # Where ``check`` and ``note`` write: the result of the scenario being
    # prepared (``measure`` sets them).
    _checks: list[Check] = field(default_factory=list)
    _figures: dict[str, Any] = field(default_factory=dict)

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

    def check(self, name: str, value: float, *, at_most: float, unit: str = "") -> Check:
        """Record a target measured in the scenario's preparation: written with
        its result, which fails when ``value`` is over ``at_most``."""
        found = Check(name, value, at_most, unit)
        self._checks.append(found)
        return found

    def note(self, **figures: Any) -> None:
        """Record figures of the scenario's preparation, written with its result."""
        self._figures.update(figures)


class QueriesElsewhere:
    """Counts the queries run on the connections other threads open while it
    is active: Django's connections are per thread, so a query the measuring
    thread's ``CaptureQueriesContext`` cannot see. Each connection opened in
    another thread (``connection_created``) gets an execute wrapper that adds
    to ``count``; a thread that closes its connection and opens another is
    counted on both."""

    def __init__(self) -> None:
        self.count = 0
        self._active = False
        self._lock = threading.Lock()
        self._thread = threading.current_thread()

    def __enter__(self) -> QueriesElsewhere:
        from django.db.backends.signals import connection_created

        self._active = True
        connection_created.connect(self._opened, weak=False, dispatch_uid=self._uid)
        return self

    def __exit__(self, *exc_info: object) -> None:
        from django.db.backends.signals import connection_created

        connection_created.disconnect(dispatch_uid=self._uid)
        self._active = False

    @property
    def _uid(self) -> str:
        return f"bench-queries-elsewhere-{id(self)}"

    def _opened(self, sender: object, connection: Any, **kwargs: Any) -> None:
        if threading.current_thread() is self._thread:
            return
        if self._counted not in connection.execute_wrappers:
            connection.execute_wrappers.append(self._counted)

    def _counted(self, execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        if self._active:
            with self._lock:
                self.count += 1
        return execute(sql, params, many, context)


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
    checks: list[Check] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return (
            self.error is None
            and self.queries is not None
            and self.p95_ms is not None
            and self.queries <= self.target_queries
            and self.p95_ms <= self.target_p95_ms
            and all(check.passed for check in self.checks)
        )

    def as_dict(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.checks:
            extra["checks"] = [check.as_dict() for check in self.checks]
        if self.figures:
            extra["figures"] = self.figures
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
            **extra,
        }


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def measure(item: Scenario, ctx: BenchContext, *, requests: int, warmups: int) -> Result:
    """Time ``requests`` calls after ``warmups``; the query count is the largest
    seen, so a page whose count drifts between requests cannot hide it, and
    counts the queries of every connection the request used."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reporting.services import tally_compact

    result = Result(item.name, requests, target_queries=item.max_queries, target_p95_ms=item.p95_ms)
    ctx._checks, ctx._figures = result.checks, result.figures
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
        with QueriesElsewhere() as elsewhere:
            for _ in range(requests):
                before = elsewhere.count
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = request()
                    timings.append((time.perf_counter() - started) * 1000)
                query_counts.append(len(captured.captured_queries) + elsewhere.count - before)
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
        checks = "; ".join(check.describe() for check in r.checks)
        if r.error:
            why = "; ".join(filter(None, [r.error, checks]))
            rows.append([r.name, str(r.status or "-"), "-", "-", "-", target, f"FAIL ({why})"])
            continue
        rows.append(
            [
                r.name,
                str(r.status),
                str(r.queries),
                f"{r.median_ms:.1f}",
                f"{r.p95_ms:.1f}",
                target,
                ("PASS" if r.passed else "FAIL") + (f" ({checks})" if checks else ""),
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
