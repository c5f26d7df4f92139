"""The pack prints the gate meeting (date, attendees, minutes), the
conditions the approvers proposed and whether the chair adopted them, and a
sign-off block with every approver's recorded decision."""

from __future__ import annotations

import pytest
from django.utils import timezone

from gates import services as gate_services
from gates.models import Decision, ProposedCondition
from reporting import services
from reporting.models import GatePack, PackStatus
from reporting.pack_data import pack_data
from tests.reporting.helpers import make_decided_review, pdf_text, squash

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(use_case, lead, sponsor):
    review = make_decided_review(use_case, lead, sponsor, decide=False)
    adopted = ProposedCondition.objects.filter(review=review).order_by("id").first()
    gate_services.gate_decide(
        review=review,
        by=lead,
        decision=Decision.CONDITIONAL_GO,
        rationale="The PoC holds; go on with the sponsor's condition.",
        adopt=[adopted.pk],
        attendees=[sponsor],
        guests="Olga Outside (internal audit)",
        minutes="The sponsor walked the board through the PoC figures.",
    )
    review.refresh_from_db()
    return review


def test_the_pack_data_carries_the_meeting_and_the_proposals(decided, lead, sponsor):
    data = pack_data(decided)

    meeting = data["review"]["meeting"]
    assert meeting["date"] == timezone.localdate().strftime("%d %b %Y")
    assert meeting["attendees"] == sorted(
        [lead.get_full_name(), sponsor.get_full_name()], key=lambda n: n.split()[-1]
    )
    assert meeting["guests"] == "Olga Outside (internal audit)"
    assert [p["adopted"] for p in data["proposed_conditions"]].count(True) == 1


def test_the_pdf_prints_the_meeting_and_the_sign_off(
    decided, lead, sponsor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = services.pack_request(review=decided, by=lead)
    pack = GatePack.objects.get(pk=result.pack.pk)
    assert pack.status == PackStatus.READY, pack.failure_reason

    text = squash(pdf_text(pack.file.read()))
    assert "Gate meeting" in text
    assert "The sponsor walked the board through the PoC figures." in text
    assert "Olga Outside (internal audit)" in text
    assert "Conditions the approvers proposed" in text
    assert "Sign-off" in text
    # Table headings print in capitals.
    assert "SIGNATURE AND DATE" in text
    sign_off = text[text.index("Sign-off") :]
    assert "Chair" in sign_off
    for row in decided.approvers.select_related("user"):
        assert row.user.get_full_name() in sign_off
