"""Who sees and edits what. Every queryset of use cases a person reads goes
through ``use_cases_visible_to``, so an invisible use case is a 404 everywhere.

Program leads, executives and risk and compliance see the whole portfolio; everyone else sees the
use cases where they hold a role, whose business unit they head, or where
they are a named approver of a gate review."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import BigIntegerField, CharField, Exists, OuterRef, Q, QuerySet, Value
from django.utils.translation import gettext

from core.web import get_or_404
from usecases.models import (
    BusinessUnit,
    BusinessUnitMember,
    MemberRole,
    OrgRole,
    UseCase,
    UseCaseMember,
)

AnyUser = AbstractBaseUser | AnonymousUser

# Who else sees a use case, granted by the apps above this one at start-up
# (gates: the named approvers of its reviews). Each returns querysets of the
# ids of the use cases it lets this user see, one column each
# (``.values("use_case_id")``); this app imports none of them.
VisibilityGrant = Callable[[Any], Iterable[QuerySet]]
VISIBILITY_GRANTS: list[VisibilityGrant] = []


def register_visibility_grant(grant: VisibilityGrant) -> VisibilityGrant:
    if grant not in VISIBILITY_GRANTS:
        VISIBILITY_GRANTS.append(grant)
    return grant


def org_roles(user: AnyUser) -> frozenset[str]:
    """The user's organisation roles, read once per user object."""
    if not user.is_authenticated:
        return frozenset()
    return _org_facts(user)[0]


def headed_units(user: AnyUser) -> tuple[int, ...]:
    """The ids of the business units the user heads, read with their roles."""
    if not user.is_authenticated:
        return ()
    return _org_facts(user)[1]


def _org_facts(user: AnyUser) -> tuple[frozenset[str], tuple[int, ...]]:
    # One query for both: every permission check starts from the roles, and
    # the visibility of use cases needs the units too (``visible_ids``).
    cached = getattr(user, "_org_roles_cache", None)
    if cached is None:
        roles = (
            user.groups.order_by()
            .annotate(unit=Value(None, output_field=BigIntegerField()))
            .values_list("name", "unit")
        )
        units = (
            BusinessUnit.objects.filter(head=user)
            .order_by()
            .annotate(role=Value("", output_field=CharField()))
            .values_list("role", "pk")
        )
        rows = list(roles.union(units, all=True))
        cached = (
            frozenset(name for name, unit in rows if unit is None),
            tuple(sorted(unit for _, unit in rows if unit is not None)),
        )
        user._org_roles_cache = cached
    return cached


def is_program_lead(user: AnyUser) -> bool:
    return user.is_authenticated and (user.is_superuser or OrgRole.PROGRAM_LEAD in org_roles(user))


def is_executive(user: AnyUser) -> bool:
    return user.is_authenticated and OrgRole.EXECUTIVE in org_roles(user)


def sees_whole_portfolio(user: AnyUser) -> bool:
    # Risk and compliance classifies every use case's risk, so reads them all.
    return (
        is_program_lead(user)
        or is_executive(user)
        or (user.is_authenticated and OrgRole.RISK_COMPLIANCE in org_roles(user))
    )


def use_cases_visible_to(user: AnyUser, queryset: QuerySet[UseCase] | None = None):
    queryset = UseCase.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if sees_whole_portfolio(user):
        return queryset
    units = headed_units(user)
    if units:
        # A head sees whole units: filtered by unit, not as 12,500 ids of
        # their unit collected by the UNION and joined back to the portfolio
        # (a head's portfolio at 100,000 use cases: 90 ms for its counts).
        return queryset.filter(Q(business_unit__in=units) | Q(pk__in=_seen_elsewhere(user)))
    return queryset.filter(pk__in=visible_ids(user))


def rows_visible_to(user: AnyUser, use_case_field: str) -> Exists | Q:
    """A filter for rows whose use case (``use_case_field``) ``user`` sees,
    for a list of them. For those who see the whole portfolio, no condition
    at all: a semi-join over every use case only stops PostgreSQL from
    walking an index in order and stopping early."""
    if sees_whole_portfolio(user):
        return Q()
    return Exists(use_cases_visible_to(user).filter(pk=OuterRef(use_case_field)))


