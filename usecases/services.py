"""Every change to the portfolio: one function per action, atomic, checked, audited."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from rest_framework.authtoken.models import Token, TokenProxy

from core.audit import audit_record
from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from usecases import access, rules
from usecases.models import (
    BusinessUnit,
    MemberRole,
    OrgRole,
    RegulatoryConstraint,
    RiskTier,
    UseCase,
    UseCaseMember,
)
from usecases.rules import EDIT_REFUSAL, TEAM_REFUSAL

User = get_user_model()

EDITABLE_FIELDS = (
    "title",
    "summary",
    "business_problem",
    "value_hypothesis",
    "quantified_outcome",
    "assumptions",
    "success_metrics",
    "data_sources",
    "regulatory_constraints",
    "risk_tier",
    "business_unit",
)


def _clean_constraints(values: Any) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        raise InvalidInput("Regulatory constraints must be a list.", field="regulatory_constraints")
    allowed = set(RegulatoryConstraint.values)
    unknown = [str(v) for v in values if v not in allowed]
    if unknown:
        raise InvalidInput(
            f"Unknown regulatory constraint: {', '.join(unknown)}. "
            f"Choose from {', '.join(sorted(allowed))}.",
            field="regulatory_constraints",
        )
    # Keep the framework's order, drop duplicates.
    return [code for code in RegulatoryConstraint.values if code in values]


def usecase_ensure_creatable(*, by: Any) -> None:
    """Refuse early, before any input is read, when this person may not propose
    use cases; ``usecase_create`` checks the same."""
    refusal = rules.create_refusal(by)
    if refusal is not None:
        raise refusal


def usecase_ensure_editable(*, use_case: UseCase, by: Any, refusal: str = EDIT_REFUSAL) -> None:
    """Refuse early, before any input is read: killed (409) before not yours (403),
    so a sponsor learns why their own use case no longer takes changes."""
    error = rules.edit_refusal(by, use_case, refusal)
    if error is not None:
        raise error


def _audit_fields(use_case: UseCase, fields: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in fields:
        value = getattr(use_case, name)
        result[name] = value.pk if isinstance(value, BusinessUnit) else value
    return result


@transaction.atomic
def usecase_create(
    *,
    by: Any,
    title: str,
    summary: str,
    business_unit: BusinessUnit,
    sponsor: Any | None = None,
    **fields: Any,
) -> UseCase:
    """Create a use case in Discovery. The creator is its sponsor unless a
    program lead names another one."""
    usecase_ensure_creatable(by=by)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if sponsor is not None and sponsor != by and not access.is_program_lead(by):
        raise PermissionRefused("Only a program lead may name someone else as sponsor.")
    fields["regulatory_constraints"] = _clean_constraints(fields.get("regulatory_constraints"))
    now = timezone.now()
    use_case = UseCase(
        title=title,
        summary=summary,
        business_unit=business_unit,
        created_by=by,
        stage_entered_at=now,
        last_activity_at=now,
        **fields,
    )
    use_case.full_clean()
    use_case.save()
    sponsor = sponsor or by
    UseCaseMember.objects.create(use_case=use_case, user=sponsor, role=MemberRole.SPONSOR)
    audit_record(
        actor=by,
        action="usecase.created",
        summary=f"Created “{use_case.title}” in Discovery",
        use_case=use_case,
        obj=use_case,
        payload={"sponsor": sponsor.get_username(), **_audit_fields(use_case, ["business_unit"])},
    )
    return use_case


@transaction.atomic
def usecase_update(*, use_case: UseCase, by: Any, **changes: Any) -> UseCase:
    use_case = UseCase.objects.select_for_update().get(pk=use_case.pk)
    usecase_ensure_editable(use_case=use_case, by=by)
    forbidden = set(changes) - set(EDITABLE_FIELDS)
    if forbidden:
        if forbidden & {"stage", "status", "stage_entered_at"}:
            raise InvalidInput(
                "The stage and status change only through a gate decision.",
                field=sorted(forbidden)[0],
            )
        raise InvalidInput(f"Unknown fields: {', '.join(sorted(forbidden))}.")
    if "regulatory_constraints" in changes:
        changes["regulatory_constraints"] = _clean_constraints(changes["regulatory_constraints"])
    before = _audit_fields(use_case, list(changes))
    for name, value in changes.items():
        setattr(use_case, name, value)
    use_case.full_clean()
    after = _audit_fields(use_case, list(changes))
    changed = [name for name in changes if before[name] != after[name]]
    if not changed:
        return use_case
    _ensure_approver_facts_may_change(use_case, changed, before, after)
    use_case.last_activity_at = timezone.now()
    use_case.save(update_fields=[*changed, "last_activity_at", "updated_at"])
    audit_record(
        actor=by,
        action="usecase.updated",
        summary=f"Edited {', '.join(name.replace('_', ' ') for name in changed)}",
        use_case=use_case,
        obj=use_case,
        payload={
            "before": {n: before[n] for n in changed},
            "after": {n: after[n] for n in changed},
        },
    )
    return use_case


def _ensure_approver_facts_may_change(
    use_case: UseCase, changed: list[str], before: dict[str, Any], after: dict[str, Any]
) -> None:
    """Risk tier, regulations and business unit decide who approves: frozen
    while a review is open, and never lowered by an edit (a reclassification
    is the risk and compliance role's, with a reason)."""
    facts = [name for name in changed if name in rules.APPROVER_FACTS]
    if not facts:
        return
    refusal = rules.facts_frozen_refusal(
        use_case, ", ".join(name.replace("_", " ") for name in facts).capitalize()
    )
    if refusal is not None:
        raise refusal
    lowered = rules.lowers_classification(
        risk_before=before.get("risk_tier", after.get("risk_tier", use_case.risk_tier)),
        risk_after=after.get("risk_tier", use_case.risk_tier),
        regulations_before=before.get("regulatory_constraints", []),
        regulations_after=after.get("regulatory_constraints", use_case.regulatory_constraints),
    )
    if lowered:
        raise TransitionRefused(
            rules.RECLASSIFY_MESSAGE,
            ["Raise the risk or add a regulation here; lowering goes through a reclassification."],
        )


def _ensure_team_may_change(use_case: UseCase) -> None:
    refusal = rules.facts_frozen_refusal(use_case, "The team")
    if refusal is not None:
        raise refusal


@transaction.atomic
def usecase_reclassify(
    *,
    use_case: UseCase,
    by: Any,
    risk_tier: str,
    regulatory_constraints: list[str],
    reason: str,
) -> UseCase:
    """The risk and compliance role's reclassification of a use case's risk
    tier and regulations, lowering included, with a reason; never while a
    review has fixed who approves."""
    use_case = UseCase.objects.select_for_update().get(pk=use_case.pk)
    refusal = rules.reclassify_refusal(by, use_case)
    if refusal is not None:
        raise refusal
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A reclassification needs a reason.", field="reason")
    if len(reason) > 2000:
        raise InvalidInput("The reason is longer than 2,000 characters.", field="reason")
    if risk_tier not in RiskTier.values:
        raise InvalidInput(
            f"Risk tier must be one of: {', '.join(RiskTier.values)}.", field="risk_tier"
        )
    constraints = _clean_constraints(regulatory_constraints)
    before = {
        "risk_tier": use_case.risk_tier,
        "regulatory_constraints": use_case.regulatory_constraints,
    }
    after = {"risk_tier": risk_tier, "regulatory_constraints": constraints}
    if before == after:
        raise InvalidInput(
            "This is the classification the use case already has.", field="risk_tier"
        )
    UseCase.objects.filter(pk=use_case.pk).update(
        risk_tier=risk_tier, regulatory_constraints=constraints, last_activity_at=timezone.now()
    )
    use_case.refresh_from_db()
    audit_record(
        actor=by,
        action="usecase.reclassified",
        summary=f"Reclassified: risk {RiskTier(before['risk_tier']).label.lower()} → "
        f"{RiskTier(risk_tier).label.lower()}; {reason[:200]}",
        use_case=use_case,
        obj=use_case,
        payload={"before": before, "after": after, "reason": reason},
    )
    return use_case


@transaction.atomic
def member_add(*, use_case: UseCase, by: Any, user: Any, role: str) -> UseCaseMember:
    use_case = UseCase.objects.select_for_update().get(pk=use_case.pk)
    usecase_ensure_editable(use_case=use_case, by=by, refusal=TEAM_REFUSAL)
    _ensure_team_may_change(use_case)
    if role not in MemberRole.values:
        raise InvalidInput(f"Unknown role {role!r}.", field="role")
    if not user.is_active:
        raise InvalidInput(f"{user.get_username()} is not an active user.", field="user")
    member, created = UseCaseMember.objects.get_or_create(use_case=use_case, user=user, role=role)
    if not created:
        raise TransitionRefused(
            f"{user.get_username()} is already "
            f"{member.get_role_display().lower()} on this use case."
        )
    audit_record(
        actor=by,
        action="usecase.member_added",
        summary=f"Added {user.get_username()} as {member.get_role_display()}",
        use_case=use_case,
        obj=member,
        payload={"user": user.get_username(), "role": role},
    )
    return member


@transaction.atomic
def member_remove(*, member: UseCaseMember, by: Any) -> None:
    use_case = UseCase.objects.select_for_update().get(pk=member.use_case_id)
    usecase_ensure_editable(use_case=use_case, by=by, refusal=TEAM_REFUSAL)
    _ensure_team_may_change(use_case)
    if (
        member.role == MemberRole.SPONSOR
        and not UseCaseMember.objects.filter(use_case=use_case, role=MemberRole.SPONSOR)
        .exclude(pk=member.pk)
        .exists()
    ):
        raise TransitionRefused(
            "A use case needs a sponsor who owns its outcome.",
            ["Add another sponsor before removing this one."],
        )
    audit_record(
        actor=by,
        action="usecase.member_removed",
        summary=f"Removed {member.user.get_username()} as {member.get_role_display()}",
        use_case=use_case,
        obj=member,
        payload={"user": member.user.get_username(), "role": member.role},
    )
    member.delete()


# --- Business units (framework data, edited in the admin) ---------------------


BUSINESS_UNIT_FIELDS = ("name", "code", "head")


def _business_unit_values(
    unit: BusinessUnit, fields: list[str] | tuple[str, ...]
) -> dict[str, Any]:
    # The head as a user id, as the use case payloads name their business unit.
    return {name: unit.head_id if name == "head" else getattr(unit, name) for name in fields}


def _business_unit_ensure_allowed(by: Any, action: str) -> None:
    if not by.has_perm(f"usecases.{action}_businessunit"):
        raise PermissionRefused(f"You may not {action} business units.")


def _business_unit_validate(unit: BusinessUnit) -> None:
    try:
        unit.full_clean()
    except ValidationError as exc:
        field = next(iter(exc.message_dict), None) if hasattr(exc, "error_dict") else None
        raise InvalidInput(" ".join(exc.messages), field=field) from None


@transaction.atomic
def business_unit_create(*, by: Any, business_unit: BusinessUnit) -> BusinessUnit:
    _business_unit_ensure_allowed(by, "add")
    _business_unit_validate(business_unit)
    business_unit.save()
    audit_record(
        actor=by,
        action="framework.business_unit_created",
        summary=f"Added business unit “{business_unit.name}”",
        obj=business_unit,
        payload={
            "before": {},
            "after": _business_unit_values(business_unit, BUSINESS_UNIT_FIELDS),
        },
    )
    return business_unit


@transaction.atomic
def business_unit_change(
    *, by: Any, business_unit: BusinessUnit, fields: list[str] | tuple[str, ...]
) -> BusinessUnit:
    """Save the named fields of ``business_unit`` (an instance holding the new
    values); only those that differ from the stored row are written and audited."""
    _business_unit_ensure_allowed(by, "change")
    unknown = [name for name in fields if name not in BUSINESS_UNIT_FIELDS]
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(unknown)}.")
    unit = BusinessUnit.objects.select_for_update().get(pk=business_unit.pk)
    before = _business_unit_values(unit, fields)
    after = _business_unit_values(business_unit, fields)
    changed = [name for name in fields if before[name] != after[name]]
    if not changed:
        return unit
    for name in changed:
        attname = "head_id" if name == "head" else name
        setattr(unit, attname, getattr(business_unit, attname))
    _business_unit_validate(unit)
    unit.save(update_fields=changed)
    audit_record(
        actor=by,
        action="framework.business_unit_changed",
        summary=f"Business unit “{unit.name}”: changed {', '.join(changed)}",
        obj=unit,
        payload={
            "before": {n: before[n] for n in changed},
            "after": {n: after[n] for n in changed},
        },
    )
    return unit


