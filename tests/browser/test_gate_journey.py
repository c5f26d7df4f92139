"""Gate 1 in the browser: the lead opens the review, the sponsor uploads the
required artifacts, assesses the criteria and submits, both approvers approve,
the lead records Go and the use case moves to POC."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from gates.models import ArtifactType, GateReview
from tests.browser.conftest import JOURNEY_PASSWORD
from tests.factories import classify
from usecases.models import BusinessUnit, MemberRole, OrgRole, Stage, UseCase, UseCaseMember

pytestmark = pytest.mark.browser

PASSWORD = JOURNEY_PASSWORD


def approve(page: Page) -> None:
    approvals = page.locator("#approvals")
    approvals.locator("input[name=decision][value=approve]").check()
    approvals.get_by_role("button", name="Record my decision").click()
    expect(approvals).to_contain_text("(you)")


def test_it_takes_a_use_case_through_gate_1_in_the_browser(
    pages, live_server, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
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
    required = list(
        ArtifactType.objects.filter(template__number=1, required=True, is_active=True).order_by(
            "order"
        )
    )

    # The lead opens the Gate 1 review from the use case page.
    lead_page = pages(live_server, "lead")
    lead_page.goto(f"{live_server.url}/use-cases/{use_case.pk}/")
    lead_page.get_by_role("button", name="Open Gate 1 review").click()
    lead_page.wait_for_url(re.compile(r"/reviews/\d+/$"))
    review = GateReview.objects.get(use_case=use_case)

    # The sponsor uploads every required artifact.
    sponsor_page = pages(live_server, "sponsor")
    sponsor_page.goto(f"{live_server.url}/use-cases/{use_case.pk}/artifacts/")
    for artifact_type in required:
        sponsor_page.locator("#id_artifact_type").select_option(str(artifact_type.pk))
        sponsor_page.locator("#id_files").set_input_files(
            {
                "name": f"{artifact_type.code}.md",
                "mimeType": "text/markdown",
                "buffer": f"# {artifact_type.name}\n\nEvidence.\n".encode(),
            }
        )
        sponsor_page.get_by_role("button", name="Upload").click()
        expect(sponsor_page.locator("#upload-results")).to_contain_text(
            f"✓ {artifact_type.code}.md stored as {artifact_type.name} v1"
        )

    # ... assesses every criterion in place ...
    sponsor_page.goto(f"{live_server.url}/reviews/{review.pk}/")
    for criterion in review.criteria.order_by("order"):
        row = sponsor_page.locator(f"#criterion-{criterion.pk}")
        row.get_by_role("link", name="Assess").click()
        row.locator("select[name=status]").select_option("met")
        row.locator("textarea[name=evidence]").fill(f"{criterion.name}: checked.")
        row.get_by_role("button", name="Save assessment").click()
        expect(sponsor_page.locator(f"#criterion-{criterion.pk} .badge-met")).to_have_text("Met")
    expect(sponsor_page.locator("#submit-panel")).not_to_contain_text("Not ready to submit")

    # ... and submits.
    sponsor_page.get_by_role("button", name="Submit for approval").click()
    expect(sponsor_page.locator("h1 + .badge")).to_contain_text("Submitted")

    # Each approver approves for themselves.
    approve(sponsor_page)
    lead_page.goto(f"{live_server.url}/reviews/{review.pk}/")
    expect(lead_page.locator("#go-blockers")).to_contain_text("Lena Lead has not approved yet.")
    approve(lead_page)
    expect(lead_page.locator("#decision-panel")).to_contain_text("Go can be recorded")

    # The chair records Go.
    panel = lead_page.locator("#decision-panel")
    panel.locator("input[name=decision][value=go]").check()
    panel.locator("textarea[name=rationale]").fill("Value and data confirmed.")
    panel.get_by_role("button", name="Record decision").click()
    expect(lead_page.locator("#decision")).to_contain_text("Go")

    lead_page.goto(f"{live_server.url}/use-cases/{use_case.pk}/")
    expect(lead_page.locator("main")).to_contain_text("POC")
    use_case.refresh_from_db()
    assert use_case.stage == Stage.POC
