"""What waits on each person is the first thing they see: the chair finds
under "Awaiting my decision" the review whose approvers have all voted; the
sponsor finds under "Preparing" the review the lead just opened, with what
blocks it; an executive lands on the dashboard, where the late review is
marked late. My work with every queue filled passes axe."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from gates import queues, services
from tests.browser.axe import assert_accessible
from tests.browser.conftest import JOURNEY_PASSWORD, login
from tests.factories import BusinessUnitFactory, UseCaseFactory, UserFactory
from tests.gates.helpers import approve_all, make_submitted_review
from usecases.models import OrgRole

pytestmark = pytest.mark.browser

DAY = datetime.timedelta(days=1)


def person(username: str, first: str, last: str, *roles: str):
    user = UserFactory(username=username, first_name=first, last_name=last, org_roles=list(roles))
    user.set_password(JOURNEY_PASSWORD)
    user.save()
    return user


@pytest.fixture
def people(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.READINESS_GATE3_CHECKLIST_REQUIRED = False
    return {
        "lead": person("lead", "Lena", "Lead", OrgRole.PROGRAM_LEAD),
        "sponsor": person("sponsor", "Sam", "Sponsor"),
        "techlead": person("techlead", "Tara", "Tech"),
        "exec": person("exec", "Eve", "Exec", OrgRole.EXECUTIVE),
        "dana": person("dana", "Dana", "Delegate"),
    }


def case(people, title: str):
    return UseCaseFactory(
        title=title,
        business_unit=BusinessUnitFactory(name="Claims Operations", code="claims"),
        sponsor=people["sponsor"],
        technical_lead=people["techlead"],
    )


def test_the_chair_finds_the_review_whose_approvers_all_voted(
    page: Page, live_server, people
) -> None:
    lead, sponsor = people["lead"], people["sponsor"]
    waiting = make_submitted_review(case(people, "Fraud scoring"), lead, sponsor)
    ready = make_submitted_review(case(people, "Claims triage assistant"), lead, sponsor)
    approve_all(ready)

    login(page, live_server, "lead", JOURNEY_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    queue = page.locator("#queue-decisions")
    expect(queue.locator("h2")).to_contain_text("Awaiting my decision")
    expect(queue.locator(".queue-count")).to_have_text("2")
    row = queue.locator(f"#decision-{ready.pk}")
    expect(row).to_contain_text("2 approved, 0 pending")
    expect(row).to_contain_text("Go possible now")
    expect(row).to_contain_text("waiting 0 days")
    expect(queue.locator(f"#decision-{waiting.pk}")).to_contain_text("Go not possible yet")

    row.get_by_role("link", name="Claims triage assistant").click()
    expect(page).to_have_url(f"{live_server.url}/reviews/{ready.pk}/")
    expect(page.locator("h1")).to_contain_text("Gate 1")
    expect(page.locator("#decision-panel")).to_be_visible()


def test_the_sponsor_finds_the_review_that_just_opened_and_what_blocks_it(
    pages, live_server, people
) -> None:
    use_case = case(people, "Claims triage assistant")
    planned = timezone.localdate() + 14 * DAY

    lead_page = pages(live_server, "lead")
    lead_page.goto(f"{live_server.url}/use-cases/{use_case.pk}/open-review/")
    lead_page.get_by_label("Planned gate date").fill(planned.isoformat())
    lead_page.get_by_role("button", name="Open Gate 1 review").click()
    expect(lead_page.locator("#planned-date")).to_contain_text(planned.strftime("%-d %b %Y"))
    review = use_case.reviews.get()

    sponsor_page = pages(live_server, "sponsor")
    expect(sponsor_page).to_have_url(f"{live_server.url}/")
    queue = sponsor_page.locator("#queue-preparing")
    expect(queue.locator(".queue-count")).to_have_text("1")
    row = queue.locator(f"#preparing-{review.pk}")
    expect(row).to_contain_text("Claims triage assistant")
    expect(row).to_contain_text("Business unit sponsor")
    expect(row).to_contain_text(planned.strftime("%-d %b %Y"))
    first_blocker = services.submission_blockers(review)[0]
    assert first_blocker.startswith("Missing artifact:")
    expect(row).to_contain_text(first_blocker)
    row.get_by_role("link", name="Claims triage assistant").click()
    expect(sponsor_page).to_have_url(f"{live_server.url}/reviews/{review.pk}/")


def test_an_executive_lands_on_the_dashboard_where_the_late_review_is_late(
    page: Page, live_server, people
) -> None:
    lead = people["lead"]
    # Opened five days ago for a gate meeting the day after: late today.
    with time_machine.travel(timezone.now() - 5 * DAY, tick=False):
        late = services.review_open(
            use_case=case(people, "Claims triage assistant"),
            by=lead,
            planned_date=timezone.localdate() + DAY,
        )
    on_time = services.review_open(
        use_case=case(people, "Fraud scoring"),
        by=lead,
        planned_date=timezone.localdate() + 10 * DAY,
    )

    login(page, live_server, "exec", JOURNEY_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/dashboard/")
    expect(page.locator("#upcoming-late")).to_have_text("1 late")
    expect(page.locator(f"#upcoming-{late.pk} .late")).to_have_text("late")
    expect(page.locator(f"#upcoming-{on_time.pk} .late")).to_have_count(0)
    # My work stays one click away.
    page.get_by_role("link", name="My work").click()
    expect(page).to_have_url(f"{live_server.url}/my-work/")
    expect(page.locator("#queue-decisions")).to_contain_text("No review you chair")


def test_my_work_with_every_queue_filled_is_accessible(page: Page, live_server, people) -> None:
    lead, sponsor = people["lead"], people["sponsor"]
    today = timezone.localdate()
    # Awaiting my decision and my approval: submitted, the lead's seat pending.
    make_submitted_review(case(people, "Fraud scoring"), lead, sponsor)
    # Preparing, late: opened three days ago for the day after.
    with time_machine.travel(timezone.now() - 3 * DAY, tick=False):
        services.review_open(
            use_case=case(people, "Claims triage assistant"),
            by=lead,
            planned_date=timezone.localdate() + DAY,
        )
    # Conditions I own: a Conditional Go with a condition on the lead.
    decided = make_submitted_review(case(people, "Subrogation finder"), lead, sponsor)
    approve_all(decided)
    services.gate_decide(
        review=decided,
        by=lead,
        decision="conditional_go",
        rationale="Go, once the data agreement is signed.",
        conditions=[{"description": "Sign the DPA", "owner": lead, "due_date": today}],
    )
    # My delegations.
    services.delegation_create(
        by=lead, delegate=people["dana"], starts_on=today, ends_on=today + DAY, reason="Leave."
    )

    login(page, live_server, "lead", JOURNEY_PASSWORD)
    for queue in ("decisions", "pending-approvals", "preparing", "conditions", "delegations"):
        name = queue if queue == "pending-approvals" else f"queue-{queue}"
        expect(page.locator(f"#{name} tbody tr")).not_to_have_count(0)
    expect(page.locator("#queue-preparing .late")).to_have_text("late")
    # The five people, and the risk officer who decided the classifications.
    assert get_user_model().objects.count() == 6
    assert_accessible(page)


def test_a_long_queue_shows_its_oldest_and_pages_through_the_rest(
    page: Page, live_server, people, monkeypatch
) -> None:
    monkeypatch.setattr(queues, "QUEUE_ROWS_SHOWN", 2)
    monkeypatch.setattr(queues, "QUEUE_PAGE_SIZE", 2)
    lead, sponsor = people["lead"], people["sponsor"]
    reviews = []
    for days, title in ((3, "Fraud scoring"), (2, "Claims triage assistant"), (1, "Churn radar")):
        with time_machine.travel(timezone.now() - days * DAY, tick=False):
            reviews.append(make_submitted_review(case(people, title), lead, sponsor))

    login(page, live_server, "lead", JOURNEY_PASSWORD)
    decisions = page.locator("#queue-decisions")
    expect(decisions.locator(".queue-count")).to_have_text("3")
    expect(decisions.locator("tbody tr")).to_have_count(2)
    expect(decisions.locator(f"#decision-{reviews[2].pk}")).to_have_count(0)  # the newest
    expect(decisions.locator("#more-decisions")).to_contain_text("The 2 oldest of 3.")
    decisions.get_by_role("link", name="All 3").click()

    expect(page).to_have_url(f"{live_server.url}/my-work/decisions/")
    expect(page.get_by_text("3 wait on you, oldest first.")).to_be_visible()
    expect(page.locator("#queue-decisions tbody tr")).to_have_count(2)
    expect(page.locator(".pagination")).to_contain_text("Page 1 of 2")
    assert_accessible(page)
    page.get_by_role("link", name="Newer →").click()
    row = page.locator(f"#decision-{reviews[2].pk}")
    expect(row).to_contain_text("Churn radar")
    row.get_by_role("link", name="Decide").click()
    expect(page).to_have_url(f"{live_server.url}/reviews/{reviews[2].pk}/#decision-panel")
