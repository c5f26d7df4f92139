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
