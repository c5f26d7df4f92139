"""The settings module: safe by default when DEBUG is off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
