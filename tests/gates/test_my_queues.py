"""My work's queues (gates.queues.my_queues): what waits on each person,
oldest first, with ageing and the due or planned date; the same data on the
page and at GET /api/v1/me/queues/, in a fixed number of queries."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gates import queues, services
from gates.models import GateCondition
from gates.queues import my_queues
from tests.factories import UseCaseFactory, UserFactory
from tests.gates.helpers import (
    approve_all,
    assess_all,
    isolate,
    make_open_review,
    make_submitted_review,
    upload_required,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
# The same bound at every size. Measured: the page 17 (session and user, the
# nine reads of the queues, my use cases and their prefetches, the landing
# rule's groups, the notification bell), the API 9; with the expired evidence
# and the Gate 1 risk classifications of the preparing reviews (one bulk read
# each) the page is 19 and the API 11; the custom field definitions (one
# read, for the required ones) make the page 20 and the API 12; the holders
# who delegated to me read before my seats, and the decision queue's counts
# read for its rows shown, make them 22 and 14.
HOME_MAX_QUERIES = 22
API_MAX_QUERIES = 14


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    isolate(settings, tmp_path)


def later(days: int):
    return time_machine.travel(timezone.now() + days * DAY, tick=False)


# --- Awaiting my decision --------------------------------------------------------------


def test_the_chair_sees_submitted_reviews_with_the_approvals_in(
    lead, sponsor, use_case, business_unit, techlead
):
    first = make_submitted_review(use_case, lead, sponsor)
    other = UseCaseFactory(
        title="Fraud scoring", business_unit=business_unit, sponsor=sponsor, technical_lead=techlead
    )
    with later(2):
        second = make_submitted_review(other, lead, sponsor)
        approve_all(second)
        services.review_reschedule(
            review=second, by=lead, planned_date=timezone.localdate(), reason="Booked."
        )
    with later(5):
        rows = my_queues(lead).decisions

    assert [r.review for r in rows] == [first, second]  # oldest first
    assert [r.waiting_days for r in rows] == [5, 3]
    assert (rows[0].approved, rows[0].pending, rows[0].go_possible) == (0, 2, False)
    assert (rows[1].approved, rows[1].pending, rows[1].go_possible) == (2, 0, True)
    assert rows[1].due is not None and rows[1].late  # planned 3 days ago
    assert not rows[0].late
    assert my_queues(sponsor).decisions == []


def test_a_rejection_or_an_unmet_must_meet_criterion_means_no_go(lead, sponsor, use_case):
    review = make_open_review(use_case, lead)
    upload_required(review, sponsor)
    assess_all(review, sponsor, status="not_met")
    services.review_submit(review=review, by=sponsor)
    approve_all(review)
    [row] = my_queues(lead).decisions
    assert row.approved == 2 and not row.go_possible


# --- Awaiting my approval ------------------------------------------------------------


def test_approvers_see_their_seats_and_those_of_who_delegated_to_them(lead, sponsor, cio, use_case):
    review = make_submitted_review(use_case, lead, sponsor)
    dana = UserFactory(username="dana", first_name="Dana", last_name="Delegate")
    services.delegation_create(
        by=sponsor,
        delegate=dana,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + 3 * DAY,
        reason="Leave.",
    )
    with later(1):
        [mine] = my_queues(sponsor).approvals
        [theirs] = my_queues(dana).approvals
    assert mine.review == review and mine.for_holder is None and mine.waiting_days == 1
    assert theirs.review == review and theirs.for_holder == sponsor
    services.approval_record(review=review, approver=sponsor, decision="approve")
    assert my_queues(sponsor).approvals == []
    assert my_queues(cio).approvals == []


# --- Preparing -----------------------------------------------------------------------


def test_the_team_and_the_chair_see_open_reviews_with_what_blocks_them(
    lead, sponsor, techlead, contributor, buhead, outsider, use_case
):
    review = services.review_open(
        use_case=use_case, by=lead, planned_date=timezone.localdate() + DAY
    )
    for person in (lead, sponsor, techlead, contributor):
        [row] = my_queues(person).preparing
        assert row.review == review
        assert row.blockers == services.submission_blockers(review)
        assert any(b.startswith("Missing artifact:") for b in row.blockers)
    assert my_queues(lead).preparing[0].my_roles == ["Chair"]
    assert my_queues(sponsor).preparing[0].my_roles == ["Business unit sponsor"]
    assert my_queues(buhead).preparing == []  # heads the unit, not on the team
    assert my_queues(outsider).preparing == []

    upload_required(review, sponsor)
    [row] = my_queues(sponsor).preparing
    assert not any(b.startswith("Missing artifact:") for b in row.blockers)
    assert row.blockers == services.submission_blockers(review)
    with later(3):
        [row] = my_queues(sponsor).preparing
    assert row.late and row.waiting_days == 3

    assess_all(review, sponsor)
    assert my_queues(sponsor).preparing[0].blockers == []
    services.review_submit(review=review, by=sponsor)
    assert my_queues(sponsor).preparing == []


# --- Conditions I own ----------------------------------------------------------------


def test_condition_owners_see_their_open_conditions_overdue_after_the_due_date(
    lead, sponsor, techlead, use_case
):
    review = make_submitted_review(use_case, lead, sponsor)
    approve_all(review)
    today = timezone.localdate()
    services.gate_decide(
        review=review,
        by=lead,
        decision="conditional_go",
        rationale="Go with conditions.",
        conditions=[
            {"description": "Drift alerting", "owner": techlead, "due_date": today + 2 * DAY},
            {"description": "Train the users", "owner": techlead, "due_date": today + 9 * DAY},
            {"description": "Sign the DPA", "owner": sponsor, "due_date": today + 9 * DAY},
        ],
    )
    with later(4):
        rows = my_queues(techlead).conditions
    assert [r.condition.description for r in rows] == ["Drift alerting", "Train the users"]
    assert [r.late for r in rows] == [True, False]
    assert rows[0].waiting_days == 4
    services.condition_close(
        condition=GateCondition.objects.get(description="Drift alerting"),
        by=techlead,
        note="Alerting live.",
    )
    assert [r.condition.description for r in my_queues(techlead).conditions] == ["Train the users"]


# --- My delegations --------------------------------------------------------------------


def test_delegations_given_and_received_active_or_scheduled(sponsor, cio, techlead):
    today = timezone.localdate()
    active = services.delegation_create(
        by=cio, delegate=sponsor, starts_on=today, ends_on=today + 2 * DAY, reason="Away."
    )
    scheduled = services.delegation_create(
        by=sponsor,
        delegate=techlead,
        starts_on=today + 5 * DAY,
        ends_on=today + 6 * DAY,
        reason="Leave.",
    )
    revoked = services.delegation_create(
        by=sponsor, delegate=cio, starts_on=today, ends_on=today + DAY, reason="Travel."
    )
    services.delegation_revoke(delegation=revoked, by=sponsor)
    rows = my_queues(sponsor).delegations
    assert [(r.delegation, r.given, r.state) for r in rows] == [
        (active, False, "active"),
        (scheduled, True, "scheduled"),
    ]
    with later(3):
        assert [r.delegation for r in my_queues(sponsor).delegations] == [scheduled]


# --- The page and the endpoint: same data, fixed queries ----------------------------------


def fill(lead, sponsor, techlead, business_unit, size: int) -> None:
    """``size`` use cases where the sponsor is on the team and the lead
    chairs: a third open, a third submitted, a third decided with a condition
    the sponsor owns; and a delegation each way."""
    today = timezone.localdate()
    for i in range(size):
        case = UseCaseFactory(
            title=f"Case {size}-{i}",
            business_unit=business_unit,
            sponsor=sponsor,
            technical_lead=techlead,
        )
        if i % 3 == 0:
            review = make_open_review(case, lead)
            services.review_reschedule(review=review, by=lead, planned_date=today, reason="Set.")
        elif i % 3 == 1:
            make_submitted_review(case, lead, sponsor)
        else:
            review = make_submitted_review(case, lead, sponsor)
            approve_all(review)
            services.gate_decide(
                review=review,
                by=lead,
                decision="conditional_go",
                rationale="With a condition.",
                conditions=[{"description": f"Condition {i}", "owner": sponsor, "due_date": today}],
            )


@pytest.mark.parametrize("size", [3, 12])
def test_my_work_and_the_endpoint_read_in_fixed_queries(
    client_as,
    api_as,
    lead,
    sponsor,
    techlead,
    cio,
    business_unit,
    size,
    django_assert_max_num_queries,
):
    fill(lead, sponsor, techlead, business_unit, size)
    today = timezone.localdate()
    services.delegation_create(
        by=cio, delegate=sponsor, starts_on=today, ends_on=today + DAY, reason="Away."
    )
    for person in (sponsor, lead):
        client = client_as(person)
        client.get("/my-work/")  # warm the session
        with later(1), django_assert_max_num_queries(HOME_MAX_QUERIES):
            response = client.get("/")
        assert response.status_code == 200
        with later(1), django_assert_max_num_queries(API_MAX_QUERIES):
            api = api_as(person).get("/api/v1/me/queues/")
        assert api.status_code == 200
    html = response.content.decode()  # the lead's
    body = api.json()
    thirds = [len(range(k, size, 3)) for k in range(3)]
    assert len(body["preparing"]) == thirds[0]
    assert len(body["decisions"]) == thirds[1]
    assert html.count('id="preparing-') == thirds[0]
    assert html.count('id="decision-') == thirds[1]
    assert html.count(">late</span>") == thirds[0]
    sponsor_body = api_as(sponsor).get("/api/v1/me/queues/").json()
    assert len(sponsor_body["approvals"]) == thirds[1]
    assert len(sponsor_body["conditions"]) == thirds[2]
    assert len(sponsor_body["delegations"]) == 1


def test_the_endpoint_says_what_the_page_says(client_as, api_as, lead, sponsor, use_case):
    review = services.review_open(
        use_case=use_case, by=lead, planned_date=timezone.localdate() + DAY
    )
    with later(3):
        body = api_as(sponsor).get("/api/v1/me/queues/").json()
        page = client_as(sponsor).get("/").content.decode()
    [row] = body["preparing"]
    assert row["review"]["id"] == review.pk
    assert row["review"]["use_case_title"] == "Claims triage assistant"
    assert row["review"]["url"] == f"/reviews/{review.pk}/"
    assert row["waiting_days"] == 3
    assert row["late"] is True
    assert row["due"] == (timezone.localdate() + DAY).isoformat()
    assert row["my_roles"] == ["Business unit sponsor"]
    assert row["blockers"] == services.submission_blockers(review)
    assert body["decisions"] == body["approvals"] == body["conditions"] == []
    assert f'id="preparing-{review.pk}"' in page
    assert "waiting 3 days" in page
    assert row["blockers"][0] in page
    assert "No review you chair waits for your decision." in page
    assert "Nothing waits for your approval." in page
    assert "You own no open gate condition." in page


def test_the_endpoint_needs_a_signed_in_caller(api, db):
    assert api.get("/api/v1/me/queues/").status_code in (401, 403)


# --- A long queue: its oldest rows on My work, all of it on its own page --------------


def oldest_first(rows) -> list[int]:
    return [row["review"]["id"] for row in rows]


def test_my_work_shows_the_oldest_rows_of_a_long_queue_and_counts_them_all(
    client_as, api_as, lead, sponsor, techlead, business_unit, monkeypatch
):
    """At two sizes the lead's queues are longer than what My work shows:
    the oldest of 2, then the 3 oldest of 6. More rows are shown at the
    second and the queries are the same: one count per long queue at both,
    where a query per row would be two more for each queue."""
    client, api = client_as(lead), api_as(lead)
    counts = []
    waiting = 0  # in each of the lead's decisions and preparing queues
    for size, shown in ((6, 1), (12, 3)):
        monkeypatch.setattr(queues, "QUEUE_ROWS_SHOWN", shown)
        fill(lead, sponsor, techlead, business_unit, size)
        waiting += size // 3
        client.get("/my-work/")  # warm: the session, the bell
        api.get("/api/v1/me/queues/")
        with CaptureQueriesContext(connection) as page_queries:
            html = client.get("/my-work/").content.decode()
        with CaptureQueriesContext(connection) as api_queries:
            body = api.get("/api/v1/me/queues/").json()
        counts.append((len(page_queries), len(api_queries)))
        everything = api.get("/api/v1/me/queues/decisions/").json()
        assert everything["count"] == waiting
        totals = body["totals"]
        assert (totals["decisions"], totals["preparing"]) == (waiting, waiting)
        assert totals["conditions"] == totals["delegations"] == 0
        # The oldest shown, the rest one click away.
        oldest = oldest_first(everything["results"])[:shown]
        assert oldest_first(body["decisions"]) == oldest
        assert html.count('id="decision-') == shown
        assert all(f'id="decision-{pk}"' in html for pk in oldest)
        assert f'<span class="badge badge-pending queue-count">{waiting}</span>' in html
        more = f"The oldest of {waiting}." if shown == 1 else f"The {shown} oldest of {waiting}."
        assert more in html
        assert f'<a href="/my-work/decisions/">All {waiting}</a>' in html
        assert html.count('id="preparing-') == shown
        assert '<a href="/my-work/preparing/">' in html
        assert "/my-work/conditions/" not in html  # an empty queue links nowhere
    assert counts[1] == counts[0], counts


def test_a_queues_own_page_lists_all_of_it_oldest_first_a_page_at_a_time(
    client_as,
    api_as,
    lead,
    sponsor,
    techlead,
    business_unit,
    monkeypatch,
    django_assert_max_num_queries,
):
    monkeypatch.setattr(queues, "QUEUE_PAGE_SIZE", 3)
    fill(lead, sponsor, techlead, business_unit, 12)  # 4 awaiting the lead's decision
    order = oldest_first(api_as(lead).get("/api/v1/me/queues/decisions/").json()["results"])
    assert len(order) == 4
    client = client_as(lead)
    first = client.get("/my-work/decisions/")
    assert first.status_code == 200
    html = first.content.decode()
    assert [f'id="decision-{pk}"' in html for pk in order] == [True, True, True, False]
    assert "4 wait on you, oldest first." in html
    assert "Page 1 of 2" in html
    assert "The oldest of" not in html
    second = client.get("/my-work/decisions/?page=2").content.decode()
    assert f'id="decision-{order[3]}"' in second
    assert second.count('id="decision-') == 1
    # A page past the end shows the last; a queue that is not one is not found.
    assert f'id="decision-{order[3]}"' in client.get("/my-work/decisions/?page=9").content.decode()
    assert client.get("/my-work/everything/").status_code == 404
    # Each person's queue is their own: the technical lead has no seat.
    sponsor_page = client_as(sponsor).get("/my-work/approvals/").content.decode()
    assert sponsor_page.count('id="approval-') == 3
    assert "Nothing waits for your approval." in (
        client_as(techlead).get("/my-work/approvals/").content.decode()
    )
    with django_assert_max_num_queries(HOME_MAX_QUERIES):
        assert client.get("/my-work/preparing/").status_code == 200


@pytest.mark.parametrize(
    "queue", ["decisions", "approvals", "preparing", "conditions", "delegations"]
)
def test_each_queue_endpoint_pages_what_my_work_shows(
    api_as, lead, sponsor, techlead, cio, business_unit, queue
):
    fill(lead, sponsor, techlead, business_unit, 6)
    today = timezone.localdate()
    services.delegation_create(
        by=cio, delegate=sponsor, starts_on=today, ends_on=today + DAY, reason="Away."
    )
    summary = api_as(sponsor).get("/api/v1/me/queues/").json()
    answer = api_as(sponsor).get(f"/api/v1/me/queues/{queue}/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == summary["totals"][queue] == len(summary[queue])
    assert body["results"] == summary[queue]
    assert body["next"] is None
    assert api_as(sponsor).get(f"/api/v1/me/queues/{queue}/?page=2").status_code == 404
