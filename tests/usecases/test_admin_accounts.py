"""Accounts are edited in the admin through the account services: a user
added, put in an organisation role's group, renamed, given a password and
deleted; a group added and deleted; API tokens listed by their first
characters and revoked. Each change writes an audit event by the superuser
that holds no password, hash or whole token."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from core.audit import audit_verify
from core.errors import PermissionRefused, TransitionRefused
from core.models import AuditEvent
from tests.factories import UserFactory
from usecases import services
from usecases.models import OrgRole

User = get_user_model()

FIRST_PASSWORD = "Plum-Harbour-Lantern-41"
SECOND_PASSWORD = "Quiet-Meadow-Copper-73"


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def staff_user_admin(db):
    """Staff with Django's permissions on users, groups, tokens and sign-in
    attempts, but no superuser and no program lead."""
    user = UserFactory(username="staff", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["auth", "knox", "axes"])
    )
    return user


def chain_intact() -> bool:
    checked, broken = audit_verify()
    return checked > 0 and broken is None


def only_event(action: str) -> AuditEvent:
    return AuditEvent.objects.get(action=action)


def assert_holds_no_secret(event: AuditEvent, *secrets: str) -> None:
    written = json.dumps(event.payload) + event.summary + event.object_id
    assert "password" not in event.payload.get("after", {})
    assert "password" not in event.payload.get("before", {})
    for secret in secrets:
        assert secret not in written


def user_change_data(user, **changes) -> dict:
    """What the user's change form posts back unchanged, with ``changes``."""
    joined = timezone.localtime(user.date_joined)
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "groups": [group.pk for group in user.groups.all()],
        "date_joined_0": joined.strftime("%Y-%m-%d"),
        "date_joined_1": joined.strftime("%H:%M:%S"),
        # The page posts the date's initial value back too (its default is
        # callable), and the form compares the date with it.
        "initial-date_joined_0": joined.strftime("%Y-%m-%d"),
        "initial-date_joined_1": joined.strftime("%H:%M:%S"),
    }
    for flag in ("is_active", "is_staff", "is_superuser"):
        if getattr(user, flag):
            data[flag] = "on"
    data.update(changes)
    return data


def test_it_audits_a_user_from_creation_to_deletion(admin_client, superuser):
    # Added, with a password.
    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "rachel",
            "usable_password": "true",
            "password1": FIRST_PASSWORD,
            "password2": FIRST_PASSWORD,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="rachel")
    assert user.check_password(FIRST_PASSWORD)
    created = only_event("account.user_created")
    assert created.actor == superuser
    assert (created.object_type, created.object_id) == ("auth.user", str(user.pk))
    assert created.payload["before"] == {}
    assert created.payload["after"] | {"date_joined": None} == {
        "username": "rachel",
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": True,
        "is_staff": False,
        "is_superuser": False,
        "last_login": None,
        "date_joined": None,
        "usable_password": True,
        "groups": [],
    }
    assert_holds_no_secret(created, FIRST_PASSWORD, user.password)
    assert chain_intact()

    # Put in the risk and compliance role's group.
    risk_group = Group.objects.get(name=OrgRole.RISK_COMPLIANCE)
    url = reverse("admin:auth_user_change", args=[user.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, user_change_data(user, groups=[risk_group.pk]))

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(user.groups.values_list("name", flat=True)) == [OrgRole.RISK_COMPLIANCE]
    joined = only_event("account.user_changed")
    assert joined.actor == superuser
    assert joined.object_id == str(user.pk)
    assert joined.payload == {
        "before": {"groups": []},
        "after": {"groups": ["Risk and compliance"]},
        "groups_added": ["Risk and compliance"],
        "groups_removed": [],
    }
    assert chain_intact()

    # Renamed; the group stays.
    user.refresh_from_db()
    response = admin_client.post(
        url, user_change_data(user, first_name="Rachel", last_name="Reyes")
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Rachel", "Reyes")
    assert user.groups.filter(name=OrgRole.RISK_COMPLIANCE).exists()
    renamed = AuditEvent.objects.filter(action="account.user_changed").order_by("-seq").first()
    assert renamed.seq > joined.seq
    assert renamed.actor == superuser
    assert renamed.payload == {
        "before": {"first_name": "", "last_name": ""},
        "after": {"first_name": "Rachel", "last_name": "Reyes"},
    }
    assert chain_intact()

    # A new password through the admin's password form.
    old_hash = user.password
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": SECOND_PASSWORD, "password2": SECOND_PASSWORD},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == url
    user.refresh_from_db()
    assert user.check_password(SECOND_PASSWORD)
    changed = only_event("account.password_changed")
    assert changed.actor == superuser
    assert (changed.object_type, changed.object_id) == ("auth.user", str(user.pk))
    assert changed.payload == {"usable_password": True}
    assert_holds_no_secret(changed, FIRST_PASSWORD, SECOND_PASSWORD, old_hash, user.password)
    assert chain_intact()

    # Deleted.
    response = admin_client.post(reverse("admin:auth_user_delete", args=[user.pk]), {"post": "yes"})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert not User.objects.filter(pk=user.pk).exists()
    deleted = only_event("account.user_deleted")
    assert deleted.actor == superuser
    assert deleted.object_id == str(user.pk)
    assert deleted.payload["after"] == {}
    assert deleted.payload["before"]["username"] == "rachel"
    assert deleted.payload["before"]["groups"] == ["Risk and compliance"]
    assert_holds_no_secret(deleted, SECOND_PASSWORD, user.password)
    assert chain_intact()


def test_it_audits_password_sign_in_disabled(admin_client, superuser, outsider):
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[outsider.pk]),
        {"usable_password": "false", "unset-password": "1"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    outsider.refresh_from_db()
    assert not outsider.has_usable_password()
    event = only_event("account.password_changed")
    assert event.payload == {"usable_password": False}
    assert_holds_no_secret(event, outsider.password)


def test_it_writes_nothing_when_the_password_form_is_invalid(admin_client, outsider):
    old_hash = outsider.password
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[outsider.pk]),
        {"password1": SECOND_PASSWORD, "password2": "something else"},
    )

    assert response.status_code == 200
    assert "didn’t match" in response.content.decode()
    outsider.refresh_from_db()
    assert outsider.password == old_hash
    assert not AuditEvent.objects.exists()


