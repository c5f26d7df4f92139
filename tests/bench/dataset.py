"""The scale data set: 10,000 use cases (``--scale`` sets another size, with
as many people per use case) across 8 business units, each with a
sponsor, a technical lead and one or two contributors.

Loaded once into the benchmark database and kept between runs. Everything is
bulk-created for speed, and stage, status and their timestamps are written
directly: acceptable ONLY for this benchmark data set. Real use cases move
stage only through recorded gate decisions (gates services).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

USE_CASES = 10_000
PEOPLE = 600


def configure(use_cases: int) -> None:
    """Size the data set: ``use_cases``, and people in proportion (600 for
    10,000), so that each person holds roles on as many use cases at any size."""
    global USE_CASES, PEOPLE
    USE_CASES = use_cases
    PEOPLE = max(600, use_cases * 6 // 100)


BATCH = 2_000
SEED = 20_240_601

BUSINESS_UNITS = [
    ("Claims Operations", "bench-claims"),
    ("Underwriting", "bench-underwriting"),
    ("Customer Service", "bench-service"),
    ("Finance", "bench-finance"),
    ("Human Resources", "bench-hr"),
    ("Supply Chain", "bench-supply"),
    ("Marketing", "bench-marketing"),
    ("IT Operations", "bench-it"),
]

TOPICS = [
    "Claims triage assistant",
    "Claims fraud scoring",
    "Invoice matching",
    "Contract clause extraction",
    "Call summarisation",
    "Churn prediction",
    "Demand forecasting",
    "CV screening assistant",
    "Ticket routing",
    "Knowledge base search",
    "Document classification",
    "Email reply drafting",
    "Anomaly detection in payments",
    "Underwriting risk notes",
    "Supplier risk monitoring",
    "Campaign copy generation",
]

# A funnel: most use cases are early, few reach Scale.
STAGE_WEIGHTS = {"discovery": 35, "poc": 30, "pilot": 18, "production": 12, "scale": 5}
STATUS_WEIGHTS = {"active": 85, "on_hold": 10, "killed": 5}
REGULATORY = [[], [], [], ["gdpr"], ["eu_ai_act", "gdpr"], ["sox"], ["hipaa"], ["fcra"]]


@dataclass
class Dataset:
    lead: Any
    executive: Any
    sponsor: Any
    bu_head: Any
    business_units: list[Any] = field(default_factory=list)
    use_cases: int = 0
    members: int = 0
    users: int = 0
    loaded_in_s: float | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "use_cases": self.use_cases,
            "business_units": len(self.business_units),
            "members": self.members,
            "users": self.users,
            "loaded_in_s": self.loaded_in_s,
        }


def review_row(template: Any, **fields: Any) -> Any:
    """An unsaved gate review of ``template``'s gate, for bulk-created
    benchmark data (real reviews open through ``gates.services``)."""
    from gates.models import GateReview

    return GateReview(
        template=template,
        template_version=template.version,
        gate_number=template.number,
        from_stage=template.from_stage,
        to_stage=template.to_stage,
        **fields,
    )


def _named_user(username: str, *, group: str | None, password_hash: str) -> Any:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user, _ = get_user_model().objects.get_or_create(
        username=username,
        defaults={"first_name": username.split("-")[-1].title(), "password": password_hash},
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def ensure_dataset(*, out=print) -> Dataset:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from usecases.models import BusinessUnit, OrgRole, UseCase, UseCaseMember

    user_model = get_user_model()
    password_hash = make_password("bench")
    started = time.perf_counter()
    loaded_in = None

    with transaction.atomic():
        lead = _named_user("bench-lead", group=OrgRole.PROGRAM_LEAD, password_hash=password_hash)
        executive = _named_user("bench-exec", group=OrgRole.EXECUTIVE, password_hash=password_hash)
        if UseCase.objects.count() < USE_CASES:
            out(f"bench: loading {USE_CASES:,} use cases (once; kept between runs)")
            _load(password_hash)
            loaded_in = round(time.perf_counter() - started, 1)
            out(f"bench: loaded in {loaded_in} s")

    # The first people head the business units; the next one is a sponsor,
    # technical lead or contributor on some 70 use cases.
    people = user_model.objects.filter(username__startswith="bench-person-").order_by("username")
    bu_head = people.first()
    sponsor = people[len(BUSINESS_UNITS)] if people.count() > len(BUSINESS_UNITS) else None
    return Dataset(
        lead=lead,
        executive=executive,
        sponsor=sponsor,
        bu_head=bu_head,
        business_units=list(BusinessUnit.objects.filter(code__startswith="bench-")),
        use_cases=UseCase.objects.count(),
        members=UseCaseMember.objects.count(),
        users=user_model.objects.count(),
        loaded_in_s=loaded_in,
    )


def _load(password_hash: str) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from usecases.models import BusinessUnit, MemberRole, UseCase, UseCaseMember

    rng = random.Random(SEED)
    user_model = get_user_model()
    now = timezone.now()

    people = user_model.objects.bulk_create(
        [
            user_model(
                username=f"bench-person-{n:04d}",
                first_name=f"Person{n}",
                last_name="Bench",
                email=f"bench-person-{n:04d}@example.com",
                password=password_hash,
            )
            for n in range(PEOPLE)
        ],
        batch_size=BATCH,
    )
    heads = people[: len(BUSINESS_UNITS)]
    units = []
    for (name, code), head in zip(BUSINESS_UNITS, heads, strict=True):
        unit, _ = BusinessUnit.objects.get_or_create(
            code=code, defaults={"name": f"{name} (bench)", "head": head}
        )
        units.append(unit)

    stages, stage_weights = zip(*STAGE_WEIGHTS.items(), strict=True)
    statuses, status_weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    rows = []
    for n in range(USE_CASES):
        topic = TOPICS[n % len(TOPICS)]
        unit = units[n % len(units)]
        stage_entered = now - timedelta(days=rng.randint(0, 400), minutes=rng.randint(0, 1440))
        rows.append(
            UseCase(
                title=f"{topic} for {unit.name.removesuffix(' (bench)')} #{n + 1}",
                summary=f"{topic}: cut handling time and errors in {unit.name}.",
                business_problem="Manual work takes days and errors are costly.",
                value_hypothesis="Automating the routine part frees experts for hard cases.",
                quantified_outcome=f"Cut handling time by {rng.randint(10, 60)}%",
                regulatory_constraints=rng.choice(REGULATORY),
                risk_tier=rng.choice(["low", "medium", "medium", "high"]),
                business_unit=unit,
                # Benchmark data only: real stage changes go through gate decisions.
                stage=rng.choices(stages, stage_weights)[0],
                status=rng.choices(statuses, status_weights)[0],
                stage_entered_at=stage_entered,
                last_activity_at=stage_entered + (now - stage_entered) * rng.random(),
            )
        )
    use_cases = UseCase.objects.bulk_create(rows, batch_size=BATCH)

    members = []
    others = people[len(BUSINESS_UNITS) :]
    for use_case in use_cases:
        chosen = rng.sample(others, 4)
        members.append(UseCaseMember(use_case=use_case, user=chosen[0], role=MemberRole.SPONSOR))
        members.append(
            UseCaseMember(use_case=use_case, user=chosen[1], role=MemberRole.TECHNICAL_LEAD)
        )
        for contributor in chosen[2 : 2 + rng.randint(1, 2)]:
            members.append(
                UseCaseMember(use_case=use_case, user=contributor, role=MemberRole.CONTRIBUTOR)
            )
    UseCaseMember.objects.bulk_create(members, batch_size=BATCH)