@transaction.atomic
def business_unit_delete(*, by: Any, business_unit: BusinessUnit) -> None:
    _business_unit_ensure_allowed(by, "delete")
    unit = BusinessUnit.objects.select_for_update().get(pk=business_unit.pk)
    if unit.use_cases.exists():
        raise TransitionRefused(
            f"“{unit.name}” still has use cases and cannot be deleted.",
            ["Move its use cases to another business unit first."],
        )
    # Audited before the row goes, while its values can still be read.
    audit_record(
        actor=by,
        action="framework.business_unit_deleted",
        summary=f"Deleted business unit “{unit.name}”",
        obj=unit,
        payload={"before": _business_unit_values(unit, BUSINESS_UNIT_FIELDS), "after": {}},
    )
    unit.delete()


# --- Accounts: users, groups and API tokens (edited in the admin) -------------
#
# The groups named by ``OrgRole`` grant the organisation roles, and a user may
# head a business unit: who has an account and which groups they are in decide
# who approves. Each change is audited like any other; a password, its hash or
# a whole API token never enters a payload (a token shows by its first
# characters only).

ACCOUNT_REFUSAL = "Only superusers may change accounts, groups and API tokens."
USER_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "is_staff",
    "is_superuser",
    "last_login",
    "date_joined",
)
GROUP_FIELDS = ("name",)
TOKEN_PREFIX_LENGTH = 6


