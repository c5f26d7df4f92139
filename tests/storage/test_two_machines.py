"""One portfolio served by two web processes and two Celery workers, each on
a disk of its own, as on separate machines: what one process writes (an
upload, a pack) the others read, through the object store only.

Real processes on loopback: two gunicorn servers, two Celery workers, moto's
S3 server and a private Redis. The workers take turns (the first stops
before the second starts), so that each pack has a known author."""

from __future__ import annotations

import requests
from knox.models import AuthToken

from gates.models import Artifact
from tests.factories import UseCaseFactory
from tests.gates.helpers import files_under, make_submitted_review
from tests.workers import WORKER_TEST, CeleryWorker, WebServer, wait_for

pytestmark = WORKER_TEST

TIMEOUT_S = 90


class Api:
    """One person's API calls, by token, to one web process."""

    def __init__(self, web: WebServer, token: str):
        self.web = web
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.web.url + path, timeout=30)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.session.post(self.web.url + path, timeout=30, **kwargs)


def _ready_pack(api: Api, pack_id: int, worker: CeleryWorker) -> dict:
    done = wait_for(
        lambda: (
            (body := api.get(f"/api/v1/packs/{pack_id}/").json())["status"] in ("ready", "failed")
            and body
        ),
        timeout=TIMEOUT_S,
        interval=0.3,
        what=f"pack {pack_id} to be rendered",
        details=worker.log_text,
    )
    assert done["status"] == "ready", (done, worker.log_text())
    return done


def test_two_web_processes_and_two_workers_on_their_own_disks_serve_one_portfolio(
    redis_server, broker, object_store, decided_review, lead, sponsor, tmp_path
):
    broker(redis_server.url)
    disks = {name: tmp_path / f"disk-{name}" for name in ("web1", "web2", "worker1", "worker2")}
    for disk in disks.values():
        disk.mkdir()

    def on(name: str) -> dict[str, str]:
        return {**object_store.environment, "MEDIA_ROOT": str(disks[name])}

    logs = tmp_path / "logs"
    logs.mkdir()
    webs = [
        WebServer(broker_url=redis_server.url, log_dir=logs, env=on(name), name=name)
        for name in ("web1", "web2")
    ]
    workers = [
        CeleryWorker(broker_url=redis_server.url, log_dir=logs / name, env=on(name), name=name)
        for name in ("worker1", "worker2")
    ]
    for worker in workers:
        worker.log_dir.mkdir()
    second_review = make_submitted_review(UseCaseFactory(sponsor=sponsor), lead, sponsor)
    lead_token, sponsor_token = (AuthToken.objects.create(user)[1] for user in (lead, sponsor))
    try:
        for web in webs:
            web.start()
        lead_on = [Api(web, lead_token) for web in webs]
        sponsor_on = [Api(web, sponsor_token) for web in webs]

        # Both web processes list the same portfolio.
        listed = [api.get("/api/v1/use-cases/").json()["results"] for api in lead_on]
        assert listed[0] == listed[1]
        assert {row["id"] for row in listed[0]} >= {
            decided_review.use_case_id,
            second_review.use_case_id,
        }

        # An upload through the first comes back whole through the second.
        use_case = decided_review.use_case_id
        kind = decided_review.artifact_requirements.select_related("artifact_type")[0]
        body = b"# Evidence\n\nWritten through web1, read through web2.\n"
        uploaded = sponsor_on[0].post(
            f"/api/v1/use-cases/{use_case}/artifacts/",
            data={"artifact_type": kind.artifact_type.code, "note": "two machines"},
            files={"file": ("evidence.md", body, "text/markdown")},
        )
        assert uploaded.status_code == 201, uploaded.text
        download = sponsor_on[1].get(uploaded.json()["download_url"])
        assert download.status_code == 200
        assert download.content == body

        # A pack asked for through the second web process, rendered by the
        # first worker, downloads through the first web process; then the
        # same with the second worker, the first one stopped.
        pdfs = []
        for worker, review, ask, fetch in (
            (workers[0], decided_review, lead_on[1], lead_on[0]),
            (workers[1], second_review, lead_on[0], lead_on[1]),
        ):
            worker.start()
            requested = ask.post(f"/api/v1/reviews/{review.pk}/packs/")
            assert requested.status_code == 202, requested.text
            pack = _ready_pack(fetch, requested.json()["id"], worker)
            pdf = fetch.get(f"/api/v1/packs/{pack['id']}/download/")
            assert pdf.status_code == 200
            assert pdf.content.startswith(b"%PDF")
            assert pdf.content == ask.get(f"/api/v1/packs/{pack['id']}/download/").content
            pdfs.append(pdf.content)
            worker.stop()
        assert pdfs[0] != pdfs[1]

        keys = object_store.object_keys()
        assert sum(key.endswith(".pdf") for key in keys) == 2
        stored = Artifact.objects.get(pk=uploaded.json()["id"]).file.name
        assert f"media/{stored}" in keys
        # No process kept a copy on its own disk.
        for name, disk in disks.items():
            assert files_under(disk) == [], name
    finally:
        for worker in workers:
            worker.stop()
        for web in webs:
            web.stop()
