"""The personas of ``make loadtest`` (tests/load/run.py writes their
sessions, tokens and ids to the file named by LOADTEST_FIXTURES).

- ``Ceiling``: a trivial synchronous Django view (``/load/plain``, on the
  load test's server only: tests/load/urls.py), for the server's ceiling.
- ``PortfolioReader``: a program lead paging and filtering the portfolio and
  opening use cases.
- ``ReviewReader``: an approver reading review pages and the review API.
- ``Approver``: a sponsor recording approvals through the API, each on a
  review that still waits for them.
- ``Uploader``: a sponsor uploading evidence to an open review (API).
- ``PackRequester``: an executive asking for gate packs (API) and polling.
- ``Executive``: the dashboard.

A phase ends when its time runs out (locust's ``-t``) or at
LOADTEST_MAX_REQUESTS requests, whichever comes first: every request is
counted as it completes, and the runner stops at the cap. At the end the
phase's figures are written to the file named by LOADTEST_RESULT_FILE:
which of the two bounds ended it, the requests counted and the seconds from
the start to the stop, and the final statistics (requests, errors,
requests per second, p50, p95 and p99 per request name and in all, the
failures and the personas' exceptions). The CSV files of ``--csv`` are
rewritten once a second, so they leave out the phase's last second.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
import time

import gevent
from locust import HttpUser, between, events, task
from locust.clients import HttpSession
from locust.stats import StatsError

from tests.load import CEILING_PATH

FIXTURES = json.loads(open(os.environ["LOADTEST_FIXTURES"]).read())  # noqa: SIM115
MAX_REQUESTS = int(os.environ.get("LOADTEST_MAX_REQUESTS") or 0)
_phase = {"environment": None, "requests": 0, "at_cap": False, "started": None, "stopped": None}
_lock = threading.Lock()
_approvals = iter(FIXTURES["approvals"])
_uploads = itertools.cycle(FIXTURES["upload_targets"])
_packs = itertools.cycle(FIXTURES["pack_reviews"])


def _next(source):
    with _lock:
        return next(source, None)


@events.init.add_listener
def _keep_environment(environment, **_) -> None:
    _phase["environment"] = environment


@events.test_start.add_listener
def _started(**_) -> None:
    _phase["started"] = time.monotonic()


@events.request.add_listener
def _count(**_) -> None:
    """Every request, answered or failed; at the cap the runner quits, from
    a greenlet of its own (quitting kills the users' greenlets, this one's
    caller among them)."""
    _phase["requests"] += 1
    if MAX_REQUESTS and _phase["requests"] == MAX_REQUESTS:
        _phase["at_cap"] = True
        _phase["stopped"] = time.monotonic()
        gevent.spawn(_phase["environment"].runner.quit)


@events.test_stop.add_listener
def _stopped(**_) -> None:
    if _phase["stopped"] is None:
        _phase["stopped"] = time.monotonic()


def _figures(entry) -> dict:
    answered = entry.num_requests > 0
    return {
        "requests": entry.num_requests,
        "errors": entry.num_failures,
        "rps": entry.total_rps,
        **{
            f"p{round(p * 100)}_ms": float(entry.get_response_time_percentile(p) if answered else 0)
            for p in (0.5, 0.95, 0.99)
        },
    }


@events.quitting.add_listener
def _write_result(environment, **_) -> None:
    path = os.environ.get("LOADTEST_RESULT_FILE")
    if not path:
        return
    started, stopped = _phase["started"], _phase["stopped"] or time.monotonic()
    stats = environment.stats
    result = {
        "at_cap": _phase["at_cap"],
        "requests_counted": _phase["requests"],
        "seconds": round(stopped - started, 1) if started else None,
        "total": _figures(stats.total),
        "requests": {entry.name: _figures(entry) for entry in stats.entries.values()},
        "failures": [
            {
                "method": error.method,
                "name": error.name,
                "error": StatsError.parse_error(error.error),
                "occurrences": error.occurrences,
            }
            for error in stats.errors.values()
        ],
        # A persona's task that raised made no request at all: an error as well.
        "exceptions": [
            {"count": row["count"], "message": row["msg"]}
            for row in environment.runner.exceptions.values()
        ],
    }
    with open(path, "w") as file:
        json.dump(result, file)


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
    def plain(self) -> None:
        self.client.get(CEILING_PATH, name=CEILING_PATH)


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
