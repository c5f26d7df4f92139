"""gunicorn's own log lines (gunicorn.conf.py) in the application's format:
with LOG_FORMAT=json every line the server writes is a JSON object, and each
access line carries the request id the response answered with."""

from __future__ import annotations

import json

import requests

from tests.workers import WebServer


def test_with_json_logs_every_line_of_the_server_is_json_and_access_lines_carry_the_id(
    tmp_path,
):
    given = "7b3c0f0e2f5e4a8c9d1e2f3a4b5c6d7e"
    web = WebServer(
        broker_url="",
        log_dir=tmp_path,
        env={"LOG_FORMAT": "json", "LOG_LEVEL": "INFO"},
        args=("--access-logfile", "-"),
    ).start()
    try:
        answer = requests.get(f"{web.url}/healthz", headers={"X-Request-ID": given}, timeout=10)
        made = requests.get(f"{web.url}/healthz", timeout=10).headers["X-Request-ID"]
    finally:
        web.stop()
    assert answer.headers["X-Request-ID"] == given
    lines = [json.loads(line) for line in web.log_text().splitlines() if line.strip()]
    assert {"gunicorn.error", "gunicorn.access"} <= {line["logger"] for line in lines}
    assert any(line["message"].startswith("Booting worker") for line in lines)
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    by_id = {line["correlation_id"]: line["message"] for line in access}
    assert '"GET /healthz HTTP/1.1" 200' in by_id[given]
    assert by_id[given].endswith(f"request_id={given}")
    assert made in by_id
    assert all(line["service"] == "stagegate" for line in lines)