def row_visible_to(user: AnyUser, use_case_field: str) -> Q:
    """A filter for one row (a lookup by id) whose use case
    (``use_case_field``) ``user`` sees: one EXISTS per part of
    ``visible_ids``, each on that use case, so that PostgreSQL probes each
    part's index for it. The UNION of ``rows_visible_to`` is read whole
    first: a sponsor of 3,600 use cases waited 7 ms for every review or
    artifact they opened."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if sees_whole_portfolio(user):
        return Q()
    condition = Q()
    for part in _visible_parts(user):
        (column,) = part.query.values_select
        condition |= Exists(part.filter(**{column: OuterRef(use_case_field)}))
    return condition


def _visible_parts(user: AnyUser, *, units: bool = True) -> list[QuerySet]:
    """The parts of ``visible_ids``, each one column of use case ids (without
    the units headed when ``units`` is false)."""
    headed = headed_units(user) if units else ()
    parts = [_role_ids(user)]
    if headed:
        parts.append(UseCase.objects.filter(business_unit__in=headed).values("pk"))
    for grant in VISIBILITY_GRANTS:
        parts.extend(grant(user))
    return [part.order_by() for part in parts]


def visible_apart(user: AnyUser) -> list[QuerySet[UseCase]] | None:
    """What the head of a unit sees (when not the whole portfolio) as two
    sets that do not overlap: the use cases of their units, and those they
    see elsewhere by a role or a grant. Counted apart, the first is read from
    the (unit, stage) index alone: ORed in one count, PostgreSQL read every
    use case (a head of 12,500 at 100,000: 46 ms against 3). None for
    everyone else."""
    if not user.is_authenticated or sees_whole_portfolio(user):
        return None
    return _apart(user, _seen_elsewhere)


def held_apart(user: AnyUser) -> list[QuerySet[UseCase]] | None:
    """My work's use cases of the head of a unit (``held_by``) as two sets
    that do not overlap, as ``visible_apart``: their units' use cases, and
    those they hold a role on elsewhere. None for someone who heads no unit
    (an anonymous user heads none)."""
    return _apart(user, _role_ids)


def _apart(
    user: AnyUser, elsewhere: Callable[[AnyUser], QuerySet]
) -> list[QuerySet[UseCase]] | None:
    """The use cases of the units ``user`` heads, and those of the ids
    ``elsewhere(user)`` outside them. None for someone who heads no unit."""
    units = headed_units(user)
    if not units:
        return None
    return [
        UseCase.objects.filter(business_unit__in=units),
        UseCase.objects.filter(pk__in=elsewhere(user)).exclude(business_unit__in=units),
    ]


def _role_ids(user: AnyUser) -> QuerySet:
    """The ids of the use cases the user holds a role on."""
    return UseCaseMember.objects.filter(user=user).values("use_case_id")


def _seen_elsewhere(user: AnyUser) -> QuerySet:
    """The ids of the use cases a head sees beyond their units: by a role of
    their own or a grant, one UNION."""
    holds_role, *parts = _visible_parts(user, units=False)
    return holds_role.union(*parts)


def visible_ids(user: AnyUser) -> QuerySet:
    """The ids of the use cases a person sees by a role of their own: on its
    team, as head of its unit, or by a grant (``VISIBILITY_GRANTS``). One
    UNION, each part read through its own index, so that PostgreSQL joins
    the few ids it yields to the portfolio rather than testing every use case
    against each part (a sponsor's portfolio at 100,000 use cases: OR-ed
    conditions scanned them all). The units headed are known beforehand
    (``headed_units``): a part for them only when there are some, since the
    planner would expect a unit's worth of use cases from it either way and
    scan the portfolio for them."""
    holds_role, *parts = _visible_parts(user)
    return holds_role.union(*parts)


def visible_use_case(user: AnyUser, pk: Any, queryset: QuerySet[UseCase] | None = None) -> UseCase:
    """The use case if ``user`` may see it, from ``queryset`` when the page
    wants more joined; 404 otherwise, so an invisible use case cannot be told
    apart from one that does not exist."""
    queryset = UseCase.objects.select_related("business_unit") if queryset is None else queryset
    return get_or_404(queryset.filter(row_visible_to(user, "pk")), pk, gettext("No such use case."))


def held_by(user: AnyUser) -> Q:
    """Use cases that are this person's own: they hold a role on the team
    or head the business unit (My work's "My use cases")."""
    if user is None or not user.is_authenticated:
        return Q(pk__in=[])
    # The use cases of their roles as a set PostgreSQL reads first: as a
    # correlated EXISTS, a program lead with no role on any use case had it
    # probed for each of 100,000 use cases in the order of the list (170 ms).
    condition = Q(pk__in=_role_ids(user))
    units = headed_units(user)
    return condition | Q(business_unit__in=units) if units else condition


def member_roles(user: AnyUser, use_case: UseCase) -> frozenset[str]:
    """The user's roles on this use case, read once per (user, use case)."""
    if not user.is_authenticated:
        return frozenset()
    cache = getattr(user, "_member_roles_cache", None)
    if cache is None:
        cache = {}
        user._member_roles_cache = cache
    if use_case.pk not in cache:
        cache[use_case.pk] = frozenset(
            UseCaseMember.objects.filter(use_case=use_case, user=user).values_list(
                "role", flat=True
            )
        )
    return cache[use_case.pk]


def forget_member_roles(user: AnyUser) -> None:
    """Drop the cached roles after a change to a team within the same request."""
    if user.is_authenticated:
        user._member_roles_cache = {}


def is_sponsor(user: AnyUser, use_case: UseCase) -> bool:
    return MemberRole.SPONSOR in member_roles(user, use_case)


def can_edit_use_case(user: AnyUser, use_case: UseCase) -> bool:
    if use_case.is_read_only:
        return False
    return is_program_lead(user) or is_sponsor(user, use_case)


def can_create_use_case(user: AnyUser) -> bool:
    """Program leads propose use cases in any business unit, for anyone;
    everyone else but executives proposes in the units where they hold a role
    (they become its sponsor)."""
    if is_program_lead(user):
        return True
    return user.is_authenticated and not is_executive(user)


def proposable_business_units(user: AnyUser) -> QuerySet[BusinessUnit]:
    """The business units ``user`` may propose use cases in: all of them for a
    program lead; otherwise those they head, belong to, or where they are on
    the team of one of the unit's use cases. Executives propose nowhere."""
    units = BusinessUnit.objects.order_by("name")
    if is_program_lead(user):
        return units
    if not can_create_use_case(user):
        return units.none()
    return units.filter(
        Q(head=user)
        | Exists(BusinessUnitMember.objects.filter(business_unit=OuterRef("pk"), user=user))
        | Exists(UseCaseMember.objects.filter(use_case__business_unit=OuterRef("pk"), user=user))
    )


def holds_role_in(user: AnyUser, business_unit: BusinessUnit) -> bool:
    return proposable_business_units(user).filter(pk=business_unit.pk).exists()
