"""PostgreSQL restarted while people use the site: every request is answered
200 or 503 with Retry-After and a message (JSON under /api/, the site's page
elsewhere), never a 500; once the database is back, the next requests are 200
again, on the same web server and the same signed-in session.

The test runs its own PostgreSQL cluster (initdb into a temporary directory,
on a free port). The shared cluster on 5432 serves other test runs and is
never restarted. Two runs of this test on one machine take turns (a lock
file), so they never compete for the two cores while they time a restart."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest
import requests

from core.api_errors import (
    DATABASE_RETRY_AFTER_SECONDS,
    DATABASE_UNAVAILABLE,
    DATABASE_UNAVAILABLE_REASON,
)
from tests.workers import sign_in

ROOT = Path(__file__).resolve().parents[2]
LOCK = Path(tempfile.gettempdir()) / "stagegate-test-database-restart.lock"
ROLE, PASSWORD, DATABASE = "stagegate", "restart-test-password", "stagegate"
USERNAME, USER_PASSWORD = "restart", "restart-pass-8271"


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server binaries installed (Debian's layout), or
    those on PATH."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    """A private PostgreSQL: initdb refuses to run as root, so as root every
    server command runs as the postgres user, in directories it owns."""

    bin: Path
    base: Path
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        self.data = self.base / "data"
        self.sockets = self.base / "sockets"
        self.log = self.base / "postgres.log"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def run(self, *command: str) -> None:
        done = subprocess.run(
            [*self.as_postgres, *command], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}{done.stderr}"

    def init(self) -> None:
        self.sockets.mkdir()
        password_file = self.base / "password"
        password_file.write_text(PASSWORD + "\n")
        if self.as_postgres:
            self.base.chmod(0o755)
            for path in (self.base, self.sockets, password_file):
                shutil.chown(path, "postgres", "postgres")
        self.run(
            str(self.bin / "initdb"),
            "--pgdata",
            str(self.data),
            "--username",
            ROLE,
            "--pwfile",
            str(password_file),
            "--auth-host=scram-sha-256",
            "--auth-local=peer",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )

    def pg_ctl(self, *args: str) -> None:
        self.run(
            str(self.bin / "pg_ctl"), "--pgdata", str(self.data), "--log", str(self.log), *args
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.pg_ctl("--wait", "--options", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("--wait", "--mode", mode, "stop")

    @property
    def url(self) -> str:
        return f"postgres://{ROLE}:{PASSWORD}@127.0.0.1:{self.port}/{DATABASE}"


@pytest.fixture
def one_at_a_time() -> Iterator[None]:
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture
def cluster(one_at_a_time) -> Iterator[Cluster]:
    binaries = postgres_bin()
    if binaries is None:
        pytest.skip("PostgreSQL's initdb is not installed: the test needs a cluster of its own")
    base = Path(tempfile.mkdtemp(prefix="stagegate-restart-"))
    cluster = Cluster(bin=binaries, base=base)
    try:
        cluster.init()
        cluster.start()
        admin = psycopg2.connect(
            host="127.0.0.1", port=cluster.port, user=ROLE, password=PASSWORD, dbname="postgres"
        )
        admin.autocommit = True
        admin.cursor().execute(f"CREATE DATABASE {DATABASE}")
        admin.close()
        yield cluster
    finally:
        if (cluster.data / "postmaster.pid").exists():
            cluster.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class Web:
    url: str
    log: Path


def app_environment(cluster: Cluster) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL", "AUDIT_PREVIOUS_KEYS"}
    }
    env.update(
        DATABASE_URL=cluster.url,
        DEBUG="0",
        SECRET_KEY="restart-test-" + "k7Wq2" * 10,
        AUDIT_KEY="restart-audit-" + "Zr4m9" * 8,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        STATICFILES_COMPRESS="0",
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        VAR_DIR=str(cluster.base / "var"),
    )
    return env


@pytest.fixture
def web(cluster: Cluster) -> Iterator[Web]:
    """gunicorn with DEBUG off on the private cluster: its schema migrated,
    its static files collected, one person to sign in."""
    env = app_environment(cluster)
    manage = [sys.executable, "manage.py"]
    collect = subprocess.Popen(
        [*manage, "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    prepare = (
        "from django.contrib.auth import get_user_model\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', interactive=False, verbosity=0)\n"
        f"get_user_model().objects.create_user({USERNAME!r}, password={USER_PASSWORD!r})\n"
    )
    done = subprocess.run(
        [*manage, "shell", "-c", prepare],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert collect.wait(timeout=300) == 0, collect.stderr.read()

    port = free_port()
    log = cluster.base / "web.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", "1", "--threads", "4", "--timeout", "60"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, log.read_text()
            try:
                if requests.get(f"{url}/accounts/login/", timeout=30).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still starting
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer:\n" + log.read_text()
            time.sleep(0.2)
        yield Web(url=url, log=log)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@dataclass
class Answer:
    path: str
    status: int
    retry_after: str | None
    content_type: str
    body: str

    def __str__(self) -> str:
        return f"{self.status} {self.path}: {self.body[:300]!r}"


class Visitor(threading.Thread):
    """A signed-in person who keeps loading their home page and the use-case
    API, one request after the other, until told to stop."""

    PATHS = {"/": "text/html", "/api/v1/use-cases/": "application/json"}

    def __init__(self, url: str, session: requests.Session) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.session = session
        self.answers: list[Answer] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for path, accept in self.PATHS.items():
                try:
                    response = self.session.get(
                        self.url + path, headers={"Accept": accept}, timeout=30
                    )
                except requests.RequestException as error:  # reported as status 0
                    self.answers.append(Answer(path, 0, None, "", repr(error)))
                    continue
                self.answers.append(
                    Answer(
                        path=path,
                        status=response.status_code,
                        retry_after=response.headers.get("Retry-After"),
                        content_type=response.headers.get("Content-Type", ""),
                        body=response.text,
                    )
                )
            time.sleep(0.05)

    def both_fine_since(self, index: int) -> bool:
        fine = {a.path for a in self.answers[index:] if a.status == 200}
        return fine == set(self.PATHS)


def test_a_database_restart_is_a_503_to_retry_then_service_resumes(cluster, web):
    session, response = sign_in(web.url, USERNAME, USER_PASSWORD)
    assert response.status_code == 302, response.text[:500]
    visitor = Visitor(web.url, session)
    visitor.start()
    try:
        time.sleep(0.5)
        before = len(visitor.answers)
        cluster.stop("fast")
        time.sleep(2)  # people keep clicking while it is down
        # Prometheus scrapes: the answer lacks what is read from the database,
        # what StageGateDatabaseUnreadable (deploy/prometheus) keys on.
        scraped_while_down = requests.get(f"{web.url}/metrics", timeout=10)
        down = len(visitor.answers)
        cluster.start()
        started = len(visitor.answers)
        deadline = time.monotonic() + 30
        while not visitor.both_fine_since(started) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # and a few more answers after it is back
    finally:
        visitor.done.set()
        visitor.join(timeout=60)
    answers = visitor.answers

    unexpected = [str(a) for a in answers if a.status not in (200, 503)]
    assert not unexpected, "\n".join(unexpected)
    assert before > 0 and all(a.status == 200 for a in answers[:before])
    assert down > before, "no request was made while the database was down"
    unavailable = [a for a in answers if a.status == 503]
    assert unavailable
    assert all(a.retry_after == str(DATABASE_RETRY_AFTER_SECONDS) for a in unavailable)

    pages = [a for a in unavailable if a.path == "/"]
    assert pages, "no page was answered while the database was down"
    assert pages[0].content_type.startswith("text/html")
    assert "<title>Briefly unavailable · StageGate</title>" in pages[0].body
    assert DATABASE_UNAVAILABLE in pages[0].body
    assert '<a href="/">Back to my work</a>' in pages[0].body

    api = [a for a in unavailable if a.path.startswith("/api/")]
    assert api, "no API request was answered while the database was down"
    assert api[0].content_type == "application/json"
    body = json.loads(api[0].body)
    assert body["detail"] == DATABASE_UNAVAILABLE
    assert body["reasons"] == [DATABASE_UNAVAILABLE_REASON]

    # Back: the same server, the same session, without a restart of either.
    assert visitor.both_fine_since(started), "\n".join(str(a) for a in answers[started:][-6:])
    last_page = next(a for a in reversed(answers) if a.path == "/")
    assert last_page.status == 200 and "Sign out" in last_page.body

    assert scraped_while_down.status_code == 200
    names = {line.split("{")[0].split(" ")[0] for line in scraped_while_down.text.splitlines()}
    assert "stagegate_http_request_duration_seconds_count" in names
    assert "stagegate_outbox_pending" not in names
    assert "stagegate_outbox_pending" in {
        line.split(" ")[0]
        for line in requests.get(f"{web.url}/metrics", timeout=10).text.splitlines()
    }

    # Counted for the operator, once per 503, under the service that failed.
    metrics = requests.get(f"{web.url}/metrics", timeout=10).text
    counted = 'stagegate_service_unavailable_responses_total{service="database"} '
    assert f"{counted}{float(len(unavailable))}" in metrics.splitlines()

    # Logged once per 503, as a warning, and never as a server error.
    log = web.log.read_text()
    assert log.count("Database unavailable, answered 503") == len(unavailable), log[-3000:]
    assert "Internal Server Error" not in log
    assert "Service Unavailable:" not in log
    assert "Traceback" not in log
