"""The dated steps of each demo use case, run through the same services
people use, at their moment in the portfolio's history."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from front.demo.portfolio import REGIONS, DemoCase
from gates import services as gate_services
from gates.models import (
    AssessmentStatus,
    Decision,
    DecommissioningStep,
    GateReview,
    ProposedCondition,
    add_months,
)
from operations import services as operations_services
from operations.models import IncidentSeverity
from readiness import services as readiness_services
from readiness.models import (
    ChecklistItemDefinition,
    ChecklistStatus,
    KpiDirection,
    KpiKind,
    KpiOperator,
    PriorityDimension,
    ScorecardItem,
)
from usecases import risk as risk_questionnaire
from usecases import services as usecase_services
from usecases.models import MemberRole, RiskTier, UseCase, recertification_months


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
        if case.operate:
            self.operate_steps(stage_start, now)
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

    def operate_steps(self, since: datetime.datetime, now: datetime.datetime) -> None:
        """Life in operation since Gate 4's Go (``since``)."""
        day = datetime.timedelta(days=1)
        if self.case.operate == "drift":
            self.at(since + 6 * day, "drift bound set", self.set_drift_bound)
            self.at(since + 20 * day, "KPI within bound", self._measure_handling(31))
            self.at(now - 3 * day, "drift breach", self._measure_handling(36.5))
            self.at(now - 1 * day, "incident recorded", self.record_incident)
        elif self.case.operate == "due":
            self.at(now - datetime.timedelta(hours=2), "recertification due", self.scheduled)
        elif self.case.operate == "retire":
            months = recertification_months(self.case.risk)
            due = add_months(since.date(), months)
            due_at = since.replace(year=due.year, month=due.month, day=due.day)
            self.gate_steps(due_at - 5 * day, decide=Decision.GO, opener=self.scheduled)
            self.gate_steps(now - 2 * day, decide=Decision.RETIRE)

    def gate_steps(
        self,
        decided_at: datetime.datetime,
        *,
        decide: str,
        opener: Callable[[], None] | None = None,
    ) -> None:
        """Open, evidence, submission, approvals and decision before ``decided_at``."""
        hours = datetime.timedelta(hours=1)
        open_at = decided_at - 200 * hours
        self.at(open_at, "review opened", opener or self.open_review)
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
        if decide == Decision.RETIRE:
            # Retire is the chair's decision; the approvers still vote.
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
            custom_values=self._custom_values(),
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

    def _custom_values(self) -> dict[str, Any]:
        """The demo's custom fields: a cost centre and a region for every case,
        and a data owner (required from POC) for all but an idle case whose
        Gate 1 review is open, so its review shows the missing field."""
        case = self.case
        values: dict[str, Any] = {
            "cost_centre": f"CC-{case.bu.upper()}-{100 + self.seed % 900}",
            "deployment_region": REGIONS[case.bu],
        }
        if case.gates_passed or case.then != "open":
            values["data_owner"] = self.users[case.techlead].pk
        return values

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

    # --- in operation -----------------------------------------------------------

    def set_drift_bound(self) -> None:
        handling = self.kpis[1]
        operations_services.kpi_drift_set(
            kpi=handling, by=self.lead, operator=KpiOperator.AT_MOST, threshold=34
        )

    def _measure_handling(self, minutes: float) -> Callable[[], None]:
        def measure() -> None:
            readiness_services.kpi_measurement_record(
                kpi=self.kpis[1],
                by=self.users[self.case.techlead],
                value=minutes,
                measured_at=timezone.localdate(),
            )
            self._adopt_open_review()

        return measure

    def record_incident(self) -> None:
        operations_services.incident_record(
            use_case=self.use_case,
            by=self._sponsor(),
            title="Claims registered against the wrong policy",
            severity=IncidentSeverity.HIGH,
            occurred_on=timezone.localdate(),
            description="Twelve claims taken by the chatbot on Monday were registered against "
            "a lapsed policy of the same customer; handlers caught them at first contact.",
        )
        self._adopt_open_review()

    def scheduled(self) -> None:
        """The daily schedule runs: it opens the recertifications due."""
        operations_services.recertification_schedule()
        self._adopt_open_review()

    def _adopt_open_review(self) -> None:
        self.review = (
            GateReview.objects.filter(use_case=self.use_case, status__in=["open", "submitted"])
            .order_by("-id")
            .first()
        ) or self.review

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
        elif decision == Decision.RETIRE:
            gate_services.gate_decide(
                review=self.review,
                by=self.lead,
                decision=Decision.RETIRE,
                rationale="The travel platform now checks receipts at submission; this model "
                "no longer adds value.",
                decommissioning=[
                    {"step": step.pk, "status": "done", "note": ""}
                    for step in DecommissioningStep.objects.filter(is_active=True)
                ],
                exit_reason="replaced",
                lessons_learned="Checking at the point of submission beats checking afterwards: "
                "the model taught the platform's vendor which rules mattered.",
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
            # A Kill names its reason from the taxonomy and what was learned.
            ending = (
                {
                    "exit_reason": "no-business-value",
                    "lessons_learned": "Quantify the value case with the business owner "
                    "before the PoC, not after it.",
                }
                if decision == Decision.KILL
                else {}
            )
            gate_services.gate_decide(
                review=self.review,
                by=self.lead,
                decision=decision,
                rationale=rationale,
                **ending,
                **self._meeting(),
            )
        self.use_case.refresh_from_db()
