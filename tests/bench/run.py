"""Run the benchmarks: ``make bench`` or ``python -m tests.bench.run``.

Uses its own PostgreSQL database (``stagegate_bench``, created and migrated
when missing; the data set is kept between runs), signs in with Django's test
client, times every registered scenario and prints a table. Targets are
reported as PASS or FAIL; the exit code is 0 either way, because benchmarks
inform rather than gate. Results go to ``var/bench.json``, the baseline the
other sizes are compared with: a run of some of its scenarios (``--only``)
replaces theirs there and keeps the others.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "postgres://stagegate:stagegate@127.0.0.1:5432/stagegate_bench"
# The size the targets are set for; another --scale is compared with its last run.
BASELINE_SCALE = 10_000
# At another size, p95 may grow to this multiple of the baseline's, and the
# number of queries not at all.
SCALE_P95_FACTOR = 1.5
# The last run at BASELINE_SCALE, every scenario's latest result.
BASELINE_FILE = ROOT / "var" / "bench.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.run", description=__doc__)
    parser.add_argument("--requests", type=int, default=60, help="timed requests per scenario")
    parser.add_argument("--warmups", type=int, default=5, help="untimed requests first")
    parser.add_argument("--only", default="", help="run scenarios whose name contains this")
    parser.add_argument(
        "--exact", action="store_true", help="run the scenario named --only, and no other"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="drop and re-create the benchmark database"
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=10_000,
        help="use cases in the data set; each size has its own database, kept between runs",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="default: var/bench.json (var/bench-N.json, var/bench-pair-N.json)",
    )
    parser.add_argument(
        "--paired",
        action="store_true",
        help="the page and API scenarios at 10,000 and at --scale, in turn (tests/bench/pair.py)",
    )
    parser.add_argument("--rounds", type=int, default=2, help="with --paired: passes at each size")
    parser.add_argument("--list", action="store_true", help="print the scenarios' names and stop")
    return parser.parse_args(argv)


def ensure_database(url: str, *, fresh: bool) -> None:
    """Create the benchmark database when it does not exist yet."""
    import dj_database_url
    from psycopg2 import sql

    from tests.workers import postgres_connection

    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        sys.exit(f"bench: BENCH_DATABASE_URL must point at PostgreSQL, not {config['ENGINE']}")
    name = config["NAME"]
    connection = postgres_connection(url, dbname="postgres")
    try:
        with connection.cursor() as cursor:
            if fresh:
                print(f"bench: dropping database {name}")
                cursor.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                print(f"bench: creating database {name}")
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()


def load_scenarios() -> None:
    """Import every tests/bench/scenarios_*.py; importing registers its scenarios."""
    import tests.bench

    for module in sorted(pkgutil.iter_modules(tests.bench.__path__), key=lambda m: m.name):
        if module.name.startswith("scenarios_"):
            importlib.import_module(f"tests.bench.{module.name}")


def git_commit() -> str | None:
    """The commit measured, ``-dirty`` when the working tree had changes."""
    try:
        return subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=7"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def compare_with_baseline(results: list[dict], baseline: Path = BASELINE_FILE) -> dict:
    """Each scenario against its last run at the baseline size: the same
    number of queries or fewer, and p95 within SCALE_P95_FACTOR of it. A
    scenario the baseline lacks, or without figures in either run (an error,
    an unexpected status), fails with its reason. The comparison passes when
    it compared at least one scenario and every one passed. Prints the table
    and returns the verdict with its rows."""
    at = f"{BASELINE_SCALE:,}"
    try:
        before = {r["name"]: r for r in json.loads(baseline.read_text())["results"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        reason = f"no {at}-use-case baseline in {baseline} ({type(exc).__name__}): run `make bench`"
        print(f"bench: FAIL: {reason}")
        return {"baseline": str(baseline), "passed": False, "reason": reason, "rows": []}
    rows = [compare_one(result, before.get(result["name"])) for result in results]
    print(f"\nagainst the {at}-use-case run of {baseline.name}:")
    print(f"{'scenario':<62} {'queries':>11} {'p95 ms':>15} {'ratio':>6}  result")
    for row in rows:
        print(format_comparison(row))
    passed = sum(row["passed"] for row in rows)
    verdict = {"baseline": str(baseline), "passed": bool(rows) and passed == len(rows)}
    if not rows:
        verdict["reason"] = "no scenario was compared"
    print(
        f"{passed} of {len(rows)} scenarios keep their queries and p95 within "
        f"{SCALE_P95_FACTOR}x: {'PASS' if verdict['passed'] else 'FAIL'}"
        + (f" ({verdict['reason']})" if not rows else "")
    )
    return {**verdict, "rows": rows}


def compare_one(result: dict, base: dict | None) -> dict:
    """One scenario's row of the comparison: its figures at both sizes, the
    ratio of its p95s and the verdict, with the reasons it failed."""
    reasons = []
    if base is None:
        reasons.append(f"not in the {BASELINE_SCALE:,} baseline")
    elif base.get("error") or base.get("p95_ms") is None or base.get("queries") is None:
        reasons.append(f"no figures at {BASELINE_SCALE:,}: {base.get('error') or 'no timing'}")
    if result.get("error") or result.get("p95_ms") is None or result.get("queries") is None:
        reasons.append(f"no figures at this size: {result.get('error') or 'no timing'}")
    queries = [None if base is None else base.get("queries"), result.get("queries")]
    p95_ms = [None if base is None else base.get("p95_ms"), result.get("p95_ms")]
    ratio = None
    if not reasons:
        ratio = p95_ms[1] / p95_ms[0] if p95_ms[0] else float("inf")
        if queries[1] > queries[0]:
            reasons.append(f"{queries[1]} queries where {queries[0]}")
        if ratio > SCALE_P95_FACTOR:
            reasons.append(f"p95 {ratio:.2f}x, over {SCALE_P95_FACTOR}x")
    return {
        "name": result["name"],
        "queries": queries,
        "p95_ms": p95_ms,
        "ratio": None if ratio is None else round(ratio, 2),
        "passed": not reasons,
        "reasons": reasons,
    }


def format_comparison(row: dict) -> str:
    def figure(value: float | int | None, align: str, width: int, kind: str = "") -> str:
        text = "-" if value is None else format(value, kind)
        return format(text, f"{align}{width}")

    (q0, q1), (p0, p1) = row["queries"], row["p95_ms"]
    verdict = "PASS" if row["passed"] else f"FAIL ({'; '.join(row['reasons'])})"
    return (
        f"{row['name'][:62]:<62} {figure(q0, '>', 5)} → {figure(q1, '<', 4)}"
        f"{figure(p0, '>', 7, '.1f')} → {figure(p1, '<', 6, '.1f')}"
        f"{figure(row['ratio'], '>', 6, '.2f')}  {verdict}"
    )


def write_report(report: dict, output: Path, *, merge: bool = False) -> None:
    """Write the run's report to ``output``. With ``merge`` (a run of some of
    the baseline's scenarios), the results already there stay, the ones run
    replace theirs, and each result names the run that measured it
    (``generated_at``, ``git_commit``); ``partial`` lists the scenarios this
    run measured."""
    if merge and output.exists():
        try:
            report = merge_results(json.loads(output.read_text()), report)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"bench: {output} unreadable ({type(exc).__name__}), written anew")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"bench: wrote {output}")


def merge_results(stored: dict, report: dict) -> dict:
    """The report of a partial run, with the stored results it did not
    re-run, in the stored order (new scenarios last)."""

    def measured_by(result: dict, run: dict) -> dict:
        return {
            **result,
            "generated_at": result.get("generated_at", run.get("generated_at")),
            "git_commit": result.get("git_commit", run.get("git_commit")),
        }

    new = {r["name"]: measured_by(r, report) for r in report["results"]}
    results = [new.pop(r["name"], None) or measured_by(r, stored) for r in stored["results"]]
    results.extend(new.values())
    return {**report, "partial": [r["name"] for r in report["results"]], "results": results}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.paired:
        from tests.bench.pair import run_paired

        return run_paired(args)
    baseline = args.scale == BASELINE_SCALE
    default_url = DEFAULT_DATABASE_URL if baseline else f"{DEFAULT_DATABASE_URL}_{args.scale}"
    url = os.environ.get("BENCH_DATABASE_URL", default_url)
    if args.output is None:
        args.output = BASELINE_FILE if baseline else ROOT / "var" / f"bench-{args.scale}.json"
    # The benchmark never touches the development or test databases.
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # The sweeps notify thousands of bench people: their e-mails are discarded,
    # not printed (delivery is still attempted and recorded).
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")
    if args.list:
        import django

        django.setup()
        load_scenarios()
        from tests.bench.harness import SCENARIOS

        print("\n".join(s.name for s in SCENARIOS))
        return 0
    ensure_database(url, fresh=args.fresh)

    import django

    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from tests.bench import dataset as bench_dataset
    from tests.bench.dataset import ensure_dataset
    from tests.bench.harness import SCENARIOS, BenchContext, format_table, measure

    call_command("migrate", interactive=False, verbosity=0)
    bench_dataset.configure(args.scale)
    dataset = ensure_dataset()

    # Production-like request handling: no debug pages, no template debug
    # information. (The test client itself adds "testserver" as the host.)
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

    load_scenarios()
    if args.exact:
        selected = [s for s in SCENARIOS if s.name == args.only]
    else:
        selected = [s for s in SCENARIOS if args.only.lower() in s.name.lower()]
    ctx = BenchContext(dataset)
    print(
        f"bench: {len(selected)} scenarios, {args.warmups} warm-ups and {args.requests} "
        f"timed requests each, {dataset.use_cases:,} use cases"
    )
    results = []
    for item in selected:
        results.append(measure(item, ctx, requests=args.requests, warmups=args.warmups))
        print(f"  {item.name}: done", flush=True)

    print()
    print(format_table(results))
    passed = sum(r.passed for r in results)
    print(f"\n{passed} of {len(results)} scenarios within targets (benchmarks inform; exit 0)")

    partial = len(selected) < len(SCENARIOS)
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": f"{connection.vendor} {connection.pg_version}",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "warmups": args.warmups,
        "requests": args.requests,
        "dataset": dataset.summary(),
        "results": [r.as_dict() for r in results],
    }
    if not baseline:
        report["against_baseline"] = compare_with_baseline(report["results"], BASELINE_FILE)
    merge = baseline and partial and args.output.resolve() == BASELINE_FILE.resolve()
    write_report(report, args.output, merge=merge)
    return 0


if __name__ == "__main__":
    sys.exit(main())
