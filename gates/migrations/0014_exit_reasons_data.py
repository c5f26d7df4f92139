"""Default data: the reasons a use case ends, from the seeds' failure causes
(no business value, data quality, no sponsor, integration, cost, regulation,
adoption) and the ends of a life in operation (no longer adds value,
replaced, the process changed)."""

from django.db import migrations

REASONS = [
    ("no-business-value", "No clear business value or ROI", "both"),
    ("data-quality", "Data quality or availability", "kill"),
    ("no-sponsor", "No executive or business sponsor", "kill"),
    ("integration", "Integration into systems and processes", "kill"),
    ("cost", "Cost higher than planned", "both"),
    ("regulation", "Regulatory or ethical blocker", "both"),
    ("adoption", "Users did not adopt it", "both"),
    ("technical-feasibility", "Technically not feasible at the needed quality", "kill"),
    ("replaced", "Replaced by a better solution", "retire"),
    ("process-changed", "The business process it served changed or ended", "retire"),
    ("performance-degraded", "Performance degraded beyond repair (drift)", "retire"),
]


def load(apps, schema_editor):
    ExitReason = apps.get_model("gates", "ExitReason")
    for order, (code, label, applies_to) in enumerate(REASONS, start=1):
        ExitReason.objects.get_or_create(
            code=code, defaults={"label": label, "applies_to": applies_to, "order": order}
        )


def unload(apps, schema_editor):
    apps.get_model("gates", "ExitReason").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("gates", "0013_exit_reasons")]
    operations = [migrations.RunPython(load, unload)]