def _account_ensure_allowed(by: Any) -> None:
    if not (by.is_authenticated and by.is_superuser):
        raise PermissionRefused(ACCOUNT_REFUSAL)


def _account_validate(obj: Any) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        field = next(iter(exc.message_dict), None) if hasattr(exc, "error_dict") else None
        raise InvalidInput(" ".join(exc.messages), field=field) from None


def _ensure_known_fields(fields: Iterable[str], known: tuple[str, ...]) -> None:
    # The password is not among them: it changes through user_password_set.
    unknown = [name for name in fields if name not in known]
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(unknown)}.")


def _group_names(groups: Iterable[Any]) -> list[str]:
    names = Group.objects.filter(pk__in=[g.pk for g in groups]).values_list("name", flat=True)
    return sorted(names)


def _permission_names(permissions: Iterable[Any]) -> list[str]:
    rows = Permission.objects.filter(pk__in=[p.pk for p in permissions]).values_list(
        "content_type__app_label", "codename"
    )
    return sorted(f"{app_label}.{codename}" for app_label, codename in rows)


def _usernames(users: Iterable[Any]) -> list[str]:
    names = User.objects.filter(pk__in=[u.pk for u in users]).values_list("username", flat=True)
    return sorted(names)


def _record_names(payload: dict[str, Any], field: str, before: list[str], after: list[str]) -> bool:
    """Add a many-to-many change to ``payload``: the whole set before and after,
    and which names were added and removed. False when nothing changed."""
    if before == after:
        return False
    payload["before"][field] = before
    payload["after"][field] = after
    payload[f"{field}_added"] = sorted(set(after) - set(before))
    payload[f"{field}_removed"] = sorted(set(before) - set(after))
    return True


