"""One latest version per use case and artifact type, and the index of the
latest uploads by type and upload time (the portfolio's expiring evidence)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("gates", "0016_artifact_latest")]

    operations = [
        migrations.AddIndex(
            model_name="artifact",
            index=models.Index(
                condition=models.Q(("is_latest", True)),
                fields=["artifact_type", "uploaded_at"],
                name="artifact_latest_upload_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="artifact",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_latest", True)),
                fields=("use_case", "artifact_type"),
                name="artifact_one_latest",
            ),
        ),
    ]
