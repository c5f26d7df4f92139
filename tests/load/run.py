"""The load test: ``make loadtest`` or ``python -m tests.load.run``.

On loopback only: gunicorn (``--web-workers`` processes) serving the
10,000-use-case portfolio from its own PostgreSQL database, Redis (database
12) and two Celery workers. Every run starts from the same data set: the
base (``stagegate_load_base``: the benchmark's 10,000 use cases, built by
``tests/load/base.py`` when missing and migrated at each run) is copied
into ``stagegate_load`` (``CREATE DATABASE ... TEMPLATE``, the previous
run's copy dropped first), and the run's own fixtures are made in the copy.
The server and the workers run with ``tests.load.settings``: the
application's settings, with a URL configuration that adds the trivial view
of the ceiling. The workers first deliver the outbox's waiting events (the
fixtures'), as beat would. Then, with locust headless, each phase bounded
in time (``--seconds``) and in requests (``--max-requests``: the phase
stops at the cap):

1. the ceiling: a trivial synchronous Django view (``/load/plain``, a short
   plain-text answer through the whole middleware stack) as fast as the
   server goes;
2. the mixed workload: the personas of ``locustfile.py`` (portfolio, review
   pages, approvals, uploads, pack requests, dashboard);
3. the ceiling again, once the workers are idle: the machine's speed drifts
   over minutes, so the mixed workload is compared with the mean of the two
   measures that bracket it;
4. packs in parallel: the same number of fresh packs, requested through the
   API while the workers pause and then rendered from the full queue by one
   worker, by two, by one, by two and by one again: the mean rate of the two
   workers' phases is compared with the mean of the single-worker phases
   around them.

It prints and writes (``var/loadtest.json``) the data set's size; requests
per second, p50, p95, p99 and errors per phase, and whether each phase ended
on time or at the cap; where each phase's CPU went (gunicorn, the Celery
workers, PostgreSQL, Redis, locust) and the machine's CPU per request; the
web processes' CPU per request of each route in the mixed workload (from
``/metrics``: gunicorn runs with ``PROMETHEUS_MULTIPROC_DIR``); how
many of the packs the mixed workload asked for were rendered while it ran;
and the targets: no error, the mixed workload at
40% of the ceiling or more, two workers rendering packs at 1.7 times one
worker's rate or more. The exit code is 0 either way: load figures inform.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

from tests.bench.run import git_commit
from tests.load import CEILING_PATH
from tests.workers import free_port

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var" / "load"
DATABASE_URL = "postgres://stagegate:stagegate@127.0.0.1:5432/stagegate_load"
# The data set every run starts from, copied into DATABASE_URL's database.
BASE_DATABASE_URL = "postgres://stagegate:stagegate@127.0.0.1:5432/stagegate_load_base"
REDIS_URL = "redis://127.0.0.1:6379/12"
APPROVALS = 150
PACK_REVIEWS = 12
# Packs per worker-count phase: enough that one pack's start-up and the last
# one's tail are a small part of the phase (with 12, two workers' phase
# lasted 6 to 7 s and its ratio to one worker's ranged from 1.49 to 1.60).
PHASE_PACKS = 24
# The workers of each pack phase, alternating. This machine's speed drifts
# within seconds (one worker rendered 121 packs a minute in one phase and 101
# in the next but one, 20 s later), so two workers are compared with one
# worker measured on both sides of each of their phases: the rates of each
# worker count are averaged.
PACK_PHASES = (1, 2, 1, 2, 1)
WARMUPS = sum(PACK_PHASES)
# The default request cap of a locust phase, per second of it: about three
# times the fastest phase so far (the ceiling on /healthz, 802 requests/s on
# 2026-12-05: 35,328 requests in 45 s). The trivial view costs this 2-core
# machine 1.4 to 2.3 ms of CPU a request, locust's included, so it serves at
# most about 1,250 a second (1,236 at 08:51 on 2026-12-05): here a phase ends
# on time, and the cap bounds a run on a much faster machine, or one gone
# wrong.
MAX_REQUESTS_PER_SECOND = 2_500
METRICS_DIR = VAR / "prometheus"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.load.run", description=__doc__)
    parser.add_argument("--users", type=int, default=16, help="concurrent locust users")
    parser.add_argument("--seconds", type=int, default=45, help="length of each locust phase")
    parser.add_argument(
        "--max-requests",
        type=int,
        default=None,
        help=(
            "requests after which a locust phase stops, if its time has not run out "
            f"(default: {MAX_REQUESTS_PER_SECOND:,} per second of --seconds)"
        ),
    )
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--packs", type=int, default=PHASE_PACKS, help="packs per worker-count phase"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "var" / "loadtest.json")
    return parser.parse_args(argv)


def worker_name(n: int) -> str:
    """The node name load worker ``n`` runs under (``start_worker``'s ``-n``
    with ``%h`` expanded), as Celery's remote control addresses it."""
    return f"load{n}@{socket.gethostname()}"


