"""The settings module: safe by default when DEBUG is off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DEBUG", "SECRET_KEY", "AUDIT_KEY"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_reports_nothing_on_check_deploy_with_production_variables():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="k3y-" + "x7Qz9" * 12,
        AUDIT_KEY="audit-" + "p4Rw2" * 8,
        ALLOWED_HOSTS="gates.example.com",
        EMAIL_HOST="smtp.example.com",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_manage("check", DEBUG="0", ALLOWED_HOSTS="gates.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_to_start_without_an_audit_key_when_debug_is_off():
    """The audit chain's key lives outside the database; production names it."""
    result = run_manage(
        "check", DEBUG="0", SECRET_KEY="k3y-" + "x7Qz9" * 12, ALLOWED_HOSTS="gates.example.com"
    )
    assert result.returncode != 0
    assert "AUDIT_KEY must be set" in result.stderr


def test_it_sends_a_content_security_policy_header(client):
    response = client.get("/accounts/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy


def test_postgresql_connections_price_a_random_page_read_for_ssds(db):
    """DATABASE_RANDOM_PAGE_COST (default 1.1) reaches the planner of every
    connection, alongside jit=off."""
    import pytest
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_it_refuses_a_random_page_cost_that_is_not_a_number():
    result = run_manage(
        "check",
        DATABASE_URL="postgres://stagegate:stagegate@127.0.0.1:5432/stagegate",
        DATABASE_RANDOM_PAGE_COST="cheap",
    )
    assert result.returncode != 0
    assert "DATABASE_RANDOM_PAGE_COST must be a number, not 'cheap'" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("LOG_LEVEL", "chatty", "LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL"),
        ("NOTIFICATIONS_SWEEP_CONNECTIONS", "0", "SWEEP_CONNECTIONS must be 1 or more"),
        ("NOTIFICATIONS_DIGEST_HOUR", "24", "DIGEST_HOUR must be an hour from 0 to 23"),
        ("THROTTLE_PACK_REQUESTS", "30/fortnight", "THROTTLE_PACK_REQUESTS must be a rate"),
        ("THROTTLE_IMPORTS", "many/hour", "THROTTLE_IMPORTS must be a rate"),
        ("DATABASE_CONNECT_TIMEOUT", "0", "DATABASE_CONNECT_TIMEOUT must be 1 second or more"),
    ],
)
def test_it_refuses_at_start_a_setting_it_could_not_use(name, value, said):
    result = run_manage(
        "check",
        DATABASE_URL="postgres://stagegate:stagegate@127.0.0.1:5432/stagegate",
        **{name: value},
    )
    assert result.returncode != 0
    assert said in result.stderr
    assert "Traceback" not in result.stderr.split(said)[-1]


def test_a_log_level_in_lower_case_is_read(db):
    result = run_manage("check", LOG_LEVEL="warning")
    assert result.returncode == 0, result.stderr


def test_the_planner_settings_come_before_the_database_urls_own_options(db):
    """Options in DATABASE_URL are kept, and win where they set the same
    parameter; the site's planner settings still apply to the rest."""
    code = (
        "from django.db import connection; c = connection.cursor();"
        "print([c.execute(f'SHOW {p}') or c.fetchone()[0]"
        " for p in ('jit', 'random_page_cost', 'statement_timeout')])"
    )
    result = run_manage(
        "shell",
        "-c",
        code,
        DATABASE_URL="postgres://stagegate:stagegate@127.0.0.1:5432/stagegate"
        "?options=-c%20statement_timeout%3D7000%20-c%20random_page_cost%3D2",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['off', '2', '7s']"
