"""Read queries of the portfolio, shaped for a page or endpoint.

Each keeps its query count fixed whatever the number of rows: related rows
come through ``select_related`` or one filtered ``Prefetch`` per relation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from gates.models import OPEN_REVIEW_STATUSES, GateReview, StageTransition
from readiness.selectors import annotate_overdue_stalled, annotate_priority_score
from usecases import access
from usecases.filters import UseCaseFilterSet
from usecases.models import MemberRole, Stage, UseCase, UseCaseMember

# Up to 5,000 characters each and not shown in lists.
LONG_TEXT_FIELDS = (
    "business_problem",
    "value_hypothesis",
    "assumptions",
    "success_metrics",
    "data_sources",
)
ROLE_ORDER = {role: index for index, role in enumerate(MemberRole.values)}


def days_in_stage(use_case: UseCase, *, now: datetime | None = None) -> int:
    return max(((now or timezone.now()) - use_case.stage_entered_at).days, 0)


def _sponsors_prefetch() -> Prefetch:
    return Prefetch(
        "members",
        queryset=UseCaseMember.objects.filter(role=MemberRole.SPONSOR)
        .select_related("user")
        .order_by("added_at", "id"),
        to_attr="sponsors",
    )


def stage_counts(queryset: QuerySet[UseCase]) -> dict[str, int]:
    """How many use cases of ``queryset`` sit in each stage, in one query.

    One aggregate with a filtered COUNT per stage, not a GROUP BY, so every
    stage is present (zeros included) and no DISTINCT is needed: the
    visibility filter is an EXISTS and never multiplies rows.
    """
    counts = queryset.order_by().aggregate(
        **{stage: Count("pk", filter=Q(stage=stage)) for stage in Stage.values}
    )
    return {stage: counts[stage] or 0 for stage in Stage.values}


@dataclass
class PortfolioPage:
    filterset: UseCaseFilterSet
    counts: list[tuple[Stage, int]]
    page: Page
    total: int

    @property
    def selected_stage(self) -> str:
        return self.filterset.form.cleaned_data.get("stage") or ""


def portfolio_queryset(user: Any) -> QuerySet[UseCase]:
    """The use cases visible to ``user`` with what the portfolio filters and
    sorts on: ``priority_score``, ``is_overdue`` and ``is_stalled``."""
    return annotate_overdue_stalled(annotate_priority_score(access.use_cases_visible_to(user)))


def portfolio_page(
    *, user: Any, params: QueryDict, page_number: Any, page_size: int
) -> PortfolioPage:
    """The portfolio page: visible use cases filtered by ``params``, counts per
    stage under the same filters except the stage, and one page of rows with
    their business unit and sponsors."""
    visible = portfolio_queryset(user)
    filterset = UseCaseFilterSet(params, queryset=visible)
    unstaged = filterset.filter_queryset_except(visible, "stage", "sort")
    counts = stage_counts(unstaged)
    stage = filterset.form.cleaned_data.get("stage")
    # The counts already hold the total, so the paginator need not run a COUNT.
    total = counts[stage] if stage else sum(counts.values())
    rows = (
        filterset.qs.select_related("business_unit")
        .prefetch_related(_sponsors_prefetch())
        .defer(*LONG_TEXT_FIELDS)
    )
    paginator = Paginator(rows, page_size)
    paginator.count = total  # overrides the cached property that would query
    return PortfolioPage(
        filterset=filterset,
        counts=[(Stage(code), counts[code]) for code in Stage.values],
        page=paginator.get_page(page_number),
        total=total,
    )


def my_use_cases(*, user: Any) -> QuerySet[UseCase]:
    """The use cases where this person holds a role or heads the business unit,
    each with ``my_roles`` (their memberships) and ``sponsors``."""
    holds_role = UseCaseMember.objects.filter(use_case=OuterRef("pk"), user=user)
    return (
        UseCase.objects.filter(Q(Exists(holds_role)) | Q(business_unit__head=user))
        .select_related("business_unit")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=UseCaseMember.objects.filter(user=user),
                to_attr="my_roles",
            ),
            _sponsors_prefetch(),
        )
        .defer(*LONG_TEXT_FIELDS)
        .order_by("-updated_at", "-id")
    )


def usecases_for_api(queryset: QuerySet[UseCase]) -> QuerySet[UseCase]:
    """Rows for the API's use case representation: business unit, team and
    the open review, with a fixed number of queries per page."""
    return queryset.select_related("business_unit").prefetch_related(
        Prefetch("members", queryset=UseCaseMember.objects.select_related("user")),
        Prefetch(
            "reviews",
            queryset=GateReview.objects.filter(status__in=OPEN_REVIEW_STATUSES).only(
                "id", "use_case_id", "gate_number", "status"
            ),
            to_attr="open_reviews",
        ),
    )


def usecase_team(use_case: UseCase) -> list[UseCaseMember]:
    """Members sponsor first, then technical leads, then contributors. Reads
    the prefetched ``members`` when there is one."""
    members = list(use_case.members.all())
    for member in members:
        # Saves a query per row: the member's use case is this one.
        member.use_case = use_case
    return sorted(
        members,
        key=lambda m: (
            ROLE_ORDER.get(m.role, len(ROLE_ORDER)),
            (m.user.get_full_name() or m.user.get_username()).lower(),
        ),
    )


@dataclass(frozen=True)
class TrackStep:
    stage: Stage
    state: str  # "done", "current" or "future"
    entered_at: datetime | None
    # The gate decision that moved the use case out of this stage.
    exit: StageTransition | None


def stage_track(use_case: UseCase) -> list[TrackStep]:
    """The five stages with the date each was entered and, for the stages
    behind the use case, the gate decision that closed them."""
    transitions = list(
        StageTransition.objects.filter(use_case=use_case)
        .select_related("review", "decided_by")
        .order_by("occurred_at", "id")
    )
    # A recycled use case re-enters a stage: the latest passage counts.
    entered: dict[str, datetime] = {Stage.DISCOVERY: use_case.created_at}
    exits: dict[str, StageTransition] = {}
    for transition in transitions:
        entered[transition.to_stage] = transition.occurred_at
        exits[transition.from_stage] = transition
    entered[use_case.stage] = use_case.stage_entered_at
    current = Stage.ordered().index(use_case.stage_enum)
    steps = []
    for index, stage in enumerate(Stage.ordered()):
        if index < current:
            steps.append(TrackStep(stage, "done", entered.get(stage), exits.get(stage)))
        elif index == current:
            steps.append(TrackStep(stage, "current", entered[stage], None))
        else:
            steps.append(TrackStep(stage, "future", None, None))
    return steps