def server_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        # The application's settings and the ceiling's trivial view.
        DJANGO_SETTINGS_MODULE="tests.load.settings",
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        DEBUG="0",
        SECRET_KEY=os.environ.get("LOADTEST_SECRET_KEY", "load-" + "k" * 60),
        AUDIT_KEY=os.environ.get("LOADTEST_AUDIT_KEY", "load-audit-" + "a" * 60),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        STATICFILES_COMPRESS="0",
        MEDIA_ROOT=str(VAR / "media"),
        VAR_DIR=str(VAR),
        AUDIT_CHECKPOINT_FILE=str(VAR / "audit-checkpoints.jsonl"),
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        # Personas hammer the limits on purpose: the load test measures the
        # server, not the per-person rate limits (tested elsewhere).
        THROTTLE_PACK_REQUESTS="100000/hour",
        THROTTLE_IMPORTS="100000/hour",
        CACHE_IN_REDIS="1",
        LOG_LEVEL="WARNING",
    )
    return env


def _postgres():
    """A connection to the server's ``postgres`` database, in autocommit: a
    database is created and dropped from outside it."""
    from tests.workers import postgres_connection

    return postgres_connection(DATABASE_URL, dbname="postgres")


def _database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def ensure_base(out=print) -> None:
    """The base database, created when missing, then migrated and, when it
    holds fewer than 10,000 use cases, loaded (``tests/load/base.py``, in a
    process of its own, whose connections end with it: PostgreSQL copies a
    database only while no one is connected to it)."""
    from psycopg2 import sql

    name = _database_name(BASE_DATABASE_URL)
    connection = _postgres()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                out(f"load: creating database {name} (the base data set; kept between runs)")
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()
    subprocess.run(
        [sys.executable, "-m", "tests.load.base"],
        cwd=ROOT,
        env={**server_environment(), "DATABASE_URL": BASE_DATABASE_URL},
        check=True,
    )


def copy_base(out=print) -> None:
    """This run's database, a fresh copy of the base. The previous run's copy
    is dropped first, with any connection still open to it (a process an
    interrupted run left behind), and any connection to the base is ended:
    PostgreSQL refuses to copy a database someone is connected to."""
    from psycopg2 import sql

    base, name = _database_name(BASE_DATABASE_URL), _database_name(DATABASE_URL)
    started = time.monotonic()
    connection = _postgres()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [base],
            )
            cursor.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(base)
                )
            )
    finally:
        connection.close()
    out(f"load: {name} copied from {base} in {time.monotonic() - started:.1f} s")


