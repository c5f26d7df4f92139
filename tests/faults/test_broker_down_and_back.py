"""The broker (Redis) goes down while people work: every action still
answers, the events wait in the outbox and the pack request in its row. Once
Redis is back and beat's periodic tasks run, every event is delivered once,
every notification exists once and the pack is generated once."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

from core import events
from core.models import OutboxEvent
from notifications.models import Kind, Notification
from reporting.models import GatePack, PackStatus
from tests.workers import WORKER_TEST, run_as_beat, wait_for

SET_UP_KINDS = (
    Kind.REVIEW_OPENED,
    Kind.RISK_CLASSIFICATION_PROPOSED,
    Kind.RISK_CLASSIFICATION_DECIDED,
)

pytestmark = WORKER_TEST

TIMEOUT_S = 60
# The requeue hands over a pack that never reached the broker as soon as beat
# runs it (10 minutes in production, so a hand-over in flight is not doubled).
WORKER_ENV = {"REPORTING_REQUEUE_AFTER_MINUTES": "0", "LOG_FORMAT": "json", "LOG_LEVEL": "INFO"}
# The id of the click that asks for the pack while the broker is down.
REQUEST_ID = "0f5e7c2a9b8d4e3f8a7b6c5d4e3f2a1b"


def test_actions_answer_while_redis_is_down_and_take_effect_once_when_it_is_back(
    celery_worker,
    redis_server,
    submitted_review,
    lead,
    sponsor,
    techlead,
    contributor,
    executive,
    api_as,
    client_as,
):
    review = submitted_review
    celery_worker.start(**WORKER_ENV)
    earlier_events = set(OutboxEvent.objects.values_list("pk", flat=True))
    earlier_notifications = set(Notification.objects.values_list("pk", flat=True))

    redis_server.stop()

    # The approvers approve, the chair decides Go, asks for the gate pack and
    # opens the next gate's review: each answers as usual.
    for person in (sponsor, lead):
        response = api_as(person).post(
            f"/api/v1/reviews/{review.pk}/approvals/", {"decision": "approve"}, format="json"
        )
        assert response.status_code == 200, response.content
    response = api_as(lead).post(
        f"/api/v1/reviews/{review.pk}/decision/",
        {"decision": "go", "rationale": "Evidence holds."},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["decision"]) == ("decided", "go")
    response = api_as(lead).post(
        f"/api/v1/reviews/{review.pk}/packs/", HTTP_X_REQUEST_ID=REQUEST_ID
    )
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    assert response.json()["message"] == "queued; it will be generated when the task queue is back"
    pack_id = response.json()["id"]
    response = api_as(lead).post(
        f"/api/v1/use-cases/{review.use_case_id}/reviews/", {}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["gate_number"] == 2

    # Nothing reached a worker: the events wait in the outbox, the pack in its row.
    waiting = OutboxEvent.objects.exclude(pk__in=earlier_events)
    assert Counter(waiting.values_list("name", flat=True)) == {
        events.APPROVAL_RECORDED: 2,
        events.GATE_DECIDED: 1,
        events.REVIEW_OPENED: 1,
    }
    assert not waiting.filter(delivered_at__isnull=False).exists()
    assert not Notification.objects.exclude(pk__in=earlier_notifications).exists()
    pack = GatePack.objects.get(pk=pack_id)
    assert (pack.status, pack.enqueued_at) == (PackStatus.QUEUED, None)

    # Redis is back; beat runs the outbox delivery and the requeue.
    redis_server.start()
    run_as_beat("core.deliver_outbox", "reporting.requeue_stale_packs")

    def settled() -> bool:
        celery_worker.assert_alive()
        return (
            GatePack.objects.filter(pk=pack_id, status=PackStatus.READY).exists()
            and OutboxEvent.objects.filter(name=events.PACK_READY).exists()
            and not OutboxEvent.objects.filter(delivered_at__isnull=True).exists()
        )

    wait_for(
        settled,
        timeout=TIMEOUT_S,
        interval=0.3,
        what="the events to be delivered and the pack generated",
        details=celery_worker.log_text,
    )

    # The requeue handed the pack over under the id of the click that asked
    # for it: its rendering logs under that id, not under the requeue's.
    rendering = [
        record
        for line in celery_worker.log_text().splitlines()
        if line.startswith("{") and (record := json.loads(line)).get("correlation_id") == REQUEST_ID
    ]
    assert any(
        "reporting.generate_gate_pack" in r["message"] and "succeeded" in r["message"]
        for r in rendering
    ), rendering

    # Every event delivered, each on its first and only attempt.
    delivered = OutboxEvent.objects.exclude(pk__in=earlier_events)
    assert Counter(delivered.values_list("name", "attempts")) == {
        (events.APPROVAL_RECORDED, 1): 2,
        (events.GATE_DECIDED, 1): 1,
        (events.REVIEW_OPENED, 1): 1,
        (events.PACK_READY, 1): 1,
    }

    # Each person's inbox has each notification once.
    def inbox_kinds(person) -> Counter:
        response = api_as(person).get("/api/v1/notifications/")
        assert response.status_code == 200
        # The reviews' openings and the risk classifications, told as the
        # fixture built the history, are not this story.
        return Counter(
            n["kind"]
            for n in response.json()["results"]
            if n["id"] not in earlier_notifications and n["kind"] not in SET_UP_KINDS
        )

    assert inbox_kinds(lead) == {Kind.APPROVAL_RECORDED: 1, Kind.PACK_READY: 1}
    for person in (sponsor, techlead, contributor):
        assert inbox_kinds(person) == {Kind.GATE_DECIDED: 1}, person.username

    # The pack was generated once, on the first run, and the executive reads it.
    detail = api_as(lead).get(f"/api/v1/packs/{pack_id}/").json()
    assert detail["status"] == "ready"
    assert GatePack.objects.get(pk=pack_id).attempts == 1
    download = client_as(executive).get(f"/packs/{pack_id}/download/")
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert body.startswith(b"%PDF-")
    assert hashlib.sha256(body).hexdigest() == detail["sha256"]
