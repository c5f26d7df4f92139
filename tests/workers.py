"""Real services on loopback for the tests that need them: a Celery worker
subprocess, a gunicorn web server, a private redis-server and an SMTP server
(aiosmtpd). Each one a test can stop (or kill) and start again, to see what
the product does when one of them goes away.

No fixtures here: ``tests/reporting/test_worker.py`` and
``tests/faults/conftest.py`` build theirs from these classes.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]

# The marks of every test with a worker subprocess: it reads the rows the test
# committed, over its own connection to the test database.
WORKER_TEST = [
    pytest.mark.worker,
    pytest.mark.postgres("the worker process reaches the test database over its own connection"),
    pytest.mark.django_db(transaction=True),
]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(
    condition: Callable[[], Any],
    *,
    timeout: float,
    interval: float = 0.1,
    what: str = "",
    details: Callable[[], str] | None = None,
) -> Any:
    """Poll ``condition`` until it returns something truthy (returned), or
    fail after ``timeout`` seconds saying what was awaited (and ``details()``,
    a worker's log for one)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            message = f"timed out after {timeout} s waiting for {what or condition}"
            raise AssertionError(f"{message}\n{details()}" if details else message)
        time.sleep(interval)


def xdist_worker_index() -> int:
    """0 in a serial run; the index of this pytest-xdist worker (gw0, gw1,
    ...) in a parallel one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker.removeprefix("gw")) if worker.startswith("gw") else 0


def redis_url_for_worker() -> str | None:
    """TEST_REDIS_URL with its database number moved on by the xdist worker's
    index (gw0 keeps it, gw1 takes the next one), so parallel workers never
    flush or consume each other's queues; None when TEST_REDIS_URL is unset."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        return None
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + xdist_worker_index()}"))


def redis_cache(url: str) -> dict[str, Any]:
    """``CACHES`` with the default cache in the Redis at ``url``, as
    ``CACHE_IN_REDIS=1`` configures it (its socket bounds included)."""
    from django.conf import settings

    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": settings.REDIS_SOCKET_OPTIONS,
        }
    }


def database_url() -> str:
    """The URL of the database the test process uses (the test database),
    for a subprocess that must see the same rows."""
    from django.db import connection

    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = quote(db["PASSWORD"] or "", safe="")
    auth = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def postgres_connection(url: str | None = None, *, dbname: str | None = None):
    """A psycopg2 connection of its own, in autocommit, to the PostgreSQL
    server of ``url`` (the test database's by default): to its database, or
    to ``dbname`` (``postgres``, to create and drop others)."""
    import dj_database_url
    import psycopg2

    config = dj_database_url.parse(url or database_url())
    other = psycopg2.connect(
        dbname=dbname or config["NAME"],
        user=config["USER"],
        password=config["PASSWORD"],
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        connect_timeout=5,
    )
    other.autocommit = True
    return other


def end_backend(backend_pid: int) -> None:
    """What a database restart does to one connection: the server ends it
    (pg_terminate_backend, from a connection of its own), and its next query
    fails as the connection's user sees it then. Call ``connection.close()``
    after, so the test's next query opens a new one."""
    other = postgres_connection()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
    finally:
        other.close()