def prepare(out=print, phase_packs: int = PHASE_PACKS) -> tuple[dict, dict]:
    """The data set, and what the personas use: signed-in sessions, API
    tokens, reviews waiting for an approval, reviews to pack. Returns them
    and the data set's size: the base's use cases and the run's own."""
    os.environ.update(server_environment())
    ensure_base(out)
    copy_base(out)
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from knox.models import AuthToken

    from gates.models import GateReview, ReviewStatus
    from tests.bench.dataset import ensure_dataset
    from tests.factories import UseCaseFactory, UserFactory
    from tests.gates.helpers import make_open_review, make_submitted_review
    from usecases.models import UseCase

    call_command("collectstatic", interactive=False, verbosity=0)
    # The copy holds the base's migrations and use cases: this finds the
    # named people and loads nothing.
    dataset = ensure_dataset(out=out)
    lead, executive = dataset.lead, dataset.executive
    base_use_cases = dataset.use_cases

    def signed_in(user) -> dict:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        # The backend a person signing in with a password goes through: a
        # session naming one that is not configured is nobody's.
        session[BACKEND_SESSION_KEY] = "identity.backends.LocalPasswordBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return {"session": session.session_key, "token": AuthToken.objects.create(user)[1]}

    # The run's own work, in its copy of the base: use cases of the sponsor
    # with a submitted Gate 1 review each (the sponsor is a named approver),
    # open reviews to upload to, and reviews to pack.
    started = time.monotonic()
    unit = dataset.business_units[0]
    sponsor = UserFactory(username="load-sponsor", last_name="Sponsor")

    def new_use_case(n: int, kind: str):
        # Risk-classified through the real services, as Gate 1 needs.
        return UseCaseFactory(title=f"Load {kind} {n + 1}", business_unit=unit, sponsor=sponsor)

    approvals = [
        make_submitted_review(new_use_case(n, "approval"), lead, sponsor).pk
        for n in range(APPROVALS)
    ]
    upload_targets = []
    for n in range(10):
        review = make_open_review(new_use_case(n, "upload"), lead)
        requirement = review.artifact_requirements.select_related("artifact_type").first()
        upload_targets.append([review.use_case_id, requirement.artifact_type.code])
    pack_reviews = [
        make_submitted_review(new_use_case(n, "pack"), lead, sponsor).pk
        # the personas' reviews, each phase's, and one warm-up per worker
        # each phase starts
        for n in range(PACK_REVIEWS + len(PACK_PHASES) * phase_packs + WARMUPS)
    ]
    out(f"load: fixtures made in {time.monotonic() - started:.0f} s")
    # What beat does every DASHBOARD_TALLY_COMPACT_SECONDS in a deployment
    # (the load test runs no beat): the changes of the fixtures folded into
    # the dashboard tally's rows, which the portfolio's count per stage sums.
    from reporting.services import tally_compact

    before, after = tally_compact()
    out(f"load: dashboard tally folded, {before} rows into {after}")
    read_reviews = (
        list(
            GateReview.objects.filter(status=ReviewStatus.DECIDED).values_list("pk", flat=True)[
                :200
            ]
        )
        or approvals[:20]
    )
    fixtures = {
        "people": {
            "lead": signed_in(lead),
            "executive": signed_in(executive),
            "sponsor": signed_in(sponsor),
        },
        "use_cases": list(UseCase.objects.values_list("pk", flat=True)[:2000]),
        "read_reviews": read_reviews,
        "approvals": approvals,
        "upload_targets": upload_targets,
        "pack_reviews": pack_reviews[:PACK_REVIEWS],
        "pack_phase_reviews": pack_reviews[PACK_REVIEWS:-WARMUPS],
        "pack_warmup_reviews": pack_reviews[-WARMUPS:],
    }
    use_cases = UseCase.objects.count()
    data_set = {
        "use_cases": use_cases,
        "base_use_cases": base_use_cases,
        "run_use_cases": use_cases - base_use_cases,
        "database": _database_name(DATABASE_URL),
        "base_database": _database_name(BASE_DATABASE_URL),
    }
    out(
        f"load: data set of {use_cases:,} use cases ({base_use_cases:,} of the base, "
        f"{use_cases - base_use_cases} this run's)"
    )
    from django.db import connections

    connections.close_all()
    return fixtures, data_set


