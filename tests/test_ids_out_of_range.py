"""An id no row can have (past 64 bits) is a 404 on every page and endpoint,
on any database: the URL does not match, so no query is made (SQLite used to
raise OverflowError, a 500)."""

from __future__ import annotations

import pytest

from core.converters import IdConverter

HUGE = "99999999999999999999"
JUST_PAST = str(2**63)

PATHS = [
    "/use-cases/{id}/",
    "/reviews/{id}/",
    "/api/v1/use-cases/{id}/",
    "/api/v1/reviews/{id}/",
    "/api/v1/reviews/{id}/criteria/20/kpi-rule/",
    "/api/v1/artifacts/{id}/download/",
    "/api/v1/packs/{id}/",
    "/use-cases/{id}/value/",
    "/api/v1/use-cases/{id}/value/",
    "/api/v1/benefits/{id}/realisations/",
]


@pytest.mark.parametrize("number", [HUGE, JUST_PAST])
@pytest.mark.parametrize("path", PATHS)
def test_it_answers_404(client_as, api_as, lead, path, number):
    url = path.format(id=number)
    client = api_as(lead) if url.startswith("/api/") else client_as(lead)

    response = client.delete(url) if url.endswith("kpi-rule/") else client.get(url)

    assert response.status_code == 404
    if url.startswith("/api/"):
        assert response.json() == {"detail": "Not found.", "reasons": [], "fields": {}}


def test_the_converter_takes_every_row_id_and_nothing_past_them():
    converter = IdConverter()
    assert converter.to_python("1") == 1
    assert converter.to_python(str(2**63 - 1)) == 2**63 - 1
    for value in ("0", JUST_PAST):
        with pytest.raises(ValueError):
            converter.to_python(value)
