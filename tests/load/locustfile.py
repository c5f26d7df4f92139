"""The personas of ``make loadtest`` (tests/load/run.py writes their
sessions, tokens and ids to the file named by LOADTEST_FIXTURES).

- ``Ceiling``: a trivial Django view (/healthz), for the server's ceiling.
- ``PortfolioReader``: a program lead paging and filtering the portfolio and
  opening use cases.
- ``ReviewReader``: an approver reading review pages and the review API.
- ``Approver``: a sponsor recording approvals through the API, each on a
  review that still waits for them.
- ``Uploader``: a sponsor uploading evidence to an open review (API).
- ``PackRequester``: an executive asking for gate packs (API) and polling.
- ``Executive``: the dashboard.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading

from locust import HttpUser, between, task
from locust.clients import HttpSession

FIXTURES = json.loads(open(os.environ["LOADTEST_FIXTURES"]).read())  # noqa: SIM115
_lock = threading.Lock()
_approvals = iter(FIXTURES["approvals"])
_uploads = itertools.cycle(FIXTURES["upload_targets"])
_packs = itertools.cycle(FIXTURES["pack_reviews"])


def _next(source):
    with _lock:
        return next(source, None)


class _Signed(HttpUser):
    abstract = True
    # Closed loop, as the ceiling: the server, not think time, sets the pace.
    wait_time = between(0, 0.05)
    persona = ""

    def on_start(self) -> None:
        who = FIXTURES["people"][self.persona]
        self.client.cookies.set("sessionid", who["session"])
        # The API as a script calls it: a token and no session cookie (a
        # signed-in session would make a write need the CSRF token).
        self.api = HttpSession(
            base_url=self.host, request_event=self.environment.events.request, user=self
        )
        self.api.headers["Authorization"] = f"Token {who['token']}"

    def open_page(self, url: str, name: str) -> None:
        """A page as its persona sees it: a redirect (to sign in) is a
        failure, not the sign-in page measured in its place."""
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code} {answer.headers.get('Location', '')}")


class Ceiling(HttpUser):
    wait_time = between(0, 0)

    @task
    def healthz(self) -> None:
        self.client.get("/healthz", name="/healthz")


class PortfolioReader(_Signed):
    weight = 4
    persona = "lead"

    @task(3)
    def portfolio(self) -> None:
        page = random.randint(1, 40)
        self.open_page(f"/portfolio/?page={page}", name="/portfolio/?page=N")

    @task(1)
    def filtered(self) -> None:
        self.open_page("/portfolio/?stage=pilot&q=claims", name="/portfolio/?stage&q")

    @task(2)
    def use_case(self) -> None:
        use_case = random.choice(FIXTURES["use_cases"])
        self.open_page(f"/use-cases/{use_case}/", name="/use-cases/<id>/")


class ReviewReader(_Signed):
    weight = 3
    persona = "lead"

    @task(2)
    def page(self) -> None:
        review = random.choice(FIXTURES["read_reviews"])
        self.open_page(f"/reviews/{review}/", name="/reviews/<id>/")

    @task(1)
    def api(self) -> None:
        review = random.choice(FIXTURES["read_reviews"])
        self.api.get(f"/api/v1/reviews/{review}/", name="/api/v1/reviews/<id>/")


class Approver(_Signed):
    weight = 2
    persona = "sponsor"

    @task
    def approve(self) -> None:
        review = _next(_approvals)
        if review is None:  # every waiting approval recorded: read instead
            self.open_page("/my-work/", name="/my-work/")
            return
        self.api.post(
            f"/api/v1/reviews/{review}/approvals/",
            json={"decision": "approve", "comment": "Evidence checked."},
            name="/api/v1/reviews/<id>/approvals/",
        )


class Uploader(_Signed):
    weight = 1
    persona = "sponsor"

    @task
    def upload(self) -> None:
        use_case, artifact_type = _next(_uploads)
        body = f"# Evidence\n\nUploaded under load {random.random()}.\n".encode()
        self.api.post(
            f"/api/v1/use-cases/{use_case}/artifacts/",
            data={"artifact_type": artifact_type, "note": "load test"},
            files={"file": ("evidence.md", body, "text/markdown")},
            name="/api/v1/use-cases/<id>/artifacts/",
        )


class PackRequester(_Signed):
    weight = 1
    persona = "executive"

    @task
    def request_pack(self) -> None:
        review = _next(_packs)
        answer = self.api.post(
            f"/api/v1/reviews/{review}/packs/",
            name="/api/v1/reviews/<id>/packs/",
        )
        if answer.status_code in (200, 202):
            pack = answer.json()["id"]
            self.api.get(f"/api/v1/packs/{pack}/", name="/api/v1/packs/<id>/")


class Executive(_Signed):
    weight = 2
    persona = "executive"

    @task
    def dashboard(self) -> None:
        self.open_page("/dashboard/", name="/dashboard/")
