"""Seats in the browser: the sponsor is away, so the chair gives the sponsor
seat of a submitted Gate 1 review to Carl Cio; Carl goes travelling and
delegates his seats to Dana Delegate, who approves for him; the page shows
"Dana Delegate for Carl Cio" and the chair records Go."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from gates import services
from gates.models import ReviewApprover
from tests.browser.conftest import JOURNEY_PASSWORD
from tests.factories import classify
from tests.gates.helpers import assess_all, upload_required
from usecases.models import BusinessUnit, MemberRole, OrgRole, Stage, UseCase, UseCaseMember

pytestmark = pytest.mark.browser

PASSWORD = JOURNEY_PASSWORD


def test_a_delegate_approves_for_the_seat_the_chair_reassigned(
    pages, live_server, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    User = get_user_model()

    def person(username: str, first: str, last: str, group: str | None = None):
        user = User.objects.create_user(
            username=username, password=PASSWORD, first_name=first, last_name=last
        )
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user

    lead = person("lead", "Lena", "Lead", OrgRole.PROGRAM_LEAD)
    sponsor = person("sponsor", "Sam", "Sponsor")
    cio = person("cio", "Carl", "Cio", OrgRole.CIO_CTO)
    person("dana", "Dana", "Delegate")
    unit = BusinessUnit.objects.create(name="Claims Operations", code="claims")
    use_case = UseCase.objects.create(
        title="Claims triage assistant",
        summary="Route incoming claims to the right handler.",
        business_unit=unit,
        created_by=sponsor,
    )
    UseCaseMember.objects.create(use_case=use_case, user=sponsor, role=MemberRole.SPONSOR)
    classify(use_case)  # Gate 1 needs the risk classification decided
    review = services.review_open(use_case=use_case, by=lead)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    services.review_submit(review=review, by=sponsor)
    sponsor_seat = ReviewApprover.objects.get(review=review, user=sponsor)

    # The chair gives the sponsor seat to Carl Cio, with a reason.
    lead_page = pages(live_server, "lead")
    lead_page.goto(f"{live_server.url}/reviews/{review.pk}/")
    row = lead_page.locator(f"#approver-{sponsor_seat.pk}")
    row.get_by_role("link", name="Reassign").click()
    row.locator("input[name=user__search]").fill("carl")
    expect(row.locator(f'select[name=user] option[value="{cio.pk}"]')).to_have_count(1)
    row.locator("select[name=user]").select_option(str(cio.pk))
    row.locator("textarea[name=reason]").fill("Sam is on parental leave.")
    row.get_by_role("button", name="Reassign the seat").click()
    expect(row).to_contain_text("Carl Cio")
    expect(row.locator(".badge")).to_have_text("Pending")
    expect(lead_page.locator("#go-blockers")).to_contain_text("Carl Cio has not approved yet.")

    # Carl delegates his seats to Dana from the delegations page.
    today = timezone.localdate()
    cio_page = pages(live_server, "cio")
    cio_page.get_by_role("link", name="Delegations").click()
    form = cio_page.locator("#delegation-new")
    form.get_by_label("Find a person").fill("dana")
    expect(form.get_by_label("Who decides for you").locator("optgroup")).to_have_count(1)
    form.get_by_label("Who decides for you").select_option(label="Dana Delegate (dana)")
    form.get_by_label("From").fill(today.isoformat())
    form.get_by_label("Until (inclusive)").fill((today + datetime.timedelta(days=7)).isoformat())
    form.get_by_label("Reason").fill("Travelling to the regional offices.")
    form.get_by_role("button", name="Delegate").click()
    expect(cio_page.locator("#delegations-given")).to_contain_text("Dana Delegate")
    expect(cio_page.locator("#delegations-given")).to_contain_text("Active")

    # Dana decides in Carl's seat.
    dana_page = pages(live_server, "dana")
    dana_page.get_by_role("link", name="Delegations").click()
    expect(dana_page.locator("#delegations-received")).to_contain_text("Carl Cio")
    dana_page.goto(f"{live_server.url}/reviews/{review.pk}/")
    approvals = dana_page.locator("#approvals")
    expect(approvals).to_contain_text("You decide for Carl Cio")
    approvals.locator("input[name=decision][value=approve]").check()
    approvals.get_by_role("button", name="Record the decision for Carl Cio").click()
    expect(approvals.locator(f"#approver-{sponsor_seat.pk}")).to_contain_text(
        "Dana Delegate for Carl Cio"
    )

    # The chair approves, sees who decided for whom, and records Go.
    lead_page.reload()
    expect(lead_page.locator(f"#approver-{sponsor_seat.pk}")).to_contain_text(
        "Dana Delegate for Carl Cio"
    )
    approvals = lead_page.locator("#approvals")
    approvals.locator("input[name=decision][value=approve]").check()
    approvals.get_by_role("button", name="Record my decision").click()
    expect(lead_page.locator("#decision-panel")).to_contain_text("Go can be recorded")
    panel = lead_page.locator("#decision-panel")
    panel.locator("input[name=decision][value=go]").check()
    panel.locator("textarea[name=rationale]").fill("Value and data confirmed.")
    panel.get_by_role("button", name="Record decision").click()
    expect(lead_page.locator("#decision")).to_contain_text("Go")

    # The audit trail says who did what.
    lead_page.goto(f"{live_server.url}/use-cases/{use_case.pk}/audit/")
    expect(lead_page.locator("#audit-table")).to_contain_text(
        "Reassigned the Business unit sponsor seat from Sam Sponsor to Carl Cio"
    )
    expect(lead_page.locator("#audit-table")).to_contain_text(
        "Dana Delegate for Carl Cio: Approved"
    )
    use_case.refresh_from_db()
    assert use_case.stage == Stage.POC
