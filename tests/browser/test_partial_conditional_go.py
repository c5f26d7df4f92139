"""A must-meet criterion only partially met, in the browser: the sponsor
approves with a condition on it, the chair sees that Conditional Go is open,
adopts the sponsor's condition, records the gate meeting and decides; the use
case moves on with a tracked condition on that criterion."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from gates import services
from gates.models import AssessmentStatus, GateCondition, GateReview
from tests.browser.axe import assert_accessible
from tests.browser.conftest import JOURNEY_PASSWORD
from tests.factories import classify
from tests.gates.helpers import assess_all, upload_required
from usecases.models import BusinessUnit, MemberRole, OrgRole, Stage, UseCase, UseCaseMember

pytestmark = pytest.mark.browser


def test_a_partially_met_criterion_goes_through_as_conditional_go(
    pages, live_server, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    User = get_user_model()
    lead = User.objects.create_user(
        username="lead", password=JOURNEY_PASSWORD, first_name="Lena", last_name="Lead"
    )
    lead.groups.add(Group.objects.get(name=OrgRole.PROGRAM_LEAD))
    sponsor = User.objects.create_user(
        username="sponsor", password=JOURNEY_PASSWORD, first_name="Sam", last_name="Sponsor"
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
    review = services.review_open(use_case=use_case, by=lead)
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    partial = review.criteria.filter(must_meet=True).order_by("order", "id").first()
    services.criterion_assess(
        review=review,
        criterion=partial,
        by=sponsor,
        status=AssessmentStatus.PARTIALLY_MET,
        evidence="Two of three data sources signed off.",
    )
    services.review_submit(review=review, by=sponsor)
    due = timezone.localdate() + datetime.timedelta(days=30)

    # The sponsor approves with a condition on the partially met criterion.
    sponsor_page = pages(live_server, "sponsor")
    sponsor_page.goto(f"{live_server.url}/reviews/{review.pk}/")
    approvals = sponsor_page.locator("#approvals")
    approvals.locator("input[name=decision][value=approve_with_conditions]").check()
    approvals.get_by_label("Proposed condition 1", exact=True).fill(
        "The third data source is signed off."
    )
    approvals.get_by_label("Owner of proposed condition 1").select_option(str(sponsor.pk))
    approvals.get_by_label("Due date of proposed condition 1").fill(due.isoformat())
    approvals.get_by_label("Criterion proposed condition 1 answers").select_option(str(partial.pk))
    approvals.get_by_role("button", name="Record my decision").click()
    expect(sponsor_page.locator("#proposed-conditions")).to_contain_text("awaiting the chair")

    # The chair approves; Go stays closed, Conditional Go is open.
    lead_page = pages(live_server, "lead")
    lead_page.goto(f"{live_server.url}/reviews/{review.pk}/")
    lead_page.locator("#approvals input[name=decision][value=approve]").check()
    lead_page.locator("#approvals").get_by_role("button", name="Record my decision").click()
    panel = lead_page.locator("#decision-panel")
    expect(panel.locator("#go-blockers")).to_contain_text("is partially met")
    expect(panel.locator("#conditional-go-open")).to_contain_text(partial.name)
    assert_accessible(lead_page)

    # The chair adopts the sponsor's condition and records the meeting.
    panel.locator("input[name=decision][value=conditional_go]").check()
    panel.locator("textarea[name=rationale]").fill("The third source follows within the month.")
    panel.get_by_label("The third data source is signed off.", exact=False).check()
    panel.get_by_label("Minutes").fill("Sam presented the data sign-offs; one remains.")
    panel.get_by_role("button", name="Record decision").click()
    expect(lead_page.locator("#decision")).to_contain_text("Conditional Go")
    expect(lead_page.locator("#meeting-record")).to_contain_text(
        "Sam presented the data sign-offs; one remains."
    )
    expect(lead_page.locator("#conditions")).to_contain_text(f"Answers “{partial.name}”")

    use_case.refresh_from_db()
    assert use_case.stage == Stage.POC
    condition = GateCondition.objects.get(review=review)
    assert (condition.criterion_id, condition.owner_id) == (partial.pk, sponsor.pk)
    assert GateReview.objects.get(pk=review.pk).meeting_attendees.filter(pk=lead.pk).exists()
