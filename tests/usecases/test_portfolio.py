from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UseCaseFactory, UserFactory
from usecases.models import BusinessUnit, Stage, Status, UseCase

URL = reverse("portfolio")


def titles(response) -> list[str]:
    return re.findall(r'<td><a href="/use-cases/\d+/">([^<]+)</a>', response.content.decode())


def stage_count(response, stage: str) -> int:
    for listed, count in response.context["result"].counts:
        if listed == stage:
            return count
    raise AssertionError(stage)


@pytest.fixture
def spread(db, business_unit, sponsor):
    """Four use cases: two in Discovery (one on hold), one in Pilot, one in another unit."""
    made = {
        "claims": UseCaseFactory(
            title="Claims triage", business_unit=business_unit, sponsor=sponsor
        ),
        "held": UseCaseFactory(title="Held chatbot", business_unit=business_unit, sponsor=sponsor),
        "pilot": UseCaseFactory(
            title="Pilot pricing", summary="Dynamic claims pricing.", business_unit=business_unit
        ),
        "fraud": UseCaseFactory(title="Fraud scoring"),
    }
    UseCase.objects.filter(pk=made["held"].pk).update(status=Status.ON_HOLD)
    UseCase.objects.filter(pk=made["pilot"].pk).update(stage=Stage.PILOT)
    return made


def test_it_filters_by_stage_status_unit_and_text(spread, client_as, lead, business_unit):
    client = client_as(lead)
    assert sorted(titles(client.get(URL, {"stage": "pilot"}))) == ["Pilot pricing"]
    assert titles(client.get(URL, {"status": "on_hold"})) == ["Held chatbot"]
    assert "Fraud scoring" not in titles(client.get(URL, {"business_unit": business_unit.pk}))
    # The text matches title or summary, whatever the case.
    assert sorted(titles(client.get(URL, {"q": "CLAIMS"}))) == ["Claims triage", "Pilot pricing"]


def test_the_text_search_takes_its_term_literally_and_follows_edits(spread, client_as, lead):
    """The search reads the stored upper-cased title and summary: ``%`` and
    ``_`` are plain characters, a term does not run from the end of a title
    into its summary, and an edited title is found at once."""
    client = client_as(lead)
    assert titles(client.get(URL, {"q": "%"})) == []
    assert titles(client.get(URL, {"q": "c_aims"})) == []
    assert titles(client.get(URL, {"q": "pricing\nDynamic"})) == []
    assert titles(client.get(URL, {"q": "pricing dynamic"})) == []
    assert titles(client.get(URL, {"q": "Dynamic claims\npricing"})) == []
    UseCase.objects.filter(pk=spread["fraud"].pk).update(summary="Line one.\nLine two.")
    assert titles(client.get(URL, {"q": "one.\nline"})) == ["Fraud scoring"]
    spread["fraud"].title = "Fraud 100% scoring"
    spread["fraud"].save()
    assert titles(client.get(URL, {"q": "100% SCOR"})) == ["Fraud 100% scoring"]


@pytest.mark.postgres("the trigram index is PostgreSQL's")
def test_the_text_search_can_read_the_trigram_index_instead_of_every_row(spread, lead):
    """The search's own SQL (``search_text LIKE '%' || UPPER(term) || '%'``)
    matches usecases_usecase's trigram index (migration 0013): with
    sequential scans priced out, PostgreSQL answers it from the index."""
    from usecases.filters import UseCaseFilterSet
    from usecases.selectors import portfolio_queryset

    searched = UseCaseFilterSet({"q": "claims"}, portfolio_queryset(lead)).qs
    assert sorted(searched.values_list("title", flat=True)) == ["Claims triage", "Pilot pricing"]
    sql, params = searched.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "usecase_search_text_trgm" in plan, plan


def test_it_counts_per_stage_under_the_other_filters_but_not_the_stage(spread, client_as, lead):
    response = client_as(lead).get(URL, {"stage": "pilot", "q": "claims"})
    assert stage_count(response, "pilot") == 1
    assert stage_count(response, "discovery") == 1  # "Claims triage" still counts
    assert stage_count(response, "scale") == 0
    assert response.context["result"].total == 1


