"""Default data: Gate 2 follows the PoC scorecard's bands, and risk and
security assessments stay valid evidence for 12 months."""

from django.db import migrations
from django.db.models import Q

VALID_MONTHS = 12


def apply_defaults(apps, schema_editor):
    GateTemplate = apps.get_model("gates", "GateTemplate")
    ArtifactType = apps.get_model("gates", "ArtifactType")
    GateTemplate.objects.filter(number=2).update(enforce_scorecard_bands=True)
    ArtifactType.objects.filter(
        Q(name__icontains="risk assessment") | Q(name__icontains="security"),
        validity_months__isnull=True,
    ).update(validity_months=VALID_MONTHS)


def remove_defaults(apps, schema_editor):
    GateTemplate = apps.get_model("gates", "GateTemplate")
    ArtifactType = apps.get_model("gates", "ArtifactType")
    GateTemplate.objects.filter(number=2).update(enforce_scorecard_bands=False)
    ArtifactType.objects.filter(validity_months=VALID_MONTHS).update(validity_months=None)


class Migration(migrations.Migration):
    dependencies = [("gates", "0008_controls_applicability_validity")]

    operations = [migrations.RunPython(apply_defaults, remove_defaults)]
