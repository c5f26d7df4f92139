"""The review page in German, chosen by the browser's Accept-Language: its
sections, the pack panel and the dates; the English page is unchanged."""

from __future__ import annotations

import pytest
from django.utils import formats, translation

pytestmark = pytest.mark.django_db


def test_the_review_page_speaks_german(client_as, decided_review, lead):
    response = client_as(lead).get(f"/reviews/{decided_review.pk}/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    html = response.content.decode()
    for german in (
        "Entscheidungskriterien",
        "Geforderte Artefakte",
        "Genehmigende Personen",
        "Gate-Pakete",
        "Gate-Paket erstellen",
        "Vorgeschlagene Auflagen" if decided_review.proposed_conditions.exists() else "Auflagen",
    ):
        assert german in html, german
    assert "Decision criteria" not in html
    # The condition's due date as a German reader writes it ("20. März 2025").
    condition = decided_review.conditions.first()
    with translation.override("de"):
        assert formats.date_format(condition.due_date, "DATE_FORMAT") in html


def test_without_accept_language_the_review_page_is_english(client_as, decided_review, lead):
    html = client_as(lead).get(f"/reviews/{decided_review.pk}/").content.decode()
    assert "Decision criteria" in html and "Entscheidungskriterien" not in html
