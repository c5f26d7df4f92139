"""Default data: the controls of three governance frameworks (EU AI Act
articles, ISO/IEC 42001 clauses and Annex A controls, NIST AI RMF functions
and subcategories), the Gate 3 criteria and artifact types that apply only to
regulated use cases (EU AI Act high risk, HIPAA, SOX, FCRA), and the controls
the existing criteria and artifact types cite where the mapping is clear. Part of the framework as
shipped, like 0002: the templates keep their version (reviews already open
keep their snapshot either way)."""

from django.db import migrations

EU, ISO, NIST = "eu_ai_act", "iso_42001", "nist_ai_rmf"

CONTROLS = [
    (EU, "Art. 9", "Risk management system"),
    (EU, "Art. 10", "Data and data governance"),
    (EU, "Art. 11", "Technical documentation"),
    (EU, "Art. 12", "Record-keeping"),
    (EU, "Art. 13", "Transparency and provision of information to deployers"),
    (EU, "Art. 14", "Human oversight"),
    (EU, "Art. 15", "Accuracy, robustness and cybersecurity"),
    (EU, "Art. 27", "Fundamental rights impact assessment for high-risk AI systems"),
    (EU, "Art. 50", "Transparency obligations for certain AI systems"),
    (ISO, "6.1.2", "AI risk assessment"),
    (ISO, "6.1.3", "AI risk treatment"),
    (ISO, "6.1.4", "AI system impact assessment"),
    (ISO, "8.2", "AI risk assessment (operation)"),
    (ISO, "8.4", "AI system impact assessment (operation)"),
    (ISO, "A.6.2.6", "AI system operation and monitoring"),
    (ISO, "A.6.2.7", "AI system technical documentation"),
    (ISO, "A.6.2.8", "AI system recording of event logs"),
    (ISO, "A.7", "Data for AI systems"),
    (NIST, "GOVERN", "Govern: a culture of risk management is cultivated and present"),
    (NIST, "MAP", "Map: context is recognized and risks related to context are identified"),
    (NIST, "MEASURE", "Measure: identified risks are assessed, analyzed or tracked"),
    (NIST, "MANAGE", "Manage: risks are prioritized and acted upon based on projected impact"),
    (NIST, "GOVERN 1.1", "Legal and regulatory requirements involving AI are understood"),
    (NIST, "GOVERN 3.2", "Roles and responsibilities for human-AI configurations and oversight"),
    (NIST, "MAP 1.1", "Intended purposes, context and settings of use are documented"),
    (NIST, "MAP 5.1", "Likelihood and magnitude of each identified impact are documented"),
    (NIST, "MEASURE 2.9", "The AI model is explained and its output interpreted"),
    (NIST, "MEASURE 2.10", "Privacy risk of the AI system is examined and documented"),
    (NIST, "MANAGE 4.1", "Post-deployment monitoring plans are implemented"),
]

EU_HIGH = {"risk_tiers": ["high"], "regulations": ["eu_ai_act"]}
VALID_MONTHS = 12

# (code, name, applies_when, validity in months, controls as (framework, reference))
ARTIFACT_TYPES = [
    (
        "g3-fundamental-rights-impact-assessment",
        "Fundamental rights impact assessment",
        EU_HIGH,
        VALID_MONTHS,
        [(EU, "Art. 27"), (ISO, "6.1.4"), (ISO, "8.4"), (NIST, "MAP 5.1")],
    ),
    (
        "g3-human-oversight-plan",
        "Human oversight plan",
        EU_HIGH,
        None,
        [(EU, "Art. 14"), (NIST, "GOVERN 3.2")],
    ),
    (
        "g3-technical-documentation",
        "Technical documentation",
        EU_HIGH,
        None,
        [(EU, "Art. 11"), (EU, "Art. 13"), (ISO, "A.6.2.7")],
    ),
    (
        "g3-data-governance-record",
        "Data governance record",
        EU_HIGH,
        None,
        [(EU, "Art. 10"), (ISO, "A.7")],
    ),
    (
        "g3-logging-and-record-keeping-evidence",
        "Logging and record-keeping evidence",
        EU_HIGH,
        None,
        [(EU, "Art. 12"), (ISO, "A.6.2.8")],
    ),
    (
        "g3-phi-protection-assessment",
        "PHI protection assessment",
        {"regulations": ["hipaa"]},
        VALID_MONTHS,
        [(NIST, "MEASURE 2.10")],
    ),
    (
        "g3-sox-control-test-evidence",
        "SOX control-test evidence",
        {"regulations": ["sox"]},
        None,
        [(NIST, "GOVERN 1.1")],
    ),
    (
        "g3-adverse-action-explanation-method",
        "Adverse-action explanation method",
        {"regulations": ["fcra"]},
        None,
        [(NIST, "MEASURE 2.9"), (NIST, "GOVERN 1.1")],
    ),
]