@pytest.mark.parametrize("sort", ["", "title"])
def test_a_reader_of_the_whole_portfolio_unfiltered_gets_the_same_counts(
    spread, client_as, lead, sort
):
    """Counted by selectors.whole_portfolio_stage_counts when nothing but the
    stage or the sort is chosen (on PostgreSQL from the dashboard tally, else
    a plain GROUP BY): the same figures as the filtered counts, the stage
    filter included."""
    from usecases.selectors import portfolio_queryset, stage_counts

    expected = stage_counts(portfolio_queryset(lead))
    assert expected == {"discovery": 3, "poc": 0, "pilot": 1, "production": 0, "scale": 0}
    for params in ({"sort": sort}, {"sort": sort, "stage": "pilot"}):
        with CaptureQueriesContext(connection) as queries:
            response = client_as(lead).get(URL, params)
        assert dict(response.context["result"].counts) == expected
        if connection.vendor == "postgresql":
            assert any('FROM "reporting_portfoliotally"' in q["sql"] for q in queries)
        else:
            assert any("GROUP BY" in q["sql"] and "COUNT(*)" in q["sql"] for q in queries)
        assert not any(
            "FILTER (WHERE" in q["sql"] and "usecases_usecase" in q["sql"] for q in queries
        )
    assert response.context["result"].total == 1
    # A filter other than the stage narrows the counts again.
    response = client_as(lead).get(URL, {"status": "on_hold", "sort": sort})
    assert stage_count(response, "discovery") == 1
    assert stage_count(response, "pilot") == 0


def test_it_counts_only_what_the_person_may_see(spread, client_as, sponsor):
    response = client_as(sponsor).get(URL)
    assert stage_count(response, "discovery") == 2
    assert stage_count(response, "pilot") == 0


def test_it_links_each_stage_count_to_that_filter_keeping_the_others(spread, client_as, lead):
    page = client_as(lead).get(URL, {"q": "claims", "page": "1"}).content.decode()
    assert 'href="?q=claims&amp;stage=pilot"' in page
    assert 'hx-get="?q=claims&amp;stage=pilot"' in page


def test_it_ignores_filter_values_it_does_not_know(spread, client_as, lead):
    response = client_as(lead).get(URL, {"stage": "launched", "business_unit": "x\x00"})
    assert response.status_code == 200
    assert len(titles(response)) == 4


def test_it_sorts_by_title_and_by_time_in_stage(spread, client_as, lead):
    client = client_as(lead)
    by_title = titles(client.get(URL, {"sort": "title"}))
    assert by_title == sorted(by_title)
    UseCase.objects.filter(pk=spread["fraud"].pk).update(stage_entered_at="2020-01-01T00:00Z")
    assert titles(client.get(URL, {"sort": "stage_entered"}))[0] == "Fraud scoring"


def test_it_paginates(make_portfolio, client_as, lead, settings):
    settings.PORTFOLIO_PAGE_SIZE = 4
    make_portfolio(10)
    client = client_as(lead)
    first = client.get(URL)
    assert len(titles(first)) == 4
    assert 'href="?page=2"' in first.content.decode()
    last = client.get(URL, {"page": "3"})
    assert len(titles(last)) == 2
    assert "page 3 of 3" in last.content.decode()
    seen = titles(first) + titles(client.get(URL, {"page": "2"})) + titles(last)
    assert len(set(seen)) == 10
    # A page beyond the end shows the last one instead of an error.
    assert titles(client.get(URL, {"page": "99"})) == titles(last)


