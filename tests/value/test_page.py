"""The Value page: who sees it and who edits it, the figures of a
hand-computed case, the warning, the budget grid's form, benefits and
realisations, the panel on the use case page, and query bounds."""

from __future__ import annotations

import datetime
from html import unescape

import pytest
import time_machine

from core.models import AuditEvent
from readiness import services as readiness
from usecases.models import Status, UseCase
from value import services
from value.models import Benefit, BenefitRealisation, CostLine

from .helpers import at_stage, hand_computed_case

pytestmark = pytest.mark.django_db


def page(use_case) -> str:
    return f"/use-cases/{use_case.pk}/value/"


def test_anonymous_people_are_sent_to_sign_in(client, use_case):
    response = client.get(page(use_case))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_an_invisible_use_case_is_404(client_as, outsider, use_case):
    assert client_as(outsider).get(page(use_case)).status_code == 404
    assert client_as(outsider).post(page(use_case) + "costs/", {}).status_code == 404


@pytest.mark.parametrize("who", ["executive", "techlead", "buhead"])
def test_people_who_see_the_use_case_read_it_without_forms(client_as, use_case, who, request):
    response = client_as(request.getfixturevalue(who)).get(page(use_case))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Save budget" not in html and "Add benefit" not in html
    response = client_as(request.getfixturevalue(who)).post(
        page(use_case) + "costs/", {"planned__discovery__development": "1"}
    )
    assert response.status_code == 403
    assert not CostLine.objects.exists()


def test_it_shows_the_hand_computed_figures_and_the_warning(client_as, use_case, sponsor, settings):
    settings.VALUE_CURRENCY = "EUR"
    settings.VALUE_DISCOUNT_RATE = "0.08"
    hand_computed_case(use_case, sponsor)
    html = unescape(client_as(sponsor).get(page(use_case)).content.decode())
    assert 'id="roi">219.2%' in html
    assert "NPV at 8% a year" in html
    assert 'id="npv">EUR 526,996.62' in html
    assert 'id="payback">month 10' in html
    assert 'id="spent">EUR 110,000.00' in html
    assert (
        "The planned production budget (Pilot and Production one-off plans), EUR 100,000.00, is "
        "below the projection's low end, EUR 330,000.00: EUR 230,000.00 short."
    ) in html
    assert "EUR 330,000.00 – EUR 560,000.00" in html
    assert "3–5× the PoC: EUR 330,000.00 – EUR 550,000.00" in html
    assert "8–15× (survey): EUR 880,000.00 – EUR 1,650,000.00" in html
    assert 'id="benefits-annual">EUR 300,000.00' in html


def test_the_grid_is_accessible_and_offers_actuals_only_for_stages_reached(
    client_as, use_case, sponsor
):
    at_stage(use_case, "poc")
    html = client_as(sponsor).get(page(use_case)).content.decode()
    assert "<caption>Planned and actual cost per stage and category" in html
    assert '<th scope="rowgroup" rowspan="2">POC</th>' in html
    assert 'for="id_actual__poc__development">Actual POC development</label>' in html
    assert 'name="actual__poc__development"' in html
    assert 'name="planned__pilot__development"' in html
    assert 'name="actual__pilot__development"' not in html


