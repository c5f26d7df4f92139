"""deploy/prometheus: the alert rules and the scrape configuration an operator
loads into Prometheus. promtool checks both and runs the rules' unit tests
(alert_rules_test.yml: each alert's series, firing and not); a real
Prometheus on loopback then scrapes the application with the example
configuration and fires an alert from what the application reports."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from django.test import Client

from notifications.models import EmailStatus, Kind, Notification
from notifications.services import Draft, emails_deliver_pending, notifications_create
from tests.faults.conftest import redis_server  # noqa: F401
from tests.workers import free_port, redis_url_for_worker, wait_for

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "prometheus"
RULES = DEPLOY / "alerts.yml"
RULE_TESTS = Path(__file__).with_name("alert_rules_test.yml")
TOKEN = "scrape-" + "t0k3n" * 8


def installed(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.fail(f"{program} is missing: scripts/ensure-services.sh installs it (make test)")
    return path


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [installed("promtool"), *args], capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def rules() -> list[dict[str, Any]]:
    return [
        rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]
    ]


def configuration(target: str, token_file: Path, *, seconds: int = 30) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml, pointed at ``target`` and its token
    file, scraping and evaluating every ``seconds``."""
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    config["global"] = {"scrape_interval": f"{seconds}s", "evaluation_interval": f"{seconds}s"}
    config["rule_files"] = [str(RULES)]
    (job,) = config["scrape_configs"]
    job["authorization"]["credentials_file"] = str(token_file)
    job["static_configs"] = [{"targets": [target]}]
    return config


