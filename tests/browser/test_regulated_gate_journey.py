"""The lead opens Gate 3 for an EU AI Act high-risk use case: the page says
beforehand which extra evidence it will face and why, the review lists it
with the controls it cites, and the controls crosswalk lists the controls
(with no blocking accessibility problem)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from gates.models import GateReview
from tests.browser.axe import assert_accessible
from tests.browser.conftest import login
from tests.factories import PASSWORD
from usecases.models import Stage, UseCase

pytestmark = pytest.mark.browser

WHY = "Applies: EU AI Act and high risk"


def test_the_lead_opens_gate_3_for_a_high_risk_eu_ai_act_use_case(
    page: Page, live_server, use_case, lead, cio, risk
) -> None:
    # Set-up only: the stage and the risk facts the rules read.
    UseCase.objects.filter(pk=use_case.pk).update(
        stage=Stage.PILOT, risk_tier="high", regulatory_constraints=["eu_ai_act"]
    )

    login(page, live_server, "lead", PASSWORD)
    page.goto(f"{live_server.url}/use-cases/{use_case.pk}/")
    preview = page.locator("#gate-preview")
    expect(preview).to_contain_text("this one will also face")
    expect(preview).to_contain_text(f"Artifact Fundamental rights impact assessment: {WHY}")
    page.get_by_role("link", name="Name approvers…").click()
    expect(page.locator("#gate-preview")).to_contain_text(f"Criterion Human oversight: {WHY}")
    page.get_by_role("button", name="Open Gate 3 review").click()

    review = GateReview.objects.get(use_case=use_case)
    expect(page).to_have_url(f"{live_server.url}/reviews/{review.pk}/")
    oversight = page.locator(f"#criterion-{review.criteria.get(name='Human oversight').pk}")
    expect(oversight).to_contain_text(f"Why: {WHY}")
    expect(oversight).to_contain_text("EU AI Act Art. 14")
    required = page.locator("#required-artifacts")
    expect(required).to_contain_text("Logging and record-keeping evidence")
    expect(required).to_contain_text("EU AI Act Art. 12")
    expect(page.locator("#submit-panel")).to_contain_text("Human oversight plan")

    page.goto(f"{live_server.url}/use-cases/{use_case.pk}/")
    page.locator("#gate-panel").get_by_role("link", name="Controls crosswalk").click()
    eu = page.get_by_role("region", name="EU AI Act")
    expect(eu).to_contain_text(
        "Art. 27 Fundamental rights impact assessment for high-risk AI systems"
    )
    expect(eu).to_contain_text("No evidence yet")
    expect(page.get_by_role("region", name="ISO/IEC 42001")).to_contain_text("6.1.4")
    expect(page.get_by_role("region", name="NIST AI RMF")).to_contain_text("GOVERN 3.2")
    assert_accessible(page)
