"""Accounts: users, groups (the organisation roles) and API tokens, as the
admin edits them; API tokens issued and revoked; accounts locked after failed
sign-ins and unlocked. No password, hash or whole key ever reaches a payload."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, ProtectedError, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken

from core.audit import audit_record
from core.errors import InvalidInput, PermissionRefused, TransitionRefused
from core.validators import clean_reason
from usecases.access import is_program_lead
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

ACCOUNT_REFUSAL = "Only superusers may change accounts and groups."
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
TOKEN_PREFIX_LENGTH = 8


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
        raise InvalidInput(_("Unknown fields: %(unknown)s.") % {"unknown": ", ".join(unknown)})


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
    tokens are revoked first, each audited on its own."""
    _account_ensure_allowed(by)
    stored = User.objects.select_for_update().get(pk=user.pk)
    if stored.pk == by.pk:
        raise TransitionRefused(
            _("You may not delete your own account."), [_("Another superuser may delete it.")]
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
            _("“%(username)s” holds roles that decide who approves and cannot be deleted.")
            % {"username": stored.username},
            [*reasons, _("Or deactivate the account instead.")],
        )
    token_revoke_all(by=by, user=stored)
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
            _("“%(username)s” has a part in gate reviews or the audit trail and cannot be deleted.")
            % {"username": stored.username},
            [_("Deactivate the account instead: its history stays and it can no longer sign in.")],
        ) from None


