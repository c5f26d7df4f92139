"""A gate pack is written in the language its requester reads the
application in: a German requester gets a German pack (headings, page
numbers, dates), an English one the English pack, and the two are separate
packs of the same review."""

from __future__ import annotations

import pytest
from django.utils import formats, timezone, translation

from reporting import selectors, services
from reporting.models import GatePack, PackStatus
from tests.reporting.helpers import pdf_text, squash

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}


def _request_in(client, review, django_capture_on_commit_callbacks, **headers) -> GatePack:
    """Request the pack from the review page as a browser would, the worker
    running when the request commits (Celery eager)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/reviews/{review.pk}/packs/request/", **headers)
    assert response.status_code in (200, 302)
    pack = GatePack.objects.filter(review=review).order_by("-id").first()
    assert pack.status == PackStatus.READY, pack.failure_reason
    return pack


def test_a_german_requester_gets_a_german_pack(
    client_as, decided_review, lead, django_capture_on_commit_callbacks
):
    pack = _request_in(
        client_as(lead), decided_review, django_capture_on_commit_callbacks, **GERMAN
    )
    assert pack.language == "de"

    text = squash(pdf_text(pack.file.read()))
    # The headings a reader finds first, in German.
    for heading in (
        "Gate-Paket",
        "Zusammenfassung",
        "Gate-Kriterien",
        "Artefaktverzeichnis",
        "Reife",
        "Genehmigungen",
        "Auflagen",
        "Entscheidung und Begründung",
        "Auszug aus dem Audit-Trail",
        "Geschäftsbereich",
    ):
        assert heading.lower() in text.lower(), heading
    assert "Seite 2 von" in text
    # English headings are gone.
    for english in ("Decision and rationale", "Artifacts index", "Page 2 of"):
        assert english not in text, english
    # The review's opening date as a German reader writes it: "2. Dezember 2026".
    opened = timezone.localtime(decided_review.opened_at)
    with translation.override("de"):
        german_day = formats.date_format(opened.date(), "DATE_FORMAT")
    assert german_day in text
    # The data (names, texts people wrote) is printed as written.
    assert "Claims triage assistant" in text
    assert "Data owner signs the data sharing agreement." in text


def test_an_english_requester_still_gets_the_english_pack(
    client_as, decided_review, lead, django_capture_on_commit_callbacks
):
    pack = _request_in(
        client_as(lead),
        decided_review,
        django_capture_on_commit_callbacks,
        HTTP_ACCEPT_LANGUAGE="en-GB",
    )
    assert pack.language == "en-gb"
    text = squash(pdf_text(pack.file.read()))
    assert "Decision and rationale" in text
    assert "Page 2 of" in text
    assert "Zusammenfassung" not in text
    opened = timezone.localtime(decided_review.opened_at)
    assert opened.strftime("%d %b %Y") in text


def test_a_german_and_an_english_pack_of_the_same_review_are_two_packs(
    client_as, decided_review, lead, django_capture_on_commit_callbacks
):
    client = client_as(lead)
    german = _request_in(client, decided_review, django_capture_on_commit_callbacks, **GERMAN)
    english = _request_in(
        client, decided_review, django_capture_on_commit_callbacks, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert german.pk != english.pk
    assert german.file.name != english.file.name
    assert german.sha256 != english.sha256

    # Asking again in either language answers with that language's pack.
    with translation.override("de"):
        again = services.pack_request(review=decided_review, by=lead)
    assert not again.created and again.pack.pk == german.pk
    with translation.override("en-gb"):
        again = services.pack_request(review=decided_review, by=lead)
    assert not again.created and again.pack.pk == english.pk

    # Neither is stale, whatever the language of the page that lists them.
    for language in ("de", "en-gb"):
        with translation.override(language):
            packs = selectors.packs_of_review(decided_review)
        assert {p.pk: p.is_stale for p in packs} == {german.pk: False, english.pk: False}


def test_the_pack_panel_speaks_german(client_as, decided_review, lead, ready_pack):
    html = client_as(lead).get(f"/reviews/{decided_review.pk}/packs/", **GERMAN).content.decode()
    assert "Gate-Pakete" in html
    assert "Gate-Paket erstellen" in html
    assert f"Gate-Paket #{ready_pack.pk}" in html
    assert "PDF herunterladen" in html
