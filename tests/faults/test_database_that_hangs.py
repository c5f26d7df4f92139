"""A database that takes a new connection and never answers (a server stuck
before it says hello, a firewall that swallows the handshake), as
Prometheus scrapes /metrics: the scrape answers after one connect timeout,
without the figures read from the database, so StageGateDatabaseUnreadable
says what is wrong. Asking for each figure in turn took three timeouts, past
Prometheus' scrape timeout: the scrape failed and StageGateDown blamed the
web process."""

from __future__ import annotations

import time

import requests

from tests.workers import WebServer


def test_a_scrape_asks_a_silent_database_once_and_answers_without_its_figures(
    silent_server, tmp_path
):
    connect_timeout = 2
    web = WebServer(
        broker_url="",
        log_dir=tmp_path,
        env={
            "DATABASE_URL": f"postgres://stagegate:stagegate@127.0.0.1:{silent_server.port}/stagegate",
            "DATABASE_CONNECT_TIMEOUT": str(connect_timeout),
            "LOG_LEVEL": "INFO",
        },
    ).start()
    try:
        started = time.monotonic()
        scrape = requests.get(f"{web.url}/metrics", timeout=60)
        took = time.monotonic() - started
    finally:
        web.stop()
    assert scrape.status_code == 200
    assert took < connect_timeout + 1.5, took
    assert silent_server.held, "the scrape never reached the database"
    text = scrape.text
    assert "stagegate_http_request_duration_seconds_count{" in text
    for figure in ("stagegate_outbox_pending", "stagegate_packs", "stagegate_notification"):
        assert f"\n{figure}" not in text
    said = [line for line in web.log_text().splitlines() if "could not be read" in line]
    assert len(said) == 1, said
    assert "metrics: _outbox could not be read: Database unavailable" in said[0]