def test_promtool_passes_the_rules_the_configuration_and_the_rules_unit_tests(tmp_path):
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(rules())} rules found" in checked.stdout

    token_file = tmp_path / "stagegate-metrics-token"
    token_file.write_text(TOKEN)
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump(configuration("web-1.internal:8000", token_file)))
    checked = promtool("check", "config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr

    tested = promtool("test", "rules", str(RULE_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_every_alert_has_a_unit_test_that_fires_it():
    fired = {
        case["alertname"]
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert fired == {rule["alert"] for rule in rules()}


def test_the_rules_read_only_metrics_the_application_reports(db, settings):
    """Each metric a rule names has a value in what /metrics answers: a
    renamed metric, or one that only appears once something went wrong,
    would leave its alert silent."""
    settings.REDIS_URL = redis_url_for_worker()  # the queue length is read from the broker
    assert settings.REDIS_URL, "TEST_REDIS_URL names the test Redis (make test sets it)"
    Client().get("/healthz")  # a request timed
    reported = {
        line.split("{")[0].split(" ")[0]
        for line in Client().get("/metrics").content.decode().splitlines()
        if line and not line.startswith("#")
    }
    named = set()
    for rule in rules():
        named.update(re.findall(r"\b(stagegate_[a-z_]+)", rule["expr"]))
    assert named, "the rules name no metric"
    assert named <= reported, named - reported


def test_each_services_503_count_is_there_at_0_before_any_503():
    """StageGateServiceUnavailable reads increase() of each service's 503
    count: a series that only appeared at a process's first 503 would not
    count that one. In a process of its own, as a web process starts."""
    code = (
        "import django; django.setup(); import core.api_errors;"
        "from prometheus_client import REGISTRY, generate_latest;"
        "print(generate_latest(REGISTRY).decode())"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    for service in ("database", "object_store", "redis"):
        line = f'stagegate_service_unavailable_responses_total{{service="{service}"}} 0.0'
        assert line in lines, service


class Prometheus:
    def __init__(self, url: str):
        self.url = url

    def api(self, path: str, **params: str) -> Any:
        response = requests.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        response.raise_for_status()
        return response.json()["data"]

    def wait_for[T](self, what: str, found: Callable[[], T | None]) -> T:
        return wait_for(found, timeout=60, interval=0.5, what=f"Prometheus: {what}")


@pytest.fixture
def prometheus(request, live_server, settings, tmp_path) -> Iterator[Prometheus]:
    """Prometheus 2 (Debian's) scraping the live server with the example
    configuration every second, and a second job with a wrong token. The
    application's broker is a redis-server of the test's own (its queue is
    what the queue's rule reads)."""
    settings.METRICS_TOKEN = TOKEN
    settings.REDIS_URL = request.getfixturevalue("redis_server").url
    target = live_server.url.removeprefix("http://")
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    wrong_token = tmp_path / "wrong-token"
    wrong_token.write_text("not-" + TOKEN)
    config = configuration(target, token_file, seconds=1)
    config["scrape_configs"].append(
        {
            **config["scrape_configs"][0],
            "job_name": "stagegate-wrong-token",
            "authorization": {"type": "Bearer", "credentials_file": str(wrong_token)},
        }
    )
    config_file = tmp_path / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config))
    port = free_port()
    log = (tmp_path / "prometheus.log").open("w")
    process = subprocess.Popen(
        [
            installed("prometheus"),
            f"--config.file={config_file}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Prometheus(f"http://127.0.0.1:{port}")

    def ready() -> bool | None:
        if process.poll() is not None:
            raise AssertionError((tmp_path / "prometheus.log").read_text()[-3000:])
        try:
            return requests.get(f"{server.url}/-/ready", timeout=2).status_code == 200 or None
        except requests.RequestException:
            return None

    try:
        server.wait_for("ready", ready)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _targets_scraped(prometheus: Prometheus) -> dict[str, dict] | None:
    targets = {t["labels"]["job"]: t for t in prometheus.api("targets")["activeTargets"]}
    if all(t["health"] != "unknown" for t in targets.values()) and len(targets) == 2:
        return targets
    return None


def _rules_evaluated(prometheus: Prometheus) -> list[dict] | None:
    loaded = [r for g in prometheus.api("rules")["groups"] for r in g["rules"]]
    return loaded if loaded and all(r["health"] != "unknown" for r in loaded) else None


def _firing(prometheus: Prometheus, name: str) -> dict | None:
    return next(
        (
            a
            for a in prometheus.api("alerts")["alerts"]
            if a["labels"]["alertname"] == name and a["state"] == "firing"
        ),
        None,
    )


@pytest.mark.django_db(transaction=True)
def test_prometheus_scrapes_with_the_token_and_fires_when_emails_are_given_up(
    prometheus, settings, lead
):
    targets = prometheus.wait_for("a scrape of each job", lambda: _targets_scraped(prometheus))
    assert targets["stagegate"]["health"] == "up", targets["stagegate"]["lastError"]
    # The scrape a wrong token makes fails: StageGateDown's "a 403 fails the
    # scrape too".
    assert targets["stagegate-wrong-token"]["health"] == "down"
    assert "403" in targets["stagegate-wrong-token"]["lastError"]

    loaded = prometheus.wait_for("every rule evaluated", lambda: _rules_evaluated(prometheus))
    assert {r["name"] for r in loaded} == {r["alert"] for r in rules()}
    assert [(r["name"], r["lastError"]) for r in loaded if r["health"] != "ok"] == []
    # A healthy application: no alert fires, or is pending (the rules with a
    # "for" are pending first).
    assert prometheus.api("alerts")["alerts"] == []

    # The mail server refuses (nothing listens on its port): one try, then
    # the e-mail is given up, as after NOTIFICATIONS_EMAIL_MAX_ATTEMPTS.
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 5},
        }
    }
    settings.NOTIFICATIONS_EMAIL_MAX_ATTEMPTS = 1
    notifications_create(
        [
            Draft(
                lead.pk,
                Kind.REVIEW_OPENED,
                "review",
                1,
                "",
                "Gate 1 review opened",
                "A review waits on you.",
            )
        ]
    )
    assert emails_deliver_pending().failed == 1
    assert Notification.objects.get().email_status == EmailStatus.FAILED

    alert = prometheus.wait_for(
        "StageGateEmailsFailed firing", lambda: _firing(prometheus, "StageGateEmailsFailed")
    )
    assert alert["labels"]["severity"] == "warning"
    assert alert["annotations"]["summary"] == (
        "StageGate gave up on notification e-mails in the last hour"
    )
