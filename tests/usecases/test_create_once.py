"""Proposing a use case is idempotent: the key the form was rendered with
(or the API's Idempotency-Key header) creates one use case, however often
the same person sends it."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from tests.usecases.test_forms import HTMX, valid_data
from usecases.models import UseCase
from usecases.services import usecase_create_once

CREATE = reverse("usecase-create")
LIST = reverse("api-usecase-list")
KEY = "k3y-0f-one-form-render"


def rendered_key(client) -> str:
    page = client.get(CREATE).content.decode()
    match = re.search(r'<input type="hidden" name="idempotency_key" value="([^"]+)"', page)
    assert match, "the form carries a hidden idempotency key"
    return match.group(1)


def test_it_renders_a_new_key_with_every_form(client_as, sponsor, business_unit):
    client = client_as(sponsor)
    first, second = rendered_key(client), rendered_key(client)
    assert first != second
    assert len(first) >= 16


def test_it_creates_one_use_case_when_the_same_form_is_posted_twice(
    client_as, sponsor, business_unit
):
    client = client_as(sponsor)
    data = valid_data(business_unit, idempotency_key=rendered_key(client))
    first = client.post(CREATE, data)
    second = client.post(CREATE, data)

    use_case = UseCase.objects.get(title="Invoice matching")
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == use_case.get_absolute_url()
    assert UseCase.objects.count() == 1
    assert AuditEvent.objects.filter(action="usecase.created").count() == 1


def test_it_answers_the_second_htmx_post_with_the_first_use_case(client_as, sponsor, business_unit):
    client = client_as(sponsor)
    data = valid_data(business_unit, idempotency_key=KEY)
    responses = [client.post(CREATE, data, headers=HTMX) for _ in range(2)]
    use_case = UseCase.objects.get()
    assert [r["HX-Redirect"] for r in responses] == [use_case.get_absolute_url()] * 2


def test_it_creates_a_second_use_case_from_a_second_form(client_as, sponsor, business_unit):
    client = client_as(sponsor)
    client.post(CREATE, valid_data(business_unit, idempotency_key=rendered_key(client)))
    client.post(CREATE, valid_data(business_unit, idempotency_key=rendered_key(client)))
    assert UseCase.objects.filter(title="Invoice matching").count() == 2


def test_it_keeps_keys_per_person(client_as, sponsor, lead, business_unit):
    client_as(sponsor).post(CREATE, valid_data(business_unit, idempotency_key=KEY))
    client_as(lead).post(CREATE, valid_data(business_unit, idempotency_key=KEY))
    assert sorted(UseCase.objects.values_list("created_by__username", flat=True)) == [
        "lead",
        "sponsor",
    ]


def test_it_refuses_a_malformed_key_and_creates_nothing(client_as, sponsor, business_unit):
    response = client_as(sponsor).post(
        CREATE, valid_data(business_unit, idempotency_key="a key with spaces")
    )
    assert response.status_code == 200
    assert "An idempotency key is 8 to 64 letters" in response.content.decode()
    assert not UseCase.objects.exists()


# The API


def test_it_answers_200_with_the_same_use_case_to_a_repeated_idempotency_key(
    api_as, sponsor, business_unit
):
    client = api_as(sponsor)
    body = valid_data(business_unit)
    first = client.post(LIST, body, format="json", headers={"Idempotency-Key": KEY})
    again = client.post(LIST, body, format="json", headers={"Idempotency-Key": KEY})

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again["Location"] == first["Location"]
    assert UseCase.objects.count() == 1
    assert AuditEvent.objects.filter(action="usecase.created").count() == 1


def test_it_creates_each_time_without_a_key(api_as, sponsor, business_unit):
    client = api_as(sponsor)
    for _ in range(2):
        assert client.post(LIST, valid_data(business_unit), format="json").status_code == 201
    assert UseCase.objects.count() == 2


@pytest.mark.parametrize("key", ["short", "x" * 65, "spaces are not allowed"])
def test_it_answers_400_to_a_malformed_idempotency_key(api_as, sponsor, business_unit, key):
    response = api_as(sponsor).post(
        LIST, valid_data(business_unit), format="json", headers={"Idempotency-Key": key}
    )
    assert response.status_code == 400
    assert "idempotency key" in response.json()["detail"]
    assert not UseCase.objects.exists()


def test_it_documents_the_idempotency_key_header(client):
    schema = client.get("/api/schema/", headers={"Accept": "application/json"})
    operation = schema.json()["paths"]["/api/v1/use-cases/"]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and not header.get("required", False)
    assert set(operation["responses"]) >= {"200", "201"}


@pytest.mark.django_db(transaction=True)
def test_it_creates_one_use_case_when_the_same_key_races(sponsor, business_unit):
    """Two requests with the same key at the same moment: one creates, the
    other waits on the unique constraint and answers with that use case."""
    barrier = threading.Barrier(2)
    results: list = []

    def propose() -> None:
        try:
            barrier.wait()
            results.append(
                usecase_create_once(
                    by=sponsor,
                    idempotency_key=KEY,
                    title="Invoice matching",
                    summary="Match supplier invoices.",
                    business_unit=business_unit,
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=propose) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert UseCase.objects.count() == 1
    assert sorted(created for _, created in results) == [False, True]
    assert {use_case.pk for use_case, _ in results} == {UseCase.objects.get().pk}


def test_an_anonymous_post_creates_nothing(business_unit):
    Client().post(CREATE, valid_data(business_unit, idempotency_key=KEY))
    assert not UseCase.objects.exists()
