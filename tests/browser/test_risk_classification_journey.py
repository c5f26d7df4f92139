"""The sponsor answers the risk questionnaire in the browser; the risk officer
signs in, sees the proposal with its reasoning, and overrides the tier with a
reason; the use case page shows the new tier. Both pages pass axe."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import JOURNEY_PASSWORD
from tests.factories import BusinessUnitFactory, UseCaseFactory
from usecases.models import OrgRole, RiskClassificationStatus

pytestmark = pytest.mark.browser


def person(username: str, first: str, last: str, *roles: str):
    user = get_user_model().objects.create_user(
        username=username, password=JOURNEY_PASSWORD, first_name=first, last_name=last
    )
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    return user


def test_the_sponsor_answers_and_the_risk_officer_overrides_with_a_reason(pages, live_server):
    sponsor = person("sponsor", "Sam", "Sponsor")
    person("risk", "Rita", "Risk", OrgRole.RISK_COMPLIANCE)
    use_case = UseCaseFactory(
        title="Candidate screening",
        business_unit=BusinessUnitFactory(name="People", code="people"),
        sponsor=sponsor,
        risk_classified=False,
    )
    url = f"{live_server.url}/use-cases/{use_case.pk}/risk/"

    sam = pages(live_server, "sponsor")
    sam.goto(f"{live_server.url}/use-cases/{use_case.pk}/")
    expect(sam.locator("#risk-link")).to_have_text("Not classified")
    sam.locator("#risk-link").click()
    sam.wait_for_url(url)
    assert_accessible(sam)
    form = sam.locator("#risk-questionnaire")
    for radio in form.locator("input[type=radio][value=no]").all():
        radio.check()
    form.get_by_label("Employment and workers' management", exact=False).check()
    form.get_by_role("group", name="Does the system process personal data").get_by_label(
        "Yes"
    ).check()
    form.get_by_role("button", name="Send the answers").click()
    sam.wait_for_url(url)
    expect(sam.locator("#risk-state")).to_contain_text("Awaiting risk and compliance")
    expect(sam.locator("#reasoning")).to_contain_text("Annex III")

    rita = pages(live_server, "risk")
    rita.goto(url)
    expect(rita.locator("#proposal")).to_contain_text("High risk")
    expect(rita.locator("#reasoning")).to_contain_text("employment and workers' management")
    expect(rita.locator("#reasoning")).to_contain_text("GDPR applies")
    assert_accessible(rita)
    decision = rita.locator("#risk-decision")
    decision.get_by_label("Override it").check()
    decision.get_by_label("Risk tier (override)").select_option("medium")
    decision.get_by_label("GDPR").check()
    decision.get_by_label("EU AI Act").check()
    decision.get_by_label("Reason (required to override)").fill(
        "The screen only ranks; a recruiter reads every application."
    )
    decision.get_by_role("button", name="Record the decision").click()
    rita.wait_for_url(url)
    expect(rita.locator("#risk-history")).to_contain_text("a recruiter reads every application")

    sam.goto(f"{live_server.url}/use-cases/{use_case.pk}/")
    overridden = re.compile(r"Medium \(overridden by Rita Risk\)")
    expect(sam.locator("#risk-link")).to_have_text(overridden)
    expect(sam.locator("#facts")).to_contain_text("Medium")
    row = use_case.risk_classifications.get()
    assert row.status == RiskClassificationStatus.OVERRIDDEN
    use_case.refresh_from_db()
    assert use_case.risk_tier == "medium"
    assert use_case.regulatory_constraints == ["eu_ai_act", "gdpr"]
