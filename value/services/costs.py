"""The budget grid of a use case: planned and actual cost per stage and
category, set in one audited change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from core.audit import audit_record
from core.errors import InvalidInput
from gates import services as gate_services
from usecases.models import Stage, UseCase
from value import rules
from value.models import CATEGORY_IN_TEXT, CostCategory, CostLine
from value.services._base import clean_amount, clean_text, lock_use_case, money_json
from value.services.rules import value_rules_reassess

MAX_CELLS = len(Stage.values) * len(CostCategory.values)
FIELDS = ("planned", "actual", "note")


def _choice(raw: Any, choices: type, field: str, unknown: str) -> str:
    """``unknown``: the refusal, with ``%(value)s`` and ``%(choices)s``."""
    if not isinstance(raw, str) or raw not in choices.values:
        raise InvalidInput(
            unknown % {"value": str(raw)[:40], "choices": ", ".join(choices.values)}, field=field
        )
    return raw


def _cell_label(stage: str, category: str) -> str:
    """``Pilot infrastructure``: a cell of the grid as refusals name it."""
    return gettext("%(stage)s %(category)s") % {
        "stage": Stage(stage).label,
        "category": CATEGORY_IN_TEXT[CostCategory(category)],
    }


def _state(line: CostLine | None) -> dict[str, Any]:
    if line is None:
        return {"planned": None, "actual": None, "note": ""}
    return {"planned": line.planned, "actual": line.actual, "note": line.note}


@transaction.atomic
def cost_lines_set(
    *, use_case: UseCase, by: Any, rows: Sequence[Mapping[str, Any]]
) -> list[CostLine]:
    """Set cells of the budget grid. Each row names a ``stage`` and a
    ``category`` and gives ``planned``, ``actual`` and/or ``note``: a key left
    out keeps the cell's value, a blank clears it. A cell left with neither
    amount nor note is removed. Refused whole when any row is wrong, naming
    the field (``cells.<n>.<name>``); an actual cost for a stage the use case
    has not reached is refused. One audit event lists every changed cell,
    before and after. Returns the lines written (not those removed)."""
    use_case = lock_use_case(use_case, by)
    if not isinstance(rows, Sequence) or isinstance(rows, str | bytes):
        raise InvalidInput(gettext("Give the cells as a list."), field="cells")
    if len(rows) > MAX_CELLS:
        raise InvalidInput(
            gettext("At most %(max)s cells in one change.") % {"max": MAX_CELLS}, field="cells"
        )
    existing = {
        (line.stage, line.category): line
        for line in CostLine.objects.select_for_update().filter(use_case=use_case)
    }
    changes: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = []
    seen: set[tuple[str, str]] = set()
    for index, row in enumerate(rows):
        where = f"cells.{index}"
        if not isinstance(row, Mapping):
            raise InvalidInput(gettext("Each cell names a stage and a category."), field=where)
        stage = _choice(
            row.get("stage"),
            Stage,
            f"{where}.stage",
            gettext("Unknown stage “%(value)s”: one of %(choices)s."),
        )
        category = _choice(
            row.get("category"),
            CostCategory,
            f"{where}.category",
            gettext("Unknown category “%(value)s”: one of %(choices)s."),
        )
        if (stage, category) in seen:
            raise InvalidInput(
                gettext("%(cell)s is given twice.") % {"cell": _cell_label(stage, category)},
                field=f"{where}.category",
            )
        seen.add((stage, category))
        before = _state(existing.get((stage, category)))
        after = dict(before)
        cell = _cell_label(stage, category)
        if "planned" in row:
            after["planned"] = clean_amount(
                row["planned"],
                field=f"{where}.planned",
                label=gettext("planned %(cell)s") % {"cell": cell},
                required=False,
            )
        if "actual" in row:
            after["actual"] = clean_amount(
                row["actual"],
                field=f"{where}.actual",
                label=gettext("actual %(cell)s") % {"cell": cell},
                required=False,
            )
        if "note" in row:
            after["note"] = clean_text(
                row["note"],
                field=f"{where}.note",
                label=gettext("note of %(cell)s") % {"cell": cell},
                max_length=500,
            )
        if after["actual"] is not None and after["actual"] != before["actual"]:
            refusal = rules.actual_refusal(use_case, stage)
            if refusal is not None:
                raise refusal
        if after != before:
            changes.append((stage, category, before, after))
    written: list[CostLine] = []
    for stage, category, _before, after in changes:
        line = existing.get((stage, category))
        if after["planned"] is None and after["actual"] is None and not after["note"]:
            if line is not None:
                line.delete()
            continue
        if line is None:
            line = CostLine(use_case=use_case, stage=stage, category=category)
        line.planned, line.actual, line.note = after["planned"], after["actual"], after["note"]
        line.updated_by = by
        line.save()
        written.append(line)
    if not changes:
        return written
    gate_services.touch(use_case)
    # Criteria bound to ROI, NPV or payback follow the new figures.
    value_rules_reassess(use_case=use_case, by=by)
    audit_record(
        actor=by,
        action="value.costs_set",
        summary=f"Changed {len(changes)} budget cell{'s' if len(changes) != 1 else ''}: "
        + "; ".join(
            f"{Stage(s).label} {CostCategory(c).label.lower()}" for s, c, _, _ in changes[:6]
        )
        + ("…" if len(changes) > 6 else ""),
        use_case=use_case,
        payload={
            "cells": [
                {
                    "stage": stage,
                    "category": category,
                    "before": {
                        "planned": money_json(before["planned"]),
                        "actual": money_json(before["actual"]),
                        "note": before["note"],
                    },
                    "after": {
                        "planned": money_json(after["planned"]),
                        "actual": money_json(after["actual"]),
                        "note": after["note"],
                    },
                }
                for stage, category, before, after in changes
            ]
        },
    )
    return written
