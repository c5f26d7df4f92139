"""The stage-gate framework as default data: gates 1-4 with their decision
criteria (word for word), required artifacts and approver roles."""

from django.db import migrations
from django.utils.text import slugify

FRAMEWORK = [
    {
        "number": 1,
        "name": "Gate 1: Discovery to POC",
        "from_stage": "discovery",
        "to_stage": "poc",
        "purpose": "Validate that the use case is worth pursuing. Assess feasibility, value "
        "potential, data availability, and organizational readiness before any engineering "
        "work begins.",
        "criteria": [
            ("Business value", "Quantified outcome with executive sign-off on the assumption"),
            ("Data availability", "Core data sources identified and confirmed accessible"),
            ("Process maturity", "Process documented and stable enough to proceed"),
            (
                "Risk",
                "No regulatory or ethical blockers identified that would prevent production",
            ),
            ("Sponsorship", "Named business unit sponsor who will own the outcome"),
        ],
        "artifacts": [
            "Use case scorecard",
            "Data availability assessment",
            "Preliminary risk assessment",
            "Business value hypothesis with assumptions documented",
        ],
        "approvers": [("program_lead", "always"), ("sponsor", "always")],
    },
    {
        "number": 2,
        "name": "Gate 2: POC to Pilot",
        "from_stage": "poc",
        "to_stage": "pilot",
        "purpose": "Validate technical feasibility. Demonstrate that the AI approach works on "
        "real data and produces outputs that meet quality thresholds. The POC is not a "
        "production system. It is a learning exercise.",
        "criteria": [
            (
                "Technical performance",
                "Model meets or exceeds defined accuracy, precision, or other performance "
                "threshold",
            ),
            ("Data quality", "Data issues identified and remediation path defined"),
            ("User validation", "Domain experts confirm output quality is useful"),
            (
                "Production feasibility",
                "Technical architecture for production is defined and scoped",
            ),
            (
                "Funding commitment",
                "Production funding pathway identified (not necessarily approved)",
            ),
        ],
        "artifacts": [
            "Model performance report",
            "Data quality assessment",
            "User validation summary",
            "Production architecture design",
            "Updated business case with refined estimates",
        ],
        "approvers": [
            ("program_lead", "always"),
            ("technical_lead", "always"),
            ("sponsor", "always"),
        ],
    },
    {
        "number": 3,
        "name": "Gate 3: Pilot to Production",
        "from_stage": "pilot",
        "to_stage": "production",
        "purpose": "Validate production readiness in a real business environment with real "
        "users and real consequences. The pilot is production-quality engineering deployed "
        "at limited scope.",
        "criteria": [
            ("System stability", "Uptime, latency, and error rate meet production SLAs"),
            (
                "Adoption",
                "Usage rate among pilot users meets defined threshold (typically 60%+)",
            ),
            (
                "Outcome evidence",
                "Leading indicators suggest business outcomes are achievable at scale",
            ),
            (
                "Operations readiness",
                "Monitoring, alerting, and incident response processes tested and functional",
            ),
            ("Production funding", "Budget approved and business unit ownership formalized"),
            (
                "Change management",
                "Workflow redesign complete, training delivered, manager engagement confirmed",
            ),
        ],
        "artifacts": [
            "Pilot outcomes report",
            "Adoption metrics",
            "Operations runbook",
            "Production funding approval",
            "Change management completion summary",
            "Updated risk assessment",
        ],
        "approvers": [
            ("program_lead", "always"),
            ("cio_cto", "always"),
            ("business_unit_head", "always"),
            ("risk_compliance", "if_applicable"),
        ],
    },
    {
        "number": 4,
        "name": "Gate 4: Production to Scale",
        "from_stage": "production",
        "to_stage": "scale",
        "purpose": "Deploy at full intended scope with full production operations support. "
        "This is not an extended pilot. It is an operational system with business unit "
        "ownership.",
        "criteria": [
            ("Adoption at scale", "Usage rate at full scope meets or exceeds pilot rate"),
            ("Outcome delivery", "Business outcomes tracking against plan"),
            (
                "Operations ownership",
                "AI ops team or business unit owns and operates system independently",
            ),
            ("Measurement", "Business outcome metrics in regular reporting cadence"),
            (
                "Sustainability",
                "Retraining, monitoring, and incident response processes running without AI "
                "program involvement",
            ),
        ],
        "artifacts": [
            "Full production adoption metrics",
            "Business outcome tracking report",
            "Operations ownership transfer documentation",
        ],
        "approvers": [("business_unit_head", "always"), ("program_lead", "always")],
    },
]


def load_framework(apps, schema_editor):
    GateTemplate = apps.get_model("gates", "GateTemplate")
    GateCriterion = apps.get_model("gates", "GateCriterion")
    ArtifactType = apps.get_model("gates", "ArtifactType")
    GateApproverRole = apps.get_model("gates", "GateApproverRole")
    for gate in FRAMEWORK:
        template, created = GateTemplate.objects.get_or_create(
            number=gate["number"],
            defaults={
                "name": gate["name"],
                "from_stage": gate["from_stage"],
                "to_stage": gate["to_stage"],
                "purpose": gate["purpose"],
            },
        )
        if not created:
            continue
        for order, (name, requirement) in enumerate(gate["criteria"], start=1):
            GateCriterion.objects.create(
                template=template, order=order, name=name, requirement=requirement, must_meet=True
            )
        for order, name in enumerate(gate["artifacts"], start=1):
            ArtifactType.objects.create(
                template=template,
                order=order,
                code=f"g{gate['number']}-{slugify(name)}"[:80],
                name=name,
            )
        for order, (role, condition) in enumerate(gate["approvers"], start=1):
            GateApproverRole.objects.create(
                template=template, order=order, role=role, condition=condition
            )


def unload_framework(apps, schema_editor):
    apps.get_model("gates", "GateTemplate").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("gates", "0001_initial")]
    operations = [migrations.RunPython(load_framework, unload_framework)]
