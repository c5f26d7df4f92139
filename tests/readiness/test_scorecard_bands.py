"""Gate 2 follows the PoC scorecard's bands: below 18 neither Go nor
Conditional Go, 18 to 23 Conditional Go only with a condition naming each item
scored 1, 24 or more Go. The gate template's setting turns it off, audited."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.errors import TransitionRefused
from core.models import AuditEvent
from gates import services
from gates.models import Decision, GateTemplate, ReviewStatus
from readiness.models import ScorecardItem
from tests.gates.helpers import advance, isolate, ready_for_decision, score_poc
from tests.gates.test_admin_framework import admin_client, change_url, superuser  # noqa: F401
from tests.gates.test_views_admin import inline_data
from usecases.models import Stage

pytestmark = pytest.mark.django_db

# Scores in item order (Business KPI improvement, Front-line user acceptance,
# Data quality stability, Integration feasibility, Operating cost
# predictability, Executive investment readiness).
SCORES = {
    17: [3, 1, 2, 3, 4, 4],
    18: [4, 1, 3, 3, 3, 4],
    23: [4, 4, 1, 4, 5, 5],
    24: [4, 4, 4, 4, 4, 4],
}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    return isolate(settings, tmp_path)


@pytest.fixture
def items():
    return list(ScorecardItem.objects.filter(is_active=True).order_by("order", "id"))


@pytest.fixture
def gate2(use_case, lead, sponsor):
    """A Gate 2 review with every approval and every criterion met."""
    advance(use_case, lead, sponsor, 1)
    return ready_for_decision(use_case, lead, sponsor)


def condition(description: str, owner) -> dict:
    return {
        "description": description,
        "owner": owner,
        "due_date": timezone.localdate() + datetime.timedelta(days=30),
    }


def decide(review, lead, decision, conditions=()):
    return services.gate_decide(
        review=review,
        by=lead,
        decision=decision,
        rationale="The PoC holds.",
        conditions=conditions,
    )


def refusal(review, lead, decision, conditions=()) -> list[str]:
    with pytest.raises(TransitionRefused) as error:
        decide(review, lead, decision, conditions)
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    return error.value.reasons


@pytest.mark.parametrize("total", [17, 18, 23, 24])
def test_it_follows_the_band_of_the_total(gate2, use_case, lead, sponsor, items, total):
    score_poc(use_case, lead, SCORES[total])
    scored_1 = [item.name for item, score in zip(items, SCORES[total], strict=True) if score == 1]

    if total == 17:
        reasons = refusal(gate2, lead, Decision.GO)
        assert reasons[0].startswith("The PoC scorecard scores 17/30, below 18")
        assert reasons[1:] == [
            f"Scorecard item “{items[1].name}” scored 1.",
            f"Scorecard item “{items[2].name}” scored 2.",
        ]
        assert refusal(gate2, lead, Decision.CONDITIONAL_GO, [condition(items[1].name, sponsor)])
        return
    if total == 24:
        decide(gate2, lead, Decision.GO)
        use_case.refresh_from_db()
        assert use_case.stage == Stage.PILOT
        return
    assert refusal(gate2, lead, Decision.GO) == [
        f"The PoC scorecard scores {total}/30: the scorecard allows Conditional Go only."
    ]
    # A condition that names another item does not count for the one scored 1.
    assert refusal(
        gate2, lead, Decision.CONDITIONAL_GO, [condition("Improve the business KPI.", sponsor)]
    ) == [f"Add a condition naming “{scored_1[0]}” (scored 1)."]
    decide(
        gate2,
        lead,
        Decision.CONDITIONAL_GO,
        [condition(f"Raise {scored_1[0].lower()} to 3 in the pilot's first month.", sponsor)],
    )
    gate2.refresh_from_db()
    assert gate2.decision == Decision.CONDITIONAL_GO
    event = AuditEvent.objects.filter(action="gate.decided").latest("seq")
    assert event.payload["enforce_scorecard_bands"] is True


def test_it_needs_a_condition_per_item_scored_1(gate2, use_case, lead, sponsor, items):
    score_poc(use_case, lead, [5, 1, 5, 1, 5, 5])  # 22
    one, two = items[1].name, items[3].name
    assert refusal(gate2, lead, Decision.CONDITIONAL_GO, [condition(f"Fix {one}.", sponsor)]) == [
        f"Add a condition naming “{two}” (scored 1)."
    ]
    decide(
        gate2,
        lead,
        Decision.CONDITIONAL_GO,
        [condition(f"Fix {one}.", sponsor), condition(f"Fix {two}.", sponsor)],
    )
    assert gate2.conditions.count() == 2


def test_the_latest_scorecard_counts(gate2, use_case, lead, sponsor):
    score_poc(use_case, lead, SCORES[17])
    score_poc(use_case, lead, SCORES[24])
    decide(gate2, lead, Decision.GO)
    gate2.refresh_from_db()
    assert gate2.decision == Decision.GO


def test_it_refuses_gate_2_without_a_scorecard(gate2, lead, sponsor):
    expected = [
        "Gate 2 needs the PoC scorecard: score the PoC before recording Go or Conditional Go."
    ]
    assert refusal(gate2, lead, Decision.GO) == expected
    assert refusal(gate2, lead, Decision.CONDITIONAL_GO, [condition("Score it.", sponsor)]) == (
        expected
    )
    # Hold, Recycle and Kill are never refused by the bands.
    services.gate_decide(
        review=gate2, by=lead, decision=Decision.HOLD, rationale="Score the PoC first."
    )
    gate2.refresh_from_db()
    assert gate2.decision == Decision.HOLD


def test_with_the_setting_off_the_bands_do_not_apply(gate2, use_case, lead, superuser):  # noqa: F811
    template = GateTemplate.objects.get(number=2)
    template.enforce_scorecard_bands = False
    services.gate_template_change(
        by=superuser, template=template, fields=["enforce_scorecard_bands"]
    )
    score_poc(use_case, lead, SCORES[17])

    decide(gate2, lead, Decision.GO)

    gate2.refresh_from_db()
    assert gate2.decision == Decision.GO
    event = AuditEvent.objects.filter(action="gate.decided").latest("seq")
    assert event.payload["enforce_scorecard_bands"] is False


def test_turning_the_setting_off_in_the_admin_is_audited(admin_client, superuser):  # noqa: F811
    template = GateTemplate.objects.get(number=2)
    assert template.enforce_scorecard_bands is True
    data = inline_data(template)
    data.pop("enforce_scorecard_bands", None)  # an unticked box is not sent

    response = admin_client.post(change_url(template), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    template.refresh_from_db()
    assert (template.enforce_scorecard_bands, template.version) == (False, 2)
    event = AuditEvent.objects.get(action="framework.gate_template_changed")
    assert event.actor == superuser
    assert event.payload == {
        "before": {"enforce_scorecard_bands": True, "version": 1},
        "after": {"enforce_scorecard_bands": False, "version": 2},
    }


def test_the_review_page_says_what_the_band_allows(
    gate2, use_case, lead, sponsor, items, client_as
):
    score_poc(use_case, lead, SCORES[18])

    html = client_as(lead).get(f"/reviews/{gate2.pk}/").content.decode()

    blockers = html.split('id="go-blockers"', 1)[1].split("</div>", 1)[0]
    assert "The PoC scorecard scores 18/30: the scorecard allows Conditional Go only." in blockers
    needs = html.split('id="conditional-go-needs"', 1)[1].split("</div>", 1)[0]
    assert "Conditional Go can be recorded" in needs
    assert f"Add a condition naming “{items[1].name}” (scored 1)." in needs
    assert 'id="band-help"' in html


def test_the_api_lists_the_band_reasons(gate2, use_case, lead, items, api_as):
    score_poc(use_case, lead, SCORES[23])

    data = api_as(lead).get(f"/api/v1/reviews/{gate2.pk}/").json()

    assert data["go_blockers"] == [
        "The PoC scorecard scores 23/30: the scorecard allows Conditional Go only."
    ]
    assert data["conditional_go_blockers"] == [
        f"Add a condition naming “{items[2].name}” (scored 1)."
    ]
