"""LOCAL_LOGIN=0: passwords are refused, with the reason, on the sign-in page,
the admin's and the API token endpoint, except to the break-glass accounts."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory
from usecases.models import OrgRole

PASSWORDS_OFF = {
    "LOCAL_LOGIN": False,
    "BREAK_GLASS_USERS": ["breakglass"],
    "OIDC_PROVIDER_NAME": "Contoso ID",
}
REFUSAL = "Signing in with a password is turned off: sign in with Contoso ID instead."


@pytest.fixture
def people(db):
    return {
        "lead": UserFactory(username="lead", is_staff=True, org_roles=[OrgRole.PROGRAM_LEAD]),
        "breakglass": UserFactory(username="breakglass", is_staff=True, is_superuser=True),
    }


def sign_in(client, username):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD})


@override_settings(**PASSWORDS_OFF)
def test_the_sign_in_page_refuses_a_password_and_says_why(people, client):
    response = sign_in(client, "lead")
    assert response.status_code == 200
    assert REFUSAL in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(**PASSWORDS_OFF)
def test_the_break_glass_account_still_signs_in_with_its_password(people, client):
    response = sign_in(client, "breakglass")
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == people["breakglass"].pk


@override_settings(**PASSWORDS_OFF)
def test_the_admin_sign_in_refuses_a_password(people, client):
    response = client.post("/admin/login/?next=/admin/", {"username": "lead", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "breakglass", "password": PASSWORD}
    )
    assert response.status_code == 302


@override_settings(**PASSWORDS_OFF)
def test_the_token_endpoint_refuses_a_password(people):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "lead", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == REFUSAL

    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "breakglass", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 201


def test_passwords_work_by_default(people, client):
    assert sign_in(client, "lead").status_code == 302
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "lead", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 201
