"""The embedded default (`make run`, which is `scripts/embedded.sh run`) is safe
to show anyone: DEBUG off, so every error is the project's own page; static
files served by whitenoise; sign-in working over plain http on loopback; its
keys generated once, private, and kept from one run to the next.

The server is started exactly as `make run` starts it, on a free port and
with VAR_DIR in a temporary directory (var/ is not touched)."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.http import HttpRequest
from django.test import Client
from django.urls import path

from tests.workers import sign_in

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "embedded.sh"
# migrate and seed_demo on a fresh SQLite database come first: about 25 s on
# an idle machine, minutes on a loaded one.
STARTUP_SECONDS = 420

# What Django's technical pages (DEBUG on) show and the project's never do.
TECHNICAL = ("Traceback", "settings", "URLconf", "DEBUG = True", "Django tried these URL patterns")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def script_environment(var_dir: Path) -> dict[str, str]:
    """The caller's environment, as `make run` would inherit it (with the test
    suite's DATABASE_URL in it: the embedded default must ignore it), with
    VAR_DIR pointing at a temporary directory."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env["VAR_DIR"] = str(var_dir)
    return env


def embedded(var_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT), *args],
        env=script_environment(var_dir),
        capture_output=True,
        text=True,
        timeout=180,
    )


@dataclass
class Server:
    url: str
    var_dir: Path
    log: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    var_dir = tmp_path_factory.mktemp("embedded-var")
    log = var_dir.parent / "embedded-server.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(SCRIPT), "run", f"127.0.0.1:{port}"],
            env=script_environment(var_dir),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"scripts/embedded.sh exited with {process.returncode}:\n{tail(log)}")
            try:
                if requests.get(f"{url}/accounts/login/", timeout=30).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still starting
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the embedded server did not answer in {STARTUP_SECONDS}s:\n{tail(log)}"
                )
            time.sleep(0.5)
        yield Server(url=url, var_dir=var_dir, log=log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def test_it_answers_a_missing_page_with_the_project_page_and_no_debug_details(server):
    response = requests.get(f"{server.url}/no-such-page/", timeout=30)

    assert response.status_code == 404
    assert "<title>Not found · StageGate</title>" in response.text
    assert '<a href="/">Back to my work</a>' in response.text
    for technical in TECHNICAL:
        assert technical not in response.text
    # Plain http stays plain http: no redirect, no HSTS.
    assert "Strict-Transport-Security" not in response.headers


def test_it_serves_the_stylesheet_through_whitenoise(server):
    page = requests.get(f"{server.url}/accounts/login/", timeout=30)
    # DEBUG off: the manifest's hashed name, collected into VAR_DIR.
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page.text).group(1)

    response = requests.get(server.url + stylesheet, timeout=30)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert "immutable" in response.headers["Cache-Control"]  # whitenoise's answer
    assert ".topbar" in response.text
    assert (server.var_dir / "staticfiles" / "staticfiles.json").exists()


def test_it_signs_in_a_demo_account_over_plain_http(server):
    session, response = sign_in(server.url, "lead", "demo")

    assert response.status_code == 302, response.text[:500]
    assert response.headers["Location"] == "/"
    session_cookie = next(c for c in session.cookies if c.name == "sessionid")
    assert not session_cookie.secure  # else a browser would never send it back over http
    assert "HttpOnly" in response.headers["Set-Cookie"]
    home = session.get(f"{server.url}/", timeout=30)
    assert home.status_code == 200
    assert "Sign out" in home.text
    assert "Lena Lindqvist" in home.text
    # The embedded database is SQLite in VAR_DIR, whatever DATABASE_URL says.
    assert (server.var_dir / "db.sqlite3").stat().st_size > 0


def test_it_refuses_a_wrong_password_with_the_form_not_an_error(server):
    _, response = sign_in(server.url, "sponsor", "not-the-password")

    assert response.status_code == 200
    assert "Sign in" in response.text
    for technical in TECHNICAL:
        assert technical not in response.text


