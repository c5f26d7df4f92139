from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from gates.models import GateReview, GateTemplate, ReviewApprover, ReviewStatus
from tests.factories import UseCaseFactory


def test_it_lists_the_use_cases_where_i_hold_a_role(use_case, client_as, techlead):
    UseCaseFactory(title="Fraud scoring")
    page = client_as(techlead).get(reverse("home")).content.decode()
    assert "Claims triage assistant" in page
    assert "Technical lead" in page
    assert "Fraud scoring" not in page
    assert 'class="badge badge-discovery"' in page


def test_it_lists_the_use_cases_of_the_unit_i_head(use_case, client_as, buhead):
    page = client_as(buhead).get(reverse("home")).content.decode()
    assert "Claims triage assistant" in page
    assert "Business unit head" in page


def test_it_does_not_list_the_whole_portfolio_as_a_leads_own_work(use_case, client_as, lead):
    page = client_as(lead).get(reverse("home")).content.decode()
    assert "Claims triage assistant" not in page
    assert "You hold no role on a use case yet." in page


def test_it_lists_my_pending_approvals(use_case, client_as, lead, sponsor):
    template = GateTemplate.objects.get(number=1)
    review = GateReview.objects.create(
        use_case=use_case,
        template=template,
        template_version=template.version,
        gate_number=1,
        from_stage="discovery",
        to_stage="poc",
        status=ReviewStatus.SUBMITTED,
        submitted_at=timezone.now(),
        chair=lead,
    )
    ReviewApprover.objects.create(review=review, user=sponsor, roles=["sponsor"])
    page = client_as(sponsor).get(reverse("home")).content.decode()
    assert 'id="pending-approvals"' in page
    assert "Gate 1: Discovery → POC" in page
    assert (
        "Nothing waits for your approval." in client_as(lead).get(reverse("home")).content.decode()
    )


def _unit_cases(business_unit, n: int) -> list:
    return [
        UseCaseFactory(title=f"Unit case {i:02d}", business_unit=business_unit) for i in range(n)
    ]


def test_it_shows_my_25_latest_use_cases_and_links_to_all_of_them(client_as, buhead, business_unit):
    created = _unit_cases(business_unit, 27)
    client = client_as(buhead)
    page = client.get(reverse("home")).content.decode()
    shown = [uc for uc in created if f">{uc.title}</a>" in page]
    assert shown == created[2:]  # the most recently updated
    assert "The 25 most recently updated of your 27 use cases." in page
    assert 'href="/portfolio/?whose=mine"' in page
    portfolio = client.get("/portfolio/?whose=mine&sort=title&page=2").content.decode()
    assert "Unit case 25" in portfolio and "Unit case 26" in portfolio
    assert "selected>Mine: my roles and my units</option>" in portfolio


def test_it_says_nothing_more_when_it_shows_them_all(client_as, buhead, business_unit):
    _unit_cases(business_unit, 3)
    page = client_as(buhead).get(reverse("home")).content.decode()
    assert page.count(">Unit case ") == 3
    assert 'id="my-use-cases-more"' not in page


def test_my_work_reads_as_many_queries_for_many_use_cases_as_for_a_few(
    client_as, buhead, business_unit, monkeypatch
):
    """The sizes straddle what My work shows (10): 5 rows, then 10 rows of 15.
    The second reads one query more, the total counted only when the list is
    full; a query per row would be five more."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from front.views import portfolio

    monkeypatch.setattr(portfolio, "MY_USE_CASES_SHOWN", 10)
    client = client_as(buhead)
    counts = []
    for n, shown in ((5, 5), (15, 10)):
        _unit_cases(business_unit, n - len(counts) * 5)
        client.get(reverse("home"))  # warm: the session and the sidebar counts
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("home")).content.decode()
        assert page.count(">Unit case ") == shown
        counts.append(len(queries))
    assert "The 10 most recently updated of your 15 use cases." in page
    assert counts[1] == counts[0] + 1, counts


def test_a_heads_count_takes_their_units_and_their_roles_elsewhere_once_each(
    client_as, buhead, techlead, business_unit, monkeypatch
):
    """The head's use cases are counted as two sets that do not overlap
    (``my_use_cases_count``): a role on a use case of their own unit counts
    once, a role elsewhere counts too, and other units' use cases do not."""
    from front.views import portfolio
    from tests.factories import BusinessUnitFactory

    monkeypatch.setattr(portfolio, "MY_USE_CASES_SHOWN", 2)
    own = _unit_cases(business_unit, 3)
    UseCaseFactory(title="Sponsored in my unit", business_unit=business_unit, sponsor=buhead)
    elsewhere = BusinessUnitFactory(name="Finance", code="finance")
    UseCaseFactory(title="Sponsored elsewhere", business_unit=elsewhere, sponsor=buhead)
    UseCaseFactory(title="Led elsewhere", business_unit=elsewhere, technical_lead=buhead)
    UseCaseFactory(title="Not mine", business_unit=elsewhere, technical_lead=techlead)
    page = client_as(buhead).get(reverse("home")).content.decode()
    assert f"The 2 most recently updated of your {len(own) + 3} use cases." in page
    # Someone who heads nothing: their roles, counted as they are.
    UseCaseFactory(title="Also led", business_unit=business_unit, technical_lead=techlead)
    UseCaseFactory(title="Led thrice", business_unit=elsewhere, technical_lead=techlead)
    page = client_as(techlead).get(reverse("home")).content.decode()
    assert "The 2 most recently updated of your 3 use cases." in page
