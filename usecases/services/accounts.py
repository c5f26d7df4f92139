"""Accounts: users, groups (the organisation roles) and API tokens, as the
admin edits them. No password, hash or whole key ever reaches a payload."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from rest_framework.authtoken.models import Token, TokenProxy

from core.audit import audit_record
from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from usecases.models import (
    BusinessUnit,
    OrgRole,
    UseCaseMember,
)

User = get_user_model()

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
