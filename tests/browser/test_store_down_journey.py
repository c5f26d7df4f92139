"""The object store away and back, in the browser: a sponsor's upload says
why it did not happen and changes nothing, the form stays to be sent again,
and goes through once the store answers; a download meanwhile is the page
that says to try again, and its link then downloads the file."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from core.api_errors import STORAGE_UNAVAILABLE
from gates.models import Artifact, ArtifactType
from tests.browser.conftest import login
from tests.storage.conftest import ObjectStore
from usecases.models import BusinessUnit, MemberRole, UseCase, UseCaseMember

pytestmark = pytest.mark.browser

PASSWORD = "sponsor-pass-123"


@pytest.fixture
def store(settings, tmp_path):
    """This server's artifacts in a real S3-compatible store on loopback."""
    store = ObjectStore(tmp_path / "s3.log").start()
    settings.STORAGES = {**settings.STORAGES, "default": store.storage_settings}
    settings.MEDIA_ROOT = tmp_path / "web-disk"
    yield store
    store.stop()


def test_an_upload_and_a_download_while_the_store_is_down_and_once_it_is_back(
    page: Page, live_server, store
) -> None:
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

    store.stop()
    page.locator("#id_artifact_type").select_option(str(kind.pk))
    page.locator("#id_files").set_input_files(
        {"name": "assessment.md", "mimeType": "text/markdown", "buffer": b"# Findings\n"}
    )
    upload = page.get_by_role("button", name="Upload")
    upload.click()
    expect(page.locator("#flash")).to_contain_text(STORAGE_UNAVAILABLE)
    expect(upload).to_be_enabled()
    assert not Artifact.objects.exists()

    # The form is as it was: the same click sends it again.
    store.start()
    upload.click()
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