class Services:
    """gunicorn and the Celery workers, each in its own process group."""

    def __init__(self, web_workers: int):
        self.port = free_port()
        self.web_workers = web_workers
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = server_environment()

    def _start(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        # Appended: a worker restarted between phases keeps the earlier log.
        log = open(VAR / f"{name}.log", "ab")  # noqa: SIM115
        self.processes[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**self.env, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_web(self) -> None:
        self._start(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.web_workers),
                "--worker-class",
                "sync",
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
            # Its processes' request metrics, added up at each scrape.
            env={"PROMETHEUS_MULTIPROC_DIR": str(METRICS_DIR)},
        )
        deadline = time.monotonic() + 60
        import urllib.error
        import urllib.request

        # Ready when the ceiling's view answers: a server without the load
        # test's URLs (another settings module) answers it 404.
        while True:
            try:
                url = f"http://127.0.0.1:{self.port}{CEILING_PATH}"
                with urllib.request.urlopen(url, timeout=2):
                    return
            except urllib.error.HTTPError as error:
                raise RuntimeError(f"load: {CEILING_PATH} answered {error.code}") from None
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError((VAR / "gunicorn.log").read_text()) from None
                time.sleep(0.3)

    def check_personas(self, people: dict) -> None:
        """Each persona's session opens a page and its token the API, as
        themselves: a session the server does not recognise would measure
        the sign-in page instead."""
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        base = f"http://127.0.0.1:{self.port}"
        for persona, who in people.items():
            for path, headers in (
                ("/my-work/", {"Cookie": f"sessionid={who['session']}"}),
                ("/api/v1/me/queues/", {"Authorization": f"Token {who['token']}"}),
            ):
                request = urllib.request.Request(base + path, headers=headers)
                try:
                    with opener.open(request, timeout=30) as answer:
                        status = answer.status
                except urllib.error.HTTPError as error:
                    status = error.code
                if status != 200:
                    raise RuntimeError(
                        f"load: the {persona} is not signed in: {path} answered {status}"
                    )

    def start_worker(self, n: int) -> None:
        self._start(
            f"worker{n}",
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
                "-n",
                f"load{n}@%h",
                "--loglevel=warning",
                "--without-gossip",
                "--without-mingle",
            ],
        )

    def wait_for_workers(self, *numbers: int, timeout: float = 120) -> None:
        """Until the workers ``numbers`` answer a ping: a worker starting up
        (Python, Django, the task modules: about 3 s of CPU each) would
        otherwise share the cores with the phase that follows it."""
        from config.celery import app

        names = {worker_name(n) for n in numbers}
        since = time.monotonic()
        while time.monotonic() - since < timeout:
            replies = app.control.ping(list(names), timeout=1)
            answered = {name for reply in replies for name in reply}
            if names <= answered:
                return
        print(f"load: workers {sorted(names)} did not answer within {timeout:.0f} s")

    def deliver_backlog(self) -> None:
        """The outbox's events waiting before the phases (the fixtures':
        about four per use case made, 800 to 1,200 a run) delivered by the
        workers, as beat's delivery every minute would in a deployment. The
        broker's queue is emptied after ``prepare``, so nothing asked for
        them: the first approval of the mixed workload did, and the workers
        spent 7 to 14 s of its phase delivering them."""
        from config.celery import app
        from core.models import OutboxEvent

        waiting = OutboxEvent.objects.filter(delivered_at__isnull=True)
        pending = waiting.count()
        started = time.monotonic()
        app.send_task("core.deliver_outbox")
        # The delivery, and what it asks for in turn (the e-mails to send),
        # which it queues before it ends.
        self.wait_until_idle()
        print(
            f"load: {pending} events of the outbox delivered before the phases "
            f"in {time.monotonic() - started:.1f} s ({waiting.count()} left)"
        )

    def wait_until_idle(self, timeout: float = 300) -> None:
        """Until the queue is empty and no worker runs a task (the packs the
        mixed workload asked for, the outbox after its writes): the ceiling
        measured after the mix then has the cores to itself, as the first."""
        import redis

        from config.celery import app

        broker = redis.Redis.from_url(REDIS_URL)
        # The queue's list and its priority steps' lists ("celery\x06\x163"...).
        queue = app.conf.task_default_queue
        names = [worker_name(n) for n in (1, 2)]
        since = time.monotonic()
        while time.monotonic() - since < timeout:
            lists = broker.scan_iter(match=f"{queue}*", _type="list")
            waiting = sum(broker.llen(key) for key in lists)
            inspect = app.control.inspect(destination=names, timeout=1)
            active, reserved = inspect.active() or {}, inspect.reserved() or {}
            # A worker of the solo pool does not answer while it runs a task.
            silent = set(names) - set(active)
            busy = [*active.values(), *reserved.values()]
            if not waiting and not silent and not any(busy):
                return
            time.sleep(1)
        print(f"load: the workers were still busy after {timeout:.0f} s")

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)


