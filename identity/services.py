"""Single sign-on's actions: a person signing in through the provider, and
administrators editing the group mappings. Each is atomic and audited.

Roles from mappings are synchronised at every sign-in: the roles and business
unit memberships the person's groups map to are added, and those that single
sign-on granted earlier (``SsoGrant``) and no mapping gives any more are
removed. A role someone already held when a mapping would have granted it was
given by hand: single sign-on leaves it alone, now and later.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.errors import InvalidInput
from identity import rules
from identity.models import GroupMapping, SsoGrant, SsoIdentity
from usecases.models import BusinessUnit, BusinessUnitMember

MAPPING_FIELDS = ("idp_group", "org_role", "business_unit")


class SignInRefused(Exception):
    """The provider vouched for someone this application will not sign in."""


# --- Sign-in -----------------------------------------------------------------


def _claim_text(claims: dict, name: str) -> str:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) else ""


def _claim_groups(claims: dict, name: str) -> set[str]:
    value = claims.get(name)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return set()
    # Keycloak sends full paths ("/stagegate/leads") when so configured; a
    # mapping names the group as the provider sends it.
    return {item for item in value if isinstance(item, str) and item}


@transaction.atomic
def sso_sign_in(
    *, issuer: str, claims: dict, username_claim: str | None = None, groups_claim: str | None = None
) -> Any:
    """The account the provider's verified claims name, created at the first
    sign-in, its names and e-mail kept up to date and its mapped roles
    synchronised. Raises SignInRefused when the username is taken by an
    account not created by single sign-on, or the account is deactivated."""
    username_claim = username_claim or settings.OIDC_USERNAME_CLAIM
    groups_claim = groups_claim or settings.OIDC_GROUPS_CLAIM
    subject = _claim_text(claims, "sub")
    if not subject:
        raise SignInRefused(_("The provider sent no subject."))
    User = get_user_model()
    identity = (
        SsoIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    if identity is None:
        user = _user_create(
            issuer=issuer, subject=subject, claims=claims, username_claim=username_claim
        )
        identity = SsoIdentity.objects.get(user=user)
    else:
        user = User.objects.select_for_update().get(pk=identity.user_id)
        if not user.is_active:
            raise SignInRefused(_("Your account is deactivated: ask an administrator."))
        _user_update(user, claims)
    identity.last_sign_in = timezone.now()
    identity.save(update_fields=["last_sign_in"])
    roles_sync(user=user, idp_groups=_claim_groups(claims, groups_claim))
    return user


def _profile(claims: dict) -> dict[str, str]:
    return {
        "email": _claim_text(claims, "email")[:254],
        "first_name": _claim_text(claims, "given_name")[:150],
        "last_name": _claim_text(claims, "family_name")[:150],
    }


def _user_create(*, issuer: str, subject: str, claims: dict, username_claim: str) -> Any:
    User = get_user_model()
    username = (_claim_text(claims, username_claim) or subject)[:150]
    if User.objects.filter(username__iexact=username).exists():
        # Never hand an existing account to whoever the provider calls by its
        # name: the local "admin" stays the local admin.
        raise SignInRefused(
            _(
                "The username “%(username)s” belongs to an account that does not sign in "
                "through single sign-on: ask an administrator."
            )
            % {"username": username}
        )
    user = User(username=username, **_profile(claims))
    user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise SignInRefused(" ".join(exc.messages)) from None
    try:
        # Two first sign-ins of one person at once: the second finds the row
        # taken and is asked to try again (it will find the account).
        with transaction.atomic():
            user.save(force_insert=True)
            SsoIdentity.objects.create(user=user, issuer=issuer, subject=subject)
    except IntegrityError:
        raise SignInRefused(_("Your account was being created elsewhere: sign in again.")) from None
    audit_record(
        actor=user,
        action="identity.user_created",
        summary=f"Created the account “{username}” at its first single sign-on",
        obj=user,
        payload={"issuer": issuer, "subject": subject, **_profile(claims)},
    )
    return user


def _user_update(user: Any, claims: dict) -> None:
    profile = {name: value for name, value in _profile(claims).items() if value}
    changed = [name for name, value in profile.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, profile[name])
    if changed:
        user.save(update_fields=changed)


@transaction.atomic
def roles_sync(*, user: Any, idp_groups: set[str]) -> dict[str, list[str]]:
    """Bring the user's mapped roles and business units in line with their
    provider groups; audit what changed (``identity.roles_synced``)."""
    mappings = list(
        GroupMapping.objects.filter(idp_group__in=idp_groups).select_related("business_unit")
    )
    wanted_roles = {m.org_role for m in mappings if m.org_role}
    wanted_units = {m.business_unit_id: m.business_unit for m in mappings if m.business_unit_id}
    held_roles = set(user.groups.values_list("name", flat=True))
    held_units = set(
        BusinessUnitMember.objects.filter(user=user).values_list("business_unit_id", flat=True)
    )
    grants = list(SsoGrant.objects.select_for_update().filter(user=user))
    granted_roles = {g.org_role for g in grants if g.org_role}
    granted_units = {g.business_unit_id for g in grants if g.business_unit_id}

    add_roles = sorted(wanted_roles - held_roles)
    remove_roles = sorted((granted_roles - wanted_roles) & held_roles)
    add_units = sorted(set(wanted_units) - held_units)
    remove_units = sorted((granted_units - set(wanted_units)) & held_units)

    if add_roles:
        user.groups.add(*Group.objects.filter(name__in=add_roles))
        SsoGrant.objects.bulk_create([SsoGrant(user=user, org_role=r) for r in add_roles])
    if remove_roles:
        user.groups.remove(*Group.objects.filter(name__in=remove_roles))
    if add_units:
        BusinessUnitMember.objects.bulk_create(
            [BusinessUnitMember(user=user, business_unit_id=u) for u in add_units]
        )
        SsoGrant.objects.bulk_create([SsoGrant(user=user, business_unit_id=u) for u in add_units])
    if remove_units:
        BusinessUnitMember.objects.filter(user=user, business_unit_id__in=remove_units).delete()
    # Grants for what is no longer wanted go, whether removed now or by hand since.
    SsoGrant.objects.filter(user=user, org_role__in=granted_roles - wanted_roles).exclude(
        org_role=""
    ).delete()
    SsoGrant.objects.filter(
        user=user, business_unit_id__in=granted_units - set(wanted_units)
    ).delete()
    if hasattr(user, "_org_roles_cache"):
        del user._org_roles_cache

    changes = {
        "roles_added": add_roles,
        "roles_removed": remove_roles,
        "business_units_added": [wanted_units[u].code for u in add_units],
        "business_units_removed": list(
            BusinessUnit.objects.filter(pk__in=remove_units).values_list("code", flat=True)
        ),
    }
    if any(changes.values()):
        audit_record(
            actor=user,
            action="identity.roles_synced",
            summary=f"Single sign-on changed the roles of “{user.username}”",
            obj=user,
            payload={**changes, "idp_groups": sorted(idp_groups)},
        )
    return changes


# --- Group mappings ------------------------------------------------------------


def _ensure_allowed(by: Any) -> None:
    refusal = rules.mapping_edit_refusal(by)
    if refusal is not None:
        raise refusal


def _mapping_values(mapping: GroupMapping) -> dict[str, Any]:
    return {
        "idp_group": mapping.idp_group,
        "org_role": mapping.org_role,
        "business_unit": mapping.business_unit.code if mapping.business_unit_id else None,
    }


def _mapping_save(mapping: GroupMapping, **kwargs: Any) -> None:
    mapping.idp_group = (mapping.idp_group or "").strip()
    try:
        mapping.full_clean()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            field, messages = next(iter(exc.message_dict.items()))
            field = None if field == "__all__" else field
        else:
            field, messages = None, exc.messages
        raise InvalidInput(" ".join(messages), field=field) from None
    try:
        with transaction.atomic():
            mapping.save(**kwargs)
    except IntegrityError:
        raise InvalidInput(
            _("A mapping for this group exists already."), field="idp_group"
        ) from None


@transaction.atomic
def group_mapping_create(
    *, by: Any, idp_group: str, org_role: str = "", business_unit: BusinessUnit | None = None
) -> GroupMapping:
    _ensure_allowed(by)
    mapping = GroupMapping(idp_group=idp_group, org_role=org_role, business_unit=business_unit)
    _mapping_save(mapping, force_insert=True)
    audit_record(
        actor=by,
        action="identity.mapping_created",
        summary=f"Mapped the provider group “{mapping.idp_group}”",
        obj=mapping,
        payload={"before": {}, "after": _mapping_values(mapping)},
    )
    return mapping


@transaction.atomic
def group_mapping_update(*, by: Any, mapping: GroupMapping, **values: Any) -> GroupMapping:
    """Set the given fields (any of idp_group, org_role, business_unit). The
    change reaches each person at their next sign-in."""
    _ensure_allowed(by)
    unknown = set(values) - set(MAPPING_FIELDS)
    if unknown:
        raise InvalidInput(_("Unknown field."), field=sorted(unknown)[0])
    stored = GroupMapping.objects.select_for_update().get(pk=mapping.pk)
    before = _mapping_values(stored)
    for name, value in values.items():
        setattr(stored, name, value)
    _mapping_save(stored)
    after = _mapping_values(stored)
    changed = [name for name in MAPPING_FIELDS if before[name] != after[name]]
    if changed:
        audit_record(
            actor=by,
            action="identity.mapping_updated",
            summary=f"Changed the mapping of the provider group “{stored.idp_group}”",
            obj=stored,
            payload={
                "before": {name: before[name] for name in changed},
                "after": {name: after[name] for name in changed},
            },
        )
    return stored


@transaction.atomic
def group_mapping_delete(*, by: Any, mapping: GroupMapping) -> None:
    _ensure_allowed(by)
    stored = GroupMapping.objects.select_for_update().filter(pk=mapping.pk).first()
    if stored is None:
        return
    audit_record(
        actor=by,
        action="identity.mapping_deleted",
        summary=f"Removed the mapping of the provider group “{stored.idp_group}”",
        obj=stored,
        payload={"before": _mapping_values(stored), "after": {}},
    )
    stored.delete()
