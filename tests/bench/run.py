"""Run the benchmarks: ``make bench`` or ``python -m tests.bench.run``.

Uses its own PostgreSQL database (``stagegate_bench``, created and migrated
when missing; the data set is kept between runs), signs in with Django's test
client, times every registered scenario and prints a table. Targets are
reported as PASS or FAIL; the exit code is 0 either way, because benchmarks
inform rather than gate. Results go to ``var/bench.json``.
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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.run", description=__doc__)
    parser.add_argument("--requests", type=int, default=60, help="timed requests per scenario")
    parser.add_argument("--warmups", type=int, default=5, help="untimed requests first")
    parser.add_argument("--only", default="", help="run scenarios whose name contains this")
    parser.add_argument(
        "--fresh", action="store_true", help="drop and re-create the benchmark database"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "var" / "bench.json")
    return parser.parse_args(argv)


def ensure_database(url: str, *, fresh: bool) -> None:
    """Create the benchmark database when it does not exist yet."""
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        sys.exit(f"bench: BENCH_DATABASE_URL must point at PostgreSQL, not {config['ENGINE']}")
    name = config["NAME"]
    connection = psycopg2.connect(
        dbname="postgres",
        user=config["USER"],
        password=config["PASSWORD"],
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        connect_timeout=5,
    )
    connection.autocommit = True
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
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    # The benchmark never touches the development or test databases.
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # The sweeps notify thousands of bench people: their e-mails are discarded,
    # not printed (delivery is still attempted and recorded).
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")
    ensure_database(url, fresh=args.fresh)

    import django

    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from tests.bench.dataset import ensure_dataset
    from tests.bench.harness import SCENARIOS, BenchContext, format_table, measure

    call_command("migrate", interactive=False, verbosity=0)
    dataset = ensure_dataset()

    # Production-like request handling: no debug pages, no template debug
    # information. (The test client itself adds "testserver" as the host.)
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

    load_scenarios()
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
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"bench: wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