def test_it_answers_htmx_with_the_results_or_the_filters_and_results(spread, client_as, lead):
    client = client_as(lead)
    results = client.get(
        URL, {"stage": "pilot"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    body = results.content.decode()
    assert body.lstrip().startswith('<div id="results">')
    assert "<html" not in body and "<form" not in body
    assert titles(results) == ["Pilot pricing"]
    whole = client.get(
        URL, {"stage": "pilot"}, headers={"HX-Request": "true", "HX-Target": "portfolio"}
    )
    assert whole.content.decode().lstrip().startswith('<div id="portfolio">')
    assert 'value="pilot" selected' in whole.content.decode()
    restore = client.get(URL, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.content.decode()


def test_it_keeps_a_real_form_and_links_for_browsers_without_javascript(spread, client_as, lead):
    page = client_as(lead).get(URL).content.decode()
    assert f'method="get" action="{URL}"' in page
    assert '<button type="submit">Apply</button>' in page


@pytest.mark.parametrize("size", [5, 60])
def test_it_reads_the_portfolio_in_a_fixed_number_of_queries(
    size, make_portfolio, client_as, lead, sponsor, business_unit, django_assert_max_num_queries
):
    make_portfolio(size, member=sponsor)
    # The head of one of its units: their unit and their roles elsewhere,
    # counted apart (access.visible_apart).
    head = UserFactory(username="head")
    BusinessUnit.objects.filter(code="retail").update(head=head)
    for person in (lead, sponsor, head):
        client = client_as(person)
        with django_assert_max_num_queries(12):
            response = client.get(URL)
        assert response.status_code == 200
        with django_assert_max_num_queries(14):
            response = client.get(URL, {"q": "Use case", "business_unit": business_unit.pk})
        assert response.status_code == 200
        with django_assert_max_num_queries(12):
            response = client.get(URL, {"page": "2", "sort": "title"})
        assert response.status_code == 200


def test_a_head_sees_their_whole_unit_and_their_roles_elsewhere(spread, client_as, buhead):
    from usecases.models import MemberRole, UseCaseMember

    assert spread["claims"].business_unit.head == buhead
    UseCaseMember.objects.create(use_case=spread["fraud"], user=buhead, role=MemberRole.CONTRIBUTOR)
    UseCaseFactory(title="Another unit's secret", business_unit=spread["fraud"].business_unit)
    response = client_as(buhead).get(URL)
    assert sorted(titles(response)) == [
        "Claims triage",
        "Fraud scoring",
        "Held chatbot",
        "Pilot pricing",
    ]
    assert stage_count(response, "discovery") == 3 and stage_count(response, "pilot") == 1
    assert client_as(buhead).get(spread["fraud"].get_absolute_url()).status_code == 200
    # Counted under the other filters too: "claims" in the title or summary.
    searched = client_as(buhead).get(URL, {"q": "claims"})
    assert sorted(titles(searched)) == ["Claims triage", "Pilot pricing"]
    assert stage_count(searched, "discovery") == 1 and stage_count(searched, "pilot") == 1
    on_hold = client_as(buhead).get(URL, {"status": "on_hold", "stage": "pilot"})
    assert titles(on_hold) == [] and stage_count(on_hold, "discovery") == 1


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Claims triage", "Fraud scoring", "Held chatbot", "Pilot pricing"]),
        ({"q": "claims"}, ["Claims triage", "Pilot pricing"]),
        ({"stage": "discovery", "status": "active"}, ["Claims triage", "Fraud scoring"]),
        (
            {"whose": "mine", "sort": "title"},
            ["Claims triage", "Fraud scoring", "Held chatbot", "Pilot pricing"],
        ),
    ],
)
def test_the_api_counts_a_heads_use_cases_as_the_page_does(
    spread, api_as, buhead, params, expected
):
    from usecases.models import MemberRole, UseCaseMember

    UseCaseMember.objects.create(use_case=spread["fraud"], user=buhead, role=MemberRole.CONTRIBUTOR)
    # A role in their own unit as well: counted once.
    UseCaseMember.objects.create(
        use_case=spread["claims"], user=buhead, role=MemberRole.CONTRIBUTOR
    )
    UseCaseFactory(title="Another unit's secret", business_unit=spread["fraud"].business_unit)
    body = api_as(buhead).get("/api/v1/use-cases/", params).json()
    assert body["count"] == len(expected)
    assert sorted(row["title"] for row in body["results"]) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, 4),
        ({"stage": "discovery"}, 3),
        ({"stage": "pilot", "sort": "title"}, 1),
        ({"stage": "scale"}, 0),
        ({"q": "claims"}, 2),
        ({"status": "on_hold"}, 1),
    ],
)
def test_the_api_counts_the_whole_portfolio_as_the_page_does(
    spread, api_as, lead, executive, params, expected, monkeypatch
):
    """A reader who sees every use case and filters at most the stage gets
    the total from the portfolio's counts per stage (``selectors.list_total``),
    as the page does; any other filter counts the rows. Pages of one, so the
    total is not the page's length."""
    from usecases.api import UseCaseListView

    monkeypatch.setattr(UseCaseListView.pagination_class, "page_size", 1)
    for reader in (lead, executive):
        body = api_as(reader).get("/api/v1/use-cases/", params).json()
        assert body["count"] == expected
        assert len(body["results"]) == min(expected, 1)


def test_the_api_total_follows_the_portfolio_as_it_is_written(spread, api_as, lead):
    client = api_as(lead)
    UseCaseFactory(title="Another one")
    UseCase.objects.filter(pk=spread["claims"].pk).update(stage=Stage.PILOT)
    assert client.get("/api/v1/use-cases/").json()["count"] == 5
    assert client.get("/api/v1/use-cases/", {"stage": "pilot"}).json()["count"] == 2
    assert client.get("/api/v1/use-cases/", {"stage": "discovery"}).json()["count"] == 3
    UseCase.objects.filter(pk=spread["fraud"].pk).delete()
    assert client.get("/api/v1/use-cases/", {"stage": "discovery"}).json()["count"] == 2
    assert client.get("/api/v1/use-cases/").json()["count"] == 4
