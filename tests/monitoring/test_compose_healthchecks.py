"""docker-compose.yml as an operator runs it: the web container's health
check asks /readyz of a real gunicorn and fails when a service it needs
does not answer; beat's fails while beat hangs and once it is gone; artifacts and packs
go to the MinIO service; the web processes' metrics are added up."""

from __future__ import annotations

import os
import re
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
# Beat's schedule file in its container, as its command names it.
BEAT_SCHEDULE = re.search(r"--schedule (\S+)", " ".join(SERVICES["beat"]["command"])).group(1)


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


def _beat(schedule: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """A real beat on ``schedule``, ticking every second (``--max-interval
    1``, where the container's ticks at least every 300 s), writing to ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "info"]
            + ["--schedule", str(schedule), "--max-interval", "1"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_the_beat_health_check_fails_while_beat_hangs_and_once_it_is_gone(tmp_path):
    """A real beat on a real Redis, ticking every second (``--max-interval
    1``, where the container's ticks at least every 300 s): the check as
    written, its heartbeat's path and its bound scaled to the test (3 s for
    600 s), passes while beat ticks, fails while beat is stopped (SIGSTOP: a
    hung process, still there), passes once it goes on, fails once it is gone."""
    schedule = tmp_path / "celerybeat-schedule"
    heartbeat = f"{BEAT_SCHEDULE}.heartbeat"
    check = _python_check("beat")
    assert heartbeat in check and "< 600" in check
    check = check.replace(heartbeat, f"{schedule}.heartbeat").replace("< 600", "< 3")
    redis = RedisServer(tmp_path / "redis").start()
    beat = _beat(schedule, app_environment(redis.url, {}), tmp_path / "beat.log")
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
        redis.stop()
    time.sleep(4)
    assert _run(check, {}).returncode != 0


def _seconds_from_start_to_checkpoint(beat: subprocess.Popen, log: Path, within: float) -> float:
    """Seconds between beat's start and its sending the audit checkpoint, or
    ``inf`` when it has not sent it ``within`` seconds of its start."""
    started = sent = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and sent is None:
        text = log.read_text(errors="replace")
        if started is None and "beat: Starting..." in text:
            started = time.monotonic()
            deadline = started + within
        if started is not None and "Sending due task core-audit-checkpoint" in text:
            sent = time.monotonic()
        time.sleep(0.05)
    assert started is not None, log.read_text(errors="replace")[-2000:]
    beat.terminate()
    assert beat.wait(timeout=30) == 0, log.read_text(errors="replace")[-2000:]
    return float("inf") if sent is None else sent - started


def test_beats_schedule_is_on_a_volume_so_a_new_beat_sends_at_once_what_fell_due(tmp_path):
    """The schedule file records when each periodic task last ran. On the
    beat service's own volume it outlives a recreated container: a real beat
    started again on the file sends at once the audit checkpoint that fell
    due while it was away (its period scaled to the test: 8 s for an hour),
    where a beat on a new file waits a whole period from its start."""
    directory = BEAT_SCHEDULE.rsplit("/", 1)[0]
    volumes = dict(reversed(v.split(":")[:2]) for v in SERVICES["beat"]["volumes"])
    assert directory in volumes, f"{BEAT_SCHEDULE} is in the container, not on a volume"
    assert volumes[directory] in COMPOSE["volumes"], "a named volume, kept between containers"

    redis = RedisServer(tmp_path / "redis").start()
    env = app_environment(redis.url, {"AUDIT_CHECKPOINT_SECONDS": "8"})
    kept = tmp_path / "volume" / "celerybeat-schedule"
    kept.parent.mkdir()
    try:
        first = _beat(kept, env, tmp_path / "first.log")
        # Stopped before the period ends: nothing sent, its start recorded.
        assert _seconds_from_start_to_checkpoint(first, tmp_path / "first.log", 2) == float("inf")
        time.sleep(8)
        again = _beat(kept, env, tmp_path / "again.log")
        assert _seconds_from_start_to_checkpoint(again, tmp_path / "again.log", 4) < 3
        new = _beat(tmp_path / "celerybeat-schedule", env, tmp_path / "new.log")
        assert _seconds_from_start_to_checkpoint(new, tmp_path / "new.log", 4) == float("inf")
    finally:
        redis.stop()


def test_the_database_is_migrated_once_before_any_web_worker_or_beat_starts():
    """A one-shot ``migrate`` service: web, worker and beat wait for it to
    finish, so the worker's and beat's first tasks never meet a database
    without its tables, and a failed migration keeps them all from starting.
    It is not restarted once it is done, and no other service migrates."""
    migrate = SERVICES["migrate"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert migrate["environment"]["DATABASE_URL"] == COMPOSE["x-app"]["environment"]["DATABASE_URL"]
    for service in ("web", "worker", "beat"):
        depends = SERVICES[service]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", service
    for name, service in SERVICES.items():
        if name != "migrate":
            assert "migrate" not in str(service.get("command", "")), name


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