def route_figures(port: int) -> dict[tuple[str, str], dict[str, float]]:
    """Per method and route so far, over every gunicorn process: requests
    answered, seconds taken and CPU seconds of the serving thread
    (monitoring.middleware)."""
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    if os.environ.get("METRICS_TOKEN"):
        request.add_header("Authorization", f"Bearer {os.environ['METRICS_TOKEN']}")
    with urllib.request.urlopen(request, timeout=30) as answer:
        text = answer.read().decode()
    samples = {
        "stagegate_http_request_duration_seconds_count": "requests",
        "stagegate_http_request_duration_seconds_sum": "seconds",
        "stagegate_http_request_cpu_seconds_total": "cpu_seconds",
    }
    figures: dict[tuple[str, str], dict[str, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            field = samples.get(sample.name)
            if field is None:
                continue
            key = (sample.labels["method"], sample.labels["route"])
            row = figures.setdefault(key, {"requests": 0.0, "seconds": 0.0, "cpu_seconds": 0.0})
            row[field] += sample.value
    return figures


def route_costs(before: dict, after: dict, web_cpu_seconds: float) -> list[dict]:
    """The web CPU per request of each route between two readings, most
    costly in total first, with each route's share of the web processes'
    CPU over the phase (what the middleware does not see, gunicorn's own
    work and the layers above it, is the remainder)."""
    rows = []
    for key, now in after.items():
        then = before.get(key, {"requests": 0.0, "seconds": 0.0, "cpu_seconds": 0.0})
        requests = now["requests"] - then["requests"]
        if requests <= 0:
            continue
        cpu = now["cpu_seconds"] - then["cpu_seconds"]
        rows.append(
            {
                "method": key[0],
                "route": key[1],
                "requests": int(requests),
                "cpu_ms_per_request": round(cpu / requests * 1000, 1),
                "ms_per_request": round((now["seconds"] - then["seconds"]) / requests * 1000, 1),
                "cpu_seconds": round(cpu, 2),
                "share_of_web_cpu": round(cpu / web_cpu_seconds, 3) if web_cpu_seconds else None,
            }
        )
    return sorted(rows, key=lambda row: -row["cpu_seconds"])


class CpuMeter:
    """Where a phase's CPU went: the seconds of CPU each part of the set-up
    used (gunicorn, the Celery workers, PostgreSQL, Redis, locust), read
    from every process about once a second while the phase runs, so that a
    process that ends during it (locust, a forked task) still counts up to
    its last reading."""

    def __init__(self, services: Services):
        self.services = services
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _part(self, process, sessions: dict[int, str]) -> str | None:
        try:
            name = process.name()
            if name.startswith(("postgres", "postmaster")):
                return "postgresql"
            if name.startswith("redis"):
                return "redis"
            part = sessions.get(os.getsid(process.pid))
            if part:
                return "celery" if part.startswith("worker") else part
            if "locust" in " ".join(process.cmdline()):
                return "locust"
        except (psutil.Error, ProcessLookupError):
            return None
        return None

    def _read(self, *, baseline: bool = False) -> None:
        """Every process's CPU so far. At the ``baseline`` reading it is
        where each process starts from; a process first seen later started
        during the phase, from nothing."""
        sessions = {
            os.getsid(p.pid): name
            for name, p in self.services.processes.items()
            if p.poll() is None
        }
        for process in psutil.process_iter():
            part = self._part(process, sessions)
            if part is None:
                continue
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            used = times.user + times.system
            self.first.setdefault(process.pid, used if baseline else 0.0)
            self.last[process.pid] = (part, used)

    def _run(self) -> None:
        while not self.stopping.wait(1.0):
            self._read()

    def __enter__(self) -> CpuMeter:
        self.started = time.monotonic()
        self._read(baseline=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.thread.join()
        self._read()
        self.seconds = time.monotonic() - self.started

    def report(self, requests: int) -> dict:
        """The CPU seconds and share of the machine of each part, and the
        machine's CPU per request (every part's, locust's too)."""
        parts: dict[str, float] = {}
        for pid, (part, used) in self.last.items():
            parts[part] = parts.get(part, 0.0) + used - self.first.get(pid, 0.0)
        cores = os.cpu_count() or 1
        return {
            "wall_seconds": round(self.seconds, 1),
            "cpu_seconds": {part: round(used, 1) for part, used in sorted(parts.items())},
            "share_of_machine": {
                part: round(used / (self.seconds * cores), 3)
                for part, used in sorted(parts.items())
            },
            "ms_per_request": round(sum(parts.values()) / requests * 1000, 1) if requests else None,
        }


def locust(
    host: str,
    classes: list[str],
    *,
    users: int,
    seconds: int,
    max_requests: int,
    prefix: str,
    fixtures: Path,
) -> dict:
    """One headless locust phase, ended by its time (``-t``) or at
    ``max_requests`` requests (the locustfile stops it); its final figures,
    in all and per request name, and which bound ended it."""
    result_file = VAR / f"{prefix}.json"
    result_file.unlink(missing_ok=True)
    env = {
        **os.environ,
        "LOADTEST_FIXTURES": str(fixtures),
        "LOADTEST_MAX_REQUESTS": str(max_requests),
        "LOADTEST_RESULT_FILE": str(result_file),
    }
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(Path(__file__).with_name("locustfile.py")),
            "--headless",
            "--host",
            host,
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            # Kept for a look over the phase (its _stats_history.csv); the
            # figures are the locustfile's, read at the end.
            "--csv",
            str(VAR / prefix),
            "--only-summary",
            "--exit-code-on-error",
            "0",
            "--loglevel",
            "WARNING",
            *classes,
        ],
        env=env,
        check=True,
        cwd=ROOT,
    )
    result = json.loads(result_file.read_text())
    return {
        "total": result["total"],
        "requests": result["requests"],
        "failures": result["failures"],
        "exceptions": result["exceptions"],
        "bound": {
            "ended": "cap" if result["at_cap"] else "time",
            "requests_counted": result["requests_counted"],
            "max_requests": max_requests,
            "seconds_limit": seconds,
            "seconds": result["seconds"],
        },
    }


def mixed_packs(reviews: list[int], since: datetime, ended: datetime) -> dict:
    """How many packs the mixed phase asked for, and how many the workers
    rendered before it ended: renders that waited until after it would have
    left the web processes the cores the phase meant them to share."""
    from reporting.models import GatePack

    asked = GatePack.objects.filter(review_id__in=reviews, requested_at__gte=since)
    return {
        "requested": asked.count(),
        "rendered_during_phase": asked.filter(generated_at__lte=ended).count(),
    }


def pack_rate(
    services: Services, reviews: list[int], warmups: list[int], token: str, workers: int
) -> dict:
    """The workers' throughput: ``len(reviews)`` packs queued at once, then
    rendered by ``workers`` Celery workers, timed from the first pack's start
    to the last pack's end (the workers' clock, this machine's).

    Before: the queue drained, and one untimed pack per worker (``warmups``:
    a worker's first pack loads WeasyPrint and its fonts). The workers stop
    consuming while the packs are requested (through the API, as a person
    would), so that the web process's work on the requests does not share
    the two cores with the renders it is compared across, and start again
    all at once. Progress is read from the database, not polled through the
    web server, for the same reason."""
    import urllib.request

    from config.celery import app
    from reporting.models import GatePack, PackStatus

    for n in range(1, 3):
        services.stop(f"worker{n}")
    for n in range(1, workers + 1):
        services.start_worker(n)
    names = [worker_name(n) for n in range(1, workers + 1)]
    base = f"http://127.0.0.1:{services.port}/api/v1"
    headers = {"Authorization": f"Token {token}"}

    def request_pack(review: int) -> int:
        url = f"{base}/reviews/{review}/packs/"
        request = urllib.request.Request(url, method="POST", headers=headers)
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())["id"]

    def wait_for(packs: list[int]) -> list[GatePack]:
        since = time.monotonic()
        done = [PackStatus.READY, PackStatus.FAILED]
        while time.monotonic() - since < 600:
            rows = list(GatePack.objects.filter(pk__in=packs))
            if all(p.status in done for p in rows):
                return rows
            time.sleep(0.25)
        return [p for p in GatePack.objects.filter(pk__in=packs) if p.status in done]

    # The queue empty first (the mixed phase's packs), then the warm-ups.
    since = time.monotonic()
    while GatePack.objects.filter(status__in=[PackStatus.QUEUED, PackStatus.RUNNING]).exists():
        if time.monotonic() - since > 600:
            break
        time.sleep(1)
    wait_for([request_pack(review) for review in warmups])

    queue = app.conf.task_default_queue
    paused = app.control.cancel_consumer(queue, destination=names, reply=True, timeout=10)
    if len(paused) < workers:
        print(f"load: only {len(paused)} of {workers} workers paused; they render as requested")
    packs = [request_pack(review) for review in reviews]
    with CpuMeter(services) as cpu:
        app.control.add_consumer(queue, destination=names, reply=True, timeout=10)
        finished = wait_for(packs)
    starts = [p.started_at for p in finished if p.started_at]
    ends = [p.generated_at for p in finished if p.generated_at]
    seconds = (max(ends) - min(starts)).total_seconds() if starts and ends else float("inf")
    # Each pack's own time, start to end: with two workers it grows by what
    # the two renders (and PostgreSQL) take from each other on the cores.
    renders = [
        (p.generated_at - p.started_at).total_seconds()
        for p in finished
        if p.started_at and p.generated_at
    ]
    return {
        "workers": workers,
        "packs": len(packs),
        "ready": sum(1 for p in finished if p.status == PackStatus.READY),
        "seconds": round(seconds, 1),
        "packs_per_minute": round(len(packs) / seconds * 60, 2),
        "seconds_per_pack": round(statistics.median(renders), 3) if renders else None,
        "cpu": cpu.report(len(packs)),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    VAR.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(VAR / "media", ignore_errors=True)
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    METRICS_DIR.mkdir()
    for log in VAR.glob("*.log"):
        log.unlink()
    max_requests = args.max_requests or MAX_REQUESTS_PER_SECOND * args.seconds
    fixtures, data_set = prepare(phase_packs=args.packs)
    fixtures_path = VAR / "fixtures.json"
    fixtures_path.write_text(json.dumps(fixtures))
    subprocess.run(
        ["redis-cli", "-n", REDIS_URL.rsplit("/", 1)[1], "flushdb"],
        check=False,
        capture_output=True,
    )

    services = Services(args.web_workers)
    try:
        services.start_web()
        services.check_personas(fixtures["people"])
        services.start_worker(1)
        services.start_worker(2)
        services.wait_for_workers(1, 2)
        services.deliver_backlog()
        host = f"http://127.0.0.1:{services.port}"
        print(
            f"load: gunicorn with {args.web_workers} workers on {host}, 2 Celery workers; "
            f"each locust phase {args.seconds} s or {max_requests:,} requests"
        )

        def locust_phase(prefix: str, classes: list[str]) -> dict:
            """One locust phase with the CPU each part used during it."""
            with CpuMeter(services) as cpu:
                figures = locust(
                    host,
                    classes,
                    users=args.users,
                    seconds=args.seconds,
                    max_requests=max_requests,
                    prefix=prefix,
                    fixtures=fixtures_path,
                )
            figures["cpu"] = cpu.report(figures["total"]["requests"])
            return figures

        ceiling = locust_phase("ceiling", ["Ceiling"])
        mixed_started = datetime.now(UTC)
        routes_before = route_figures(services.port)
        mixed = locust_phase(
            "mixed",
            [
                "PortfolioReader",
                "ReviewReader",
                "Approver",
                "Uploader",
                "PackRequester",
                "Executive",
            ],
        )
        mixed_ended = datetime.now(UTC)
        routes_after = route_figures(services.port)
        # The ceiling again, the mix between its two measures: this machine's
        # speed drifts over minutes, and the share is taken against both.
        services.wait_until_idle()
        ceiling_after = locust_phase("ceiling-after", ["Ceiling"])
        mixed["routes"] = route_costs(
            routes_before, routes_after, mixed["cpu"]["cpu_seconds"].get("gunicorn", 0.0)
        )
        mixed["packs"] = mixed_packs(fixtures["pack_reviews"], mixed_started, mixed_ended)
        token = fixtures["people"]["executive"]["token"]
        reviews = iter(fixtures["pack_phase_reviews"])
        warmups = iter(fixtures["pack_warmup_reviews"])
        pack_phases = [
            pack_rate(
                services,
                [next(reviews) for _ in range(args.packs)],
                [next(warmups) for _ in range(workers)],
                token,
                workers,
            )
            for workers in PACK_PHASES
        ]
    finally:
        services.stop_all()

    ceilings = (ceiling, ceiling_after)
    ceiling_rps = statistics.mean(phase["total"]["rps"] for phase in ceilings)
    share = mixed["total"]["rps"] / ceiling_rps if ceiling_rps else 0
    one = statistics.mean(p["packs_per_minute"] for p in pack_phases if p["workers"] == 1)
    two = statistics.mean(p["packs_per_minute"] for p in pack_phases if p["workers"] == 2)
    speedup = two / one if one else 0
    targets = {
        "no_errors": all(
            phase["total"]["errors"] == 0 and not phase["exceptions"]
            for phase in (*ceilings, mixed)
        ),
        "mixed_share_of_ceiling": round(share, 3),
        "mixed_at_least_40pct": share >= 0.40,
        "two_workers_speedup": round(speedup, 2),
        "two_workers_at_least_1_7x": speedup >= 1.7,
        "every_pack_ready": all(p["ready"] == p["packs"] for p in pack_phases),
    }
    print()
    print(
        f"data set: {data_set['use_cases']:,} use cases ({data_set['base_use_cases']:,} of the "
        f"base {data_set['base_database']}, {data_set['run_use_cases']} this run's)"
    )
    print(
        f"{'phase':<42} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50':>6} {'p95':>6} "
        f"{'p99':>6}  ended"
    )
    for label, phase in (
        (f"ceiling: GET {CEILING_PATH}", ceiling),
        ("mixed workload", mixed),
        ("ceiling again, after the mix", ceiling_after),
    ):
        t, bound = phase["total"], phase["bound"]
        ended = (
            f"at the cap, {bound['requests_counted']:,} requests in {bound['seconds']} s"
            if bound["ended"] == "cap"
            else f"on time, {bound['seconds']} s of {bound['seconds_limit']}"
        )
        print(
            f"{label:<42} {t['requests']:>8} {t['errors']:>6} {t['rps']:>7.1f} "
            f"{t['p50_ms']:>6.0f} {t['p95_ms']:>6.0f} {t['p99_ms']:>6.0f}  {ended}"
        )
    for name, t in sorted(mixed["requests"].items()):
        print(
            f"  {name:<40} {t['requests']:>8} {t['errors']:>6} {t['rps']:>7.1f} "
            f"{t['p50_ms']:>6.0f} {t['p95_ms']:>6.0f} {t['p99_ms']:>6.0f}"
        )
    print(f"ceiling ({CEILING_PATH}), the mean of the two: {ceiling_rps:.1f} requests/s")
    for label, phase in (
        ("ceiling", ceiling),
        ("mixed workload", mixed),
        ("ceiling after the mix", ceiling_after),
    ):
        cpu = phase["cpu"]
        split = ", ".join(
            f"{part} {seconds} s ({cpu['share_of_machine'][part]:.0%})"
            for part, seconds in cpu["cpu_seconds"].items()
        )
        print(
            f"CPU of the {label} phase ({cpu['wall_seconds']} s of {os.cpu_count()} cores): "
            f"{split}; {cpu['ms_per_request']} ms of CPU per request"
        )
    print("web CPU per request of each route in the mixed workload (the web processes' own):")
    for row in mixed["routes"]:
        print(
            f"  {row['method']:<6} {row['route']:<34} {row['requests']:>6} requests "
            f"{row['cpu_ms_per_request']:>7.1f} ms of CPU ({row['ms_per_request']:.0f} ms taken), "
            f"{row['share_of_web_cpu'] or 0:.0%} of the web CPU"
        )
    print(
        f"packs the mixed workload asked for: {mixed['packs']['requested']}, "
        f"rendered during it: {mixed['packs']['rendered_during_phase']}"
    )
    for phase in pack_phases:
        cpu = phase["cpu"]
        split = ", ".join(f"{part} {used} s" for part, used in cpu["cpu_seconds"].items())
        print(
            f"packs with {phase['workers']} worker(s): {phase['ready']}/{phase['packs']} ready "
            f"in {phase['seconds']} s ({phase['packs_per_minute']} per minute), "
            f"{phase['seconds_per_pack']} s each (median); CPU over {cpu['wall_seconds']} s: "
            f"{split}"
        )
    print(
        f"packs per minute: one worker {one:.1f}, two workers {two:.1f} (the means of "
        f"their phases), {speedup:.2f}x"
    )
    measured = [phase["cpu"]["ms_per_request"] for phase in ceilings]
    ceiling_ms = statistics.mean(measured) if all(measured) else None
    if ceiling_ms and mixed["cpu"]["ms_per_request"]:
        # Throughput on a saturated machine is its CPU over the CPU per
        # request: the share of the ceiling is the ratio of the two phases'.
        print(
            f"at 40% of the ceiling the mix would have {ceiling_ms / 0.4:.1f} ms of the machine's "
            f"CPU per request; it used {mixed['cpu']['ms_per_request']} ms"
        )
    print(f"\ntargets: {json.dumps(targets)}")
    for failure in mixed["failures"][:10]:
        print(f"  failure: {failure}")
    for exception in mixed["exceptions"][:10]:
        print(f"  exception in a persona: {exception}")
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "machine": {"cpus": os.cpu_count()},
        "settings": {
            "users": args.users,
            "seconds": args.seconds,
            "max_requests": max_requests,
            "web_workers": args.web_workers,
            "celery_workers": 2,
        },
        "data_set": data_set,
        # The trivial view the two ceiling phases requested (tests/load/urls.py).
        "ceiling_path": CEILING_PATH,
        "ceiling": ceiling,
        "ceiling_after": ceiling_after,
        "ceiling_rps": round(ceiling_rps, 1),
        "mixed": mixed,
        "packs": pack_phases,
        "packs_per_minute": {"one_worker": round(one, 2), "two_workers": round(two, 2)},
        "targets": targets,
    }
    args.output.write_text(json.dumps(report, indent=2))
    print(f"load: wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