def test_its_console_shows_the_start_not_a_year_of_demo_history(server):
    """Seeding the demo replays a year of gate reviews: hundreds of tasks and
    notifications, none of them e-mailed (tests/notifications/
    test_seed_leaves_history_read.py). The console shows the start-up and
    where to go."""
    log = server.log.read_text(errors="replace")
    start_up = log.split("embedded: serving")[0]

    assert len(start_up.splitlines()) < 150, start_up[-3000:]
    assert "Subject:" not in log  # the console e-mail backend's
    assert "celery.app.trace" not in start_up  # the replay's task log
    assert "No hostname was supplied" not in log  # kombu, of the in-memory broker
    assert "Created 28 demo use cases in 4 units." in start_up


def test_it_keeps_its_keys_private_and_stable(server):
    """The keys are files of their owner only; a second invocation reads the
    same ones: the audit chain the demo wrote with them verifies."""
    for name in ("secret-key", "audit-key"):
        key = server.var_dir / name
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert len(key.read_text().strip()) >= 50
    assert not (server.var_dir / "audit-previous-keys").exists()  # a new database

    result = embedded(server.var_dir, "manage", "verify_audit")

    assert result.returncode == 0, result.stderr
    assert "Audit trail intact" in result.stdout


def test_it_keeps_verifying_a_chain_written_with_the_development_key(tmp_path):
    """A var/db.sqlite3 from before: its audit events were keyed with the
    development AUDIT_KEY. The embedded default keeps that key as a previous
    key, so the old chain still verifies (and fails without it)."""
    env = {**script_environment(tmp_path), "DEBUG": "1"}
    for name in ("DATABASE_URL", "SECRET_KEY", "AUDIT_KEY", "AUDIT_PREVIOUS_KEYS", "REDIS_URL"):
        env.pop(name, None)
    python = str(ROOT / ".venv" / "bin" / "python")
    migrate_and_write_an_event = (
        "from django.core.management import call_command\n"
        "from django.db import transaction\n"
        "from core.audit import audit_record\n"
        "call_command('migrate', interactive=False, verbosity=0)\n"
        "with transaction.atomic():\n"
        "    audit_record(actor=None, action='demo.note', summary='written under DEBUG')\n"
    )
    done = subprocess.run(
        [python, "manage.py", "shell", "-c", migrate_and_write_an_event],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr

    result = embedded(tmp_path, "manage", "verify_audit")

    assert result.returncode == 0, result.stderr
    assert "Audit trail intact: 1 events verified" in result.stdout
    previous = tmp_path / "audit-previous-keys"
    assert stat.S_IMODE(previous.stat().st_mode) == 0o600

    previous.unlink()
    without = embedded(tmp_path, "manage", "verify_audit")
    assert without.returncode != 0
    assert "broken at event #1" in without.stderr
    assert "unknown key" in without.stderr


# The 500 page, in process: no route of the project raises on purpose, so a
# URLconf of this module provides one (and Django's handler500 is ours).
def _explode(request: HttpRequest) -> None:
    raise RuntimeError("secret internals: DATABASES = {...}")


urlpatterns = [path("explode/", _explode), path("api/v1/explode/", _explode)]
handler500 = "config.errors.server_error"


def test_it_answers_an_error_in_a_view_with_the_project_500_page(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)

    page = client.get("/explode/")
    api = client.get("/api/v1/explode/")

    assert page.status_code == 500
    html = page.content.decode()
    assert "<title>Something went wrong · StageGate</title>" in html
    assert '<a href="/">Back to my work</a>' in html
    assert "secret internals" not in html
    for technical in TECHNICAL:
        assert technical not in html
    assert api.status_code == 500
    assert api.json()["detail"] == "Server error."
    assert "secret internals" not in api.content.decode()
