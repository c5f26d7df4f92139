"""Custom fields in the browser: the propose and edit forms (a widget per
kind, required marked for the next gate), the use case page's Details, the
portfolio's filters, and fixed query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import UseCaseFactory
from tests.usecases.custom_field_helpers import define, define_the_usual
from usecases.models import CustomField, Stage, UseCase
from usecases.services import usecase_update

pytestmark = pytest.mark.django_db

PORTFOLIO = "/portfolio/"


def edit_url(use_case) -> str:
    return reverse("usecase-edit", args=[use_case.pk])


def test_the_forms_offer_a_widget_per_kind(client_as, lead, use_case):
    define_the_usual()
    define("owner_2", "Deputy owner", "person", required_from=Stage.POC, order=9)

    for url in (reverse("usecase-create"), edit_url(use_case)):
        page = client_as(lead).get(url).content.decode()
        assert 'name="cf_go_live"' in page and 'type="date"' in page
        assert '<select name="cf_region"' in page
        assert '<select name="cf_channels"' in page and "multiple" in page
        assert 'type="number"' in page and 'name="cf_budget"' in page
        assert '<select name="cf_data_owner"' in page
        assert 'name="cf_cost_centre"' in page
        # Gate 1 leads into POC: the field is needed for the next gate.
        assert "Deputy owner (required)" in page
        assert "Required from POC on" in page


def test_the_edit_form_sets_the_values_and_the_page_shows_them(
    client_as, sponsor, techlead, use_case
):
    define_the_usual()
    client = client_as(sponsor)
    form = client.get(edit_url(use_case)).context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name != "business_unit"}
    data["business_unit"] = use_case.business_unit_id
    data.update(
        {
            "cf_data_owner": techlead.pk,
            "cf_cost_centre": "CC-204",
            "cf_budget": "1250.50",
            "cf_go_live": "2026-03-31",
            "cf_region": "US East",
            "cf_channels": ["Web", "Branch"],
        }
    )

    response = client.post(edit_url(use_case), data)

    assert response.status_code == 302, response.context["form"].errors
    use_case.refresh_from_db()
    assert use_case.custom_values == {
        "data_owner": techlead.pk,
        "cost_centre": "CC-204",
        "budget": 1250.5,
        "go_live": "2026-03-31",
        "region": "US East",
        "channels": ["Web", "Branch"],
    }
    page = client.get(use_case.get_absolute_url()).content.decode()
    assert 'id="details"' in page
    for text in ("Data owner", "CC-204", "1250.5", "2026-03-31", "US East", "Web; Branch"):
        assert text in page
    assert techlead.username in page


def test_a_bad_value_is_shown_next_to_its_field_and_nothing_changes(client_as, sponsor, use_case):
    define("budget", "Budget", "number")
    client = client_as(sponsor)
    form = client.get(edit_url(use_case)).context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name != "business_unit"}
    data.update({"business_unit": use_case.business_unit_id, "cf_budget": "1e20"})

    response = client.post(edit_url(use_case), data)

    assert response.status_code == 200
    assert response.context["form"].errors["cf_budget"]
    assert UseCase.objects.get(pk=use_case.pk).custom_values == {}


def test_the_page_marks_a_value_the_next_gate_needs(client_as, sponsor, use_case):
    define("data_owner", "Data owner", "person", required_from=Stage.POC)

    page = client_as(sponsor).get(use_case.get_absolute_url()).content.decode()

    assert "Required from POC" in page


def test_the_portfolio_filters_on_choice_person_and_text_fields(client_as, lead, business_unit):
    define_the_usual()
    dublin = UseCaseFactory(business_unit=business_unit, title="Dublin bot")
    phone = UseCaseFactory(business_unit=business_unit, title="Phone bot")
    usecase_update(use_case=dublin, by=lead, custom_values={"region": "EU (Dublin)"})
    usecase_update(
        use_case=phone,
        by=lead,
        custom_values={"channels": ["Phone"], "data_owner": lead.pk, "cost_centre": "CC-77"},
    )
    client = client_as(lead)

    page = client.get(PORTFOLIO).content.decode()
    for name in ("cf_region", "cf_channels", "cf_data_owner", "cf_cost_centre"):
        assert f'name="{name}"' in page
    # Numbers and dates have no filter.
    assert 'name="cf_budget"' not in page and 'name="cf_go_live"' not in page

    def titles(**params) -> list[str]:
        response = client.get(PORTFOLIO, params)
        return [row.title for row in response.context["page"].object_list]

    assert titles(cf_region="EU (Dublin)") == ["Dublin bot"]
    assert titles(cf_channels="Phone") == ["Phone bot"]
    assert titles(cf_data_owner=lead.pk) == ["Phone bot"]
    assert titles(cf_cost_centre="cc-77") == ["Phone bot"]


def test_a_person_filter_the_form_refuses_says_so_in_the_results_htmx_swaps(
    client_as, lead, business_unit, outsider
):
    """The filter form swaps only the results: a person it refuses (one no
    longer active, from a bookmark) is said there, not left in the form."""
    define_the_usual()
    outsider.is_active = False
    outsider.save(update_fields=["is_active"])
    response = client_as(lead).get(
        PORTFOLIO,
        {"cf_data_owner": outsider.pk},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="results">')
    assert 'id="filter-errors"' in page
    assert "Data owner: Select a valid choice." in page


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url, params or {}).status_code == 200
    return len(context.captured_queries)


def _grow_fields(count, *, use_case, by) -> None:
    """``count`` more custom fields of the kinds that read more (a person and
    a text each), with a value on ``use_case``: more rows in its page's
    Details and more filters on the portfolio."""
    first = CustomField.objects.count()
    values = {}
    for k in range(first, first + count):
        define(f"owner_{k}", f"Owner {k}", "person", order=10 + 2 * k)
        define(f"note_{k}", f"Note {k}", "text", order=11 + 2 * k)
        values.update({f"owner_{k}": by.pk, f"note_{k}": f"Noted value {k}"})
    usecase_update(use_case=use_case, by=by, custom_values=values)


def test_the_use_case_page_reads_in_fixed_queries(client_as, lead, use_case):
    define_the_usual()
    client = client_as(lead)
    url = use_case.get_absolute_url()
    readings = []
    for count in (3, 8):
        _grow_fields(count, use_case=use_case, by=lead)
        client.get(url)  # warm: the session, the notification bell
        with CaptureQueriesContext(connection) as context:
            html = client.get(url).content.decode()
        readings.append((html.count("Noted value "), len(context.captured_queries)))
    (small_rows, small), (large_rows, large) = readings
    assert (small_rows, large_rows) == (3, 11)  # the values shown in Details
    assert small == large, (small, large)


def test_the_portfolio_reads_in_fixed_queries(client_as, lead, business_unit, use_case):
    define_the_usual()
    client = client_as(lead)
    usecase_update(
        use_case=use_case,
        by=lead,
        custom_values={"data_owner": lead.pk, "region": "US East", "channels": ["Web"]},
    )

    def grow(count):
        # More use cases the filter matches, and more fields to filter on.
        _grow_fields(count, use_case=use_case, by=lead)
        for _ in range(count):
            row = UseCaseFactory(business_unit=business_unit)
            usecase_update(
                use_case=row, by=lead, custom_values={"region": "US East", "data_owner": lead.pk}
            )

    def titles() -> int:
        response = client.get(PORTFOLIO, {"cf_region": "US East"})
        return len(response.context["page"].object_list)

    grow(3)
    portfolio_small = _count(client, PORTFOLIO, {"cf_region": "US East"})
    assert titles() == 4
    grow(8)
    assert titles() == 12
    portfolio_large = _count(client, PORTFOLIO, {"cf_region": "US East"})
    assert portfolio_small == portfolio_large, (portfolio_small, portfolio_large)
    assert portfolio_large <= 14
