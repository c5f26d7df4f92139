"""Default data from the seeds, word for word: the six items of the PoC
evaluation scorecard with what 5, 3 and 1 mean, the 15 items of the
production readiness checklist, and the expected duration of each stage."""

from django.db import migrations

SCORECARD_ITEMS = [
    ("Business KPI improvement", "Exceeded target by 20%+", "Met target", "Below target"),
    (
        "Front-line user acceptance",
        "Active enthusiastic use",
        "No resistance, using as directed",
        "Rejection/refusal",
    ),
    (
        "Data quality stability",
        "Accuracy maintained with production data",
        "Minor adjustments needed",
        "Significant data cleanup required",
    ),
    (
        "Integration feasibility",
        "API integration complete",
        "Integration plan confirmed",
        "Integration design not started",
    ),
    ("Operating cost predictability", "Within +/-10%", "Within +/-30%", "Difficult to estimate"),
    (
        "Executive investment readiness",
        "Budget secured",
        "Favorable but uncommitted",
        "Low interest",
    ),
]

CHECKLIST_ITEMS = [
    ("technical", "Sufficient accuracy confirmed with production data"),
    ("technical", "API integration with existing systems designed"),
    ("technical", "Error handling and edge case responses defined"),
    ("technical", "Performance (response time, throughput) meets requirements"),
    ("technical", "Security requirements (encryption, access control) implemented"),
    ("operations", "Accuracy monitoring mechanism designed"),
    ("operations", "Retraining frequency and triggers defined"),
    ("operations", "Fallback procedures for outages established"),
    ("operations", "User support structure (help desk, FAQ) prepared"),
    ("operations", "Annual operating cost estimate completed"),
    ("organisational", "Front-line user training plan developed"),
    ("organisational", "Business process changes documented in manuals"),
    ("organisational", "Executive approval for production obtained"),
    ("organisational", "Impact measurement KPIs and methods confirmed"),
    ("organisational", "Staged goals set for 3, 6, and 12 months"),
]

# Discovery 2-4 weeks, POC 4-8, Pilot 8-16, Production 4-8 (full rollout).
STAGE_NORMS = [
    ("discovery", 14, 28),
    ("poc", 28, 56),
    ("pilot", 56, 112),
    ("production", 28, 56),
]


def load(apps, schema_editor):
    ScorecardItem = apps.get_model("readiness", "ScorecardItem")
    ChecklistItemDefinition = apps.get_model("readiness", "ChecklistItemDefinition")
    StageNorm = apps.get_model("readiness", "StageNorm")
    for order, (name, excellent, acceptable, insufficient) in enumerate(SCORECARD_ITEMS, 1):
        ScorecardItem.objects.update_or_create(
            name=name,
            defaults={
                "order": order,
                "excellent": excellent,
                "acceptable": acceptable,
                "insufficient": insufficient,
            },
        )
    for number, (group, text) in enumerate(CHECKLIST_ITEMS, 1):
        ChecklistItemDefinition.objects.update_or_create(
            number=number, defaults={"group": group, "text": text}
        )
    for stage, min_days, max_days in STAGE_NORMS:
        StageNorm.objects.update_or_create(
            stage=stage, defaults={"min_days": min_days, "max_days": max_days}
        )


class Migration(migrations.Migration):
    dependencies = [("readiness", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
