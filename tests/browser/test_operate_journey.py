"""A use case in operation at Scale: the lead sets a drift bound on its
accuracy KPI, records a measurement that breaks it, sees the Recertification
opened early by the breach, and (once the evidence and approvals are in)
decides Go in the browser; the operation page shows the next due date."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from gates.models import GateReview, ReviewTrigger
from readiness import services as readiness
from tests.browser.axe import assert_accessible
from tests.browser.conftest import login
from tests.factories import PASSWORD
from tests.gates.helpers import advance, approve_all, assess_all, upload_required
from usecases.models import Stage

pytestmark = pytest.mark.browser


def test_a_drift_breach_opens_a_recertification_decided_in_the_browser(
    page: Page, live_server, use_case, lead, sponsor, techlead, cio
) -> None:
    advance(use_case, lead, sponsor, 4)
    assert use_case.stage == Stage.SCALE and use_case.is_operating
    first_due = use_case.recertification_due_on
    kpi = readiness.kpi_create(
        use_case=use_case,
        by=lead,
        name="Accuracy",
        kind="leading",
        target="95",
        direction="higher",
        unit="%",
    )
    operation_url = f"{live_server.url}/use-cases/{use_case.pk}/operation/"

    # The lead sets the drift bound on the operation page.
    login(page, live_server, "lead", PASSWORD)
    page.goto(operation_url)
    expect(page.locator("#recertification-due")).to_contain_text(
        f"{first_due.day} {first_due:%b %Y}"
    )
    row = page.locator(f"#kpi{kpi.pk}")
    row.get_by_label("Drift operator of Accuracy").select_option(">=")
    row.get_by_label("Drift bound of Accuracy").fill("91")
    row.get_by_role("button", name="Set bound").click()
    expect(page.locator(f"#kpi{kpi.pk}")).to_contain_text("Accuracy ≥ 91%")
    assert_accessible(page)

    # A measurement below the bound, recorded on the readiness page.
    page.goto(f"{live_server.url}/use-cases/{use_case.pk}/readiness/")
    expect(page.locator("#timing")).to_contain_text("In operation. Recertification due on")
    row = page.locator(f"#kpi{kpi.pk}")
    row.get_by_label("Value of Accuracy").fill("88")
    row.get_by_label("Date measured for Accuracy").fill(timezone.localdate().isoformat())
    row.get_by_role("button", name="Record").click()
    expect(page.locator(f"#kpi{kpi.pk}")).to_contain_text("Recorded.")

    # The breach opened the Recertification early; the page says why.
    page.goto(operation_url)
    expect(page.locator("#open-recertification")).to_contain_text(
        "Drift breach on a monitored KPI: Accuracy 88% breaks Accuracy ≥ 91%"
    )
    expect(page.locator(f"#kpi{kpi.pk}")).to_contain_text("Breached")
    expect(page.locator("#breaches")).to_contain_text("Accuracy")
    expect(page.locator("#recertifications .trigger")).to_contain_text("Drift breach")
    assert_accessible(page)
    review = GateReview.objects.get(use_case=use_case, from_stage=Stage.SCALE)
    assert review.trigger == ReviewTrigger.DRIFT and review.chair == lead

    # The team's evidence and the approvals, with the services.
    upload_required(review, sponsor)
    assess_all(review, sponsor)
    from gates import services as gate_services

    gate_services.review_submit(review=review, by=sponsor)
    approve_all(review)

    # The chair decides Go in the browser.
    page.goto(f"{live_server.url}/reviews/{review.pk}/")
    panel = page.locator("#decision-panel")
    panel.locator("input[name=decision][value=go]").check()
    panel.locator("textarea[name=rationale]").fill("Retrained; accuracy back above the bound.")
    panel.get_by_role("button", name="Record decision").click()
    expect(page.locator("#decision")).to_contain_text("Go")

    use_case.refresh_from_db()
    assert use_case.stage == Stage.SCALE and use_case.is_operating
    due = use_case.recertification_due_on
    page.goto(operation_url)
    expect(page.locator("#recertification-due")).to_contain_text(f"{due.day} {due:%b %Y}")
    expect(page.locator("#recertifications")).to_contain_text("Go")
    expect(page.locator("#open-recertification")).to_have_count(0)
