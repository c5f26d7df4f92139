"""The OpenID Connect provider the tests sign in through: npm's certified
``oidc-provider`` (tests/identity/provider/provider.js), started on a free
loopback port for one test and stopped after it.

``scripts/ensure-services.sh`` installs it (``npm ci`` in
tests/identity/provider/). Its accounts: ``sso-lead`` (groups
``stagegate-program-leads`` and ``bu-claims``), ``sso-exec``
(``stagegate-executives``) and ``sso-nobody`` (no group); its login page takes
any password."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

PROVIDER_DIR = Path(__file__).resolve().parent / "provider"
CLIENT_ID = "stagegate"
CLIENT_SECRET = "stagegate-test-secret"
START_SECONDS = 20


@dataclass
class RunningProvider:
    issuer: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def settings(self, **extra: object) -> dict[str, object]:
        """The settings that turn single sign-on on against this provider."""
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": self.client_id,
            "OIDC_CLIENT_SECRET": self.client_secret,
            "OIDC_PROVIDER_NAME": "Test IdP",
            **extra,
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(issuer: str) -> bool:
    try:
        return requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1).ok
    except requests.RequestException:
        return False


@pytest.fixture
def oidc_provider(tmp_path: Path) -> Iterator[Callable[..., RunningProvider]]:
    """Call it with the redirect URIs the provider's client allows; it returns
    once the provider answers its discovery document."""
    node = shutil.which("node")
    if node is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail(
            "The test OpenID Connect provider is not installed: run scripts/ensure-services.sh "
            "(it needs node and npm, and runs npm ci in tests/identity/provider/).",
            pytrace=False,
        )
    processes: list[subprocess.Popen] = []

    def start(redirect_uris: list[str]) -> RunningProvider:
        port = _free_port()
        issuer = f"http://127.0.0.1:{port}"
        log = (tmp_path / f"oidc-provider-{port}.log").open("w")
        process = subprocess.Popen(
            [node, str(PROVIDER_DIR / "provider.js")],
            cwd=PROVIDER_DIR,
            env={
                **os.environ,
                "PORT": str(port),
                "REDIRECT_URIS": ",".join(redirect_uris),
                "CLIENT_ID": CLIENT_ID,
                "CLIENT_SECRET": CLIENT_SECRET,
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        deadline = time.monotonic() + START_SECONDS
        while not _answers(issuer):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(
                    "The test OpenID Connect provider did not start:\n"
                    + (tmp_path / f"oidc-provider-{port}.log").read_text(),
                    pytrace=False,
                )
            time.sleep(0.1)
        return RunningProvider(issuer=issuer)

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


FORM = re.compile(r'<form[^>]*action="([^"]+)"', re.IGNORECASE)


def sign_in_at_provider(authorize_url: str, login: str, callback_prefix: str) -> str:
    """Walk the provider's pages as a browser would (its login form, then its
    redirects) and return the callback URL it sends the browser back to,
    without calling it."""
    session = requests.Session()
    response = session.get(authorize_url, timeout=10)
    response.raise_for_status()
    match = FORM.search(response.text)
    assert match, f"no login form on the provider's page: {response.text[:500]}"
    url = urljoin(response.url, unescape(match.group(1)))
    response = session.post(
        url,
        data={"prompt": "login", "login": login, "password": "any-password"},
        allow_redirects=False,
        timeout=10,
    )
    for _ in range(10):
        location = response.headers.get("Location")
        assert response.status_code in (302, 303), (response.status_code, response.text[:500])
        location = urljoin(response.url, location)
        if location.startswith(callback_prefix):
            return location
        response = session.get(location, allow_redirects=False, timeout=10)
    raise AssertionError("the provider never sent the browser back")
