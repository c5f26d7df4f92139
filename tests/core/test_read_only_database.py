"""A failover that leaves the application's connection on a standby not yet
promoted: PostgreSQL refuses every write ("cannot execute ... in a read-only
transaction", SQLSTATE 25006). That is the database not answering for a
moment, a 503 to retry that changes nothing, as a restart is
(tests/core/test_database_restart.py), not a 500."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import connection

from gates.models import ApprovalDecision

pytestmark = [
    pytest.mark.postgres("read-only transactions are PostgreSQL's"),
    # Each request's transaction starts read-only, as on a standby.
    pytest.mark.django_db(transaction=True),
]

UNAVAILABLE = "The database is unavailable for a moment; try again in a few seconds."


@contextmanager
def read_only():
    """Every transaction of the connection read-only: what a standby
    answers to every write. The in-process requests share the connection."""
    with connection.cursor() as cursor:
        cursor.execute("SET default_transaction_read_only = on")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = off")


def test_a_write_refused_by_a_read_only_database_is_a_503_that_changes_nothing(
    api_as, client_as, sponsor, submitted_review
):
    browser = client_as(sponsor)  # signed in (a session row) before
    with read_only():
        response = api_as(sponsor).post(
            f"/api/v1/reviews/{submitted_review.pk}/approvals/",
            {"decision": "approve"},
            format="json",
        )
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert response.json()["detail"] == UNAVAILABLE
        seat = submitted_review.approvers.get(user=sponsor)
        assert seat.decision == ApprovalDecision.PENDING

        # Reading still works; the page's form to approve answers the same 503.
        assert browser.get(f"/reviews/{submitted_review.pk}/").status_code == 200
        page = browser.post(
            f"/reviews/{submitted_review.pk}/approval/", {"decision": "approve", "comment": ""}
        )
        assert page.status_code == 503
        assert UNAVAILABLE in page.content.decode()
        seat.refresh_from_db()
        assert seat.decision == ApprovalDecision.PENDING
    # Once writes are taken again, the same approval is recorded.
    response = api_as(sponsor).post(
        f"/api/v1/reviews/{submitted_review.pk}/approvals/", {"decision": "approve"}, format="json"
    )
    assert response.status_code == 200
    seat.refresh_from_db()
    assert seat.decision == ApprovalDecision.APPROVE
