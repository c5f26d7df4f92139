"""Who sees and edits what. Every queryset of use cases a person reads goes
through ``use_cases_visible_to``, so an invisible use case is a 404 everywhere.

Program leads and executives see the whole portfolio; everyone else sees the
use cases where they hold a role, whose business unit they head, or where
they are a named approver of a gate review."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from usecases.models import MemberRole, OrgRole, Status, UseCase, UseCaseMember

AnyUser = AbstractBaseUser | AnonymousUser


def org_roles(user: AnyUser) -> frozenset[str]:
    """The user's organisation roles, read once per user object."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_org_roles_cache", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._org_roles_cache = cached
    return cached


def is_program_lead(user: AnyUser) -> bool:
    return user.is_authenticated and (user.is_superuser or OrgRole.PROGRAM_LEAD in org_roles(user))


def is_executive(user: AnyUser) -> bool:
    return user.is_authenticated and OrgRole.EXECUTIVE in org_roles(user)


def sees_whole_portfolio(user: AnyUser) -> bool:
    return is_program_lead(user) or is_executive(user)


def use_cases_visible_to(user: AnyUser, queryset: QuerySet[UseCase] | None = None):
    queryset = UseCase.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if sees_whole_portfolio(user):
        return queryset
    # A named approver of any of its gate reviews (the CIO, risk and
    # compliance) must read what they are asked to approve.
    from gates.models import ReviewApprover

    holds_role = UseCaseMember.objects.filter(use_case=OuterRef("pk"), user=user)
    approves = ReviewApprover.objects.filter(review__use_case=OuterRef("pk"), user=user)
    return queryset.filter(
        Q(Exists(holds_role)) | Q(business_unit__head=user) | Q(Exists(approves))
    )


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
    if use_case.status == Status.KILLED:
        return False
    return is_program_lead(user) or is_sponsor(user, use_case)


def can_create_use_case(user: AnyUser) -> bool:
    """Program leads propose use cases for anyone; anyone signed in may propose
    one for their own business (they become its sponsor)."""
    return user.is_authenticated and not is_executive(user) or is_program_lead(user)
