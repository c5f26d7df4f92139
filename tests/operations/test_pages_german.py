"""The pages of operations, value, the rollout, the inbox and the use case
in German (Accept-Language): they render, in German, with nothing left in
English of what these apps write themselves."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}


@pytest.mark.parametrize(
    ("path", "german", "english"),
    [
        ("/use-cases/{pk}/operation/", "Überwachte KPIs", "Monitored KPIs"),
        ("/use-cases/{pk}/value/", "Erträge über drei Jahre", "Returns over three years"),
        ("/use-cases/{pk}/rollout/", "Produktionswellen", "Production waves"),
        ("/use-cases/{pk}/", "Der Fall", "The case"),
        ("/inbox/", "Nur ungelesene", "Unread only"),
        ("/inbox/preferences/", "Benachrichtigungseinstellungen", "Save preferences"),
        ("/portfolio/", "Anwendungsfälle je Phase", "Use cases per stage"),
    ],
)
def test_the_page_renders_in_german(client_as, operating, lead, path, german, english):
    url = path.format(pk=operating.pk)
    response = client_as(lead).get(url, **GERMAN)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert german in html, (url, german)
    assert english not in html, (url, english)
    # And in English without the header, as before.
    assert english in client_as(lead).get(url).content.decode()
