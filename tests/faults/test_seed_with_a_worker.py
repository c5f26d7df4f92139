"""The demo seed on a deployment (docker-compose.yml: `docker compose exec
web python manage.py seed_demo`): a worker delivers the history's events
while the seed plays it, and a mail server is configured. None of the
history reaches the mail server; the decision taken after it does."""

from __future__ import annotations

import subprocess
import sys

from django.contrib.auth import get_user_model
from django.db.models import F

from gates.models import ReviewApprover
from notifications.models import EmailStatus, Notification
from tests.workers import (
    ROOT,
    WORKER_TEST,
    app_environment,
    run_as_beat,
    wait_for,
    wait_until_worker_caught_up,
)

pytestmark = WORKER_TEST

TIMEOUT_S = 60


def test_a_seed_beside_a_worker_emails_none_of_its_history(celery_worker, smtp_server, api_as):
    mail = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_server.port), "EMAIL_USE_TLS": "0"}
    celery_worker.start(**mail)

    seeded = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"],
        cwd=ROOT,
        env=app_environment(celery_worker.broker_url, mail),
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert seeded.returncode == 0, seeded.stderr[-3000:]
    assert "Created 28 demo use cases in 4 units." in seeded.stdout
    assert "still being delivered" not in seeded.stderr
    # What the worker still has queued runs, then beat's e-mail delivery.
    run_as_beat("notifications.deliver_pending_emails")
    wait_until_worker_caught_up(timeout=TIMEOUT_S, details=celery_worker.log_text)
    celery_worker.assert_alive()
    assert Notification.objects.count() > 300
    assert set(Notification.objects.values_list("email_status", flat=True)) == {EmailStatus.SKIPPED}
    assert smtp_server.messages == []

    seat = (
        ReviewApprover.objects.filter(review__status="submitted", decision="pending")
        .exclude(user=F("review__chair"))
        .select_related("review__chair", "user")
        .first()
    )
    response = api_as(seat.user).post(
        f"/api/v1/reviews/{seat.review_id}/approvals/", {"decision": "approve"}, format="json"
    )
    assert response.status_code == 200, response.content

    chair = get_user_model().objects.get(pk=seat.review.chair_id)
    wait_for(
        lambda: any(chair.email in m.rcpt_tos for m in smtp_server.messages),
        timeout=TIMEOUT_S,
        what="the chair's e-mail of the approval",
        details=celery_worker.log_text,
    )
    assert all(chair.email in m.rcpt_tos for m in smtp_server.messages)
