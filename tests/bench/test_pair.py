"""The comparisons of a larger size with 10,000 use cases: the paired one
(``make bench BENCH_ARGS="--scale 100000 --paired"``), the order of its
passes and its verdict, and a run's with the stored baseline
(``run.compare_with_baseline``), the baseline a partial run keeps whole, and
the harness's verdict on a scenario's own targets and queries."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from tests.bench.harness import (
    BenchContext,
    QueriesElsewhere,
    Result,
    Scenario,
    format_table,
    measure,
)
from tests.bench.pair import HTTP_METHODS, Pair, compare, order, scenario_names
from tests.bench.run import compare_with_baseline, write_report


def test_the_sizes_take_turns_so_a_drift_falls_on_both():
    assert order(100_000, 2) == [10_000, 100_000, 100_000, 10_000]
    assert order(100_000, 3) == [10_000, 100_000, 100_000, 10_000, 10_000, 100_000]


def timed(figures: dict[int, list[float]], queries: dict[int, int]):
    """Passes that answer the given p95s, in the order asked, per size."""
    left = {size: list(values) for size, values in figures.items()}
    asked: list[tuple[int, str]] = []

    def run_pass(size: int, name: str) -> dict:
        asked.append((size, name))
        return {"p95_ms": left[size].pop(0), "queries": queries[size], "error": None}

    return run_pass, asked


def test_the_ratio_is_the_larger_sizes_mean_p95_over_the_baselines():
    figures = {10_000: [40.0, 60.0], 100_000: [70.0, 74.0]}
    run_pass, asked = timed(figures, {10_000: 10, 100_000: 10})
    [pair] = compare(["GET /portfolio/"], 100_000, 2, run_pass)
    assert asked == [
        (10_000, "GET /portfolio/"),
        (100_000, "GET /portfolio/"),
        (100_000, "GET /portfolio/"),
        (10_000, "GET /portfolio/"),
    ]
    assert pair.p95_ms == {10_000: [40.0, 60.0], 100_000: [70.0, 74.0]}
    assert pair.ratio == pytest.approx(72.0 / 50.0)
    assert pair.passed
    assert pair.as_dict()["ratio"] == 1.44


@pytest.mark.parametrize(
    ("p95s", "queries", "passed"),
    [
        ({10_000: [40.0, 40.0], 100_000: [61.0, 60.0]}, {10_000: 10, 100_000: 10}, False),
        ({10_000: [40.0, 40.0], 100_000: [41.0, 40.0]}, {10_000: 10, 100_000: 11}, False),
        ({10_000: [40.0, 40.0], 100_000: [60.0, 60.0]}, {10_000: 10, 100_000: 9}, True),
    ],
    ids=["p95 over 1.5 times", "one more query", "at 1.5 times, fewer queries"],
)
def test_the_verdict(p95s, queries, passed):
    run_pass, _ = timed(p95s, queries)
    [pair] = compare(["GET /dashboard/"], 100_000, 2, run_pass)
    assert pair.passed is passed


def test_a_pass_that_fails_fails_the_pair_and_says_where():
    pair = Pair("GET /dashboard/", 100_000)
    pair.add(10_000, {"p95_ms": 40.0, "queries": 10, "error": None})
    pair.add(100_000, {"p95_ms": None, "queries": None, "error": "HTTP 500, expected 200"})
    assert pair.ratio is None
    assert not pair.passed
    assert pair.errors == ["at 100,000: HTTP 500, expected 200"]


def test_the_pages_and_endpoints_are_the_scenarios_named_after_a_request():
    names = scenario_names()
    pages = [n for n in names if n.startswith(HTTP_METHODS)]
    assert "GET /portfolio/?stage=pilot&q=claims" in pages
    assert "GET /api/v1/reviews/<id>/ (40 criteria, 60 artifacts)" in pages
    assert len(pages) == len(names) - 3
    assert not any(n.startswith(HTTP_METHODS) for n in names if "sweep" in n or "pack" in n)


def result(name: str, *, p95_ms: float | None, queries: int | None, error: str | None = None):
    return {"name": name, "p95_ms": p95_ms, "queries": queries, "error": error}


@pytest.fixture
def baseline(tmp_path):
    path = tmp_path / "bench.json"
    path.write_text(
        json.dumps(
            {
                "generated_at": "2026-12-04T10:00:00+00:00",
                "git_commit": "abc1234",
                "results": [
                    result("GET /portfolio/", p95_ms=50.0, queries=10),
                    result("GET /portfolio/?stage=pilot&q=claims", p95_ms=60.0, queries=10),
                    result("GET /dashboard/", p95_ms=15.0, queries=20),
                    result("GET /api/v1/use-cases/", p95_ms=40.0, queries=12),
                    result("GET /reviews/<id>/", p95_ms=None, queries=None, error="HTTP 500"),
                ],
            }
        )
    )
    return path


def test_every_scenario_the_comparison_cannot_vouch_for_fails_with_its_reason(baseline):
    verdict = compare_with_baseline(
        [
            result("GET /portfolio/", p95_ms=500.0, queries=10),
            result(
                "GET /portfolio/?stage=pilot&q=claims",
                p95_ms=None,
                queries=None,
                error="HTTP 500, expected 200",
            ),
            result("GET /dashboard/", p95_ms=15.0, queries=99),
            result("GET /my-work/", p95_ms=30.0, queries=8),
            result("GET /reviews/<id>/", p95_ms=70.0, queries=23),
            result("GET /api/v1/use-cases/", p95_ms=60.0, queries=11),
        ],
        baseline,
    )
    rows = {row["name"]: row for row in verdict["rows"]}
    assert {name: row["passed"] for name, row in rows.items()} == {
        "GET /portfolio/": False,
        "GET /portfolio/?stage=pilot&q=claims": False,
        "GET /dashboard/": False,
        "GET /my-work/": False,
        "GET /reviews/<id>/": False,
        "GET /api/v1/use-cases/": True,
    }
    assert rows["GET /portfolio/"]["reasons"] == ["p95 10.00x, over 1.5x"]
    assert rows["GET /portfolio/?stage=pilot&q=claims"]["reasons"] == [
        "no figures at this size: HTTP 500, expected 200"
    ]
    assert rows["GET /dashboard/"]["reasons"] == ["99 queries where 20"]
    assert rows["GET /my-work/"]["reasons"] == ["not in the 10,000 baseline"]
    assert rows["GET /reviews/<id>/"]["reasons"] == ["no figures at 10,000: HTTP 500"]
    assert rows["GET /api/v1/use-cases/"]["ratio"] == 1.5
    assert verdict["passed"] is False


def test_the_comparison_passes_when_every_scenario_it_compared_passes(baseline):
    verdict = compare_with_baseline([result("GET /dashboard/", p95_ms=22.5, queries=20)], baseline)
    assert verdict["passed"] is True
    assert [row["passed"] for row in verdict["rows"]] == [True]


def test_a_comparison_of_nothing_or_with_no_baseline_fails(baseline, tmp_path):
    assert compare_with_baseline([], baseline)["passed"] is False
    missing = compare_with_baseline(
        [result("GET /dashboard/", p95_ms=15.0, queries=20)], tmp_path / "none.json"
    )
    assert missing["passed"] is False
    assert "no 10,000-use-case baseline" in missing["reason"]


def report(*results: dict) -> dict:
    return {
        "generated_at": "2026-12-05T08:00:00+00:00",
        "git_commit": "def5678",
        "results": list(results),
    }


def test_a_partial_run_replaces_its_scenarios_in_the_baseline_and_keeps_the_rest(baseline):
    write_report(
        report(
            result("GET /dashboard/", p95_ms=14.0, queries=19),
            result("GET /new/", p95_ms=5.0, queries=3),
        ),
        baseline,
        merge=True,
    )
    stored = json.loads(baseline.read_text())
    assert [r["name"] for r in stored["results"]] == [
        "GET /portfolio/",
        "GET /portfolio/?stage=pilot&q=claims",
        "GET /dashboard/",
        "GET /api/v1/use-cases/",
        "GET /reviews/<id>/",
        "GET /new/",
    ]
    by_name = {r["name"]: r for r in stored["results"]}
    assert by_name["GET /dashboard/"]["p95_ms"] == 14.0
    assert by_name["GET /dashboard/"]["git_commit"] == "def5678"
    assert by_name["GET /portfolio/"]["p95_ms"] == 50.0
    assert by_name["GET /portfolio/"]["generated_at"] == "2026-12-04T10:00:00+00:00"
    assert by_name["GET /portfolio/"]["git_commit"] == "abc1234"
    assert stored["partial"] == ["GET /dashboard/", "GET /new/"]
    assert stored["generated_at"] == "2026-12-05T08:00:00+00:00"


def test_a_full_run_writes_the_baseline_anew(baseline):
    write_report(report(result("GET /dashboard/", p95_ms=14.0, queries=19)), baseline)
    stored = json.loads(baseline.read_text())
    assert [r["name"] for r in stored["results"]] == ["GET /dashboard/"]
    assert "partial" not in stored


def test_a_target_missed_in_the_preparation_fails_the_scenario():
    ctx = BenchContext(dataset=None)
    outcome = Result("notification sweep rerun", 3, target_queries=400, target_p95_ms=1000)
    ctx._checks, ctx._figures = outcome.checks, outcome.figures
    ctx.check("first sweep", 20.0, at_most=5.0, unit="s")
    ctx.note(created=130_000)
    outcome.status, outcome.queries = 200, 25
    outcome.median_ms = outcome.p95_ms = outcome.max_ms = 400.0
    assert not outcome.passed
    written = outcome.as_dict()
    assert written["passed"] is False
    assert written["checks"] == [
        {"name": "first sweep", "value": 20.0, "at_most": 5.0, "unit": "s", "passed": False}
    ]
    assert written["figures"] == {"created": 130_000}
    assert "FAIL (first sweep 20 s > 5 s)" in format_table([outcome])

    outcome.checks.clear()
    ctx.check("first sweep", 2.3, at_most=5.0, unit="s")
    assert outcome.passed
    assert "PASS (first sweep 2.3 s <= 5 s)" in format_table([outcome])


def select_one(statements: int) -> None:
    """``statements`` queries on the calling thread's connection, then closed
    (as the sweep's threads close theirs)."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            for _ in range(statements):
                cursor.execute("SELECT 1")
    finally:
        connection.close()


@pytest.mark.django_db
def test_the_queries_of_other_threads_connections_are_counted():
    from django.db import connection

    with QueriesElsewhere() as elsewhere:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(select_one, [1, 2, 3, 4]))
    assert elsewhere.count == 10
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(select_one, [5]))
    assert elsewhere.count == 10


@pytest.mark.django_db
def test_a_request_counts_the_queries_of_every_connection_and_stops_at_a_wrong_status(
    monkeypatch,
):
    from django.db import connection

    # The bench process freezes what it holds before timing; a test process
    # keeps collecting.
    monkeypatch.setattr("tests.bench.harness.gc.freeze", lambda: None)
    statuses = iter([200, 200, 200, 500, 200])

    def prepare(ctx):
        def request():
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(select_one, [2, 3]))
            return SimpleNamespace(status_code=next(statuses))

        return request

    item = Scenario("side by side", prepare, max_queries=6, p95_ms=10_000)
    timed = measure(item, BenchContext(dataset=None), requests=2, warmups=1)
    assert timed.error is None
    assert timed.queries == 6
    assert timed.passed

    failed = measure(item, BenchContext(dataset=None), requests=2, warmups=0)
    assert failed.error == "HTTP 500, expected 200"
    assert failed.status == 500
    assert not failed.passed