def test_the_sponsor_saves_the_grid(client_as, use_case, sponsor):
    at_stage(use_case, "poc")
    response = client_as(sponsor).post(
        page(use_case) + "costs/",
        {
            "planned__poc__development": "80,000",
            "actual__poc__development": "95000.50",
            "planned__pilot__infrastructure": "12000",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?saved=costs#costs")
    lines = {(x.stage, x.category): (x.planned, x.actual) for x in CostLine.objects.all()}
    assert {
        k: tuple(str(v) if v is not None else None for v in val) for k, val in lines.items()
    } == {
        ("poc", "development"): ("80000.00", "95000.50"),
        ("pilot", "infrastructure"): ("12000.00", None),
    }
    assert AuditEvent.objects.filter(action="value.costs_set", actor=sponsor).count() == 1
    html = client_as(sponsor).get(response["Location"]).content.decode()
    assert "Budget saved." in html
    assert 'value="95000.50"' in html


def test_a_bad_amount_is_shown_next_to_its_input_and_nothing_changes(client_as, use_case, sponsor):
    response = client_as(sponsor).post(
        page(use_case) + "costs/",
        {"planned__discovery__development": "100", "planned__pilot__training_change": "-3"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The planned Pilot training and change management cannot be negative." in html
    assert 'value="-3"' in html
    assert not CostLine.objects.exists()


def test_a_killed_use_case_is_refused_with_its_reason(client_as, use_case, lead):
    UseCase.objects.filter(pk=use_case.pk).update(status=Status.KILLED)
    response = client_as(lead).post(
        page(use_case) + "costs/", {"planned__discovery__development": "1"}, follow=True
    )
    assert "killed at a gate; it is read-only" in response.content.decode()
    assert not CostLine.objects.exists()


def test_benefits_are_added_realised_and_deleted_on_the_page(client_as, use_case, sponsor):
    kpi = readiness.kpi_create(
        use_case=use_case, by=sponsor, name="Hours", kind="lagging", target="1", direction="higher"
    )
    client = client_as(sponsor)
    response = client.post(
        page(use_case) + "benefits/",
        {"name": "Hours saved", "annual_amount": "120000", "kpi": str(kpi.pk)},
    )
    assert response.status_code == 302
    benefit = Benefit.objects.get()
    assert benefit.kpi_id == kpi.pk
    with time_machine.travel(datetime.date(2026, 6, 30), tick=False):
        measurement = readiness.kpi_measurement_record(
            kpi=kpi, by=sponsor, value="250", measured_at="2026-03-31"
        )
        html = client.get(page(use_case)).content.decode()
        assert f'<option value="{measurement.pk}">250 on 2026-03-31</option>' in html
        response = client.post(
            page(use_case) + f"benefits/{benefit.pk}/realisations/",
            {
                f"benefit{benefit.pk}-period_end": "2026-03-31",
                f"benefit{benefit.pk}-amount": "30000",
                f"benefit{benefit.pk}-kpi_measurement": str(measurement.pk),
                f"benefit{benefit.pk}-note": "Q1",
            },
        )
        assert response.status_code == 302
        assert BenefitRealisation.objects.get().kpi_measurement_id == measurement.pk
        html = client.get(page(use_case)).content.decode()
        assert 'id="realised">EUR 30,000.00' in html
        response = client.post(
            page(use_case) + f"benefits/{benefit.pk}/realisations/",
            {f"benefit{benefit.pk}-period_end": "2027-01-01", f"benefit{benefit.pk}-amount": "1"},
        )
        assert response.status_code == 400
        assert "is in the future" in response.content.decode()
    response = client.post(page(use_case) + f"benefits/{benefit.pk}/delete/")
    assert response.status_code == 302
    assert not Benefit.objects.exists()


def test_a_duplicate_benefit_name_is_shown_on_the_form(client_as, use_case, sponsor):
    services.benefit_create(use_case=use_case, by=sponsor, name="Hours saved", annual_amount="1")
    response = client_as(sponsor).post(
        page(use_case) + "benefits/", {"name": "hours saved", "annual_amount": "5"}
    )
    assert response.status_code == 400
    assert "already has a benefit named" in response.content.decode()


def test_the_use_case_page_shows_the_value_panel(client_as, use_case, sponsor):
    hand_computed_case(use_case, sponsor)
    html = client_as(sponsor).get(f"/use-cases/{use_case.pk}/").content.decode()
    assert 'id="value-summary"' in html
    assert 'id="value-spent">EUR 110,000.00' in html
    assert 'id="value-roi">219.2%' in html
    assert 'id="value-payback">month 10' in html
    assert "EUR 230,000.00 short" in html
    assert f'href="/use-cases/{use_case.pk}/value/"' in html


def _grow(use_case, sponsor, benefits: int, realisations: int) -> None:
    at_stage(use_case, "production")
    rows = [
        {"stage": stage, "category": category, "planned": "1000", "actual": "900"}
        for stage in ("discovery", "poc", "pilot", "production")
        for category in ("infrastructure", "development", "data_preparation", "training_change")
    ]
    services.cost_lines_set(use_case=use_case, by=sponsor, rows=rows[: 2 if benefits == 1 else 16])
    with time_machine.travel(datetime.date(2026, 6, 30), tick=False):
        for b in range(benefits):
            kpi = readiness.kpi_create(
                use_case=use_case,
                by=sponsor,
                name=f"K{b}",
                kind="lagging",
                target="1",
                direction="higher",
            )
            for m in range(realisations):
                readiness.kpi_measurement_record(
                    kpi=kpi,
                    by=sponsor,
                    value=str(m),
                    measured_at=datetime.date(2025, 1, 1) + datetime.timedelta(days=m),
                )
            benefit = services.benefit_create(
                use_case=use_case, by=sponsor, name=f"B{b}", annual_amount="100", kpi=kpi
            )
            for _ in range(realisations):
                services.benefit_realisation_record(
                    benefit=benefit, by=sponsor, period_end=datetime.date(2025, 1, 1), amount="10"
                )


VALUE_PAGE_QUERIES = 11
# The use case page with its value panel (three queries of it) and its
# custom fields' Details (one); the gate ahead and the stage changes read
# once for the gate panel, the stage track and the readiness summary.
USECASE_PAGE_QUERIES = 27


@pytest.mark.parametrize(("benefits", "realisations"), [(1, 1), (6, 15)])
def test_the_pages_read_in_a_fixed_number_of_queries(
    client_as, use_case, sponsor, executive, benefits, realisations, django_assert_max_num_queries
):
    _grow(use_case, sponsor, benefits, realisations)
    for user in (sponsor, executive):
        client = client_as(user)
        client.get(page(use_case))  # warm the session
        with django_assert_max_num_queries(VALUE_PAGE_QUERIES):
            assert client.get(page(use_case)).status_code == 200
        with django_assert_max_num_queries(USECASE_PAGE_QUERIES):
            assert client.get(f"/use-cases/{use_case.pk}/").status_code == 200


def test_a_benefit_is_changed_on_the_page(client_as, use_case, sponsor):
    benefit = services.benefit_create(
        use_case=use_case, by=sponsor, name="Hours saved", annual_amount="1000"
    )
    client = client_as(sponsor)
    prefix = f"edit{benefit.pk}"
    assert (
        f'name="{prefix}-annual_amount" value="1000.00"'
        in client.get(page(use_case)).content.decode()
    )
    response = client.post(
        page(use_case) + f"benefits/{benefit.pk}/",
        {f"{prefix}-name": "Hours saved", f"{prefix}-annual_amount": "2500", f"{prefix}-kpi": ""},
    )
    assert response.status_code == 302
    benefit.refresh_from_db()
    assert str(benefit.annual_amount) == "2500.00"
    assert AuditEvent.objects.filter(action="value.benefit_changed").count() == 1
    response = client.post(
        page(use_case) + f"benefits/{benefit.pk}/",
        {f"{prefix}-name": "Hours saved", f"{prefix}-annual_amount": "-1"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "<details open>" in html and "The annual amount cannot be negative." in html
