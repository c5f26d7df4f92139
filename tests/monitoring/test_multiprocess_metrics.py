"""/metrics of a web server with several gunicorn processes: with
PROMETHEUS_MULTIPROC_DIR each process writes its counts there, and the
scrape, whichever process answers it, reports their sum."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.load.run import route_costs, route_figures
from tests.workers import WebServer

pytestmark = [
    pytest.mark.postgres("the web server reads the test database over its own connection"),
    pytest.mark.django_db(transaction=True),
]

SERVED = 'stagegate_http_request_duration_seconds_count{method="GET",route="healthz",status="2xx"}'


def writers(shared: Path) -> set[str]:
    """The processes that have recorded a request (their pid ends the file's name)."""
    return {Path(f).stem.rsplit("_", 1)[-1] for f in shared.glob("histogram_*.db")}


def test_metrics_add_up_across_the_processes_of_one_web_server(tmp_path):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    web = WebServer(
        broker_url="",
        log_dir=tmp_path,
        env={"PROMETHEUS_MULTIPROC_DIR": str(shared)},
        workers=2,
    )

    def served() -> float:
        text = requests.get(f"{web.url}/metrics", timeout=30).text
        line = next((row for row in text.splitlines() if row.startswith(SERVED + " ")), None)
        assert line is not None, text
        return float(line.rsplit(" ", 1)[1])

    try:
        web.start()
        before = served()
        routes_before = route_figures(web.port)
        # Concurrent requests in rounds of 40 until both processes have
        # answered some: the kernel may hand a quick round to one process
        # alone (the second may still be booting), so one round proves nothing.
        sent = 0
        deadline = time.monotonic() + 60
        with ThreadPoolExecutor(8) as pool:
            while True:
                answers = list(
                    pool.map(lambda _: requests.get(f"{web.url}/healthz", timeout=30), range(40))
                )
                assert all(answer.status_code == 200 for answer in answers)
                sent += len(answers)
                if len(writers(shared)) >= 2 or time.monotonic() > deadline:
                    break
        assert len(writers(shared)) >= 2, sorted(shared.iterdir())
        for _ in range(4):  # whichever process answers the scrape
            assert served() - before == sent
        # What the load test reads from it: the CPU per request of each route.
        costs = route_costs(routes_before, route_figures(web.port), web_cpu_seconds=0.0)
        healthz = next(row for row in costs if row["route"] == "healthz")
        assert healthz["requests"] == sent
        assert 0 < healthz["cpu_ms_per_request"] <= healthz["ms_per_request"]
    finally:
        web.stop()


def test_a_server_started_again_counts_from_nothing(tmp_path):
    """The counts of the server's last run are files in the shared directory:
    a server that starts over them counts afresh, as Prometheus expects of a
    restarted process, instead of adding to them."""
    shared = tmp_path / "prometheus"
    shared.mkdir()
    web = WebServer(broker_url="", log_dir=tmp_path, env={"PROMETHEUS_MULTIPROC_DIR": str(shared)})

    def served() -> float:
        text = requests.get(f"{web.url}/metrics", timeout=30).text
        line = next((row for row in text.splitlines() if row.startswith(SERVED + " ")), None)
        return 0.0 if line is None else float(line.rsplit(" ", 1)[1])

    try:
        web.start()  # its readiness polls are requests too
        for _ in range(20):
            assert requests.get(f"{web.url}/healthz", timeout=30).status_code == 200
        first_run = served()
        assert first_run >= 20
    finally:
        web.stop()
    assert list(shared.glob("*.db")), "the run left no counts to start over"
    try:
        web.start()
        assert requests.get(f"{web.url}/healthz", timeout=30).status_code == 200
        assert 1 <= served() < first_run
    finally:
        web.stop()
