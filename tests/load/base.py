"""The load test's base data set: ``python -m tests.load.base``, which
``tests/load/run.py`` runs before every load test with ``DATABASE_URL``
naming the base database (``stagegate_load_base``).

It migrates the base database and, when it holds fewer than 10,000 use
cases, loads the benchmark's portfolio into it (``tests.bench.dataset``:
10,000 use cases, 600 people, 8 business units). After a load or a
migration it folds the dashboard tally and vacuums and analyzes the
database, so that every copy starts with the same rows and the same
planner statistics. Otherwise it writes nothing: the load test copies this
database for each run (``CREATE DATABASE ... TEMPLATE``) and never runs
against it.
"""

from __future__ import annotations

import sys
import time


def main() -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from reporting.services import tally_compact
    from tests.bench.dataset import ensure_dataset

    started = time.monotonic()
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    call_command("migrate", interactive=False, verbosity=0)
    dataset = ensure_dataset(out=lambda line: print(line.replace("bench:", "load:"), flush=True))
    changed = bool(pending) or dataset.loaded_in_s is not None
    if changed:
        before, after = tally_compact()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        print(
            f"load: base data set ready in {time.monotonic() - started:.0f} s "
            f"({len(pending)} migrations applied; dashboard tally {before} rows into {after}; "
            "vacuumed and analyzed)",
            flush=True,
        )
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
