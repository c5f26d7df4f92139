"""A real S3-compatible server on loopback (moto's standalone server, the
whole S3 API over HTTP in a process of its own) and the settings that point
the application's storage at it."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import boto3
import pytest

# A real worker on a private Redis, as the fault tests start one.
from tests.faults.conftest import celery_worker, redis_server  # noqa: F401

# A pack rendered for real, in this process (into the object store where the
# test puts the default storage there first).
from tests.reporting.conftest import ready_pack, ready_pack_row  # noqa: F401

ACCESS_KEY = "stagegate-test"
SECRET_KEY = "stagegate-test-secret"
REGION = "eu-central-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ObjectStore:
    """moto's server on a free port, with one bucket of the test's own."""

    def __init__(self, log_path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.bucket = f"stagegate-{uuid.uuid4().hex[:12]}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> ObjectStore:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = self.log_path.read_text()
                    raise RuntimeError(f"the S3 server did not start:\n{log}") from None
                time.sleep(0.1)
        self.client().create_bucket(
            Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def object_keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket)
        return sorted(entry["Key"] for entry in listed.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client().get_object(Bucket=self.bucket, Key=key)["Body"].read()

    @property
    def environment(self) -> dict[str, str]:
        """The settings, as the environment of another process sets them."""
        return {
            "S3_BUCKET": self.bucket,
            "S3_ENDPOINT_URL": self.url,
            "S3_REGION": REGION,
            "S3_ACCESS_KEY_ID": ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "S3_PREFIX": "media",
        }

    def use_with(self, settings, **options) -> None:
        """Make this store the default storage, with ``options`` in place of
        the ones it has (another bucket, another prefix)."""
        base = self.storage_settings
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {**base, "OPTIONS": {**base["OPTIONS"], **options}},
        }

    @property
    def storage_settings(self) -> dict:
        return {
            "BACKEND": "core.object_storage.ObjectStorage",
            "OPTIONS": {
                "bucket_name": self.bucket,
                "endpoint_url": self.url,
                "region_name": REGION,
                "access_key": ACCESS_KEY,
                "secret_key": SECRET_KEY,
                "location": "media",
                "default_acl": None,
                "file_overwrite": False,
                "querystring_auth": True,
                "querystring_expire": 300,
            },
        }


class DelayingProxy:
    """A TCP proxy on a free loopback port to ``port`` that holds each chunk
    a client sends for ``delay_s`` before passing it on (the answers pass
    straight back): a store further away, or a slow one. ``sent`` counts the
    chunks passed on: a request each, for requests without a body.

    With ``only`` (b"GET "), only the chunks that begin with it are held, the
    rest pass at once: a store that answers a HEAD and takes a GET without
    answering it. ``held`` counts the chunks that were held: a try each.

    With ``answers_after`` (bytes), a connection's answers stop once that
    many have passed back (the rest is dropped), the connection left open: a
    store that stops answering part-way through a large body."""

    def __init__(
        self, port: int, delay_s: float, *, only: bytes = b"", answers_after: int | None = None
    ):
        self.sent = 0
        self.held = 0
        bound: list[int] = []
        loop = asyncio.new_event_loop()

        async def pipe(reader, writer, to_store: bool) -> None:
            answered = 0
            try:
                while data := await reader.read(65536):
                    if to_store:
                        if data.startswith(only):
                            self.held += 1
                            await asyncio.sleep(delay_s)
                        self.sent += 1
                    elif answers_after is not None:
                        if answered >= answers_after:
                            continue
                        data = data[: answers_after - answered]
                        answered += len(data)
                    writer.write(data)
                    await writer.drain()
            except ConnectionError:
                pass
            finally:
                writer.close()

        async def relay(reader, writer) -> None:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
            await asyncio.gather(
                pipe(reader, upstream_writer, True), pipe(upstream_reader, writer, False)
            )

        async def serve() -> None:
            server = await asyncio.start_server(relay, "127.0.0.1", 0)
            bound.append(server.sockets[0].getsockname()[1])
            async with server:
                await server.serve_forever()

        threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True).start()
        deadline = time.monotonic() + 10
        while not bound:
            assert time.monotonic() < deadline, "the proxy did not start"
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{bound[0]}"


def interrupted(
    command: list[str], store: ObjectStore, *, after: int = 3, twice: bool = False
) -> subprocess.CompletedProcess:
    """``manage.py *command`` in a process of its own on the test database
    (the test needs ``transactional_db``), its store 0.5 s away a chunk
    (``DelayingProxy``), sent SIGINT as Ctrl-C sends it once ``after``
    chunks have gone out to the store (a request each without a body; a
    PUT's headers and body may be two). With ``twice``, Ctrl-C again once it
    has said it was interrupted, while it waits for the files on their way."""
    from tests.workers import app_environment

    proxy = DelayingProxy(store.port, 0.5)
    env = app_environment(
        "redis://127.0.0.1:1/0", {**store.environment, "S3_ENDPOINT_URL": proxy.url}
    )
    # Its output to files, buffered, as an operator's `> log` or `| tee` has it.
    env.pop("PYTHONUNBUFFERED", None)
    with tempfile.TemporaryDirectory() as logs:
        out, err = Path(logs, "out"), Path(logs, "err")
        with out.open("w") as stdout, err.open("w") as stderr:
            run = subprocess.Popen(
                [sys.executable, "manage.py", *command],
                cwd=Path(__file__).resolve().parents[2],
                env=env,
                stdout=stdout,
                stderr=stderr,
            )
        try:
            _wait_until(lambda: proxy.sent >= after, run, err, "the command to reach the store")
            run.send_signal(signal.SIGINT)
            if twice:
                _wait_until(lambda: "Interrupted." in err.read_text(), run, err, "its report")
                assert run.poll() is None, "it did not wait for the files on their way"
                run.send_signal(signal.SIGINT)
            run.wait(timeout=30)
        finally:
            run.kill()
        return subprocess.CompletedProcess(
            run.args, run.returncode, out.read_text(), err.read_text()
        )


def _wait_until(done, run: subprocess.Popen, err: Path, what: str) -> None:
    """``done()`` while ``run`` still runs (else its stderr says why not)."""
    from tests.workers import wait_for

    def running_and_done() -> bool:
        assert run.poll() is None, err.read_text()
        return done()

    wait_for(running_and_done, timeout=60, interval=0.05, what=what)


def on_store_events(storage, event: str, handler) -> None:
    """``handler(**kwargs)`` at botocore's ``event`` ("before-call.s3") of
    each request ``storage`` sends from now on, from this thread and from
    every thread that opens its own connection to the store after this (the
    storage commands' ``--jobs``)."""
    # Each connection copies its session's handlers when it is made: this
    # thread's is made, the others' are not yet.
    storage.connection.meta.client.meta.events.register(event, handler)
    new_session = storage._create_session

    def observed_session():
        session = new_session()
        session.events.register(event, handler, unique_id=f"test-{id(handler)}")
        return session

    storage._create_session = observed_session


def sent_together(storage, operation: str, together: int = 4) -> list[str]:
    """The keys of ``operation`` ("GetObject") that ``storage`` asks for from
    now on. The first ``together`` requests wait for each other before they
    go out (20 s at most), so they fail unless that many are sent at once."""
    barrier = threading.Barrier(together, timeout=20)
    counting = threading.Lock()
    keys: list[str] = []

    def wait_for_the_others(params, **kwargs) -> None:
        with counting:
            keys.append(params["Key"])
            among_the_first = len(keys) <= together
        if among_the_first:
            barrier.wait()

    on_store_events(storage, f"before-parameter-build.s3.{operation}", wait_for_the_others)
    return keys


def store_requests(storage) -> list[str]:
    """The S3 operations ``storage`` sends from now on, as the store receives
    them (botocore's own event, before each call goes out), from every thread."""
    sent: list[str] = []
    on_store_events(storage, "before-call.s3", lambda model, **kwargs: sent.append(model.name))
    return sent


@pytest.fixture
def object_store(tmp_path):
    store = ObjectStore(tmp_path / "s3.log").start()
    yield store
    store.stop()


@pytest.fixture
def on_object_store(object_store, settings, tmp_path):
    """This process's default storage is the object store; its MEDIA_ROOT is a
    directory of its own, which must stay empty."""
    object_store.use_with(settings)
    settings.MEDIA_ROOT = tmp_path / "web-disk"
    return object_store
