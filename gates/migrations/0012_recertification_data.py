"""Default data: the Recertification gate (Scale in operation, reviewed
periodically and when a monitored KPI drifts or an incident is recorded),
its criteria and evidence from the seeds' chapter on monitoring, maintaining
and improving models in production (§12.5), the EU AI Act's post-market
monitoring and incident articles it cites, and the decommissioning checklist
a Retire decision needs done."""

from django.db import migrations

EU, ISO, NIST = "eu_ai_act", "iso_42001", "nist_ai_rmf"

CONTROLS = [
    (EU, "Art. 72", "Post-market monitoring by providers and post-market monitoring plan"),
    (EU, "Art. 73", "Reporting of serious incidents"),
]

TEMPLATE = {
    "number": 5,
    "name": "Recertification: Scale in operation",
    "from_stage": "scale",
    "to_stage": "scale",
    "purpose": "Keep a use case in operation only while it still performs, stays compliant and "
    "adds value. Every model has a named owner, scheduled performance reviews and a path to "
    "decommissioning: recertify it, recertify it with conditions, or retire it.",
}

# (name, requirement, must meet, controls)
CRITERIA = [
    (
        "Performance within drift thresholds",
        "Every monitored KPI stayed within its drift threshold since the last recertification, "
        "or each breach was investigated and the model retrained or recalibrated (moderate "
        "triggers, for instance a 3% drop in accuracy or a 10% rise in false positives)",
        True,
        [(EU, "Art. 72"), (ISO, "A.6.2.6"), (NIST, "MANAGE 4.1")],
    ),
    (
        "Incidents reviewed",
        "Every incident recorded since the last recertification has a root cause and a "
        "remedy; serious incidents were reported where a regulation requires it",
        True,
        [(EU, "Art. 73"), (NIST, "MANAGE 4.1")],
    ),
    (
        "Periodic audit",
        "Performance broken down by demographic groups or other relevant segments shows no "
        "unacceptable bias, and a model threat assessment or red-team exercise was run",
        True,
        [(ISO, "8.2"), (NIST, "MEASURE")],
    ),
    (
        "Named owner and fallback",
        "A named owner answers for the model in operation, and the fallback mechanism (a "
        "simpler rules-based process or the previous champion) was tested",
        True,
        [(NIST, "GOVERN 3.2")],
    ),
    (
        "Model dossier current",
        "The model dossier records the current training methodology, performance metrics and "
        "bias tests",
        True,
        [(EU, "Art. 11"), (ISO, "A.6.2.7")],
    ),
    (
        "Still adds value",
        "Business outcome metrics still meet the plan; if the model no longer adds value, "
        "retire it",
        False,
        [(NIST, "MANAGE")],
    ),
]

# (code, name, required, validity in months)
ARTIFACTS = [
    ("rc-model-performance-review", "Model performance review", True, 12),
    ("rc-periodic-audit-report", "Periodic audit report (bias and security)", True, 12),
    ("rc-model-dossier", "Model dossier update", False, None),
]

APPROVERS = [
    ("business_unit_head", "always"),
    ("program_lead", "always"),
    ("risk_compliance", "if_applicable"),
]

DECOMMISSIONING = [
    "Users and dependent systems are told the retirement date, and a fallback process "
    "takes over the work",
    "Model endpoints, scheduled jobs and pipelines are switched off and their access keys "
    "revoked",
    "Training data, features and model artifacts are archived or deleted under the retention "
    "policy",
    "The model dossier, decision logs and gate records are kept for the audit retention period",
    "Monitoring, alerts and costs (infrastructure, licences) are stopped",
    "Lessons learned are recorded for the portfolio",
]


def load(apps, schema_editor):
    GateTemplate = apps.get_model("gates", "GateTemplate")
    GateCriterion = apps.get_model("gates", "GateCriterion")
    ArtifactType = apps.get_model("gates", "ArtifactType")
    GateApproverRole = apps.get_model("gates", "GateApproverRole")
    Control = apps.get_model("gates", "Control")
    DecommissioningStep = apps.get_model("gates", "DecommissioningStep")
    for framework, reference, title in CONTROLS:
        Control.objects.get_or_create(
            framework=framework, reference=reference, defaults={"title": title}
        )
    for order, text in enumerate(DECOMMISSIONING, start=1):
        DecommissioningStep.objects.get_or_create(order=order, defaults={"text": text})
    template, created = GateTemplate.objects.get_or_create(
        number=TEMPLATE["number"],
        defaults={key: value for key, value in TEMPLATE.items() if key != "number"},
    )
    if not created:
        return
    controls = {(c.framework, c.reference): c for c in Control.objects.all()}
    for order, (name, requirement, must_meet, cited) in enumerate(CRITERIA, start=1):
        criterion = GateCriterion.objects.create(
            template=template, order=order, name=name, requirement=requirement, must_meet=must_meet
        )
        criterion.controls.set([controls[key] for key in cited if key in controls])
    for order, (code, name, required, months) in enumerate(ARTIFACTS, start=1):
        ArtifactType.objects.get_or_create(
            code=code,
            defaults={
                "template": template,
                "order": order,
                "name": name,
                "required": required,
                "validity_months": months,
            },
        )
    for order, (role, condition) in enumerate(APPROVERS, start=1):
        GateApproverRole.objects.create(
            template=template, order=order, role=role, condition=condition
        )


def unload(apps, schema_editor):
    GateTemplate = apps.get_model("gates", "GateTemplate")
    ArtifactType = apps.get_model("gates", "ArtifactType")
    ArtifactType.objects.filter(code__in=[code for code, *_ in ARTIFACTS]).delete()
    GateTemplate.objects.filter(number=TEMPLATE["number"]).delete()
    apps.get_model("gates", "DecommissioningStep").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("gates", "0011_recertification"),
        ("gates", "0010_regulated_evidence"),
    ]
    operations = [migrations.RunPython(load, unload)]
