"""An executive opens the dashboard before a gate meeting, finds the upcoming
review with its latest pack and downloads the PDF."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from reporting import services
from reporting.models import GatePack, PackStatus
from tests.browser.conftest import login
from tests.factories import PASSWORD, BusinessUnitFactory, UseCaseFactory, UserFactory
from tests.gates.helpers import make_open_review
from usecases.models import OrgRole

pytestmark = pytest.mark.browser


def test_it_lets_an_executive_download_the_latest_pack(page: Page, live_server, tmp_path) -> None:
    lead = UserFactory(
        username="lead", first_name="Lena", last_name="Lead", org_roles=[OrgRole.PROGRAM_LEAD]
    )
    UserFactory(username="exec", first_name="Eve", last_name="Exec", org_roles=[OrgRole.EXECUTIVE])
    sponsor = UserFactory(username="sponsor", first_name="Sam", last_name="Sponsor")
    use_case = UseCaseFactory(
        title="Claims triage assistant",
        business_unit=BusinessUnitFactory(name="Claims Operations", code="claims"),
        sponsor=sponsor,
    )
    review = make_open_review(use_case, lead)
    # Celery is eager here: the pack is generated when the request commits.
    pack = services.pack_request(review=review, by=lead).pack
    pack.refresh_from_db()
    assert pack.status == PackStatus.READY, pack.failure_reason

    login(page, live_server, "exec", PASSWORD)
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("h1")).to_have_text("Executive dashboard")
    row = page.locator(f"#upcoming-{review.pk}")
    expect(row).to_contain_text("Claims triage assistant")
    expect(row).to_contain_text("Gate 1")
    link = row.get_by_role("link", name=f"Download pack #{pack.pk}")
    expect(link).to_be_visible()

    with page.expect_download() as info:
        link.click()
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert download.suggested_filename.endswith(".pdf")
    content = target.read_bytes()
    assert content.startswith(b"%PDF")
    assert len(content) == pack.size


def test_it_generates_a_pack_from_the_review_page_and_polls_until_it_is_ready(
    page: Page, live_server, tmp_path
) -> None:
    lead = UserFactory(
        username="lead", first_name="Lena", last_name="Lead", org_roles=[OrgRole.PROGRAM_LEAD]
    )
    use_case = UseCaseFactory(
        title="Claims triage assistant",
        business_unit=BusinessUnitFactory(name="Claims Operations", code="claims"),
        sponsor=UserFactory(username="sponsor"),
    )
    review = make_open_review(use_case, lead)

    login(page, live_server, "lead", PASSWORD)
    page.goto(f"{live_server.url}/reviews/{review.pk}/")
    panel = page.locator("#gate-packs")
    expect(panel).to_contain_text("No pack generated for this review yet.")
    panel.get_by_role("button", name="Generate gate pack").click()

    # The panel answers at once and keeps polling until the download appears.
    link = page.locator("#gate-packs").get_by_role("link", name="Download PDF")
    expect(link).to_be_visible()
    expect(page.locator("#gate-packs")).to_contain_text("Ready")
    pack = GatePack.objects.get(review=review)
    assert pack.status == PackStatus.READY
    assert pack.requested_by == lead

    with page.expect_download() as info:
        link.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF")
