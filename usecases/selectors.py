"""Read queries of the portfolio, shaped for a page or endpoint.

Each keeps its query count fixed whatever the number of rows: related rows
come through ``select_related`` or one filtered ``Prefetch`` per relation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import BigIntegerField, Count, Func, Prefetch, Q, QuerySet, Subquery
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.web import display_name
from usecases import access
from usecases.filters import UseCaseFilterSet, search_text_matches
from usecases.models import (
    MemberRole,
    RiskClassification,
    RiskClassificationStatus,
    Stage,
    UseCase,
    UseCaseMember,
    UseCaseSearch,
    UserLanguage,
)

# Not shown in lists: the long texts (up to 5,000 characters each) and the
# text the search reads.
LONG_TEXT_FIELDS = (
    "business_problem",
    "value_hypothesis",
    "assumptions",
    "success_metrics",
    "data_sources",
    "search_text",
)
ROLE_ORDER = {role: index for index, role in enumerate(MemberRole.values)}

# What the apps above add to portfolio reads, registered at start-up in their
# AppConfig.ready (this app imports none of them):
# - annotations the portfolio filters and sorts on (readiness:
#   ``priority_score``, ``is_overdue``, ``is_stalled``);
# - prefetches the API's use case representation shows (gates: the open
#   review, as ``open_reviews``);
# - a cheaper count of the whole portfolio per stage (reporting: its tally,
#   on PostgreSQL), answering None where it has none.
Annotation = Callable[[QuerySet[UseCase]], QuerySet[UseCase]]
PORTFOLIO_ANNOTATIONS: list[Annotation] = []
API_PREFETCHES: list[Callable[[], Prefetch]] = []
WHOLE_PORTFOLIO_COUNTERS: list[Callable[[], dict[str, int] | None]] = []


def register_whole_portfolio_counter(
    counter: Callable[[], dict[str, int] | None],
) -> Callable[[], dict[str, int] | None]:
    if counter not in WHOLE_PORTFOLIO_COUNTERS:
        WHOLE_PORTFOLIO_COUNTERS.append(counter)
    return counter


def register_portfolio_annotation(annotation: Annotation) -> Annotation:
    if annotation not in PORTFOLIO_ANNOTATIONS:
        PORTFOLIO_ANNOTATIONS.append(annotation)
    return annotation


def register_api_prefetch(prefetch: Callable[[], Prefetch]) -> Callable[[], Prefetch]:
    if prefetch not in API_PREFETCHES:
        API_PREFETCHES.append(prefetch)
    return prefetch


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
    # Of the stage column, never null, not the id: the (unit, stage) index
    # alone can answer it.
    counts = queryset.order_by().aggregate(
        **{stage: Count("stage", filter=Q(stage=stage)) for stage in Stage.values}
    )
    return {stage: counts[stage] or 0 for stage in Stage.values}


def whole_portfolio_stage_counts() -> dict[str, int]:
    """``stage_counts`` of every use case, for a reader who sees them all and
    filters nothing: a plain GROUP BY, which PostgreSQL answers from the
    (stage, status) index alone, without the portfolio annotations' joins
    (28 ms at 100,000 use cases against 65 for the filtered counts), or a
    registered counter's answer (the dashboard tally: under 1 ms)."""
    for counter in WHOLE_PORTFOLIO_COUNTERS:
        if (counted := counter()) is not None:
            return {stage: counted.get(stage, 0) for stage in Stage.values}
    return _grouped_stage_counts(UseCase.objects.all())


def _grouped_stage_counts(rows: QuerySet) -> dict[str, int]:
    """Every stage's count of ``rows`` (use cases or their search copies),
    zeros included, from one GROUP BY on the stage."""
    counted = dict(rows.order_by().values_list("stage").annotate(n=Count("*")))
    return {stage: counted.get(stage, 0) for stage in Stage.values}


