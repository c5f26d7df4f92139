"""How fast the storage commands read an object store, one file at a time
and several at once: ``.venv/bin/python -m tests.bench.storage_jobs``.

It starts moto's S3 server on loopback (as the storage tests do), stores
``--files`` objects of 20 kB and reads them all through ``ObjectStorage`` as
``manage.py verify_stored_files`` reads them (a GET each, streamed and
hashed), with 1, 4, 8 and 16 files at once; once straight to the server and
once through a proxy that holds each request ``--delay-ms`` before passing
it on, as a store further away answers later. On two cores moto's own CPU is
the limit on loopback; the delay shows what the commands' ``--jobs`` buy
against a store on the network. Prints the median of three runs each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from contextlib import closing
from pathlib import Path

JOBS = (1, 4, 8, 16)
RUNS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=600)
    parser.add_argument("--delay-ms", type=float, default=20.0)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from core import storage as core_storage
    from core.object_storage import ObjectStorage
    from tests.storage.conftest import DelayingProxy, ObjectStore

    store = ObjectStore(Path(tempfile.mkdtemp(prefix="bench-s3-")) / "s3.log").start()
    try:
        client, body = store.client(), os.urandom(20_000)
        for n in range(args.files):
            client.put_object(Bucket=store.bucket, Key=f"media/bench/{n}", Body=body)
        rows = [
            core_storage.StoredRow("gates.artifact", n, str(n), f"bench/{n}", "")
            for n in range(args.files)
        ]
        proxy = DelayingProxy(store.port, args.delay_ms / 1000).url
        options = store.storage_settings["OPTIONS"]
        for label, url in (("loopback", store.url), (f"+{args.delay_ms:g} ms", proxy)):
            for jobs in JOBS:
                storage = ObjectStorage(**{**options, "endpoint_url": url})

                def read(row, storage=storage):
                    return core_storage._measure_stored(storage, row.name)

                times = []
                for _ in range(RUNS):
                    started = time.perf_counter()
                    with closing(core_storage._each_in_order(rows, read, jobs)) as reads:
                        assert all(done.result()[0] == len(body) for _, done in reads)
                    times.append(time.perf_counter() - started)
                median = statistics.median(times)
                print(
                    f"{label:>10}  {jobs:2d} at once  {args.files} files  "
                    f"median {median:.2f} s  {args.files / median:.0f} files/s",
                    flush=True,
                )
    finally:
        store.stop()


if __name__ == "__main__":
    main()