def _user_values(user: Any) -> dict[str, Any]:
    return {name: getattr(user, name) for name in USER_FIELDS}


@transaction.atomic
def user_admin_create(*, by: Any, user: Any) -> Any:
    """Save ``user``, a new account whose password the admin's form has set
    (or disabled)."""
    _account_ensure_allowed(by)
    _account_validate(user)
    user.save(force_insert=True)
    audit_record(
        actor=by,
        action="account.user_created",
        summary=f"Added the account “{user.username}”",
        obj=user,
        payload={
            "before": {},
            "after": {
                **_user_values(user),
                "usable_password": user.has_usable_password(),
                "groups": [],
            },
        },
    )
    return user


@transaction.atomic
def user_admin_change(
    *,
    by: Any,
    user: Any,
    fields: list[str] | tuple[str, ...],
    groups: Iterable[Group] | None = None,
    user_permissions: Iterable[Permission] | None = None,
) -> Any:
    """Save the named fields of ``user`` (an instance holding the new values)
    and, when given, its new set of groups and of permissions. Only what
    differs from the stored account is written, in one audit event that names
    groups and permissions (``app_label.codename``)."""
    _account_ensure_allowed(by)
    _ensure_known_fields(fields, USER_FIELDS)
    stored = User.objects.select_for_update().get(pk=user.pk)
    changed = [name for name in fields if getattr(stored, name) != getattr(user, name)]
    payload: dict[str, Any] = {
        "before": {name: getattr(stored, name) for name in changed},
        "after": {name: getattr(user, name) for name in changed},
    }
    groups = list(groups) if groups is not None else None
    user_permissions = list(user_permissions) if user_permissions is not None else None
    groups_changed = groups is not None and _record_names(
        payload, "groups", _group_names(stored.groups.all()), _group_names(groups)
    )
    permissions_changed = user_permissions is not None and _record_names(
        payload,
        "user_permissions",
        _permission_names(stored.user_permissions.all()),
        _permission_names(user_permissions),
    )
    if not (changed or groups_changed or permissions_changed):
        return stored
    for name in changed:
        setattr(stored, name, getattr(user, name))
    if changed:
        _account_validate(stored)
        stored.save(update_fields=changed)
    if groups_changed:
        stored.groups.set(groups)
    if permissions_changed:
        stored.user_permissions.set(user_permissions)
    audit_record(
        actor=by,
        action="account.user_changed",
        summary=f"Account “{stored.username}”: changed "
        + ", ".join(name for name in payload["after"]),
        obj=stored,
        payload=payload,
    )
    return stored