def _narrowed(filterset: UseCaseFilterSet, *ignored: str) -> bool:
    """Whether any filter but the ``ignored`` ones holds a value (the form
    is validated)."""
    return any(
        value not in (None, "", [], ())
        for name, value in filterset.form.cleaned_data.items()
        if name not in ignored
    )


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
    sorts on (the registered annotations): the page, the API and the export
    read the same rows."""
    return _annotated(access.use_cases_visible_to(user))


def _annotated(queryset: QuerySet[UseCase]) -> QuerySet[UseCase]:
    for annotation in PORTFOLIO_ANNOTATIONS:
        queryset = annotation(queryset)
    return queryset


def _filtered_apart(
    apart: list[QuerySet[UseCase]], filterset: UseCaseFilterSet, *ignored: str
) -> list[QuerySet[UseCase]]:
    """A head's disjoint sets (``access.visible_apart``) under the filters but
    the ``ignored``, to be counted apart. The annotations only when a filter
    may read them."""
    narrowed = _narrowed(filterset, *ignored)
    return [
        filterset.filter_queryset_except(_annotated(part) if narrowed else part, *ignored)
        for part in apart
    ]


def _search_counts(filterset: UseCaseFilterSet) -> dict[str, int] | None:
    """``stage_counts`` of a one-line search and nothing else, over the whole
    portfolio, from the use cases' narrow search copy (``UseCaseSearch``) on
    PostgreSQL, which keeps it; None otherwise. A broad term matches rows on
    nearly every page of the use cases' table; the copy has a third of its
    pages to read."""
    term = (filterset.form.cleaned_data.get("q") or "").strip()
    if connection.vendor != "postgresql" or not term or "\n" in term:
        return None
    if _narrowed(filterset, "stage", "sort", "q"):
        return None
    return _grouped_stage_counts(UseCaseSearch.objects.filter(search_text_matches(term)))


def _counts_apart(user: Any, filterset: UseCaseFilterSet) -> dict[str, int] | None:
    """The counts per stage under every filter but the stage, where they need
    not be read from the rows as listed, for a reader who sees every use
    case: from the whole portfolio's counts (``whole_portfolio_stage_counts``)
    when they filter nothing but the stage, from the search copy when they
    search and filter nothing else (``_search_counts``); for the head of a
    unit, as two disjoint sets (``access.visible_apart``). None for everyone
    else."""
    if access.sees_whole_portfolio(user):
        if not _narrowed(filterset, "stage", "sort"):
            return whole_portfolio_stage_counts()
        if (searched := _search_counts(filterset)) is not None:
            return searched
    apart = access.visible_apart(user)
    if apart is None:
        return None
    counts = dict.fromkeys(Stage.values, 0)
    for part in _filtered_apart(apart, filterset, "stage", "sort"):
        for stage, n in stage_counts(part).items():
            counts[stage] += n
    return counts


def _total(counts: dict[str, int], filterset: UseCaseFilterSet) -> int:
    """How many the counts per stage hold under the stage filter, if any."""
    stage = filterset.form.cleaned_data.get("stage")
    return counts[stage] if stage else sum(counts.values())


def list_total(user: Any, filterset: UseCaseFilterSet) -> int | None:
    """How many use cases the portfolio filters (a ``filterset`` already
    validated) leave to ``user``, counted as the portfolio page counts them
    (the use-case API's pages; ``_counts_apart``: a COUNT of every use case
    took 6 ms at 100,000, the dashboard tally under 1). None for everyone
    else, whose rows are counted as they are."""
    if not filterset.is_valid():  # refused before a page is counted
        return None
    counts = _counts_apart(user, filterset)
    return None if counts is None else _total(counts, filterset)


def portfolio_page(
    *, user: Any, params: QueryDict, page_number: Any, page_size: int
) -> PortfolioPage:
    """The portfolio page: visible use cases filtered by ``params``, counts per
    stage under the same filters except the stage, and one page of rows with
    their business unit and sponsors."""
    visible = portfolio_queryset(user)
    filterset = UseCaseFilterSet(params, queryset=visible, user=user)
    unstaged = filterset.filter_queryset_except(visible, "stage", "sort")
    counts = _counts_apart(user, filterset)
    if counts is None:
        counts = stage_counts(unstaged)
    # The counts already hold the total, so the paginator need not run a COUNT.
    total = _total(counts, filterset)
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
    return (
        UseCase.objects.filter(access.held_by(user))
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


def my_use_cases_count(*, user: Any) -> int:
    """How many use cases ``my_use_cases`` holds, in one query. The head of a
    unit's as two sets that do not overlap: the units' use cases, counted from
    the (unit, stage) index alone, and those they hold a role on elsewhere.
    ORed in one count, PostgreSQL read every use case (the head of 12,500 at
    100,000: 30 to 41 ms against 3), as the portfolio's (``access.visible_apart``)."""
    apart = access.held_apart(user)
    if apart is None:
        return UseCase.objects.filter(access.held_by(user)).count()
    in_units, elsewhere = apart
    in_units_count = (
        in_units.order_by()
        .annotate(n=Func(template="COUNT(*)", output_field=BigIntegerField()))
        .values("n")
    )
    return elsewhere.aggregate(n=Count("pk") + Subquery(in_units_count))["n"]


