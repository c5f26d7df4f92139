"""A realistic demo portfolio, built through the same services people use.

Every stage a demo use case reached, it reached through recorded gate
reviews: artifacts uploaded, criteria assessed, approvals and a decision by
the named people. Running the command twice changes nothing.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from gates import services as gate_services
from gates.models import AssessmentStatus, Decision, GateReview
from readiness import services as readiness_services
from readiness.models import (
    ChecklistItemDefinition,
    ChecklistStatus,
    KpiDirection,
    KpiKind,
    PriorityDimension,
    ScorecardItem,
)
from usecases import services as usecase_services
from usecases.models import BusinessUnit, MemberRole, OrgRole, RiskTier, UseCase

User = get_user_model()
DEMO_PASSWORD = "demo"

ACCOUNTS = [
    # username, first, last, org roles, staff
    ("lead", "Lena", "Lindqvist", [OrgRole.PROGRAM_LEAD], False),
    ("sponsor", "Sam", "Okafor", [], False),
    ("techlead", "Tara", "Nguyen", [], False),
    ("buhead", "Bea", "Hoffmann", [], False),
    ("cio", "Carl", "Mendes", [OrgRole.CIO_CTO], False),
    ("risk", "Rita", "Kowalski", [OrgRole.RISK_COMPLIANCE], False),
    ("exec", "Eve", "Castillo", [OrgRole.EXECUTIVE], False),
    ("admin", "Ada", "Admin", [OrgRole.PROGRAM_LEAD], True),
    ("maria", "Maria", "Santos", [], False),
    ("omar", "Omar", "Haddad", [], False),
    ("nina", "Nina", "Berg", [], False),
    ("raj", "Raj", "Patel", [], False),
    ("li", "Li", "Wei", [], False),
]

BUSINESS_UNITS = [
    ("Claims Operations", "claims", "buhead"),
    ("Customer Service", "service", "nina"),
    ("Finance", "finance", "raj"),
    ("Supply Chain", "supply", "buhead"),
]


@dataclass
class DemoCase:
    title: str
    bu: str
    summary: str
    problem: str
    outcome: str
    risk: str = RiskTier.MEDIUM
    regulations: list[str] = field(default_factory=list)
    sponsor: str = "sponsor"
    techlead: str = "techlead"
    contributors: list[str] = field(default_factory=lambda: ["li"])
    gates_passed: int = 0
    # What happens after the passed gates: None (idle), "open", "submitted",
    # "half_approved", "hold", "kill", "recycle", "conditional"
    then: str | None = None


CASES = [
    DemoCase(
        "Claims triage assistant",
        "claims",
        "Route incoming claims to the right handler from the first notice of loss.",
        "Manual triage takes two working days per claim and misroutes one in eight.",
        "Cut claim triage time from 2 days to 2 hours",
        RiskTier.HIGH,
        ["gdpr"],
    ),
    DemoCase(
        "Subrogation opportunity finder",
        "claims",
        "Flag paid claims where a third party is liable.",
        "Recoverable amounts are missed because adjusters have no time to review files.",
        "Recover an extra 1.2M EUR a year",
        gates_passed=0,
        then="open",
    ),
    DemoCase(
        "Fraud ring detection",
        "claims",
        "Graph analytics over claims, parties and repair shops to surface organised fraud.",
        "Organised fraud is found only after payouts, by tip-offs.",
        "Reduce fraud leakage by 15%",
        RiskTier.HIGH,
        ["gdpr", "eu_ai_act"],
        gates_passed=1,
        then="submitted",
    ),
    DemoCase(
        "Repair estimate photo review",
        "claims",
        "Estimate vehicle damage from policyholder photos.",
        "Desk assessors re-key estimates from body shops.",
        "Settle 30% of motor claims without an assessor visit",
        gates_passed=1,
    ),
    DemoCase(
        "Medical bill coding check",
        "claims",
        "Check medical invoices against treatment codes.",
        "Coding errors cause overpayment on bodily injury claims.",
        "Save 400k EUR a year in overpayments",
        RiskTier.HIGH,
        ["hipaa"],
        gates_passed=2,
        then="half_approved",
    ),
    DemoCase(
        "Litigation propensity model",
        "claims",
        "Predict which claims will go to litigation.",
        "Litigated claims cost 4x more; early settlement offers come too late.",
        "Reduce litigation rate by 10%",
        RiskTier.HIGH,
        ["eu_ai_act"],
        gates_passed=2,
        then="hold",
    ),
    DemoCase(
        "Claims correspondence drafting",
        "claims",
        "Draft letters to claimants for handler review.",
        "Handlers spend 25% of their day writing letters.",
        "Free 6,000 handler hours a year",
        gates_passed=3,
    ),
    DemoCase(
        "First notice of loss chatbot",
        "claims",
        "Take first notice of loss through a guided conversation.",
        "Call centre peaks delay claim registration.",
        "Register 40% of claims without a call",
        gates_passed=4,
    ),
    DemoCase(
        "Customer email intent routing",
        "service",
        "Classify inbound customer e-mail by intent and urgency.",
        "E-mails wait in a shared inbox for 3 days on average.",
        "Answer 80% of e-mails within one working day",
        sponsor="maria",
        contributors=["li", "omar"],
    ),
    DemoCase(
        "Agent assist knowledge search",
        "service",
        "Suggest knowledge articles to agents during calls.",
        "Agents put customers on hold to search the wiki.",
        "Cut average handle time by 12%",
        sponsor="maria",
        gates_passed=1,
        then="open",
    ),
    DemoCase(
        "Churn early warning",
        "service",
        "Predict customers likely to cancel in the next 90 days.",
        "Retention offers go out only after cancellation requests.",
        "Retain 2,000 more customers a year",
        RiskTier.MEDIUM,
        ["gdpr"],
        sponsor="maria",
        gates_passed=1,
        then="kill",
    ),
    DemoCase(
        "Complaint root cause clustering",
        "service",
        "Cluster complaint texts into root causes each month.",
        "Complaint reporting is a manual tally by category.",
        "Halve time to detect a new complaint driver",
        sponsor="maria",
        gates_passed=2,
    ),
    DemoCase(
        "Call summarisation",
        "service",
        "Summarise calls into the CRM automatically.",
        "After-call work takes 90 seconds per call.",
        "Save 45 seconds of after-call work per call",
        sponsor="sponsor",
        gates_passed=3,
        then="open",
    ),
    DemoCase(
        "Voice of customer dashboard",
        "service",
        "Sentiment and topic trends across all channels.",
        "Insight comes from quarterly surveys only.",
        "Monthly insight into the top 10 drivers of dissatisfaction",
        sponsor="maria",
        gates_passed=0,
        then="recycle",
    ),
    DemoCase(
        "Invoice matching automation",
        "finance",
        "Match supplier invoices to purchase orders and receipts.",
        "Three-way matching is manual for 35% of invoices.",
        "Raise straight-through processing from 65% to 90%",
        RiskTier.MEDIUM,
        ["sox"],
        sponsor="omar",
    ),
    DemoCase(
        "Cash flow forecasting",
        "finance",
        "Forecast 13-week cash flow from ledger and bank data.",
        "Treasury builds the forecast by hand in spreadsheets each week.",
        "Forecast error under 5% at 4 weeks",
        RiskTier.MEDIUM,
        ["sox"],
        sponsor="omar",
        gates_passed=1,
    ),
    DemoCase(
        "Expense anomaly detection",
        "finance",
        "Detect unusual expense claims for audit.",
        "Audit samples 2% of claims at random.",
        "Find 3x more policy breaches with the same audit effort",
        sponsor="omar",
        gates_passed=2,
        then="conditional",
    ),
    DemoCase(
        "Credit limit recommendation",
        "finance",
        "Recommend credit limits for business customers.",
        "Credit reviews are annual and miss changes in risk.",
        "Reduce bad debt write-offs by 20%",
        RiskTier.HIGH,
        ["fcra", "eu_ai_act"],
        sponsor="omar",
        gates_passed=2,
        then="submitted",
    ),
    DemoCase(
        "Month-end close narrative drafting",
        "finance",
        "Draft variance commentary for the month-end pack.",
        "Controllers spend two days writing variance commentary.",
        "Close the books one day earlier",
        RiskTier.LOW,
        ["sox"],
        sponsor="omar",
        gates_passed=3,
    ),
    DemoCase(
        "Demand forecasting for spare parts",
        "supply",
        "Forecast spare-part demand per depot.",
        "Stock-outs and overstock at the same time across depots.",
        "Cut stock-outs by 25% with 10% less inventory",
        sponsor="sponsor",
    ),
    DemoCase(
        "Supplier risk monitoring",
        "supply",
        "Monitor news and filings for supplier distress.",
        "Supplier failures surprise procurement.",
        "Warn 60 days before 80% of supplier failures",
        sponsor="sponsor",
        gates_passed=0,
        then="submitted",
    ),
    DemoCase(
        "Route optimisation for field engineers",
        "supply",
        "Plan field engineer routes daily.",
        "Planners build routes by hand; engineers drive 20% more than needed.",
        "Cut drive time by 15%",
        sponsor="sponsor",
        gates_passed=1,
        then="hold",
    ),
    DemoCase(
        "Warehouse pick-path optimisation",
        "supply",
        "Sequence picks to shorten walking paths.",
        "Pickers walk 12 km a shift.",
        "Raise picks per hour by 18%",
        RiskTier.LOW,
        sponsor="sponsor",
        gates_passed=2,
    ),
    DemoCase(
        "Document intake for customs",
        "supply",
        "Extract customs data from commercial invoices.",
        "Brokers re-key invoice data into customs systems.",
        "Clear shipments 1 day faster",
        sponsor="sponsor",
        gates_passed=4,
    ),
    DemoCase(
        "Inventory write-off prediction",
        "supply",
        "Predict slow-moving stock likely to be written off.",
        "Write-offs are found at year-end counts.",
        "Cut write-offs by 30%",
        sponsor="sponsor",
        gates_passed=0,
        then="kill",
    ),
    DemoCase(
        "Contract clause extraction",
        "finance",
        "Extract renewal and penalty clauses from supplier contracts.",
        "Auto-renewals are missed; penalties are paid.",
        "Avoid 250k EUR of unwanted renewals a year",
        sponsor="omar",
        gates_passed=3,
        then="half_approved",
    ),
]


def _document(title: str, artifact_name: str, case: DemoCase) -> io.BytesIO:
    body = (
        f"# {artifact_name}\n\n"
        f"Use case: {title}\n\n"
        f"## Context\n\n{case.problem}\n\n"
        f"## Target outcome\n\n{case.outcome}\n\n"
        "## Findings\n\n"
        "- Evidence gathered with the business unit and the delivery team.\n"
        "- Open questions and owners are listed in the review.\n"
    )
    stream = io.BytesIO(body.encode())
    stream.name = artifact_name.lower().replace(" ", "-").replace(",", "") + ".md"
    return stream


class Command(BaseCommand):
    help = "Create the demo accounts and a realistic demo portfolio (idempotent)."

    def handle(self, *args, **options) -> None:
        users = self._accounts()
        if UseCase.objects.filter(title=CASES[0].title).exists():
            self.stdout.write("Demo portfolio already present; nothing to do.")
        else:
            units = self._business_units(users)
            for case in CASES:
                with transaction.atomic():
                    self._build(case, users, units)
            self.stdout.write(
                self.style.SUCCESS(f"Created {len(CASES)} demo use cases in {len(units)} units.")
            )
        self.stdout.write(
            "Demo accounts (password “demo”, for the demo only): "
            + ", ".join(username for username, *_ in ACCOUNTS[:8])
        )

    def _accounts(self) -> dict[str, object]:
        users: dict[str, object] = {}
        for username, first, last, roles, staff in ACCOUNTS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.com",
                    "is_staff": staff,
                    "is_superuser": staff,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                for role in roles:
                    user.groups.add(Group.objects.get(name=role))
            users[username] = user
        return users

    def _business_units(self, users: dict[str, object]) -> dict[str, BusinessUnit]:
        units = {}
        for name, code, head in BUSINESS_UNITS:
            unit, _ = BusinessUnit.objects.get_or_create(
                code=code, defaults={"name": name, "head": users[head]}
            )
            units[code] = unit
        return units

    def _build(self, case: DemoCase, users: dict, units: dict) -> None:
        lead = users["lead"]
        use_case = usecase_services.usecase_create(
            by=lead,
            title=case.title,
            summary=case.summary,
            business_unit=units[case.bu],
            sponsor=users[case.sponsor],
            business_problem=case.problem,
            value_hypothesis=f"If we deliver this, then: {case.outcome.lower()}.",
            quantified_outcome=case.outcome,
            assumptions="Volumes stay at current levels; the data owner grants access.",
            success_metrics="Outcome against baseline, adoption among target users.",
            data_sources="Operational system of record; data warehouse extracts.",
            regulatory_constraints=case.regulations,
            risk_tier=case.risk,
        )
        usecase_services.member_add(
            use_case=use_case, by=lead, user=users[case.techlead], role=MemberRole.TECHNICAL_LEAD
        )
        for name in case.contributors:
            usecase_services.member_add(
                use_case=use_case, by=lead, user=users[name], role=MemberRole.CONTRIBUTOR
            )
        self._readiness_for_stage(use_case, case, users)
        for _ in range(case.gates_passed):
            review = self._prepare(use_case, users, submit=True)
            self._approve(review, users, everyone=True)
            if review.gate_number == 3:
                self._checklist(use_case, case, users, leave_open=0)
            gate_services.gate_decide(
                review=review,
                by=lead,
                decision=Decision.GO,
                rationale="The evidence meets every criterion; the approvers agree.",
            )
            use_case.refresh_from_db()
            self._readiness_for_stage(use_case, case, users)
        if case.then is None:
            return
        if case.then == "open":
            review = gate_services.review_open(use_case=use_case, by=lead)
            self._upload(review, users[case.sponsor], case, limit=2)
            return
        review = self._prepare(use_case, users, submit=True)
        if review.gate_number == 3:
            # Waiting reviews keep two items open: the chair's panel shows
            # why Go must wait.
            waiting = case.then in ("submitted", "half_approved")
            self._checklist(use_case, case, users, leave_open=2 if waiting else 0)
        if case.then == "submitted":
            return
        if case.then == "half_approved":
            self._approve(review, users, everyone=False)
            return
        if case.then == "conditional":
            self._approve(review, users, everyone=True)
            gate_services.gate_decide(
                review=review,
                by=lead,
                decision=Decision.CONDITIONAL_GO,
                rationale="Go, provided the monitoring gaps close before wider rollout.",
                conditions=[
                    {
                        "description": "Alerting on model drift in place and tested",
                        "owner": users[case.techlead],
                        "due_date": _days_from_today(21),
                    },
                    {
                        "description": "Pilot user training completed for all sites",
                        "owner": users[case.sponsor],
                        "due_date": _days_from_today(35),
                    },
                ],
            )
            return
        rationale = {
            "hold": "Paused until the data-sharing agreement is signed.",
            "kill": "The value case did not hold up against the evidence; stop here.",
            "recycle": "Criteria evidence is thin; rework the data assessment and come back.",
        }[case.then]
        gate_services.gate_decide(review=review, by=lead, decision=case.then, rationale=rationale)

    def _readiness_for_stage(self, use_case: UseCase, case: DemoCase, users: dict) -> None:
        """The assessments a program office records in each stage."""
        lead = users["lead"]
        seed = sum(map(ord, case.title))
        if use_case.stage == "discovery":
            readiness_services.prioritization_save(
                use_case=use_case,
                by=lead,
                scores={d.value: 2 + (seed >> i) % 4 for i, d in enumerate(PriorityDimension)},
                rationales={
                    PriorityDimension.BUSINESS_IMPACT: case.outcome,
                    PriorityDimension.DATA_READINESS: "Core data sits in one system of record.",
                    PriorityDimension.TECHNICAL_FEASIBILITY: "A proven pattern for this task.",
                    PriorityDimension.ORGANISATIONAL_READINESS: "The team asked for this tool.",
                },
            )
        elif use_case.stage == "poc":
            # Use cases heading for Gate 2 score well; the others are mid-way.
            strong = case.gates_passed >= 2
            readiness_services.scorecard_save(
                use_case=use_case,
                by=lead,
                scores={
                    item.pk: (5 if strong else 2 + (seed + index) % 3) - (index == 4 and strong)
                    for index, item in enumerate(ScorecardItem.objects.order_by("order", "id"))
                },
                note="Scored with the sponsor after the PoC demo.",
            )
        elif use_case.stage == "pilot":
            adoption = readiness_services.kpi_create(
                use_case=use_case,
                by=lead,
                name="Pilot adoption",
                kind=KpiKind.LEADING,
                unit="%",
                baseline=0,
                target=60,
                direction=KpiDirection.HIGHER,
            )
            handling = readiness_services.kpi_create(
                use_case=use_case,
                by=lead,
                name="Handling time",
                kind=KpiKind.LAGGING,
                unit="min",
                baseline=42,
                target=30,
                direction=KpiDirection.LOWER,
            )
            today = _days_from_today(0)
            for week in range(6):
                when = today - datetime.timedelta(weeks=5 - week)
                readiness_services.kpi_measurement_record(
                    kpi=adoption, by=lead, value=18 + week * 9 + seed % 5, measured_at=when
                )
                readiness_services.kpi_measurement_record(
                    kpi=handling, by=lead, value=41 - week * 2, measured_at=when
                )

    def _checklist(self, use_case: UseCase, case: DemoCase, users: dict, *, leave_open: int):
        definitions = list(
            ChecklistItemDefinition.objects.filter(is_active=True).order_by("number")
        )
        for definition in definitions[: len(definitions) - leave_open]:
            readiness_services.checklist_item_update(
                use_case=use_case,
                item=definition,
                by=users["lead"],
                status=ChecklistStatus.DONE,
                owner=users[case.techlead] if definition.number <= 10 else users[case.sponsor],
                evidence="Verified in the pilot readiness review.",
            )

    def _prepare(self, use_case: UseCase, users: dict, *, submit: bool) -> GateReview:
        lead = users["lead"]
        review = gate_services.review_open(use_case=use_case, by=lead)
        sponsor = next(
            m.user for m in use_case.members.filter(role=MemberRole.SPONSOR).select_related("user")
        )
        case = next(c for c in CASES if c.title == use_case.title)
        artifacts = self._upload(review, sponsor, case)
        for criterion in review.criteria.all():
            gate_services.criterion_assess(
                review=review,
                criterion=criterion,
                by=sponsor,
                status=AssessmentStatus.MET,
                evidence=f"{criterion.requirement}: confirmed in the review documents.",
                artifacts=artifacts[:1],
            )
        if submit:
            gate_services.review_submit(review=review, by=sponsor)
        return review

    def _upload(self, review: GateReview, by, case: DemoCase, limit: int | None = None) -> list:
        artifacts = []
        requirements = list(review.artifact_requirements.select_related("artifact_type"))
        for requirement in requirements[:limit]:
            artifact_type = requirement.artifact_type
            stream = _document(case.title, artifact_type.name, case)
            artifacts.append(
                gate_services.artifact_upload(
                    use_case=review.use_case,
                    by=by,
                    artifact_type=artifact_type,
                    file=stream,
                    note="Prepared for the gate review.",
                )
            )
        return artifacts

    def _approve(self, review: GateReview, users: dict, *, everyone: bool) -> None:
        rows = list(review.approvers.select_related("user").order_by("id"))
        for row in rows:
            # Half approved: only the chair has approved, so the other
            # approvers' home pages have something to act on.
            if not everyone and row.user_id != review.chair_id:
                continue
            gate_services.approval_record(
                review=review, approver=row.user, decision="approve", comment=""
            )


def _days_from_today(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)
