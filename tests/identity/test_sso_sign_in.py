"""Signing in through a real OpenID Connect provider (npm's oidc-provider on
loopback): the code flow over HTTP, the provider's own login form, the
account created at the first sign-in and the mapped roles synchronised at
every sign-in."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.test import Client, override_settings

from core.models import AuditEvent
from identity import services
from identity.models import GroupMapping, SsoGrant, SsoIdentity
from tests.factories import UserFactory
from tests.identity.oidc_provider import sign_in_at_provider
from usecases.models import BusinessUnitMember, OrgRole

CALLBACK = "http://testserver/oidc/callback/"
User = get_user_model()


def sso_sign_in(client: Client, login: str):
    """Click "Sign in with ...", sign in on the provider's page, come back."""
    response = client.get("/oidc/authenticate/?next=/portfolio/")
    assert response.status_code == 302
    callback = sign_in_at_provider(response["Location"], login, CALLBACK)
    return client.get(callback.removeprefix("http://testserver"))


def mapping_named(idp_group: str) -> GroupMapping:
    return GroupMapping.objects.get(idp_group=idp_group)


def roles_of(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_it_creates_the_account_at_the_first_sign_in_with_the_mapped_roles(
    oidc_provider, mappings, claims_unit, client
):
    provider = oidc_provider([CALLBACK])
    with override_settings(**provider.settings()):
        response = sso_sign_in(client, "sso-lead")

    assert response.status_code == 302
    assert response["Location"] == "/portfolio/"
    user = User.objects.get(username="sso-lead")
    assert (user.email, user.first_name, user.last_name) == (
        "sso-lead@example.com",
        "Lena",
        "Lead",
    )
    assert not user.has_usable_password()
    assert roles_of(user) == {OrgRole.PROGRAM_LEAD}
    assert BusinessUnitMember.objects.filter(user=user, business_unit=claims_unit).exists()
    identity = SsoIdentity.objects.get(user=user)
    assert (identity.issuer, identity.subject) == (provider.issuer, "sso-lead")
    assert int(client.session["_auth_user_id"]) == user.pk
    created = AuditEvent.objects.get(action="identity.user_created")
    assert created.object_id == str(user.pk)
    synced = AuditEvent.objects.get(action="identity.roles_synced")
    assert synced.payload["roles_added"] == [OrgRole.PROGRAM_LEAD]
    assert synced.payload["business_units_added"] == ["claims"]


def test_it_uses_the_configured_username_claim(oidc_provider, mappings, client):
    provider = oidc_provider([CALLBACK])
    with override_settings(**provider.settings(OIDC_USERNAME_CLAIM="email")):
        sso_sign_in(client, "sso-exec")

    assert User.objects.filter(username="sso-exec@example.com").exists()


def test_it_synchronises_the_mapped_roles_at_every_sign_in(
    oidc_provider, mappings, claims_unit, superuser
):
    provider = oidc_provider([CALLBACK])
    with override_settings(**provider.settings()):
        sso_sign_in(Client(), "sso-lead")
        user = User.objects.get(username="sso-lead")
        # Given by hand, and also by a mapping added since: it stays the hand's.
        user.groups.add(Group.objects.get(name=OrgRole.CIO_CTO))
        services.group_mapping_create(
            by=superuser, idp_group="bu-claims-cio", org_role=OrgRole.CIO_CTO
        )
        services.group_mapping_update(
            by=superuser, mapping=mappings["leads"], org_role=OrgRole.EXECUTIVE
        )
        services.group_mapping_delete(by=superuser, mapping=mappings["claims"])
        services.group_mapping_update(
            by=superuser, mapping=mapping_named("bu-claims-cio"), idp_group="bu-claims"
        )

        second = Client()
        response = sso_sign_in(second, "sso-lead")

    assert response.status_code == 302
    user.refresh_from_db()
    assert roles_of(user) == {OrgRole.EXECUTIVE, OrgRole.CIO_CTO}
    assert not BusinessUnitMember.objects.filter(user=user, business_unit=claims_unit).exists()
    assert set(SsoGrant.objects.filter(user=user).values_list("org_role", flat=True)) == {
        OrgRole.EXECUTIVE
    }
    synced = AuditEvent.objects.filter(action="identity.roles_synced").order_by("seq").last()
    assert synced.payload["roles_added"] == [OrgRole.EXECUTIVE]
    assert synced.payload["roles_removed"] == [OrgRole.PROGRAM_LEAD]
    assert synced.payload["business_units_removed"] == ["claims"]

    # Once the mapping goes, the role it never granted stays.
    with override_settings(**provider.settings()):
        services.group_mapping_delete(by=superuser, mapping=mapping_named("bu-claims"))
        sso_sign_in(Client(), "sso-lead")
    assert roles_of(user) == {OrgRole.EXECUTIVE, OrgRole.CIO_CTO}
    # A sign-in that changes nothing writes nothing.
    with override_settings(**provider.settings()):
        before = AuditEvent.objects.filter(action="identity.roles_synced").count()
        sso_sign_in(Client(), "sso-lead")
    assert AuditEvent.objects.filter(action="identity.roles_synced").count() == before
    assert User.objects.filter(username="sso-lead").count() == 1


def test_it_never_hands_a_local_account_to_the_provider(oidc_provider, mappings, client):
    local = UserFactory(username="sso-lead")
    provider = oidc_provider([CALLBACK])
    with override_settings(**provider.settings()):
        response = sso_sign_in(client, "sso-lead")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("does not sign in through single sign-on" in m for m in messages)
    assert not SsoIdentity.objects.exists()
    assert roles_of(local) == set()


def test_it_refuses_a_deactivated_account(oidc_provider, mappings, client):
    provider = oidc_provider([CALLBACK])
    with override_settings(**provider.settings()):
        sso_sign_in(Client(), "sso-exec")
        User.objects.filter(username="sso-exec").update(is_active=False)
        response = sso_sign_in(client, "sso-exec")

    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_the_sign_in_page_offers_the_provider_when_sso_is_on(client):
    with override_settings(OIDC_ISSUER="http://127.0.0.1:9", OIDC_PROVIDER_NAME="Contoso ID"):
        page = client.get("/accounts/login/?next=/portfolio/").content.decode()
    assert "Sign in with Contoso ID" in page
    assert 'href="/oidc/authenticate/?next=/portfolio/"' in page

    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with" not in page


def test_it_sends_back_to_the_sign_in_page_when_sso_is_off(client):
    assert client.get("/oidc/authenticate/")["Location"] == "/accounts/login/"
    assert client.get("/oidc/callback/?code=x&state=y")["Location"] == "/accounts/login/"


def test_it_says_when_the_provider_cannot_be_reached(client, db):
    with override_settings(OIDC_ISSUER="http://127.0.0.1:9", OIDC_PROVIDER_NAME="Contoso ID"):
        response = client.get("/oidc/authenticate/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert "The sign-in service Contoso ID cannot be reached" in response.content.decode()


def test_a_forged_callback_signs_nobody_in(oidc_provider, mappings, client):
    provider = oidc_provider([CALLBACK])
    with override_settings(**provider.settings()):
        client.get("/oidc/authenticate/")
        response = client.get("/oidc/callback/?code=forged&state=unknown")
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(username__startswith="sso-").exists()
