"""The object store in the browser: away and back (a sponsor's upload says
why it did not happen and changes nothing, the form stays to be sent again
and goes through once the store answers; a download meanwhile is the page
that says to try again, and its link then downloads the file), and a
download handed to the store (S3_DOWNLOAD_URL_SECONDS); and files sent
together when the store goes away between them."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from playwright.sync_api import Page, expect

from core.api_errors import STORAGE_UNAVAILABLE
from gates.models import Artifact, ArtifactType
from tests.browser.conftest import login
from usecases.models import BusinessUnit, MemberRole, UseCase, UseCaseMember

pytestmark = pytest.mark.browser

PASSWORD = "sponsor-pass-123"


@pytest.fixture
def store(on_object_store):
    """This server's artifacts in the real S3-compatible store on loopback."""
    return on_object_store


def sponsors_artifacts_page(page: Page, live_server) -> tuple[UseCase, ArtifactType]:
    """A sponsor signed in on their use case's artifacts page, and the first
    Gate 1 artifact type."""
    sponsor = get_user_model().objects.create_user(
        username="sponsor", password=PASSWORD, first_name="Sam", last_name="Sponsor"
    )
    unit = BusinessUnit.objects.create(name="Claims Operations", code="claims")
    use_case = UseCase.objects.create(
        title="Claims triage assistant", business_unit=unit, created_by=sponsor
    )
    UseCaseMember.objects.create(use_case=use_case, user=sponsor, role=MemberRole.SPONSOR)
    kind = ArtifactType.objects.filter(template__number=1, is_active=True).order_by("order")[0]
    login(page, live_server, "sponsor", PASSWORD)
    page.goto(f"{live_server.url}/use-cases/{use_case.pk}/artifacts/")
    return use_case, kind


def upload(page: Page, kind: ArtifactType, name: str, content: bytes, *more: str) -> None:
    """Send ``name`` with ``content``, and the files named in ``more`` with
    the same content, in one upload."""
    page.locator("#id_artifact_type").select_option(str(kind.pk))
    page.locator("#id_files").set_input_files(
        [{"name": each, "mimeType": "text/markdown", "buffer": content} for each in (name, *more)]
    )
    page.get_by_role("button", name="Upload").click()


def test_an_upload_and_a_download_while_the_store_is_down_and_once_it_is_back(
    page: Page, live_server, store
) -> None:
    _, kind = sponsors_artifacts_page(page, live_server)

    store.stop()
    upload(page, kind, "assessment.md", b"# Findings\n")
    expect(page.locator("#flash")).to_contain_text(STORAGE_UNAVAILABLE)
    button = page.get_by_role("button", name="Upload")
    expect(button).to_be_enabled()
    assert not Artifact.objects.exists()

    # The form is as it was: the same click sends it again.
    store.start()
    button.click()
    expect(page.locator("#upload-results")).to_contain_text(
        f"✓ assessment.md stored as {kind.name} v1"
    )
    artifact = Artifact.objects.get()
    assert f"media/{artifact.file.name}" in store.object_keys()

    store.stop()
    answer = page.goto(f"{live_server.url}/artifacts/{artifact.pk}/download/")
    assert answer is not None and answer.status == 503
    expect(page.locator("main")).to_contain_text(STORAGE_UNAVAILABLE)

    # moto keeps its objects in memory: the restarted store is given back the
    # object a store on disk would have kept.
    store.start()
    store.client().put_object(
        Bucket=store.bucket, Key=f"media/{artifact.file.name}", Body=b"# Findings\n"
    )
    with page.expect_download() as download:
        page.get_by_role("link", name="Try again").click()
    assert download.value.suggested_filename == "assessment.md"
    assert download.value.path().read_bytes() == b"# Findings\n"


def test_files_sent_together_when_the_store_goes_away_between_them(
    page: Page, live_server, store
) -> None:
    _, kind = sponsors_artifacts_page(page, live_server)

    def store_goes_away(sender, **kwargs):
        store.stop()

    post_save.connect(store_goes_away, sender=Artifact, dispatch_uid="store-goes-away")
    try:
        upload(page, kind, "findings.md", b"# Findings\n", "appendix.md")
        results = page.locator("#upload-results")
        expect(results).to_contain_text(f"✓ findings.md stored as {kind.name} v1")
        expect(results).to_contain_text(f"✗ appendix.md: {STORAGE_UNAVAILABLE}")
    finally:
        post_save.disconnect(dispatch_uid="store-goes-away", sender=Artifact)
    expect(page.locator("#artifacts-body table")).to_contain_text("findings.md")
    assert list(Artifact.objects.values_list("original_name", flat=True)) == ["findings.md"]

    # The store back, the file not stored is sent again.
    store.start()
    upload(page, kind, "appendix.md", b"# Appendix\n")
    expect(page.locator("#upload-results")).to_contain_text(
        f"✓ appendix.md stored as {kind.name} v2"
    )
    expect(page.locator("#upload-results")).not_to_contain_text("Not stored")


def test_a_download_handed_to_the_store_reaches_the_browser_as_the_file(
    page: Page, live_server, store, settings
) -> None:
    settings.S3_DOWNLOAD_URL_SECONDS = 60
    _, kind = sponsors_artifacts_page(page, live_server)
    upload(page, kind, "Risk assessment (v1).md", b"# Risks\n\nNone found.\n")
    link = page.get_by_role("link", name="Risk assessment (v1).md")
    with page.expect_download() as download:
        link.click()
    # Chromium followed the signed link to the store, which sent the file.
    assert download.value.url.startswith(f"{store.url}/{store.bucket}/")
    assert "X-Amz-Signature=" in download.value.url
    assert download.value.suggested_filename == "Risk assessment (v1).md"
    assert download.value.path().read_bytes() == b"# Risks\n\nNone found.\n"
