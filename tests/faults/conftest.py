"""Services a test takes away and brings back: a private redis-server, a real
Celery worker against it (SIGKILLed and started again), an SMTP server; and
a server that takes connections and never answers.

Every test with a worker carries ``tests.workers.WORKER_TEST``: transactional
(the worker reads committed rows over its own connection), on PostgreSQL."""

from __future__ import annotations

import shutil

import pytest

from tests.workers import CeleryWorker, RedisServer, SilentServer, SmtpServer


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of the test's own, on a free port: ``stop()`` it for a
    broker outage, ``start()`` it again on the same port."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def celery_worker(transactional_db, redis_server, broker, tmp_path):
    """A Celery worker on the private Redis, not started yet:
    ``start(**env)`` (the environment on top of the test's), ``kill()``
    (SIGKILL), ``start()`` again. The test process's Celery publishes to the
    same Redis. Stopped before the database is flushed."""
    broker(redis_server.url)
    worker = CeleryWorker(broker_url=redis_server.url, log_dir=tmp_path)
    yield worker
    worker.stop()


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free loopback port, started:
    ``stop()`` it for an outage, ``start()`` it again on the same port; its
    ``messages`` are what it received, across restarts."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def silent_server():
    """A loopback server that takes every connection and answers nothing
    (``url`` as a Redis URL, ``port`` for any other client)."""
    server = SilentServer()
    yield server
    server.close()
