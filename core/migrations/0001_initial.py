# The audit trail moved from gates to core without touching its table: the
# state gains core.AuditEvent on the existing gates_auditevent table, and
# gates 0004 drops gates.AuditEvent from the state only.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("gates", "0003_review_upcoming_idx"),
        ("usecases", "0002_org_role_groups"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("seq", models.PositiveBigIntegerField(unique=True)),
                        ("occurred_at", models.DateTimeField()),
                        ("action", models.CharField(max_length=60)),
                        ("object_type", models.CharField(blank=True, max_length=80)),
                        ("object_id", models.CharField(blank=True, max_length=40)),
                        ("summary", models.CharField(max_length=500)),
                        ("payload", models.JSONField(default=dict)),
                        ("prev_hash", models.CharField(max_length=64)),
                        ("hash", models.CharField(max_length=64)),
                        ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("use_case", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="audit_events", to="usecases.usecase")),
                    ],
                    options={
                        "ordering": ["-seq"],
                        "db_table": "gates_auditevent",
                        "indexes": [models.Index(fields=["use_case", "-seq"], name="gates_audit_use_cas_a68dd7_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