# (name, requirement, applies_when, controls)
CRITERIA = [
    (
        "Fundamental rights impact",
        "Impact on fundamental rights assessed before deployment: affected people, risks of "
        "harm, oversight and mitigation measures documented",
        EU_HIGH,
        [(EU, "Art. 27"), (ISO, "6.1.4"), (ISO, "8.4"), (NIST, "MAP 5.1")],
    ),
    (
        "Human oversight",
        "Named people can understand, monitor, override and stop the system in use",
        EU_HIGH,
        [(EU, "Art. 14"), (NIST, "GOVERN 3.2")],
    ),
    (
        "Technical documentation",
        "Technical documentation of the system drawn up before deployment and kept up to date",
        EU_HIGH,
        [(EU, "Art. 11"), (EU, "Art. 13"), (ISO, "A.6.2.7")],
    ),
    (
        "Data governance",
        "Training, validation and test data governed: origin, preparation, relevance and "
        "examination for bias recorded",
        EU_HIGH,
        [(EU, "Art. 10"), (ISO, "A.7")],
    ),
    (
        "Logging and record-keeping",
        "Events are logged automatically over the system's lifetime and the logs are kept",
        EU_HIGH,
        [(EU, "Art. 12"), (ISO, "A.6.2.8")],
    ),
    (
        "PHI protection",
        "Protected health information safeguarded: access, minimum necessary use and "
        "business associate agreements in place",
        {"regulations": ["hipaa"]},
        [(NIST, "MEASURE 2.10")],
    ),
    (
        "Financial reporting controls",
        "Controls over the system's effect on financial reporting designed and tested",
        {"regulations": ["sox"]},
        [(NIST, "GOVERN 1.1")],
    ),
    (
        "Adverse-action explanation",
        "A method gives consumers the principal reasons for an adverse action based on the "
        "system's output",
        {"regulations": ["fcra"]},
        [(NIST, "MEASURE 2.9"), (NIST, "GOVERN 1.1")],
    ),
]

RISK = [(EU, "Art. 9"), (ISO, "6.1.2"), (NIST, "MAP")]
DATA = [(EU, "Art. 10"), (ISO, "A.7")]
PERFORMANCE = [(EU, "Art. 15"), (NIST, "MEASURE")]
OPERATIONS = [(ISO, "A.6.2.6"), (NIST, "MANAGE 4.1")]

# Existing rows of the seed: (gate, name) to the controls they cite.
EXISTING_CRITERIA = {
    (1, "Data availability"): DATA,
    (1, "Risk"): [*RISK, (NIST, "GOVERN 1.1")],
    (2, "Technical performance"): PERFORMANCE,
    (2, "Data quality"): DATA,
    (3, "Operations readiness"): OPERATIONS,
    (4, "Sustainability"): OPERATIONS,
}
EXISTING_ARTIFACT_TYPES = {
    "g1-data-availability-assessment": DATA,
    "g1-preliminary-risk-assessment": RISK,
    "g2-model-performance-report": PERFORMANCE,
    "g2-data-quality-assessment": DATA,
    "g3-operations-runbook": OPERATIONS,
    "g3-updated-risk-assessment": [*RISK, (ISO, "8.2")],
}


def load(apps, schema_editor):
    Control = apps.get_model("gates", "Control")
    GateTemplate = apps.get_model("gates", "GateTemplate")
    GateCriterion = apps.get_model("gates", "GateCriterion")
    ArtifactType = apps.get_model("gates", "ArtifactType")
    controls = {}
    for framework, reference, title in CONTROLS:
        control, _ = Control.objects.get_or_create(
            framework=framework, reference=reference, defaults={"title": title}
        )
        controls[(framework, reference)] = control
    gate3 = GateTemplate.objects.filter(number=3).first()
    if gate3 is not None:
        order = max(gate3.artifact_types.values_list("order", flat=True), default=0)
        for code, name, rule, months, cited in ARTIFACT_TYPES:
            if ArtifactType.objects.filter(code=code).exists():
                continue
            order += 1
            row = ArtifactType.objects.create(
                template=gate3,
                order=order,
                code=code,
                name=name,
                applies_when=rule,
                validity_months=months,
            )
            row.controls.set([controls[c] for c in cited])
        order = max(gate3.criteria.values_list("order", flat=True), default=0)
        for name, requirement, rule, cited in CRITERIA:
            if gate3.criteria.filter(name=name).exists():
                continue
            order += 1
            row = GateCriterion.objects.create(
                template=gate3,
                order=order,
                name=name,
                requirement=requirement,
                must_meet=True,
                applies_when=rule,
            )
            row.controls.set([controls[c] for c in cited])
    for (number, name), cited in EXISTING_CRITERIA.items():
        for row in GateCriterion.objects.filter(template__number=number, name=name):
            row.controls.add(*[controls[c] for c in cited])
    for code, cited in EXISTING_ARTIFACT_TYPES.items():
        for row in ArtifactType.objects.filter(code=code):
            row.controls.add(*[controls[c] for c in cited])


def unload(apps, schema_editor):
    Control = apps.get_model("gates", "Control")
    GateCriterion = apps.get_model("gates", "GateCriterion")
    ArtifactType = apps.get_model("gates", "ArtifactType")
    GateCriterion.objects.filter(
        template__number=3, name__in=[c[0] for c in CRITERIA]
    ).exclude(applies_when={}).delete()
    ArtifactType.objects.filter(code__in=[a[0] for a in ARTIFACT_TYPES], artifacts=None).delete()
    for framework, reference, _ in CONTROLS:
        Control.objects.filter(framework=framework, reference=reference).delete()


class Migration(migrations.Migration):
    dependencies = [("gates", "0009_bands_and_validity_defaults")]

    operations = [migrations.RunPython(load, unload)]
