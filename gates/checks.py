"""Data checks of the framework (``manage.py check --database default``):
an applicability rule that could never hold, written past the admin (a shell,
a data migration), is reported with what is wrong."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.db import connections


def check_applicability_rules(app_configs: Any = None, databases: Any = None, **kwargs: Any):
    if not databases:
        return []
    from gates.applicability import validation_errors
    from gates.models import ArtifactType, GateCriterion

    errors = []
    for model, what in ((GateCriterion, "criterion"), (ArtifactType, "artifact type")):
        # ``migrate`` runs the database checks before it creates the tables.
        if not any(
            model._meta.db_table in connections[alias].introspection.table_names()
            for alias in databases
        ):
            continue
        rows = model.objects.exclude(applies_when={}).select_related("template")
        for row in rows.only(
            "pk",
            "name",
            "applies_when",
            "template__number",
            "template__from_stage",
            "template__to_stage",
        ):
            problems = validation_errors(row.applies_when)
            if problems:
                errors.append(
                    checks.Error(
                        f"{row.template.label} {what} “{row.name}” has an applicability "
                        f"rule that could never hold: {' '.join(problems)}",
                        hint="Correct it in the admin, on the gate's page.",
                        obj=row,
                        id="gates.E010",
                    )
                )
    return errors
