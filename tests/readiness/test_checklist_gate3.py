from __future__ import annotations

import pytest

from core.errors import InvalidInput, TransitionRefused
from core.models import AuditEvent
from gates import services as gate_services
from gates.models import Decision
from readiness import services
from readiness.models import ChecklistItem, ChecklistItemDefinition
from tests.gates.helpers import ready_for_decision
from tests.readiness.helpers import complete_checklist, to_pilot
from usecases.models import Stage


def test_it_seeds_fifteen_items_in_three_groups_word_for_word(db):
    rows = list(ChecklistItemDefinition.objects.values_list("number", "group", "text"))
    assert len(rows) == 15
    assert rows[0] == (1, "technical", "Sufficient accuracy confirmed with production data")
    assert rows[7] == (8, "operations", "Fallback procedures for outages established")
    assert rows[14] == (15, "organisational", "Staged goals set for 3, 6, and 12 months")
    assert [g for _, g, _ in rows].count("operations") == 5


@pytest.fixture
def gate3_review(use_case, lead, sponsor, cio):
    to_pilot(use_case, lead, sponsor)
    return ready_for_decision(use_case, lead, sponsor)


def test_it_refuses_go_at_gate_3_before_the_checklist_is_started(gate3_review, lead):
    with pytest.raises(TransitionRefused) as refusal:
        gate_services.gate_decide(review=gate3_review, by=lead, decision=Decision.GO)
    assert "Production readiness checklist not started" in refusal.value.reasons


def test_it_refuses_go_at_gate_3_naming_each_open_item(gate3_review, use_case, lead, techlead):
    complete_checklist(use_case, techlead, techlead, except_numbers={8, 12})
    with pytest.raises(TransitionRefused) as refusal:
        gate_services.gate_decide(review=gate3_review, by=lead, decision=Decision.GO)
    readiness_reasons = [r for r in refusal.value.reasons if r.startswith("Production readiness")]
    assert readiness_reasons == [
        "Production readiness item open: Fallback procedures for outages established",
        "Production readiness item open: Business process changes documented in manuals",
    ]
    use_case.refresh_from_db()
    assert use_case.stage == Stage.PILOT


def test_it_records_go_at_gate_3_once_every_item_is_done_or_not_applicable(
    gate3_review, use_case, lead, techlead
):
    complete_checklist(use_case, techlead, techlead, except_numbers={7})
    services.checklist_item_update(
        use_case=use_case,
        item=7,
        by=techlead,
        status="not_applicable",
        evidence="Rules engine, no model to retrain.",
    )
    gate_services.gate_decide(review=gate3_review, by=lead, decision=Decision.GO)
    use_case.refresh_from_db()
    assert use_case.stage == Stage.PRODUCTION


def test_it_does_not_ask_for_the_checklist_when_the_setting_is_off(
    gate3_review, use_case, lead, settings
):
    settings.READINESS_GATE3_CHECKLIST_REQUIRED = False
    gate_services.gate_decide(review=gate3_review, by=lead, decision=Decision.GO)
    use_case.refresh_from_db()
    assert use_case.stage == Stage.PRODUCTION


def test_it_updates_an_item_with_owner_and_evidence_and_audits_it(use_case, sponsor, techlead):
    row = services.checklist_item_update(
        use_case=use_case,
        item=8,
        by=sponsor,
        status="done",
        owner=techlead,
        evidence="Runbook section 4: manual triage when the model is down.",
    )
    row.refresh_from_db()
    assert (row.status, row.owner, row.updated_by) == ("done", techlead, sponsor)
    assert ChecklistItem.objects.filter(use_case=use_case).count() == 15
    event = AuditEvent.objects.filter(action="checklist.item_updated").get()
    assert event.payload["after"]["status"] == "done"
    assert AuditEvent.objects.filter(action="checklist.started").count() == 1


def test_it_asks_for_evidence_before_an_item_is_done(use_case, sponsor):
    with pytest.raises(InvalidInput) as refusal:
        services.checklist_item_update(use_case=use_case, item=1, by=sponsor, status="done")
    assert refusal.value.field == "evidence"
    assert not ChecklistItem.objects.exists()
