"""The portfolio search's narrow copy of the use cases (``UseCaseSearch``):
PostgreSQL keeps it in step with every write of a use case, and a search by
a reader of the whole portfolio counts its matches per stage from it, with
the figures the use cases themselves give."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UseCaseFactory
from usecases.filters import UseCaseFilterSet
from usecases.models import Stage, UseCase, UseCaseSearch
from usecases.selectors import portfolio_queryset, stage_counts

pytestmark = pytest.mark.postgres("PostgreSQL's triggers keep the search copy")

URL = reverse("portfolio")
COPY = UseCaseSearch._meta.db_table


def copied() -> set[tuple]:
    return set(UseCaseSearch.objects.values_list("use_case_id", "stage", "search_text"))


def originals() -> set[tuple]:
    return set(UseCase.objects.values_list("pk", "stage", "search_text"))


def test_the_copy_follows_every_write_of_a_use_case(db):
    claims = UseCaseFactory(title="Claims triage", summary="Routes claims.")
    assert copied() == originals() and len(copied()) == 1

    claims.title = "Claims routing"
    claims.save()
    UseCase.objects.filter(pk=claims.pk).update(stage=Stage.PILOT, summary="Second line.")
    assert copied() == originals()
    assert (claims.pk, Stage.PILOT, "CLAIMS ROUTING\nSECOND LINE.") in copied()

    made = UseCase.objects.bulk_create(
        UseCase(title=f"Bulk {n}", summary="In one statement.", business_unit=claims.business_unit)
        for n in range(3)
    )
    assert copied() == originals() and len(copied()) == 4

    UseCase.objects.filter(pk__in=[m.pk for m in made[:2]]).delete()
    assert copied() == originals() and len(copied()) == 2

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred checks, done
        cursor.execute("TRUNCATE usecases_usecase CASCADE")
    assert copied() == originals() == set()


@pytest.mark.parametrize("term", ["claims", "CLAIMS", "pricing", "%", "c_aims", "nothing like it"])
def test_a_search_counts_per_stage_from_the_copy_what_the_use_cases_give(
    db, client_as, lead, sponsor, term
):
    UseCaseFactory(title="Claims triage", sponsor=sponsor)
    UseCaseFactory(title="Claims pricing", stage=Stage.PILOT)
    UseCaseFactory(title="Pricing engine", summary="Prices claims.", stage=Stage.SCALE)
    UseCaseFactory(title="Fraud scoring")
    expected = stage_counts(UseCaseFilterSet({"q": term}, portfolio_queryset(lead)).qs)

    for params in ({"q": term}, {"q": term, "stage": "pilot"}):
        with CaptureQueriesContext(connection) as queries:
            response = client_as(lead).get(URL, params)
        assert dict(response.context["result"].counts) == expected
        counted = [q["sql"] for q in queries if "COUNT" in q["sql"].upper()]
        assert any(COPY in sql for sql in counted), counted

    # Another filter, or a reader who sees part of the portfolio: the use
    # cases themselves, as before.
    for client, params in (
        (client_as(lead), {"q": term, "status": "active"}),
        (client_as(sponsor), {"q": term}),
    ):
        with CaptureQueriesContext(connection) as queries:
            client.get(URL, params)
        assert not any(COPY in q["sql"] for q in queries)


def test_the_api_totals_a_search_from_the_copy(db, api_as, lead):
    UseCaseFactory(title="Claims triage")
    UseCaseFactory(title="Claims pricing", stage=Stage.PILOT)
    UseCaseFactory(title="Fraud scoring")
    with CaptureQueriesContext(connection) as queries:
        response = api_as(lead).get("/api/v1/use-cases/", {"q": "claims"})
    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert any(COPY in q["sql"] for q in queries)
