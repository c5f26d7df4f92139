"""Languages: English by default, German by Accept-Language, by the switcher
(kept for a signed-in person's later sessions), dates and numbers in the
language's own order, and the catalogue check of ``make test``."""

from __future__ import annotations

import datetime
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from asgiref.local import Local
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import trans_real

from core.models import AuditEvent
from usecases.models import UserLanguage
from usecases.services import user_language_set

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="module")
def compiled_catalogues():
    """The .mo files are build output (make test compiles them first): compile
    any that is missing or older than its catalogue, for a run of this module
    alone."""
    catalogues = [
        *ROOT.glob("locale/*/LC_MESSAGES/django.po"),
        *ROOT.glob("*/locale/*/LC_MESSAGES/django.po"),
    ]
    stale = [
        po
        for po in catalogues
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    for po in stale:
        subprocess.run(
            ["msgfmt", "--check-format", "-o", str(po.with_suffix(".mo")), str(po)], check=True
        )
    if stale:
        # Read the new files: forget the catalogues this process loaded.
        trans_real._translations = {}
        trans_real._default = None
        trans_real._active = Local()


def review_url(review) -> str:
    return f"/reviews/{review.pk}/"


def page(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# --- Accept-Language and the default ---------------------------------------------


def test_the_review_page_is_english_by_default(client_as, sponsor, open_review):
    html = page(client_as(sponsor).get(review_url(open_review)))
    assert '<html lang="en-gb">' in html
    assert "My work" in html
    assert "Missing artifact:" in html
    assert "Criterion not assessed:" in html
    assert "Meine Arbeit" not in html


def test_accept_language_de_gives_the_german_review_page(client_as, sponsor, open_review):
    html = page(client_as(sponsor).get(review_url(open_review), HTTP_ACCEPT_LANGUAGE="de"))
    assert '<html lang="de">' in html
    # The frame, the gate's name and the blockers, in German.
    assert "Meine Arbeit" in html
    assert "Abmelden" in html
    assert "Gate 1: Discovery → PoC" in html
    assert "Fehlendes Artefakt:" in html
    assert "Kriterium nicht bewertet:" in html
    assert "Missing artifact:" not in html
    assert "Criterion not assessed:" not in html


def test_the_portfolio_filters_speak_german(client_as, sponsor, open_review):
    html = page(client_as(sponsor).get("/portfolio/", HTTP_ACCEPT_LANGUAGE="de"))
    for german in (
        "Suche",
        "Jede Phase",
        "Jeder Status",
        "Jeder Geschäftsbereich",
        "Zuletzt geändert",
    ):
        assert german in html
    for english in ("Any stage", "Any status", "Recently updated", "Everyone's"):
        assert english not in html


def test_an_unknown_accept_language_falls_back_to_english(client_as, sponsor, open_review):
    html = page(client_as(sponsor).get(review_url(open_review), HTTP_ACCEPT_LANGUAGE="fr, ja"))
    assert '<html lang="en-gb">' in html
    assert "Missing artifact:" in html


def test_a_refusal_in_the_api_follows_accept_language(api_as, outsider, open_review):
    answer = api_as(outsider).post(
        f"/api/v1/reviews/{open_review.pk}/submit/", HTTP_ACCEPT_LANGUAGE="de"
    )
    assert answer.status_code in (403, 404)
    assert answer.json()["detail"] != ""
    english = api_as(outsider).post(f"/api/v1/reviews/{open_review.pk}/submit/")
    assert answer.json()["detail"] != english.json()["detail"]


# --- The switcher, and the language kept for a signed-in person --------------------


def test_the_switcher_is_on_every_page_with_a_button_per_language(client, db):
    html = page(client.get("/accounts/login/"))
    assert 'action="/i18n/setlang/"' in html
    assert '<button type="submit" name="language" value="de" lang="de"' in html
    assert 'value="en-gb" lang="en-gb" class="linklike" aria-current="true">English<' in html


def test_the_switcher_sets_the_language_of_an_anonymous_browser(client, db):
    answer = client.post("/i18n/setlang/", {"language": "de", "next": "/accounts/login/"})
    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/login/"
    assert answer.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    html = page(client.get("/accounts/login/"))
    assert "Anmelden" in html
    assert "Benutzername" in html
    assert not UserLanguage.objects.exists()


def test_the_switcher_refuses_a_language_not_offered(client_as, sponsor):
    browser = client_as(sponsor)
    answer = browser.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert answer.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in answer.cookies
    assert not UserLanguage.objects.filter(user=sponsor).exists()


def test_a_chosen_language_sticks_for_the_signed_in_person_in_a_new_session(
    client_as, sponsor, open_review
):
    first = client_as(sponsor)
    answer = first.post("/i18n/setlang/", {"language": "de", "next": review_url(open_review)})
    assert answer.status_code == 302
    assert UserLanguage.objects.get(user=sponsor).language == "de"
    assert "Fehlendes Artefakt:" in page(first.get(review_url(open_review)))

    # Another browser, no language cookie, signing in with the password: the
    # saved choice wins over the browser's Accept-Language.
    sponsor.set_password("a long enough password")
    sponsor.save()
    second = Client()
    signed_in = second.post(
        "/accounts/login/",
        {"username": sponsor.username, "password": "a long enough password"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert signed_in.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in second.cookies
    html = page(second.get(review_url(open_review), HTTP_ACCEPT_LANGUAGE="en"))
    assert '<html lang="de">' in html
    assert "Fehlendes Artefakt:" in html

    # A browser's own choice (the switcher's cookie) wins over the saved one.
    second.cookies[settings.LANGUAGE_COOKIE_NAME] = "en-gb"
    assert "Missing artifact:" in page(second.get(review_url(open_review)))


def test_signing_out_leaves_the_next_visitor_in_the_browser_language(client, sponsor, open_review):
    user_language_set(user=sponsor, language="de")
    client.force_login(sponsor)
    assert "Meine Arbeit" in page(client.get(review_url(open_review)))
    client.post("/accounts/logout/")
    assert "Sign in" in page(client.get("/accounts/login/"))


def test_the_saved_language_costs_no_query_per_request(client_as, sponsor, open_review):
    user_language_set(user=sponsor, language="de")
    browser = client_as(sponsor)
    browser.get(review_url(open_review))
    with CaptureQueriesContext(connection) as queries:
        html = page(browser.get(review_url(open_review)))
    assert "Meine Arbeit" in html
    assert not [q for q in queries if "usecases_userlanguage" in q["sql"]]


def test_a_session_signed_in_before_reads_the_saved_language_once(client_as, sponsor, open_review):
    browser = client_as(sponsor)
    session = browser.session
    session.pop("usecases_user_language", None)
    session.save()
    UserLanguage.objects.create(user=sponsor, language="de")
    with CaptureQueriesContext(connection) as first:
        assert "Meine Arbeit" in page(browser.get(review_url(open_review)))
    with CaptureQueriesContext(connection) as second:
        assert "Meine Arbeit" in page(browser.get(review_url(open_review)))
    assert len([q for q in first if "usecases_userlanguage" in q["sql"]]) == 1
    assert not [q for q in second if "usecases_userlanguage" in q["sql"]]


def test_the_service_refuses_a_language_not_offered(sponsor):
    from core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        user_language_set(user=sponsor, language="fr")
    assert refused.value.field == "language"
    user_language_set(user=sponsor, language="de")
    user_language_set(user=sponsor, language="en-gb")
    assert UserLanguage.objects.get(user=sponsor).language == "en-gb"


# --- Dates and numbers -------------------------------------------------------------


def test_named_date_formats_keep_each_language_s_order():
    day = datetime.date(2026, 12, 3)
    moment = datetime.datetime(2026, 12, 3, 14, 5)
    with translation.override("en-gb"):
        assert date_format(day, "DATE_FORMAT") == "3 Dec 2026"
        assert date_format(moment, "DATETIME_FORMAT") == "3 Dec 2026 14:05"
        assert date_format(day, "SHORT_DATE_FORMAT") == "2026-12-03"
        assert number_format(Decimal("1234567.5"), 1, force_grouping=True) == "1,234,567.5"
    with translation.override("de"):
        assert date_format(day, "DATE_FORMAT") == "3. Dez. 2026"
        assert date_format(moment, "DATETIME_FORMAT") == "3. Dez. 2026, 14:05"
        assert date_format(day, "SHORT_DATE_FORMAT") == "03.12.2026"
        assert number_format(Decimal("1234567.5"), 1, force_grouping=True) == "1.234.567,5"


def test_a_german_date_on_the_audit_page(client_as, lead, open_review):
    event = AuditEvent.objects.filter(use_case_id=open_review.use_case_id).latest("id")
    url = f"/use-cases/{open_review.use_case_id}/audit/"
    with translation.override("de"):
        german = date_format(timezone.localtime(event.occurred_at), "DATE_FORMAT")
    with translation.override("en-gb"):
        english = date_format(timezone.localtime(event.occurred_at), "DATE_FORMAT")
    assert "." in german and german != english
    assert german in page(client_as(lead).get(url, HTTP_ACCEPT_LANGUAGE="de"))
    assert english in page(client_as(lead).get(url))


def test_a_german_number_on_a_page(client_as, lead, open_review):
    """The throttle's limit and the request body limit are grouped per language."""
    from django.test import override_settings

    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1234567):
        german = client_as(lead).post(
            "/api/v1/use-cases/",
            data=b"{" + b" " * 1234567 + b"}",
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="de",
        )
    assert german.status_code in (400, 413)
    assert "1.234.567" in german.content.decode()


# --- The catalogues ----------------------------------------------------------------


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")
def test_every_marked_string_is_translated_and_the_catalogues_compile():
    result = subprocess.run(
        [str(ROOT / "scripts" / "check-messages.sh")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (ROOT / "locale" / "de" / "LC_MESSAGES" / "django.mo").exists()