@transaction.atomic
def user_password_set(*, by: Any, user: Any, password: str | None) -> Any:
    """Set ``user``'s password, or with None disable password sign-in. The
    event says which of the two, never the password or its hash."""
    _account_ensure_allowed(by)
    stored = User.objects.select_for_update().get(pk=user.pk)
    if password is None:
        stored.set_unusable_password()
    else:
        try:
            password_validation.validate_password(password, stored)
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), field="password") from None
        stored.set_password(password)
    stored.save(update_fields=["password"])
    usable = stored.has_usable_password()
    audit_record(
        actor=by,
        action="account.password_changed",
        summary=f"Account “{stored.username}”: "
        + ("password changed" if usable else "password sign-in disabled"),
        obj=stored,
        payload={"usable_password": usable},
    )
    return stored


@transaction.atomic
def user_admin_delete(*, by: Any, user: Any) -> None:
    """Delete an account that holds no role deciding who approves. Its API
    token goes first, audited on its own."""
    _account_ensure_allowed(by)
    stored = User.objects.select_for_update().get(pk=user.pk)
    if stored.pk == by.pk:
        raise TransitionRefused(
            "You may not delete your own account.", ["Another superuser may delete it."]
        )
    # Deleting the account would take these with it, past the rules of the
    # services that change them (a team is frozen during a review and keeps a
    # sponsor; a business unit's head approves).
    reasons = []
    titles = sorted(
        UseCaseMember.objects.filter(user=stored).values_list("use_case__title", flat=True)
    )
    if titles:
        reasons.append(f"Remove them from the team of {', '.join(titles)} first.")
    units = sorted(BusinessUnit.objects.filter(head=stored).values_list("name", flat=True))
    if units:
        reasons.append(f"Name another head of {', '.join(units)} first.")
    if reasons:
        raise TransitionRefused(
            f"“{stored.username}” holds roles that decide who approves and cannot be deleted.",
            [*reasons, "Or deactivate the account instead."],
        )
    token = Token.objects.filter(user=stored).first()
    if token is not None:
        token_delete(by=by, token=token)
    # Audited before the row goes, while its values can still be read.
    audit_record(
        actor=by,
        action="account.user_deleted",
        summary=f"Deleted the account “{stored.username}”",
        obj=stored,
        payload={
            "before": {**_user_values(stored), "groups": _group_names(stored.groups.all())},
            "after": {},
        },
    )
    try:
        stored.delete()
    except ProtectedError:
        # The transaction rolls back, the event above included.
        raise TransitionRefused(
            f"“{stored.username}” has a part in gate reviews or the audit trail "
            "and cannot be deleted.",
            ["Deactivate the account instead: its history stays and it can no longer sign in."],
        ) from None


def _org_role_group_refusal(name: str) -> TransitionRefused:
    return TransitionRefused(
        f"“{name}” is an organisation role: it is neither renamed nor deleted.",
        ["Change who holds the role through the group's members."],
    )


@transaction.atomic
def group_admin_create(
    *,
    by: Any,
    group: Group,
    permissions: Iterable[Permission] = (),
    members: Iterable[Any] = (),
) -> Group:
    _account_ensure_allowed(by)
    permissions, members = list(permissions), list(members)
    _account_validate(group)
    group.save(force_insert=True)
    group.permissions.set(permissions)
    group.user_set.set(members)
    audit_record(
        actor=by,
        action="account.group_created",
        summary=f"Added the group “{group.name}”",
        obj=group,
        payload={
            "before": {},
            "after": {
                "name": group.name,
                "permissions": _permission_names(permissions),
                "members": _usernames(members),
            },
        },
    )
    return group