def app_environment(broker_url: str, extra: dict[str, str]) -> dict[str, str]:
    """The environment of an application process on the test database and
    ``broker_url``, with the test process's media root and keys unless
    ``extra`` says otherwise."""
    from django.conf import settings

    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL"}
    }
    env.update(
        DATABASE_URL=database_url(),
        REDIS_URL=broker_url,
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        AUDIT_CHECKPOINT_FILE=str(settings.AUDIT_CHECKPOINT_FILE),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    env.update(extra)
    return env


class CeleryWorker:
    """``celery -A config worker`` against ``broker_url`` and the test
    database, in a process group of its own so that ``kill()`` takes every
    process it started (a SIGKILL, as the kernel's OOM killer would send).
    ``start()`` again after ``kill()`` or ``stop()`` starts a new worker;
    each start logs to a file of its own in ``log_dir``; ``args``, more of
    the worker's options (``("-Q", "other")``)."""

    def __init__(
        self,
        *,
        broker_url: str,
        log_dir: Path,
        env: dict[str, str] | None = None,
        name: str = "test",
        args: tuple[str, ...] = (),
    ):
        self.broker_url = broker_url
        self.log_dir = Path(log_dir)
        self.env = dict(env or {})
        self.name = name
        self.args = list(args)
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.log: Path | None = None

    @property
    def application_name(self) -> str:
        """What its database sessions are called (``pg_stat_activity``)."""
        return f"test-worker-{self.name}"

    def _environment(self, extra: dict[str, str]) -> dict[str, str]:
        # libpq names the worker's sessions, so a test can tell them from
        # any other process's on the same database.
        named = {"PGAPPNAME": self.application_name}
        return app_environment(self.broker_url, {**named, **self.env, **extra})

    def start(self, **extra_env: str) -> CeleryWorker:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.starts += 1
        self.log = self.log_dir / f"worker-{self.starts}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool=solo",
                    "-c",
                    "1",
                    "--loglevel=warning",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-n",
                    f"{self.name}{self.starts}@%h",
                    *self.args,
                ],
                cwd=ROOT,
                env=self._environment(extra_env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def is_alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def assert_alive(self) -> None:
        assert self.is_alive(), self.log_text()

    def log_text(self) -> str:
        logs = sorted(self.log_dir.glob("worker-*.log"))
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')}" for log in logs)

    def kill(self) -> None:
        """SIGKILL the worker's whole process group: no task gets to finish,
        nothing is acknowledged, nothing is cleaned up."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """A warm shutdown (SIGTERM), then SIGKILL if it takes too long."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


class WebServer:
    """gunicorn serving the application with DEBUG off on a free loopback
    port: the test database, ``broker_url`` for the tasks it queues, the test
    process's keys (so both sign the same audit trail), and ``env`` on top (a
    media root of its own, the object store's settings). ``workers`` sync
    worker processes, ``args`` more of gunicorn's options; in a process group
    of its own, logging to ``log_dir``."""

    def __init__(
        self,
        *,
        broker_url: str,
        log_dir: Path,
        env: dict[str, str] | None = None,
        workers: int = 1,
        name: str = "web",
        args: tuple[str, ...] = (),
    ):
        self.broker_url = broker_url
        self.args = list(args)
        self.log = Path(log_dir) / f"{name}.log"
        self.env = dict(env or {})
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> WebServer:
        from django.conf import settings

        env = app_environment(
            self.broker_url,
            {
                "DEBUG": "0",
                "SECRET_KEY": settings.SECRET_KEY,
                "AUDIT_KEY": settings.AUDIT_KEY,
                "ALLOWED_HOSTS": "127.0.0.1",
                "SECURE_SSL_REDIRECT": "0",
                "SESSION_COOKIE_SECURE": "0",
                "CSRF_COOKIE_SECURE": "0",
                "STATICFILES_COMPRESS": "0",
                "LOG_LEVEL": "WARNING",
                **self.env,
            },
        )
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi"]
                + ["--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers)]
                + ["--worker-class", "sync", "--timeout", "60", *self.args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        def answers() -> bool:
            assert self.process.poll() is None, self.log_text()
            try:
                return requests.get(f"{self.url}/healthz", timeout=5).status_code == 200
            except requests.RequestException:  # not listening yet
                return False

        wait_for(answers, timeout=60, interval=0.2, what=f"gunicorn on {self.url}")
        return self

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class SilentServer:
    """Accepts every connection on a loopback port, reads nothing, answers nothing."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _accept(self) -> None:
        while True:
            try:
                held, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(held)

    def close(self) -> None:
        # shutdown() wakes the thread waiting in accept(); close() alone does not.
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(timeout=5)
        for held in self.held:
            held.close()


class RedisServer:
    """A redis-server of its own on a free loopback port, without persistence.
    ``stop()`` and ``start()`` keep the port, so clients configured with
    ``url`` find it again, as after a broker restart."""

    def __init__(self, workdir: Path):
        self.binary = shutil.which("redis-server")
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _ping(self) -> bool:
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def start(self) -> RedisServer:
        assert self.binary, "redis-server is not installed"
        assert self.process is None, "already running"
        with (self.workdir / "redis.log").open("ab") as out:
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.workdir),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._ping, timeout=10, what=f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    subject: str
    body: str


class _Recorder:
    """The aiosmtpd handler: accepts every message and keeps it."""

    def __init__(self) -> None:
        self.messages: list[ReceivedMail] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        with self.lock:
            self.messages.append(
                ReceivedMail(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    subject=str(message["Subject"] or ""),
                    body=body.get_content() if body is not None else "",
                )
            )
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server (aiosmtpd) on a free loopback port, plain text (no
    TLS). ``stop()`` and ``start()`` keep the port and what was received."""

    def __init__(self) -> None:
        self.port = free_port()
        self._recorder = _Recorder()
        self._controller = None

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._recorder.lock:
            return list(self._recorder.messages)

    def start(self) -> SmtpServer:
        from aiosmtpd.controller import Controller

        assert self._controller is None, "already running"
        # A controller's event loop is closed when it stops: a new one per start.
        controller = Controller(
            self._recorder, hostname="127.0.0.1", port=self.port, server_hostname="localhost"
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


# --- Driving the worker as beat does ------------------------------------------------


def run_as_beat(*tasks: str) -> None:
    """Publish periodic tasks as celery beat does when they fall due: by name,
    from ``CELERY_BEAT_SCHEDULE``, to the broker of the test process's Celery
    app (the ``broker`` fixture). A worker runs them."""
    from django.conf import settings

    from config.celery import app

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in tasks:
        assert name in scheduled, f"{name} is not a periodic task"
        app.send_task(name)


def wait_until_worker_caught_up(*, timeout: float, details: Callable[[], str] | None = None):
    """Publish the beat's audit checkpoint and wait for the line it appends
    to ``AUDIT_CHECKPOINT_FILE`` (the worker writes the test's file): a solo
    worker takes tasks in the order they were published, so every task
    published before this one has run by then."""
    from core.audit import read_checkpoints

    def scheduled() -> int:
        return sum(1 for c in read_checkpoints() if c.reason == "scheduled")

    before = scheduled()
    run_as_beat("core.audit_checkpoint")
    wait_for(
        lambda: scheduled() > before,
        timeout=timeout,
        what="the worker to run the tasks published so far",
        details=details,
    )


def sign_in(url: str, username: str, password: str) -> tuple[requests.Session, requests.Response]:
    """Sign in through the sign-in page of a server on loopback, as a browser
    would (CSRF token from the form, Referer); the session and the answer."""
    session = requests.Session()
    page = session.get(f"{url}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{url}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": password},
        headers={"Referer": f"{url}/accounts/login/"},
        allow_redirects=False,
        timeout=60,
    )
    return session, response