def _org_role_group_refusal(name: str) -> TransitionRefused:
    return TransitionRefused(
        _("“%(name)s” is an organisation role: it is neither renamed nor deleted.")
        % {"name": name},
        [_("Change who holds the role through the group's members.")],
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


# --- API tokens (django-rest-knox) --------------------------------------------
#
# A person exchanges their password for a token, one per client (a script, a
# reporting tool); knox stores only the token's hash, and the key is shown
# once, in the answer that issues it. A token expires API_TOKEN_TTL_HOURS after
# it was issued and may be revoked earlier by its owner, a program lead or an
# administrator. A token is named by ``token_id``, drawn from its hash, and
# shown by the key's first characters, which its owner recognises: neither
# lets anyone authenticate. The audit events name the token's owner as their
# object.

TOKEN_ID_LENGTH = 16
TOKEN_LIMIT_PER_USER = 20
TOKEN_REVOKE_REFUSAL = "Only its owner, a program lead or an administrator may revoke an API token."


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "no expiry"
    return timezone.localtime(moment).strftime("%d %b %Y %H:%M %Z")


def token_id(token: AuthToken) -> str:
    return token.digest[:TOKEN_ID_LENGTH]


def token_prefix(token: AuthToken) -> str:
    return token.token_key[:TOKEN_PREFIX_LENGTH]


def tokens_live(user: Any) -> Any:
    """The user's tokens that still authenticate, newest first."""
    return AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")


def token_revoke_refusal(user: Any, owner: Any) -> PermissionRefused | None:
    if user.is_authenticated and (user.pk == owner.pk or is_program_lead(user)):
        return None
    return PermissionRefused(TOKEN_REVOKE_REFUSAL)


def _token_payload(token: AuthToken, owner: Any) -> dict[str, Any]:
    return {
        "user": owner.username,
        "token_id": token_id(token),
        "key_prefix": token_prefix(token),
        "expiry": token.expiry,
    }


@transaction.atomic
def token_create(*, by: Any, user: Any) -> tuple[AuthToken, str]:
    """Issue a new API token to ``user``, who has just proved their password
    (``by`` is ``user``); administrators may issue one to anyone. Returns the
    token and its whole key, which is never stored and never shown again."""
    if not (by.is_authenticated and (by.pk == user.pk or by.is_superuser)):
        raise PermissionRefused(_("An API token is issued only to the person who asks for it."))
    # The user's row is the lock: two issues for one user queue here.
    owner = User.objects.select_for_update().get(pk=user.pk)
    if not owner.is_active:
        raise TransitionRefused(
            _("“%(username)s” is deactivated and holds no API tokens.")
            % {"username": owner.username}
        )
    if tokens_live(owner).count() >= TOKEN_LIMIT_PER_USER:
        raise TransitionRefused(
            _("“%(username)s” already holds %(TOKEN_LIMIT_PER_USER)s API tokens.")
            % {"username": owner.username, "TOKEN_LIMIT_PER_USER": TOKEN_LIMIT_PER_USER},
            [_("Revoke one that is no longer used (DELETE /api/v1/auth/tokens/<id>/).")],
        )
    # Expired tokens authenticate no one; they go as the next one comes.
    AuthToken.objects.filter(user=owner, expiry__lte=timezone.now()).delete()
    token, key = AuthToken.objects.create(user=owner)
    audit_record(
        actor=by,
        action="account.token_created",
        summary=f"Issued an API token ({token_prefix(token)}…) to “{owner.username}”, "
        f"valid until {_when(token.expiry)}",
        obj=owner,
        payload=_token_payload(token, owner),
    )
    return token, key


@transaction.atomic
def token_revoke(*, by: Any, token: AuthToken) -> None:
    stored = (
        AuthToken.objects.select_for_update()
        .select_related("user")
        .filter(digest=token.digest)
        .first()
    )
    if stored is None:
        raise TransitionRefused(_("This API token is already revoked."))
    refusal = token_revoke_refusal(by, stored.user)
    if refusal is not None:
        raise refusal
    whose = "their own" if by.pk == stored.user_id else f"“{stored.user.username}”'s"
    audit_record(
        actor=by,
        action="account.token_revoked",
        summary=f"Revoked {whose} API token ({token_prefix(stored)}…)",
        obj=stored.user,
        payload=_token_payload(stored, stored.user),
    )
    stored.delete()


@transaction.atomic
def token_revoke_all(*, by: Any, user: Any) -> int:
    """Revoke every API token of ``user``, each audited; returns how many."""
    refusal = token_revoke_refusal(by, user)
    if refusal is not None:
        raise refusal
    tokens = list(AuthToken.objects.select_for_update().filter(user=user).order_by("created"))
    for token in tokens:
        token_revoke(by=by, token=token)
    return len(tokens)


# --- Sign-in lockouts (django-axes) ----------------------------------------------
#
# django-axes counts failed sign-ins per username in the database and refuses
# every sign-in of a username past AXES_FAILURE_LIMIT failures, the right
# password included, for AXES_COOLOFF_MINUTES. The lockout is audited when it
# happens; a program lead or an administrator may lift it early, with a
# reason.

UNLOCK_REFUSAL = "Only a program lead or an administrator may unlock an account."
UNLOCK_REASON_REQUIRED = "Say why the account is unlocked."


def account_unlock_refusal(user: Any) -> PermissionRefused | None:
    if is_program_lead(user):
        return None
    return PermissionRefused(UNLOCK_REFUSAL)


def account_lock_state(username: str) -> tuple[int, datetime | None]:
    """The failed sign-ins counted against ``username`` now, and when its
    lock ends (None when it is not locked)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    counted = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
        failures=Sum("failures_since_start"), last=Max("attempt_time")
    )
    failures = counted["failures"] or 0
    if failures < settings.AXES_FAILURE_LIMIT:
        return failures, None
    return failures, counted["last"] + settings.AXES_COOLOFF_TIME


@transaction.atomic
def account_lockout_record(*, username: str, ip_address: str | None, path: str) -> None:
    """Audit that ``username`` was just locked (called when django-axes says
    so). The username need not be an account: guesses at names are locked too."""
    failures, until = account_lock_state(username)
    owner = User.objects.filter(username=username).first()
    audit_record(
        actor=None,
        action="account.locked",
        summary=f"Sign-in locked for “{username}” after {failures} failed attempts"
        + (f", until {_when(until)}" if until else ""),
        obj=owner,
        payload={
            "username": username,
            "account_exists": owner is not None,
            "failures": failures,
            "locked_until": until,
            "ip_address": ip_address,
            "path": path,
        },
    )


@transaction.atomic
def account_unlock(*, by: Any, username: str, reason: str) -> dict[str, Any]:
    """Clear the failed sign-ins of ``username`` and so lift its lock, with a
    reason; refused when there is nothing to clear. Returns what was cleared."""
    refusal = account_unlock_refusal(by)
    if refusal is not None:
        raise refusal
    username = (username or "").strip()
    if not username:
        raise InvalidInput(_("Name the account to unlock."), field="username")
    reason = clean_reason(reason, required=UNLOCK_REASON_REQUIRED)
    # The username's attempts are the lock: a sign-in failing meanwhile waits.
    attempts = list(AccessAttempt.objects.select_for_update().filter(username=username))
    if not attempts:
        raise TransitionRefused(
            _("“%(username)s” is not locked.") % {"username": username},
            [_("No failed sign-in is counted against it.")],
        )
    failures, until = account_lock_state(username)
    axes_reset(username=username)
    owner = User.objects.filter(username=username).first()
    audit_record(
        actor=by,
        action="account.unlocked",
        summary=f"Unlocked sign-in for “{username}”: {reason}",
        obj=owner,
        payload={
            "username": username,
            "reason": reason,
            "was_locked": until is not None,
            "failures_cleared": failures,
        },
    )
    return {"username": username, "was_locked": until is not None, "failures_cleared": failures}
