"""The page and API scenarios at 10,000 use cases and at another size, side
by side: ``make bench BENCH_ARGS="--scale 100000 --paired"``.

A 100,000 run compared with the last 10,000 run (``run.compare_with_baseline``)
also measures how the machine's speed moved between the two, minutes or hours
apart; on this kind of machine that alone moves a p95 by a third. Here each
scenario is measured at both sizes in turn, in passes of its own (a process
per pass, as ``make bench`` is), in the order 10,000, N, N, 10,000 for every
two rounds, so a drift in between falls on both sizes alike. The ratio is the
mean p95 of the larger size's passes over the mean of the baseline's; the
query count is the largest seen at each size. Results go to
``var/bench-pair-N.json``.

Only the scenarios named after an HTTP request (``GET ...``): the sweep and the
pack are not pages, and the sweep's first run is first only once.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests.bench.run import BASELINE_SCALE, ROOT, SCALE_P95_FACTOR, git_commit

HTTP_METHODS = ("GET ", "POST ", "PUT ", "PATCH ", "DELETE ")

# One pass: (scale, scenario name) -> that pass's result as run.py writes it.
Pass = Callable[[int, str], dict]


@dataclass
class Pair:
    """One scenario at both sizes: every pass's p95, in the order measured."""

    name: str
    scale: int
    p95_ms: dict[int, list[float]] = field(default_factory=dict)
    queries: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, size: int, result: dict) -> None:
        if result.get("error") or result.get("p95_ms") is None:
            self.errors.append(f"at {size:,}: {result.get('error') or 'no timing'}")
            return
        self.p95_ms.setdefault(size, []).append(result["p95_ms"])
        self.queries[size] = max(self.queries.get(size, 0), result["queries"])

    @property
    def ratio(self) -> float | None:
        """Mean p95 at the larger size over the mean at the baseline."""
        base, large = self.p95_ms.get(BASELINE_SCALE), self.p95_ms.get(self.scale)
        if not base or not large:
            return None
        return statistics.fmean(large) / statistics.fmean(base)

    @property
    def passed(self) -> bool:
        ratio = self.ratio
        return (
            not self.errors
            and ratio is not None
            and self.queries[self.scale] <= self.queries[BASELINE_SCALE]
            and ratio <= SCALE_P95_FACTOR
        )

    def as_dict(self) -> dict:
        ratio = self.ratio
        return {
            **asdict(self),
            "p95_ms": {str(size): values for size, values in self.p95_ms.items()},
            "queries": {str(size): count for size, count in self.queries.items()},
            "ratio": None if ratio is None else round(ratio, 3),
            "passed": self.passed,
        }


def order(scale: int, rounds: int) -> list[int]:
    """The sizes in the order measured: 10,000 then N, N then 10,000, ..."""
    sizes: list[int] = []
    for n in range(rounds):
        sizes += [BASELINE_SCALE, scale] if n % 2 == 0 else [scale, BASELINE_SCALE]
    return sizes


def compare(names: Iterable[str], scale: int, rounds: int, run_pass: Pass) -> list[Pair]:
    """Measure every scenario at both sizes, in ``order``, one after the other."""
    pairs = []
    for name in names:
        pair = Pair(name, scale)
        for size in order(scale, rounds):
            pair.add(size, run_pass(size, name))
        pairs.append(pair)
        print(format_row(pair), flush=True)
    return pairs


def format_row(pair: Pair) -> str:
    def p95s(size: int) -> str:
        return " ".join(f"{v:.1f}" for v in pair.p95_ms.get(size, [])) or "-"

    ratio = pair.ratio
    return (
        f"{pair.name[:62]:<62} {pair.queries.get(BASELINE_SCALE, '-'):>4} → "
        f"{pair.queries.get(pair.scale, '-'):<4} {p95s(BASELINE_SCALE):>13} | "
        f"{p95s(pair.scale):<13} {'-' if ratio is None else f'{ratio:.2f}':>5}  "
        f"{'PASS' if pair.passed else 'FAIL'}{'  ' + '; '.join(pair.errors) if pair.errors else ''}"
    )


def subprocess_pass(requests: int, warmups: int, workdir: Path) -> Pass:
    """A pass as ``make bench`` runs it: a process of its own on that size's database."""

    def run_pass(size: int, name: str) -> dict:
        output = workdir / "pass.json"
        output.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "tests.bench.run",
            "--scale",
            str(size),
            "--only",
            name,
            "--exact",
            "--requests",
            str(requests),
            "--warmups",
            str(warmups),
            "--output",
            str(output),
        ]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0 or not output.exists():
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return {"error": f"the pass exited {done.returncode}: {last[0][:200]}"}
        results = json.loads(output.read_text())["results"]
        return results[0] if results else {"error": "no such scenario"}

    return run_pass


def run_paired(args) -> int:
    """``run.py --paired``: every page and API scenario (``--only`` narrows
    them) at 10,000 and at ``--scale``, alternately."""
    if args.scale == BASELINE_SCALE:
        sys.exit(f"bench: --paired compares another --scale with {BASELINE_SCALE:,}")
    if os.environ.get("BENCH_DATABASE_URL"):
        sys.exit("bench: --paired needs each size's own database; unset BENCH_DATABASE_URL")
    names = [n for n in scenario_names() if n.startswith(HTTP_METHODS)]
    names = [n for n in names if args.only.lower() in n.lower()]
    output = args.output or ROOT / "var" / f"bench-pair-{args.scale}.json"
    sizes = " ".join(f"{size:,}" for size in order(args.scale, args.rounds))
    print(
        f"bench: {len(names)} page and API scenarios at {BASELINE_SCALE:,} and "
        f"{args.scale:,} use cases, in the order {sizes}, "
        f"{args.warmups} warm-ups and {args.requests} timed requests a pass"
    )
    print(f"{'scenario':<62} {'queries':>11} {'p95 ms at 10,000':>13} | at {args.scale:,}, ratio")
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as workdir:
        pairs = compare(
            names,
            args.scale,
            args.rounds,
            subprocess_pass(args.requests, args.warmups, Path(workdir)),
        )
    passed = sum(p.passed for p in pairs)
    print(
        f"{passed} of {len(pairs)} scenarios keep their queries and p95 within "
        f"{SCALE_P95_FACTOR}x (mean of each size's passes)"
    )
    report = {
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "scales": [BASELINE_SCALE, args.scale],
        "order": order(args.scale, args.rounds),
        "warmups": args.warmups,
        "requests": args.requests,
        "factor": SCALE_P95_FACTOR,
        "results": [p.as_dict() for p in pairs],
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"bench: wrote {output}")
    return 0


def scenario_names() -> list[str]:
    """The registered scenarios' names, read in a process of its own (the
    scenario modules import Django models)."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.run", "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in done.stdout.splitlines() if line]
