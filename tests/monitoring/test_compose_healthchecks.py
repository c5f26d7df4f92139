"""docker-compose.yml as an operator runs it: the web container's health
check asks /readyz of a real gunicorn and fails when a service it needs
does not answer; beat's fails while beat hangs and once it is gone; artifacts and packs
go to the MinIO service; the web processes' metrics are added up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.workers import RedisServer, WebServer, app_environment, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
# Where the web container's check asks, inside the container.
IN_CONTAINER = "http://127.0.0.1:8000"


def _python_check(service: str) -> str:
    test = SERVICES[service]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    return test[3]


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.postgres("the web server reads the test database over its own connection")
@pytest.mark.django_db(transaction=True)
def test_the_web_health_check_passes_when_readyz_does_and_fails_when_it_does_not(tmp_path):
    check = _python_check("web")
    assert f"{IN_CONTAINER}/readyz" in check
    # The check asks as the first of ALLOWED_HOSTS; the server is polled as 127.0.0.1.
    hosts = {"ALLOWED_HOSTS": "stagegate.example.org,127.0.0.1"}
    ready = WebServer(broker_url="", log_dir=tmp_path, env=hosts, name="ready")
    # Redis does not answer: /readyz is a 503 naming it.
    unready = WebServer(
        broker_url=f"redis://127.0.0.1:{free_port()}/0",
        log_dir=tmp_path,
        env=hosts,
        name="unready",
    )
    try:
        ready.start()
        unready.start()
        passed = _run(check.replace(IN_CONTAINER, ready.url), hosts)
        assert passed.returncode == 0, passed.stderr
        failed = _run(check.replace(IN_CONTAINER, unready.url), hosts)
        assert failed.returncode != 0
        assert "503" in failed.stderr
    finally:
        ready.stop()
        unready.stop()
    gone = _run(check.replace(IN_CONTAINER, ready.url), hosts)
    assert gone.returncode != 0


def test_the_beat_health_check_fails_while_beat_hangs_and_once_it_is_gone(tmp_path):
    """A real beat on a real Redis, ticking every second (``--max-interval
    1``, where the container's ticks at least every 300 s): the check as
    written, its heartbeat's path and its bound scaled to the test (3 s for
    600 s), passes while beat ticks, fails while beat is stopped (SIGSTOP: a
    hung process, still there), passes once it goes on, fails once it is gone."""
    schedule = tmp_path / "celerybeat-schedule"
    heartbeat = "/tmp/celerybeat-schedule.heartbeat"
    assert "--schedule /tmp/celerybeat-schedule" in " ".join(SERVICES["beat"]["command"])
    check = _python_check("beat")
    assert heartbeat in check and "< 600" in check
    check = check.replace(heartbeat, f"{schedule}.heartbeat").replace("< 600", "< 3")
    redis = RedisServer(tmp_path / "redis").start()
    log = (tmp_path / "beat.log").open("wb")
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "info"]
        + ["--schedule", str(schedule), "--max-interval", "1"],
        cwd=ROOT,
        env=app_environment(redis.url, {}),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: _run(check, {}).returncode == 0, timeout=60, what="beat's heartbeat")
        beat.send_signal(signal.SIGSTOP)
        time.sleep(4)
        assert _run(check, {}).returncode != 0
        beat.send_signal(signal.SIGCONT)
        wait_for(lambda: _run(check, {}).returncode == 0, timeout=30, what="beat to go on")
    finally:
        beat.send_signal(signal.SIGCONT)
        beat.kill()
        beat.wait()
        log.close()
        redis.stop()
    time.sleep(4)
    assert _run(check, {}).returncode != 0


def test_artifacts_and_packs_go_to_minio_and_the_web_metrics_are_added_up():
    app = COMPOSE["x-app"]["environment"]
    assert app["S3_ENDPOINT_URL"].endswith("//minio:9000}")
    assert app["S3_BUCKET"] and app["S3_ADDRESSING_STYLE"] == "path"
    assert SERVICES["minio"]["healthcheck"]["test"]
    # The bucket exists before any application container starts.
    for service in ("web", "worker", "beat"):
        depends = SERVICES[service]["depends_on"]
        assert depends["minio-bucket"]["condition"] == "service_completed_successfully"
        assert depends["db"]["condition"] == "service_healthy"
    web = " ".join(SERVICES["web"]["command"])
    assert "PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus" in web
    assert "rm -rf /tmp/prometheus" in web
    assert "inspect ping" in " ".join(SERVICES["worker"]["healthcheck"]["test"])
