"""The value app in German: refusals, warnings and figures follow the
reader's language; what is kept (audit summaries and payloads, a criterion's
evidence) stays in the installation's language."""

from __future__ import annotations

import pytest
from django.utils import translation

from core.errors import InvalidInput, TransitionRefused
from core.models import AuditEvent
from tests.value.rollout_helpers import days_ago, planned
from tests.value.test_value_rules_adoption import gate4  # noqa: F401 (fixture)
from value.services import costs, rollout

pytestmark = pytest.mark.django_db


def costs_url(use_case):
    return f"/api/v1/use-cases/{use_case.pk}/value/costs/"


def test_a_bad_cell_is_refused_in_german_naming_the_cell(api_as, use_case, sponsor):
    api = api_as(sponsor)
    response = api.put(
        costs_url(use_case),
        {"cells": [{"stage": "poc", "category": "infrastructure", "planned": "-1"}]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["cells.0.planned"] == [
        "„Planwert PoC – Infrastruktur“ kann nicht negativ sein."
    ]

    english = api.put(
        costs_url(use_case),
        {"cells": [{"stage": "poc", "category": "infrastructure", "planned": "-1"}]},
        format="json",
    )
    assert english.json()["fields"]["cells.0.planned"] == [
        "The planned POC infrastructure cannot be negative."
    ]


def test_an_unknown_stage_is_refused_in_german(api_as, use_case, sponsor):
    response = api_as(sponsor).put(
        costs_url(use_case),
        {"cells": [{"stage": "moon", "category": "development", "planned": "1"}]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 400
    message = response.json()["fields"]["cells.0.stage"][0]
    assert message.startswith("Die Phase muss einer der folgenden Werte sein: ")


def test_the_service_names_a_cell_given_twice_in_the_active_language(use_case, sponsor):
    row = {"stage": "poc", "category": "data_preparation", "planned": "1"}
    with translation.override("de"), pytest.raises(InvalidInput) as refused:
        costs.cost_lines_set(use_case=use_case, by=sponsor, rows=[row, row])
    assert refused.value.message == "„PoC – Datenaufbereitung“ ist doppelt angegeben."
    with pytest.raises(InvalidInput) as refused:
        costs.cost_lines_set(use_case=use_case, by=sponsor, rows=[row, row])
    assert refused.value.message == "POC data preparation is given twice."


def test_the_pilot_warning_is_german_on_the_page_english_in_the_audit_trail(
    client_as, use_case, sponsor
):
    with translation.override("de"):
        rollout.pilot_scope_set(
            use_case=use_case, by=sponsor, unit="users", pilot_units=2, target_units=10
        )
    event = AuditEvent.objects.get(action="pilot_scope.set")
    assert event.payload["warning"].startswith("The pilot reaches 20.0% of the target: above")

    html = (
        client_as(sponsor)
        .get(f"/use-cases/{use_case.pk}/rollout/", HTTP_ACCEPT_LANGUAGE="de")
        .content.decode()
    )
    assert "Der Pilot erreicht 20.0 % des Ziels: über den 5–15 % des Playbooks" in html


def test_a_failed_validation_is_given_in_german_and_audited_in_english(use_case, sponsor):
    first, second, _ = planned(use_case, sponsor, pilot_adoption="64")
    rollout.wave_start(wave=first, by=sponsor, started_on=days_ago(20))
    with translation.override("de"):
        rollout.wave_validate(
            wave=first, by=sponsor, validated_on=days_ago(10), stable=False, adoption_percent="70"
        )
        with pytest.raises(TransitionRefused) as refused:
            rollout.wave_start(wave=second, by=sponsor, started_on=days_ago(1))
    assert refused.value.reasons == [
        f"Die Validierung von Welle 1 am {days_ago(10).isoformat()} ist gescheitert: "
        "nicht stabil, Nutzung 70 % gegenüber 64 %."
    ]
    event = AuditEvent.objects.get(action="rollout_wave.validated")
    assert event.summary == "Wave 1 validation failed: not stable, adoption 70% against 64%"


def test_a_wave_label_in_a_refusal_is_german(use_case, sponsor):
    with translation.override("de"), pytest.raises(InvalidInput) as refused:
        rollout.waves_plan(use_case=use_case, by=sponsor, waves=[{"share_percent": "abc"}])
    assert refused.value.message == "„Anteil von Welle 1“ muss eine Zahl von 0 bis 100 sein."
    assert refused.value.field == "waves.0.share_percent"


def test_the_evidence_is_kept_in_english_whoever_changes_the_figures(gate4, use_case, sponsor):  # noqa: F811
    _, criterion = gate4
    with translation.override("de"):
        planned(use_case, sponsor, pilot_adoption="64")
    criterion.refresh_from_db()
    assert criterion.evidence.startswith("No rollout wave validated yet (pilot adoption 64%)")
