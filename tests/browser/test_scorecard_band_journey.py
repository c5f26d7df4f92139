"""Gate 2 with a PoC scored 20/30, in the browser: the chair sees Go refused
by the scorecard and Conditional Go open with a condition naming the item
scored 1, adds that condition and records Conditional Go."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from gates.models import Decision, GateCondition, GateReview
from readiness.models import ScorecardItem
from tests.browser.axe import assert_accessible
from tests.browser.conftest import JOURNEY_PASSWORD
from tests.factories import BusinessUnitFactory, UseCaseFactory, UserFactory
from tests.gates.helpers import advance, ready_for_decision, score_poc
from usecases.models import OrgRole, Stage

pytestmark = pytest.mark.browser


def test_the_chair_records_conditional_go_within_the_band(
    pages, live_server, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # The risk assessments uploaded today (valid 12 months) count as expiring.
    settings.EVIDENCE_EXPIRY_NOTICE_DAYS = 400
    User = get_user_model()
    lead = User.objects.create_user(
        username="lead", password=JOURNEY_PASSWORD, first_name="Lena", last_name="Lead"
    )
    lead.groups.add(Group.objects.get(name=OrgRole.PROGRAM_LEAD))
    sponsor = User.objects.create_user(
        username="sponsor", password=JOURNEY_PASSWORD, first_name="Sam", last_name="Sponsor"
    )
    techlead = UserFactory(username="techlead", first_name="Tara", last_name="Tech")
    buhead = UserFactory(username="buhead", first_name="Bea", last_name="Head")
    unit = BusinessUnitFactory(
        name="Claims Operations", code="claims", head=buhead, members=[sponsor]
    )
    use_case = UseCaseFactory(
        title="Claims triage assistant",
        business_unit=unit,
        sponsor=sponsor,
        technical_lead=techlead,
    )
    advance(use_case, lead, sponsor, 1)
    review = ready_for_decision(use_case, lead, sponsor)
    assert review.gate_number == 2
    items = list(ScorecardItem.objects.filter(is_active=True).order_by("order", "id"))
    score_poc(use_case, lead, [4, 3, 1, 4, 4, 4])  # 20/30, one item scored 1
    low = items[2].name

    page = pages(live_server, "lead")
    page.goto(f"{live_server.url}/reviews/{review.pk}/")
    panel = page.locator("#decision-panel")
    expect(panel.locator("#go-blockers")).to_contain_text(
        "The PoC scorecard scores 20/30: the scorecard allows Conditional Go only."
    )
    expect(panel.locator("#conditional-go-needs")).to_contain_text(
        f"Add a condition naming “{low}” (scored 1)."
    )
    expect(panel.locator("#band-help")).to_be_visible()
    assert_accessible(page)

    due = timezone.localdate() + datetime.timedelta(days=30)
    panel.locator("input[name=decision][value=conditional_go]").check()
    panel.locator("textarea[name=rationale]").fill("The PoC holds; one item to raise first.")
    panel.get_by_label("Condition 1", exact=True).fill(f"Raise {low} to 3 before the pilot.")
    panel.get_by_label("Owner of condition 1").select_option(str(sponsor.pk))
    panel.get_by_label("Due date of condition 1").fill(due.isoformat())
    panel.get_by_role("button", name="Record decision").click()
    expect(page.locator("#decision")).to_contain_text("Conditional Go")
    expect(page.locator("#conditions")).to_contain_text(f"Raise {low} to 3 before the pilot.")

    use_case.refresh_from_db()
    assert use_case.stage == Stage.PILOT
    assert GateReview.objects.get(pk=review.pk).decision == Decision.CONDITIONAL_GO
    assert GateCondition.objects.get(review=review).owner_id == sponsor.pk

    # The evidence that expires within the notice window, on the use case page
    # and on the dashboard.
    page.goto(f"{live_server.url}/use-cases/{use_case.pk}/")
    expect(page.locator("#expiring-evidence + ul")).to_contain_text(
        "Preliminary risk assessment v1"
    )
    assert_accessible(page)
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("section#expiring-evidence")).to_contain_text(
        "Preliminary risk assessment v1"
    )
    assert_accessible(page)
