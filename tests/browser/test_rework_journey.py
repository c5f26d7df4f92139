"""The rework loop and the carried-over recycle in the browser.

(a) The chair returns a submitted Gate 1 review with a reason; the sponsor
reads the notice, changes an assessment and resubmits; both approvers vote
again and the chair records Go.
(b) Gate 1 is decided Recycle; the chair opens the next review; the sponsor
finds the criteria carried over, marked, with their evidence, assesses one
again and its mark goes."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from gates import services
from gates.models import GateReview, ReviewStatus
from tests.browser.axe import assert_accessible
from tests.browser.conftest import JOURNEY_PASSWORD
from tests.factories import classify
from tests.gates.helpers import assess_all, upload_required
from usecases.models import BusinessUnit, MemberRole, OrgRole, Stage, UseCase, UseCaseMember

pytestmark = pytest.mark.browser

PASSWORD = JOURNEY_PASSWORD


def people_and_use_case():
    User = get_user_model()
    lead = User.objects.create_user(
        username="lead", password=PASSWORD, first_name="Lena", last_name="Lead"
    )
    lead.groups.add(Group.objects.get(name=OrgRole.PROGRAM_LEAD))
    sponsor = User.objects.create_user(
        username="sponsor", password=PASSWORD, first_name="Sam", last_name="Sponsor"
    )
    unit = BusinessUnit.objects.create(name="Claims Operations", code="claims")
    use_case = UseCase.objects.create(
        title="Claims triage assistant",
        summary="Route incoming claims to the right handler.",
        business_unit=unit,
        created_by=sponsor,
    )
    UseCaseMember.objects.create(use_case=use_case, user=sponsor, role=MemberRole.SPONSOR)
    classify(use_case)  # Gate 1 needs the risk classification decided
    return lead, sponsor, use_case


def approve(page: Page) -> None:
    approvals = page.locator("#approvals")
    approvals.locator("input[name=decision][value=approve]").check()
    approvals.get_by_role("button", name="Record my decision").click()
    expect(approvals).to_contain_text("(you)")


def test_the_chair_returns_a_review_and_the_team_reworks_it(
    pages, live_server, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    lead, sponsor, use_case = people_and_use_case()
    review = services.review_open(use_case=use_case, by=lead)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    services.review_submit(review=review, by=sponsor)
    services.approval_record(review=review, approver=sponsor, decision="approve")
    criterion = review.criteria.order_by("order").first()

    # The chair sends it back with a reason.
    lead_page = pages(live_server, "lead")
    lead_page.goto(f"{live_server.url}/reviews/{review.pk}/")
    panel = lead_page.locator("#return-panel")
    panel.get_by_label("Why it goes back to the team").fill(
        "The business value needs the baseline figures."
    )
    panel.get_by_role("button", name="Return for rework").click()
    expect(lead_page.locator("h1 + .badge")).to_contain_text("Open")
    expect(lead_page.locator("#return-notice")).to_contain_text(
        "by Lena Lead: The business value needs the baseline figures. (round 1)"
    )
    assert_accessible(lead_page)

    # The sponsor reads the notice, reworks one assessment and resubmits.
    sponsor_page = pages(live_server, "sponsor")
    sponsor_page.goto(f"{live_server.url}/reviews/{review.pk}/")
    expect(sponsor_page.locator("#return-notice")).to_contain_text("Returned for rework on")
    expect(sponsor_page.locator("#approvals")).not_to_contain_text("Approved")
    row = sponsor_page.locator(f"#criterion-{criterion.pk}")
    row.get_by_role("link", name="Assess").click()
    row.locator("select[name=status]").select_option("met")
    row.locator("textarea[name=evidence]").fill("Baseline: 14 min per claim on 400 claims.")
    row.get_by_role("button", name="Save assessment").click()
    expect(sponsor_page.locator(f"#criterion-{criterion.pk}")).to_contain_text(
        "Baseline: 14 min per claim"
    )
    sponsor_page.get_by_role("button", name="Submit for approval").click()
    expect(sponsor_page.locator("h1 + .badge")).to_contain_text("Submitted")
    expect(sponsor_page.locator("#return-notice")).to_have_count(0)

    # Both approvers vote again; the chair records Go.
    approve(sponsor_page)
    lead_page.goto(f"{live_server.url}/reviews/{review.pk}/")
    approve(lead_page)
    decision = lead_page.locator("#decision-panel")
    expect(decision).to_contain_text("Go can be recorded")
    decision.locator("input[name=decision][value=go]").check()
    decision.locator("textarea[name=rationale]").fill("The baseline holds.")
    decision.get_by_role("button", name="Record decision").click()
    expect(lead_page.locator("#decision")).to_contain_text("Go")

    use_case.refresh_from_db()
    review.refresh_from_db()
    assert use_case.stage == Stage.POC
    assert (review.rework_count, review.status) == (1, ReviewStatus.DECIDED)


def test_the_next_review_after_recycle_starts_from_the_carried_assessments(
    pages, live_server, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    lead, sponsor, use_case = people_and_use_case()
    old = services.review_open(use_case=use_case, by=lead)
    upload_required(old, sponsor)
    assess_all(old, sponsor)
    services.gate_decide(
        review=old, by=lead, decision="recycle", rationale="Sharpen the business case."
    )

    # The chair opens the next Gate 1 review.
    lead_page = pages(live_server, "lead")
    lead_page.goto(f"{live_server.url}/use-cases/{use_case.pk}/")
    lead_page.get_by_role("button", name="Open Gate 1 review").click()
    lead_page.wait_for_url(re.compile(rf"/reviews/(?!{old.pk}/)\d+/$"))
    new = GateReview.objects.exclude(pk=old.pk).get(use_case=use_case)

    # The sponsor finds the criteria carried over, with their evidence.
    sponsor_page = pages(live_server, "sponsor")
    sponsor_page.goto(f"{live_server.url}/reviews/{new.pk}/")
    expect(sponsor_page.locator("#carried-from")).to_contain_text(f"review #{old.pk}")
    criteria = list(new.criteria.order_by("order"))
    first = sponsor_page.locator(f"#criterion-{criteria[0].pk}")
    expect(first).to_contain_text(f"Carried over from review #{old.pk}, assessed by Sam Sponsor on")
    expect(first).to_contain_text(f"{criteria[0].name}")
    expect(first).to_contain_text("Checked.")
    expect(sponsor_page.locator(".carried-over")).to_have_count(len(criteria))
    assert_accessible(sponsor_page)

    # Assessed again, the mark goes.
    first.get_by_role("link", name="Assess").click()
    first.locator("select[name=status]").select_option("met")
    first.locator("textarea[name=evidence]").fill("Value re-estimated with finance.")
    first.get_by_role("button", name="Save assessment").click()
    row = sponsor_page.locator(f"#criterion-{criteria[0].pk}")
    expect(row).to_contain_text("Value re-estimated with finance.")
    expect(row.locator(".carried-over")).to_have_count(0)
    expect(sponsor_page.locator(".carried-over")).to_have_count(len(criteria) - 1)
