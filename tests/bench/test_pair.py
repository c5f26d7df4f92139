"""The paired comparison (``make bench BENCH_ARGS="--scale 100000 --paired"``):
the order of its passes, and the verdict it draws from them."""

from __future__ import annotations

import pytest

from tests.bench.pair import HTTP_METHODS, Pair, compare, order, scenario_names


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
