"""A realistic demo portfolio, built through the same services people use.

Every stage a demo use case reached, it reached through recorded gate
reviews: artifacts uploaded, criteria assessed, approvals and a decision by
the named people. Running the command twice changes nothing.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core import events
from gates import services as gate_services
from gates.models import AssessmentStatus, Decision, GateReview, ProposedCondition
from notifications import services as notification_services
from readiness import services as readiness_services
from readiness.models import (
    ChecklistItemDefinition,
    ChecklistStatus,
    KpiDirection,
    KpiKind,
    PriorityDimension,
    ScorecardItem,
)
from usecases import risk as risk_questionnaire
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

# Who works in which unit (they may propose its use cases), beyond the heads
# and the teams of its use cases.
BUSINESS_UNIT_MEMBERS = [
    ("claims", "sponsor"),
    ("claims", "maria"),
    ("service", "omar"),
    ("finance", "li"),
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
    # "returned" (submitted, then returned for rework by the chair),
    # "half_approved", "hold", "kill", "recycle", "conditional"; or "withdraw"
    # (the sponsor withdraws it before any gate)
    then: str | None = None
    # Days in the current stage; None picks a figure inside the stage's norm.
    in_stage_days: int | None = None
    # Days from opening a review to its planned gate date: a short one makes
    # the open review late today.
    planned_after_days: int = 14


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
        planned_after_days=3,
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
        in_stage_days=71,
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
        in_stage_days=41,
    ),
    DemoCase(
        "Supplier risk monitoring",
        "supply",
        "Monitor news and filings for supplier distress.",
        "Supplier failures surprise procurement.",
        "Warn 60 days before 80% of supplier failures",
        sponsor="sponsor",
        gates_passed=0,
        then="returned",
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
        in_stage_days=121,
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
    DemoCase(
        "Call summary drafting",
        "service",
        "Draft the after-call summary for agents to check and send.",
        "Agents spend four minutes per call writing notes.",
        "Save 3 minutes per call",
        sponsor="sponsor",
        gates_passed=0,
        then="withdraw",
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


# Days a demo use case spent in each stage before its gate, inside the norms
# (Discovery 2-4 weeks, POC 4-8, Pilot 8-16, Production 4-8).
STAGE_DAYS = {"discovery": (16, 27), "poc": (30, 52), "pilot": (60, 105), "production": (30, 50)}
CURRENT_DAYS = {"discovery": 11, "poc": 24, "pilot": 47, "production": 22, "scale": 60}
STAGES = ["discovery", "poc", "pilot", "production", "scale"]


@dataclass(order=True)
class Step:
    when: datetime.datetime
    order: int
    title: str = field(compare=False)
    run: Callable[[], None] = field(compare=False)


class Command(BaseCommand):
    help = "Create the demo accounts and a realistic demo portfolio (idempotent)."

    def handle(self, *args, **options) -> None:
        users = self._accounts()
        if UseCase.objects.filter(title=CASES[0].title).exists():
            self.stdout.write("Demo portfolio already present; nothing to do.")
        else:
            units = self._business_units(users)
            steps: list[Step] = []
            for case in CASES:
                steps.extend(CaseHistory(case, users, units).steps())
            # Every action runs at its moment in the portfolio's history, all
            # use cases interleaved, so the audit trail reads in time order.
            for step in sorted(steps):
                with time_machine.travel(step.when, tick=False), transaction.atomic():
                    step.run()
            # The history's events reach the inboxes here rather than in a
            # worker later, and are then left read: each demo account starts
            # with what waits on it now, not years of past notifications.
            # Carl is travelling this week: Bea decides in his seats.
            today = timezone.localdate()
            gate_services.delegation_create(
                by=users["cio"],
                delegate=users["buhead"],
                starts_on=today,
                ends_on=today + datetime.timedelta(days=7),
                reason="Travelling to the regional offices this week.",
            )
            events.outbox_deliver()
            notification_services.notifications_mark_read_before(before=timezone.now())
            self.stdout.write(
                self.style.SUCCESS(f"Created {len(CASES)} demo use cases in {len(units)} units.")
            )
        self.stdout.write(
            "Demo accounts (password “demo”, for the demo only): "
            + ", ".join(username for username, *_ in ACCOUNTS[:8])
        )

    def _accounts(self) -> dict[str, Any]:
        users: dict[str, Any] = {}
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

    def _business_units(self, users: dict[str, Any]) -> dict[str, BusinessUnit]:
        units = {}
        for name, code, head in BUSINESS_UNITS:
            unit, _ = BusinessUnit.objects.get_or_create(
                code=code, defaults={"name": name, "head": users[head]}
            )
            units[code] = unit
        admin = users["admin"]
        for code, username in BUSINESS_UNIT_MEMBERS:
            usecase_services.business_unit_member_add(
                by=admin, business_unit=units[code], user=users[username]
            )
        return units


class CaseHistory:
    """The dated steps of one demo use case, from its proposal to today."""

    def __init__(self, case: DemoCase, users: dict[str, Any], units: dict) -> None:
        self.case = case
        self.users = users
        self.units = units
        self.lead = users["lead"]
        self.seed = sum(map(ord, case.title))
        self.use_case: UseCase | None = None
        self.review: GateReview | None = None
        self.risk: Any = None
        self.artifacts: list = []
        self._steps: list[Step] = []

    def at(self, when: datetime.datetime, title: str, run: Callable[[], None]) -> None:
        self._steps.append(Step(when, len(self._steps), f"{self.case.title}: {title}", run))

    def steps(self) -> list[Step]:
        case = self.case
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        durations = []
        for index in range(case.gates_passed):
            low, high = STAGE_DAYS[STAGES[index]]
            durations.append(low + (self.seed * (index + 3)) % (high - low + 1))
        current_stage = STAGES[case.gates_passed]
        current = case.in_stage_days or CURRENT_DAYS[current_stage] + self.seed % 7
        start = now - datetime.timedelta(days=sum(durations) + current)
        day = datetime.timedelta(days=1)

        self.at(start, "proposed", self.create)
        self.at(start + day, "prioritized", self.prioritize)
        # The team answers the risk questionnaire; risk and compliance decides
        # it two days later, except for a use case still idle in Discovery,
        # which waits on risk and compliance.
        self.at(start + day + datetime.timedelta(hours=2), "risk answered", self.risk_answer)
        if case.gates_passed or case.then:
            self.at(start + 3 * day, "risk decided", self.risk_decide)
        stage_start = start
        for index, length in enumerate(durations):
            stage_end = stage_start + datetime.timedelta(days=length)
            self.readiness_steps(STAGES[index], stage_start, stage_end)
            self.gate_steps(stage_end, decide=Decision.GO)
            stage_start = stage_end
        self.readiness_steps(current_stage, stage_start, now)
        if case.then == "withdraw":
            self.at(now - datetime.timedelta(days=2), "withdrawn", self.withdraw)
        elif case.then:
            # The pending work sits in the last days, where reminders find it.
            self.gate_steps(now - datetime.timedelta(hours=20), decide=case.then)
        return self._steps

    def readiness_steps(self, stage: str, begin: datetime.datetime, end: datetime.datetime):
        if stage == "poc":
            self.at(begin + datetime.timedelta(days=9), "scorecard", self.score_poc)
        elif stage == "pilot":
            self.at(begin + datetime.timedelta(days=3), "KPIs defined", self.define_kpis)
            week, measured = datetime.timedelta(days=7), begin + datetime.timedelta(days=7)
            number = 0
            while measured < end - datetime.timedelta(days=1):
                self.at(measured, "KPIs measured", self._measure(number))
                measured += week
                number += 1

    def gate_steps(self, decided_at: datetime.datetime, *, decide: str) -> None:
        """Open, evidence, submission, approvals and decision before ``decided_at``."""
        hours = datetime.timedelta(hours=1)
        open_at = decided_at - 200 * hours
        self.at(open_at, "review opened", self.open_review)
        if decide == "open":
            self.at(open_at + 26 * hours, "first evidence", lambda: self.upload(limit=2))
            return
        self.at(open_at + 26 * hours, "evidence uploaded", self.upload)
        self.at(open_at + 74 * hours, "criteria assessed", self.assess)
        self.at(open_at + 98 * hours, "checklist", self.checklist)
        self.at(open_at + 120 * hours, "submitted", self.submit)
        if decide == "submitted":
            return
        if decide == "returned":
            # Back with the team: the review page shows the chair's reason.
            self.at(open_at + 150 * hours, "returned for rework", self.return_for_rework)
            return
        if decide in (Decision.GO, "conditional", "half_approved"):
            self.at(open_at + 150 * hours, "approvals", self.approve)
        if decide == "half_approved":
            return
        self.at(decided_at, f"decision: {decide}", lambda: self.decide(decide))

    # --- the actions, each through the services ------------------------------

    def withdraw(self) -> None:
        usecase_services.usecase_withdraw(
            use_case=self.use_case,
            by=self.users[self.case.sponsor],
            reason="The contact-centre platform ships its own summaries next quarter.",
        )

    def create(self) -> None:
        case, users = self.case, self.users
        self.use_case = usecase_services.usecase_create(
            by=self.lead,
            title=case.title,
            summary=case.summary,
            business_unit=self.units[case.bu],
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
            use_case=self.use_case,
            by=self.lead,
            user=users[case.techlead],
            role=MemberRole.TECHNICAL_LEAD,
        )
        for name in case.contributors:
            usecase_services.member_add(
                use_case=self.use_case, by=self.lead, user=users[name], role=MemberRole.CONTRIBUTOR
            )

    def risk_answer(self) -> None:
        """Answers that call for the case's regulations (and its tier, where a
        rule gives it)."""
        case = self.case
        answers = risk_questionnaire.blank_answers()
        regulations = set(case.regulations)
        answers["financial_reporting"] = "sox" in regulations
        answers["consumer_reports"] = "fcra" in regulations
        answers["phi"] = "hipaa" in regulations
        answers["personal_data"] = "gdpr" in regulations or "fcra" in regulations
        if case.risk == RiskTier.HIGH:
            answers["annex_iii_areas"] = ["essential_services"]
        elif "eu_ai_act" in regulations:
            answers["interacts_with_people"] = True
        self.risk = usecase_services.risk_answer(
            use_case=self.use_case, by=self.users[case.sponsor], answers=answers
        )

    def risk_decide(self) -> None:
        case = self.case
        proposal = (self.risk.proposed_tier, set(self.risk.proposed_regulations))
        if proposal == (case.risk, set(case.regulations)):
            usecase_services.risk_decide(
                classification=self.risk, by=self.users["risk"], confirm=True
            )
            return
        usecase_services.risk_decide(
            classification=self.risk,
            by=self.users["risk"],
            tier=case.risk,
            regulations=list(case.regulations),
            reason="Set at the portfolio review: the data and the users it touches call for it.",
        )

    def prioritize(self) -> None:
        case = self.case
        readiness_services.prioritization_save(
            use_case=self.use_case,
            by=self.lead,
            scores={d.value: 2 + (self.seed >> i) % 4 for i, d in enumerate(PriorityDimension)},
            rationales={
                PriorityDimension.BUSINESS_IMPACT: case.outcome,
                PriorityDimension.DATA_READINESS: "Core data sits in one system of record.",
                PriorityDimension.TECHNICAL_FEASIBILITY: "A proven pattern for this task.",
                PriorityDimension.ORGANISATIONAL_READINESS: "The team asked for this tool.",
            },
        )

    def score_poc(self) -> None:
        # Use cases heading through Gate 2 score well; the others are mid-way.
        strong = self.case.gates_passed >= 2
        items = ScorecardItem.objects.filter(is_active=True).order_by("order", "id")
        readiness_services.scorecard_save(
            use_case=self.use_case,
            by=self.lead,
            scores={
                item.pk: (5 - (index == 4)) if strong else 2 + (self.seed + index) % 3
                for index, item in enumerate(items)
            },
            note="Scored with the sponsor after the PoC demo.",
        )

    def define_kpis(self) -> None:
        self.kpis = [
            readiness_services.kpi_create(
                use_case=self.use_case,
                by=self.lead,
                name="Pilot adoption",
                kind=KpiKind.LEADING,
                unit="%",
                baseline=0,
                target=60,
                direction=KpiDirection.HIGHER,
            ),
            readiness_services.kpi_create(
                use_case=self.use_case,
                by=self.lead,
                name="Handling time",
                kind=KpiKind.LAGGING,
                unit="min",
                baseline=42,
                target=30,
                direction=KpiDirection.LOWER,
            ),
        ]

    def _measure(self, week: int) -> Callable[[], None]:
        def measure() -> None:
            adoption, handling = self.kpis
            today = timezone.localdate()
            values = (min(18 + week * 8 + self.seed % 5, 92), max(41 - week * 1.5, 24))
            for kpi, value in zip((adoption, handling), values, strict=True):
                readiness_services.kpi_measurement_record(
                    kpi=kpi, by=self.users[self.case.techlead], value=value, measured_at=today
                )

        return measure

    def open_review(self) -> None:
        planned = timezone.localdate() + datetime.timedelta(days=self.case.planned_after_days)
        self.review = gate_services.review_open(
            use_case=self.use_case, by=self.lead, planned_date=planned
        )

    def _sponsor(self) -> Any:
        return self.users[self.case.sponsor]

    def upload(self, limit: int | None = None) -> None:
        self.artifacts = []
        requirements = list(self.review.artifact_requirements.select_related("artifact_type"))
        for requirement in requirements[:limit]:
            artifact_type = requirement.artifact_type
            self.artifacts.append(
                gate_services.artifact_upload(
                    use_case=self.use_case,
                    by=self._sponsor(),
                    artifact_type=artifact_type,
                    file=_document(self.case.title, artifact_type.name, self.case),
                    note="Prepared for the gate review.",
                )
            )

    def assess(self) -> None:
        for criterion in self.review.criteria.all():
            gate_services.criterion_assess(
                review=self.review,
                criterion=criterion,
                by=self._sponsor(),
                status=AssessmentStatus.MET,
                evidence=f"{criterion.requirement}: confirmed in the review documents.",
                artifacts=self.artifacts[:1],
            )

    def checklist(self) -> None:
        if self.review.gate_number != 3:
            return
        # Reviews still waiting keep two items open: the chair's panel shows
        # why Go must wait.
        leave_open = 2 if self.case.then in ("submitted", "half_approved") else 0
        if self.use_case.stage != "pilot" or self.case.gates_passed > 2:
            leave_open = 0
        definitions = list(
            ChecklistItemDefinition.objects.filter(is_active=True).order_by("number")
        )
        for definition in definitions[: len(definitions) - leave_open]:
            readiness_services.checklist_item_update(
                use_case=self.use_case,
                item=definition,
                by=self.lead,
                status=ChecklistStatus.DONE,
                owner=self.users[
                    self.case.techlead if definition.number <= 10 else self.case.sponsor
                ],
                evidence="Verified in the pilot readiness review.",
            )

    def submit(self) -> None:
        gate_services.review_submit(review=self.review, by=self._sponsor())

    def return_for_rework(self) -> None:
        gate_services.review_return(
            review=self.review,
            by=self.lead,
            reason="The data availability evidence is a plan, not a sample: attach a sample "
            "extract and its data-quality profile, then submit again.",
        )

    def approve(self) -> None:
        rows = list(self.review.approvers.select_related("user").order_by("id"))
        half = (
            self.case.then == "half_approved"
            and self.review.gate_number == self.case.gates_passed + 1
        )
        conditional = (
            self.case.then == "conditional"
            and self.review.gate_number == self.case.gates_passed + 1
        )
        for row in reversed(rows) if conditional else rows:
            # Half approved: only the chair has approved, so the other
            # approvers' home pages have something to act on.
            if half and row.user_id != self.review.chair_id:
                continue
            if conditional and row.user_id != self.review.chair_id:
                # The last approver asks for a condition; the chair adopts it.
                conditional = False
                gate_services.approval_record(
                    review=self.review,
                    approver=row.user,
                    decision="approve_with_conditions",
                    comment="Agreed once the pilot sites are trained.",
                    conditions=[self._training_condition()],
                )
                continue
            gate_services.approval_record(review=self.review, approver=row.user, decision="approve")

    def _training_condition(self) -> dict[str, Any]:
        return {
            "description": "Pilot user training completed for all sites",
            "owner": self._sponsor(),
            "due_date": timezone.localdate() + datetime.timedelta(days=30),
        }

    def _meeting(self) -> dict[str, Any]:
        """The gate meeting: the approvers who voted, and short minutes."""
        voted = [
            row.user
            for row in self.review.approvers.select_related("user").order_by("id")
            if row.decision != "pending"
        ]
        return {
            "attendees": voted,
            "minutes": f"The team presented the evidence for {self.use_case.title}; "
            f"{len(voted)} approvers took part.",
        }

    def decide(self, decision: str) -> None:
        if decision == Decision.GO:
            gate_services.gate_decide(
                review=self.review,
                by=self.lead,
                decision=Decision.GO,
                rationale="The evidence meets every criterion; the approvers agree.",
                **self._meeting(),
            )
        elif decision == "conditional":
            today = timezone.localdate()
            gate_services.gate_decide(
                review=self.review,
                by=self.lead,
                decision=Decision.CONDITIONAL_GO,
                rationale="Go, provided the monitoring gaps close before wider rollout.",
                conditions=[
                    {
                        "description": "Alerting on model drift in place and tested",
                        "owner": self.users[self.case.techlead],
                        "due_date": today + datetime.timedelta(days=5),
                    },
                ],
                adopt=list(
                    ProposedCondition.objects.filter(review=self.review).values_list(
                        "pk", flat=True
                    )
                ),
                **self._meeting(),
            )
        else:
            rationale = {
                "hold": "Paused until the data-sharing agreement is signed.",
                "kill": "The value case did not hold up against the evidence; stop here.",
                "recycle": "Criteria evidence is thin; rework the data assessment and come back.",
            }[decision]
            gate_services.gate_decide(
                review=self.review,
                by=self.lead,
                decision=decision,
                rationale=rationale,
                **self._meeting(),
            )
        self.use_case.refresh_from_db()