def test_it_audits_a_group_created_changed_and_deleted(admin_client, superuser, risk, outsider):
    permission = Permission.objects.get(codename="view_usecase")
    page = admin_client.get(reverse("admin:auth_group_add"))
    assert page.status_code == 200
    assert 'name="members"' in page.content.decode()
    response = admin_client.post(
        reverse("admin:auth_group_add"),
        {"name": "Auditors", "permissions": [permission.pk], "members": [risk.pk]},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    group = Group.objects.get(name="Auditors")
    assert list(group.permissions.all()) == [permission]
    assert list(group.user_set.all()) == [risk]
    created = only_event("account.group_created")
    assert created.actor == superuser
    assert (created.object_type, created.object_id) == ("auth.group", str(group.pk))
    assert created.payload == {
        "before": {},
        "after": {
            "name": "Auditors",
            "permissions": ["usecases.view_usecase"],
            "members": ["risk"],
        },
    }
    assert chain_intact()

    response = admin_client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "Auditors", "permissions": [permission.pk], "members": [outsider.pk]},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(group.user_set.all()) == [outsider]
    changed = only_event("account.group_changed")
    assert changed.actor == superuser
    assert changed.payload == {
        "before": {"members": ["risk"]},
        "after": {"members": ["outsider"]},
        "members_added": ["outsider"],
        "members_removed": ["risk"],
    }
    assert chain_intact()

    response = admin_client.post(
        reverse("admin:auth_group_delete", args=[group.pk]), {"post": "yes"}
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert not Group.objects.filter(pk=group.pk).exists()
    outsider.refresh_from_db()
    assert outsider.pk is not None
    deleted = only_event("account.group_deleted")
    assert deleted.actor == superuser
    assert deleted.object_id == str(group.pk)
    assert deleted.payload == {
        "before": {
            "name": "Auditors",
            "permissions": ["usecases.view_usecase"],
            "members": ["outsider"],
        },
        "after": {},
    }
    assert chain_intact()


TOKENS = "admin:knox_authtoken_changelist"


def test_it_lists_tokens_by_their_first_characters_and_revokes_them_audited(
    admin_client, superuser, outsider
):
    token, key = services.token_create(by=outsider, user=outsider)
    created = only_event("account.token_created")
    assert created.actor == outsider
    assert (created.object_type, created.object_id) == ("auth.user", str(outsider.pk))
    assert created.payload["key_prefix"] == key[:8]
    assert created.payload["token_id"] == token.digest[:16]
    assert_holds_no_secret(created, key, token.digest)

    page = admin_client.get(reverse(TOKENS)).content.decode()
    assert f"{key[:8]}…" in page and "outsider" in page
    assert key not in page and key[:15] not in page
    # The hash only selects the row, as the value of its checkbox.
    assert page.count(token.digest) == 1 and f'value="{token.digest}"' in page
    # No page of its own, no adding, no editing.
    assert admin_client.get(reverse("admin:knox_authtoken_add")).status_code == 403
    detail = reverse("admin:knox_authtoken_change", args=[token.digest])
    assert admin_client.get(detail).status_code == 403
    assert admin_client.post(detail, {"user": str(superuser.pk)}).status_code == 403

    response = admin_client.post(
        reverse(TOKENS), {"action": "revoke_tokens", "_selected_action": [token.digest]}
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert not AuthToken.objects.filter(digest=token.digest).exists()
    revoked = only_event("account.token_revoked")
    assert revoked.actor == superuser
    assert (revoked.object_type, revoked.object_id) == ("auth.user", str(outsider.pk))
    assert revoked.payload["user"] == "outsider"
    assert revoked.payload["key_prefix"] == key[:8]
    assert_holds_no_secret(revoked, key, token.digest)
    assert chain_intact()


def test_it_lets_a_program_lead_revoke_anyones_tokens(client, lead, outsider):
    lead.is_staff = True
    lead.save()
    token, _ = services.token_create(by=outsider, user=outsider)
    client.force_login(lead)

    assert client.get(reverse(TOKENS)).status_code == 200
    response = client.post(
        reverse(TOKENS), {"action": "revoke_tokens", "_selected_action": [token.digest]}
    )

    assert response.status_code == 302
    assert not AuthToken.objects.filter(digest=token.digest).exists()
    assert only_event("account.token_revoked").actor == lead


def test_it_revokes_a_users_tokens_with_them_each_audited(superuser, outsider):
    # Not issued through the service: its event would name the user as actor,
    # and an actor of the audit trail is never deleted.
    AuthToken.objects.create(user=outsider)
    AuthToken.objects.create(user=outsider)

    services.user_admin_delete(by=superuser, user=outsider)

    assert not AuthToken.objects.exists()
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions == ["account.token_revoked", "account.token_revoked", "account.user_deleted"]
    assert chain_intact()


def test_it_keeps_an_organisation_roles_group(admin_client, superuser):
    group = Group.objects.get(name=OrgRole.EXECUTIVE)

    page = admin_client.get(reverse("admin:auth_group_change", args=[group.pk]))
    assert page.status_code == 200
    assert 'name="name"' not in page.content.decode()
    response = admin_client.post(
        reverse("admin:auth_group_delete", args=[group.pk]), {"post": "yes"}
    )
    assert response.status_code == 403

    group.name = "Board"
    with pytest.raises(TransitionRefused):
        services.group_admin_change(by=superuser, group=group, fields=["name"])
    with pytest.raises(TransitionRefused):
        services.group_admin_delete(by=superuser, group=group)
    assert Group.objects.filter(name=OrgRole.EXECUTIVE).exists()
    assert not AuditEvent.objects.exists()


def test_it_refuses_to_delete_someone_who_decides_who_approves(
    admin_client, superuser, use_case, sponsor, buhead
):
    url = reverse("admin:auth_user_delete", args=[buhead.pk])

    response = admin_client.post(url, {"post": "yes"}, HTTP_REFERER=url, follow=True)

    assert "holds roles that decide who approves" in response.content.decode()
    assert User.objects.filter(pk=buhead.pk).exists()
    for person in (sponsor, buhead, superuser):
        with pytest.raises(TransitionRefused):
            services.user_admin_delete(by=superuser, user=person)
        assert User.objects.filter(pk=person.pk).exists()
    assert not AuditEvent.objects.filter(action__startswith="account.").exists()


def test_it_refuses_anyone_but_a_superuser(client, staff_user_admin, outsider):
    client.force_login(staff_user_admin)
    url = reverse("admin:auth_user_change", args=[outsider.pk])

    response = client.post(url, user_change_data(outsider, first_name="Changed"))
    assert response.status_code == 403
    response = client.post(
        reverse("admin:auth_user_password_change", args=[outsider.pk]),
        {"password1": SECOND_PASSWORD, "password2": SECOND_PASSWORD},
    )
    assert response.status_code == 403
    token, _ = AuthToken.objects.create(user=outsider)
    assert client.get(reverse(TOKENS)).status_code == 403
    response = client.post(
        reverse(TOKENS), {"action": "revoke_tokens", "_selected_action": [token.digest]}
    )
    assert response.status_code == 403

    outsider.first_name = "Changed"
    with pytest.raises(PermissionRefused):
        services.user_admin_change(by=staff_user_admin, user=outsider, fields=["first_name"])
    with pytest.raises(PermissionRefused):
        services.user_password_set(by=staff_user_admin, user=outsider, password=SECOND_PASSWORD)
    with pytest.raises(PermissionRefused):
        services.token_create(by=staff_user_admin, user=outsider)
    with pytest.raises(PermissionRefused):
        services.token_revoke(by=staff_user_admin, token=token)
    outsider.refresh_from_db()
    assert outsider.first_name == "Otto"
    assert not outsider.check_password(SECOND_PASSWORD)
    assert list(AuthToken.objects.values_list("digest", flat=True)) == [token.digest]
    assert not AuditEvent.objects.exists()
