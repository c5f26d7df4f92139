"""Artifact.is_latest: true on the newest version of each type for each use
case. Existing rows: every version that a newer one of the same type and use
case follows is marked as not the latest (0017 then adds the index and the
constraint of one latest version each)."""

from django.db import migrations, models
from django.db.models import Exists, OuterRef


def mark_superseded(apps, schema_editor):
    Artifact = apps.get_model("gates", "Artifact")
    newer = Artifact.objects.filter(
        use_case_id=OuterRef("use_case_id"),
        artifact_type_id=OuterRef("artifact_type_id"),
        version__gt=OuterRef("version"),
    )
    Artifact.objects.filter(Exists(newer)).update(is_latest=False)


class Migration(migrations.Migration):
    dependencies = [("gates", "0015_dashboard_tally")]

    operations = [
        migrations.AddField(
            model_name="artifact",
            name="is_latest",
            field=models.BooleanField(default=True, editable=False),
        ),
        migrations.RunPython(mark_superseded, migrations.RunPython.noop),
    ]