@transaction.atomic
def group_admin_change(
    *,
    by: Any,
    group: Group,
    fields: list[str] | tuple[str, ...],
    permissions: Iterable[Permission] | None = None,
    members: Iterable[Any] | None = None,
) -> Group:
    """Save the named fields of ``group`` (an instance holding the new values)
    and, when given, its new permissions and members, audited by name in one
    event. An organisation role's group keeps its name."""
    _account_ensure_allowed(by)
    _ensure_known_fields(fields, GROUP_FIELDS)
    stored = Group.objects.select_for_update().get(pk=group.pk)
    changed = [name for name in fields if getattr(stored, name) != getattr(group, name)]
    if "name" in changed and stored.name in OrgRole.values:
        raise _org_role_group_refusal(stored.name)
    payload: dict[str, Any] = {
        "before": {name: getattr(stored, name) for name in changed},
        "after": {name: getattr(group, name) for name in changed},
    }
    permissions = list(permissions) if permissions is not None else None
    members = list(members) if members is not None else None
    permissions_changed = permissions is not None and _record_names(
        payload,
        "permissions",
        _permission_names(stored.permissions.all()),
        _permission_names(permissions),
    )
    members_changed = members is not None and _record_names(
        payload, "members", _usernames(stored.user_set.all()), _usernames(members)
    )
    if not (changed or permissions_changed or members_changed):
        return stored
    for name in changed:
        setattr(stored, name, getattr(group, name))
    if changed:
        _account_validate(stored)
        stored.save(update_fields=changed)
    if permissions_changed:
        stored.permissions.set(permissions)
    if members_changed:
        stored.user_set.set(members)
    audit_record(
        actor=by,
        action="account.group_changed",
        summary=f"Group “{stored.name}”: changed " + ", ".join(name for name in payload["after"]),
        obj=stored,
        payload=payload,
    )
    return stored


@transaction.atomic
def group_admin_delete(*, by: Any, group: Group) -> None:
    _account_ensure_allowed(by)
    stored = Group.objects.select_for_update().get(pk=group.pk)
    if stored.name in OrgRole.values:
        raise _org_role_group_refusal(stored.name)
    audit_record(
        actor=by,
        action="account.group_deleted",
        summary=f"Deleted the group “{stored.name}”",
        obj=stored,
        payload={
            "before": {
                "name": stored.name,
                "permissions": _permission_names(stored.permissions.all()),
                "members": _usernames(stored.user_set.all()),
            },
            "after": {},
        },
    )
    stored.delete()


def _token_audited(token: Token) -> TokenProxy:
    # The event names a token as the admin does, by its user's id (the
    # proxy's pk), never by its key, which is the token's primary key.
    return TokenProxy(key=token.key, user_id=token.user_id)


def _token_payload(owner: Any, key: str) -> dict[str, str]:
    return {"user": owner.username, "key_prefix": key[:TOKEN_PREFIX_LENGTH]}


@transaction.atomic
def token_create(*, by: Any, token: Token) -> Token:
    """Issue an API token to ``token.user``, with a newly generated key (one
    token per user)."""
    _account_ensure_allowed(by)
    # The user's row is the lock: two issues for one user queue here.
    owner = User.objects.select_for_update().get(pk=token.user_id)
    if Token.objects.filter(user=owner).exists():
        raise TransitionRefused(
            f"“{owner.username}” already has an API token.", ["Delete it to issue a new one."]
        )
    token.key = Token.generate_key()
    token.save(force_insert=True)
    audit_record(
        actor=by,
        action="account.token_created",
        summary=f"Issued an API token to “{owner.username}”",
        obj=_token_audited(token),
        payload=_token_payload(owner, token.key),
    )
    return token


@transaction.atomic
def token_delete(*, by: Any, token: Token) -> None:
    _account_ensure_allowed(by)
    stored = Token.objects.select_for_update().select_related("user").get(key=token.key)
    audit_record(
        actor=by,
        action="account.token_deleted",
        summary=f"Deleted the API token of “{stored.user.username}”",
        obj=_token_audited(stored),
        payload=_token_payload(stored.user, stored.key),
    )
    stored.delete()