def usecases_for_api(queryset: QuerySet[UseCase]) -> QuerySet[UseCase]:
    """Rows for the API's use case representation: business unit, team and
    the open review, with a fixed number of queries per page."""
    return queryset.select_related("business_unit").prefetch_related(
        Prefetch("members", queryset=UseCaseMember.objects.select_related("user")),
        *(prefetch() for prefetch in API_PREFETCHES),
    )


def usecase_team(
    use_case: UseCase, members: list[UseCaseMember] | None = None
) -> list[UseCaseMember]:
    """Members sponsor first, then technical leads, then contributors. Reads
    ``members`` when given, else the prefetched ``members`` when there is one."""
    members = list(use_case.members.all()) if members is None else members
    for member in members:
        # Saves a query per row: the member's use case is this one.
        member.use_case = use_case
    return sorted(
        members,
        key=lambda m: (
            ROLE_ORDER.get(m.role, len(ROLE_ORDER)),
            display_name(m.user).lower(),
        ),
    )


# --- Risk classification ---------------------------------------------------------------

RISK_NOT_ANSWERED = gettext_noop(
    "Risk classification not answered: the team answers the risk questionnaire."
)
RISK_NOT_CONFIRMED = gettext_noop("Risk classification not confirmed by risk and compliance.")
RISK_PROHIBITED = gettext_noop(
    "Risk classification names a practice the EU AI Act prohibits: Gate 1 cannot be "
    "submitted while it stands."
)


def risk_latest(use_case_ids: Any) -> dict[int, Any]:
    """The latest version of each use case's risk classification, in one query."""
    latest: dict[int, Any] = {}
    for row in (
        RiskClassification.objects.filter(use_case_id__in=list(use_case_ids))
        .select_related("decided_by", "answered_by")
        .order_by("use_case_id", "-version")
    ):
        latest.setdefault(row.use_case_id, row)
    return latest


def risk_gate_blocker(classification: Any) -> str | None:
    """What the latest classification says about submitting Gate 1."""
    if classification is None:
        return _(RISK_NOT_ANSWERED)
    if classification.status == RiskClassificationStatus.PROPOSED:
        return _(RISK_NOT_CONFIRMED)
    if classification.prohibited:
        return _(RISK_PROHIBITED)
    return None


def risk_page(use_case: UseCase) -> list[Any]:
    """Every version of a use case's classification, newest first, in one query."""
    return list(
        use_case.risk_classifications.select_related("answered_by", "decided_by").order_by(
            "-version"
        )
    )


def risk_state_label(classification: Any) -> str:
    """The use case page's one line: not classified, awaiting, or the decision."""
    if classification is None:
        return _("Not classified")
    if classification.status == RiskClassificationStatus.PROPOSED:
        return _("Awaiting risk and compliance")
    who = display_name(classification.decided_by) if classification.decided_by else "—"
    if classification.status == RiskClassificationStatus.CONFIRMED:
        label = _("%(tier)s (confirmed by %(who)s)")
    else:
        label = _("%(tier)s (overridden by %(who)s)")
    label = label % {"tier": classification.get_tier_display(), "who": who}
    return label + _(", prohibited practice") if classification.prohibited else label


def user_language_saved(user: Any) -> str | None:
    """The language ``user`` chose with the switcher, or None if they never did."""
    return (
        UserLanguage.objects.filter(user_id=getattr(user, "pk", None))
        .values_list("language", flat=True)
        .first()
    )


def user_language(user: Any) -> str:
    """The language to write to ``user`` in: their choice, else the default."""
    return user_language_saved(user) or settings.LANGUAGE_CODE


def user_languages(user_ids: Any) -> dict[int, str]:
    """``user_language`` for many people in one query: id → language code."""
    chosen = dict(
        UserLanguage.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "language")
    )
    return {uid: chosen.get(uid, settings.LANGUAGE_CODE) for uid in user_ids}
