"""Every change to a use case's readiness: one function per action.

Each one is atomic, locks the use case row first (the order the gate engine
uses, so the two never deadlock), checks who is asking and the current state,
raises a domain error carrying the reasons, touches the use case's activity
time and writes its audit event in the same transaction.
"""

from readiness.services._base import (
    IMPORT_TOO_LARGE,
    LOW_SCORE_AT_MOST,
    MAX_IMPORT_BYTES,
    MAX_REPORTED_ERRORS,
    MAX_VALUE,
    clean_value,
)
from readiness.services.checklist import (
    checklist_item_update,
    checklist_open_items,
    checklist_start,
)
from readiness.services.framework import (
    checklist_item_definition_change,
    checklist_item_definition_create,
    checklist_item_definition_delete,
    scorecard_item_change,
    scorecard_item_create,
    scorecard_item_delete,
    stage_norm_change,
    stage_norm_create,
    stage_norm_delete,
)
from readiness.services.kpi_rules import (
    criterion_scorecard_cite,
    kpi_rule_bind,
    kpi_rule_evaluate,
    kpi_rule_evidence,
    kpi_rule_unbind,
    latest_measurement,
)
from readiness.services.kpis import (
    MEASUREMENT_HOOKS,
    ParsedRow,
    kpi_create,
    kpi_measurement_record,
    kpi_measurements_import,
    parse_measurements_csv,
    register_measurement_hook,
)
from readiness.services.scoring import (
    items_to_improve,
    prioritization_save,
    prioritization_weights,
    priority_score,
    scorecard_band,
    scorecard_save,
)

__all__ = [
    "IMPORT_TOO_LARGE",
    "LOW_SCORE_AT_MOST",
    "MAX_IMPORT_BYTES",
    "MAX_REPORTED_ERRORS",
    "MAX_VALUE",
    "MEASUREMENT_HOOKS",
    "ParsedRow",
    "checklist_item_definition_change",
    "checklist_item_definition_create",
    "checklist_item_definition_delete",
    "checklist_item_update",
    "checklist_open_items",
    "checklist_start",
    "clean_value",
    "criterion_scorecard_cite",
    "items_to_improve",
    "kpi_create",
    "kpi_measurement_record",
    "kpi_measurements_import",
    "kpi_rule_bind",
    "kpi_rule_evaluate",
    "kpi_rule_evidence",
    "kpi_rule_unbind",
    "latest_measurement",
    "parse_measurements_csv",
    "prioritization_save",
    "prioritization_weights",
    "register_measurement_hook",
    "priority_score",
    "scorecard_band",
    "scorecard_item_change",
    "scorecard_item_create",
    "scorecard_item_delete",
    "scorecard_save",
    "stage_norm_change",
    "stage_norm_create",
    "stage_norm_delete",
]
