"""Generating a gate pack (Celery eager, as in the embedded default): the PDF
holds what the board reads, and its record tells the truth about the file."""

from __future__ import annotations

import hashlib

import pytest

from core.models import AuditEvent
from reporting import services
from reporting.models import GatePack, PackStatus
from tests.reporting.helpers import make_decided_review, pdf_pages, pdf_text, squash

pytestmark = pytest.mark.django_db


def test_it_generates_a_ready_pack_with_the_review_in_it(
    decided_review, lead, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        result = services.pack_request(review=decided_review, by=lead)

    pack = GatePack.objects.get(pk=result.pack.pk)
    assert pack.status == PackStatus.READY, pack.failure_reason
    content = pack.file.read()
    assert content.startswith(b"%PDF")
    assert pack.sha256 == hashlib.sha256(content).hexdigest()
    assert pack.size == len(content)
    assert pack.page_count == pdf_pages(content)
    assert pack.generated_at is not None
    assert not pack.file.name.startswith("packs/") or "Claims" not in pack.file.name

    text = squash(pdf_text(content))
    assert "Claims triage assistant" in text
    for criterion in decided_review.criteria.all():
        assert squash(criterion.name) in text, criterion.name
    for row in decided_review.approvers.select_related("user"):
        assert row.user.get_full_name() in text
        assert "Approved with conditions" in text
    assert "Conditional Go" in text
    assert "The PoC holds on the sample" in text
    assert "Data owner signs the data sharing agreement." in text
    assert "Triage accuracy" in text
    assert pack.content_hash in text.replace(" ", "")
    assert "Page 2 of" in text


@pytest.fixture
def events(monkeypatch):
    """The domain events delivered during the test, as (name, data)."""
    from core import events as domain_events

    seen: list[tuple[str, dict]] = []
    monkeypatch.setattr(domain_events, "_listeners", [lambda name, data: seen.append((name, data))])
    return seen


def test_it_audits_the_request_and_the_result_and_tells_the_requester(
    decided_review, lead, django_capture_on_commit_callbacks, events
):
    with django_capture_on_commit_callbacks(execute=True):
        result = services.pack_request(review=decided_review, by=lead)
    pack = result.pack
    pack.refresh_from_db()
    actions = list(
        AuditEvent.objects.filter(object_type="reporting.gatepack", object_id=str(pack.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["pack.requested", "pack.ready"]
    assert ("pack.ready", {"pack_id": pack.pk, "requested_by_id": lead.pk}) in events
    assert result.published is True
    # Rendered as the request committed (no broker): the answer says so.
    assert result.message == f"pack #{pack.pk} is generated and ready to download"


def test_a_failing_render_ends_failed_with_its_reason(
    decided_review, lead, django_capture_on_commit_callbacks, events, monkeypatch
):
    from django.template import TemplateSyntaxError

    from reporting import pdf

    def broken(context):
        raise TemplateSyntaxError("Invalid block tag on line 12: 'endsection'")

    monkeypatch.setattr(pdf, "render_pack_html", broken)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.pack_request(review=decided_review, by=lead)

    pack = GatePack.objects.get(pk=result.pack.pk)
    assert pack.status == PackStatus.FAILED
    result.pack.refresh_from_db()
    assert result.message == f"pack #{pack.pk} could not be generated; its status tells why"
    assert "TemplateSyntaxError" in pack.failure_reason
    assert "endsection" in pack.failure_reason
    assert not pack.file
    failed = AuditEvent.objects.get(action="pack.failed", object_id=str(pack.pk))
    assert "endsection" in failed.summary
    assert [name for name, _ in events if name.startswith("pack.")] == ["pack.failed"]
    assert dict(events)["pack.failed"]["requested_by_id"] == lead.pk


def test_a_transient_error_is_retried_and_then_succeeds(
    decided_review, lead, django_capture_on_commit_callbacks, monkeypatch
):
    from django.db import OperationalError

    real = services.selectors_pack_data
    calls = []

    def flaky(decided_review):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(decided_review)

    monkeypatch.setattr(services, "selectors_pack_data", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.pack_request(review=decided_review, by=lead)
    pack = GatePack.objects.get(pk=result.pack.pk)
    assert len(calls) == 2
    assert pack.status == PackStatus.READY
    assert pack.attempts == 2


def test_retry_countdowns_grow_and_stay_below_the_visibility_timeout(settings):
    from reporting.tasks import MAX_RETRIES, generate_gate_pack, retry_countdown

    countdowns = [retry_countdown(n) for n in range(MAX_RETRIES + 1)]
    assert countdowns == sorted(countdowns)
    assert countdowns[1] == 2 * countdowns[0]
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert max(countdowns) * 4 < visibility
    assert generate_gate_pack.acks_late is True


def test_a_duplicate_delivery_does_nothing_the_second_time(decided_review, lead):
    from reporting.tasks import generate_gate_pack

    pack = GatePack.objects.create(
        review=decided_review, review_revision=decided_review.revision, requested_by=lead
    )
    generate_gate_pack.apply(args=[pack.pk])
    pack.refresh_from_db()
    assert pack.status == PackStatus.READY
    first = (pack.file.name, pack.sha256, pack.generated_at, pack.attempts)

    generate_gate_pack.apply(args=[pack.pk])
    pack.refresh_from_db()
    assert (pack.file.name, pack.sha256, pack.generated_at, pack.attempts) == first
    assert AuditEvent.objects.filter(action="pack.ready", object_id=str(pack.pk)).count() == 1


def test_a_delivery_while_another_runs_does_nothing(decided_review, lead):
    pack = GatePack.objects.create(
        review=decided_review, review_revision=decided_review.revision, requested_by=lead
    )
    assert services.pack_claim(pack.pk) == 1  # the first run
    assert services.pack_generate(pack_id=pack.pk) is None
    pack.refresh_from_db()
    assert pack.status == PackStatus.RUNNING
    assert pack.attempts == 1


def test_a_pack_goes_stale_once_the_review_changes(
    use_case, lead, sponsor, django_capture_on_commit_callbacks
):
    from gates import services as gate_services

    review = make_decided_review(use_case, lead, sponsor, decide=False)
    with django_capture_on_commit_callbacks(execute=True):
        pack = services.pack_request(review=review, by=lead).pack
    pack.refresh_from_db()
    assert pack.is_stale is False
    assert GatePack.objects.with_stale().get(pk=pack.pk).stale is False

    gate_services.gate_decide(
        review=review, by=lead, decision="hold", rationale="Budget freeze until Q3."
    )
    pack = GatePack.objects.select_related("review").get(pk=pack.pk)
    assert pack.is_stale is True
    assert GatePack.objects.with_stale().get(pk=pack.pk).stale is True
    # Staleness is computed, never stored: the pack's own record is unchanged.
    assert pack.status == PackStatus.READY


def test_the_content_hash_depends_on_the_data_only(decided_review, lead):
    from reporting.tasks import generate_gate_pack

    first, second = (
        GatePack.objects.create(
            review=decided_review, review_revision=decided_review.revision, requested_by=lead
        )
        for _ in range(2)
    )
    for pack in (first, second):
        generate_gate_pack.apply(args=[pack.pk])
        pack.refresh_from_db()
    assert first.content_hash == second.content_hash
    # The generation time and pack number differ, so the files do too.
    assert first.sha256 != second.sha256
    # So a request for the review as it stands is answered with a pack of
    # that content, the newest, and nothing is rendered a third time.
    result = services.pack_request(review=decided_review, by=lead)
    assert (result.created, result.pack.pk) == (False, second.pk)


def test_the_renderer_fetches_nothing_from_the_network():
    from reporting.pdf import STATIC_DIR, LocalOnlyURLFetcher

    fetcher = LocalOnlyURLFetcher()
    with pytest.raises(ValueError, match="local resources only"):
        fetcher.fetch("https://fonts.example.com/font.woff2")
    with pytest.raises(ValueError, match="local resources only"):
        fetcher.fetch("file:///etc/passwd")
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    css = STATIC_DIR / "reporting.css"
    assert fetcher.fetch(css.as_uri()).read().startswith(b"/*")
    # Nor does it read the machine's certificate store, which it would never use.
    from urllib.request import HTTPSHandler

    (https,) = [h for h in fetcher.handlers if isinstance(h, HTTPSHandler)]
    assert https._context.cert_store_stats()["x509_ca"] == 0


def test_a_pack_request_is_refused_to_those_who_only_read(decided_review, buhead):
    from core.errors import PermissionRefused

    with pytest.raises(PermissionRefused):
        services.pack_request(review=decided_review, by=buhead)
    assert not GatePack.objects.exists()
