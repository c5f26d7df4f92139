from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from reporting import pdf, services
from reporting.models import GatePack, PackStatus
from reporting.pack_data import pack_data
from tests.gates.helpers import PDF_BYTES


@pytest.fixture
def ready_pack(decided_review, lead, django_capture_on_commit_callbacks):
    """A pack generated for real (the whole pipeline, WeasyPrint included):
    only for tests that read the PDF's bytes. Others take ``ready_pack_row``."""
    with django_capture_on_commit_callbacks(execute=True):
        pack = services.pack_request(review=decided_review, by=lead).pack
    pack.refresh_from_db()
    assert pack.status == PackStatus.READY, pack.failure_reason
    return pack


@pytest.fixture
def ready_pack_row(decided_review, lead):
    """A pack row marked ready, as the worker leaves it, with a small stored
    stand-in for the PDF: nothing is rendered."""
    pack = GatePack(
        review=decided_review,
        review_revision=decided_review.revision,
        requested_by=lead,
        status=PackStatus.READY,
        attempts=1,
        generated_at=timezone.now(),
        size=len(PDF_BYTES),
        sha256=hashlib.sha256(PDF_BYTES).hexdigest(),
        # The hash of the review's pack data now, as a render would record it.
        content_hash=pdf.content_hash(pack_data(decided_review)),
        page_count=1,
    )
    pack.file.save("pack.pdf", ContentFile(PDF_BYTES), save=False)
    pack.save()
    return pack


@pytest.fixture
def queued_pack(decided_review, lead):
    """A pack row as the request leaves it before any worker took it."""
    return GatePack.objects.create(
        review=decided_review, review_revision=decided_review.revision, requested_by=lead
    )


@pytest.fixture
def other_sponsor(db):
    from tests.factories import UseCaseFactory, UserFactory

    person = UserFactory(username="othersponsor", first_name="Olga", last_name="Other")
    UseCaseFactory(title="Invoice matching", sponsor=person)
    return person
