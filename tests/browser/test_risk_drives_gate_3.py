"""Risk drives the gate: the sponsor answers the risk questionnaire of a use
case in Pilot (its decisions are credit scoring), risk and compliance
confirms the proposal (high risk, EU AI Act), and the Gate 3 review the lead
then opens asks for the EU AI Act high-risk evidence, saying why. A low-risk
use case at the same stage faces the plain Gate 3."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from gates import services
from gates.models import GateReview
from tests.browser.axe import assert_accessible
from tests.browser.conftest import JOURNEY_PASSWORD
from tests.factories import UseCaseFactory
from usecases.models import Stage, UseCase

pytestmark = pytest.mark.browser

WHY = "Applies: EU AI Act and high risk"
EXTRA = "Fundamental rights impact assessment"


def at_pilot(use_case: UseCase) -> UseCase:
    # Set-up only: products move the stage through gate decisions.
    UseCase.objects.filter(pk=use_case.pk).update(stage=Stage.PILOT)
    return use_case


def test_risk_classifies_a_use_case_high_and_gate_3_asks_for_more(
    pages, live_server, business_unit, sponsor, techlead, lead, cio, risk
) -> None:
    for person in (sponsor, lead, risk):
        person.set_password(JOURNEY_PASSWORD)
        person.save(update_fields=["password"])
    credit = at_pilot(
        UseCaseFactory(
            title="Credit limit advisor",
            business_unit=business_unit,
            sponsor=sponsor,
            technical_lead=techlead,
            risk_classified=False,
        )
    )
    plain = at_pilot(
        UseCaseFactory(
            title="Meeting notes summariser",
            business_unit=business_unit,
            sponsor=sponsor,
            technical_lead=techlead,
        )
    )
    risk_url = f"{live_server.url}/use-cases/{credit.pk}/risk/"

    # The sponsor answers: its decisions are credit scoring (Annex III).
    sam = pages(live_server, "sponsor")
    sam.goto(risk_url)
    form = sam.locator("#risk-questionnaire")
    for radio in form.locator("input[type=radio][value=no]").all():
        radio.check()
    form.get_by_label("Essential services: public benefits, credit scoring", exact=False).check()
    form.get_by_role("button", name="Send the answers").click()
    sam.wait_for_url(risk_url)
    expect(sam.locator("#reasoning")).to_contain_text("Annex III")

    # Risk and compliance confirms the proposal.
    rita = pages(live_server, "risk")
    rita.goto(risk_url)
    expect(rita.locator("#proposal")).to_contain_text("High risk")
    decision = rita.locator("#risk-decision")
    decision.get_by_label("Confirm the proposal").check()
    decision.get_by_role("button", name="Record the decision").click()
    rita.wait_for_url(risk_url)
    credit.refresh_from_db()
    assert (credit.risk_tier, credit.regulatory_constraints) == ("high", ["eu_ai_act"])

    # The lead sees beforehand what Gate 3 will ask of it, and opens it.
    lena = pages(live_server, "lead")
    lena.goto(f"{live_server.url}/use-cases/{credit.pk}/")
    expect(lena.locator("#gate-preview")).to_contain_text(f"Artifact {EXTRA}: {WHY}")
    lena.get_by_role("link", name="Name approvers…").click()
    lena.get_by_role("button", name="Open Gate 3 review").click()
    review = GateReview.objects.get(use_case=credit)
    expect(lena).to_have_url(f"{live_server.url}/reviews/{review.pk}/")
    expect(lena.locator("#required-artifacts")).to_contain_text(EXTRA)
    expect(lena.locator("#required-artifacts")).to_contain_text(f"Why: {WHY}")
    expect(lena.locator("#submit-panel")).to_contain_text(f"Missing artifact: {EXTRA}")
    assert_accessible(lena)

    # The low-risk use case at the same stage faces the plain gate.
    other = services.review_open(use_case=plain, by=lead)
    lena.goto(f"{live_server.url}/reviews/{other.pk}/")
    expect(lena.locator("#required-artifacts")).not_to_contain_text(EXTRA)
    assert not other.artifact_requirements.filter(artifact_type__name__icontains=EXTRA).exists()
