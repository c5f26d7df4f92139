"""API tokens (django-rest-knox): a new one per request, its key shown once
and stored only as a hash, listed by its owner without the key, revoked one by
one or all at once, refused (401) once revoked or expired; issuing and
revoking are audited."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from core.audit import audit_verify
from core.models import AuditEvent
from tests.factories import PASSWORD

TOKEN = "/api/v1/auth/token/"
TOKENS = "/api/v1/auth/tokens/"
REFUSED = (
    "This API token is not accepted: it expired, was revoked or never existed. "
    "Obtain a new one at POST /api/v1/auth/token/."
)


def obtain(username: str = "sponsor", password: str = PASSWORD) -> dict:
    response = APIClient().post(TOKEN, {"username": username, "password": password}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_it_issues_a_token_once_with_its_expiry_and_the_key_works(sponsor):
    before = timezone.now()

    issued = obtain()

    assert set(issued) == {"id", "token", "prefix", "created", "expiry"}
    key = issued["token"]
    assert len(key) == 64 and key.startswith(issued["prefix"]) and len(issued["prefix"]) == 8
    expiry = datetime.fromisoformat(issued["expiry"])
    ttl = timedelta(hours=settings.API_TOKEN_TTL_HOURS)
    assert before + ttl <= expiry <= timezone.now() + ttl
    response = with_token(key).get("/api/v1/use-cases/")
    assert response.status_code == 200
    # Stored as knox stores it: the hash and the key's first characters, never the key.
    stored = AuthToken.objects.get()
    assert stored.user == sponsor
    assert key not in {stored.digest, stored.token_key}
    assert stored.digest.startswith(issued["id"])


def test_every_request_issues_another_token_and_each_works(sponsor):
    first, second = obtain()["token"], obtain()["token"]

    assert first != second
    assert AuthToken.objects.filter(user=sponsor).count() == 2
    assert with_token(first).get(TOKENS).status_code == 200
    assert with_token(second).get(TOKENS).status_code == 200


def test_the_list_shows_the_owners_live_tokens_never_a_key(sponsor, outsider):
    first, second = obtain(), obtain()
    obtain("outsider")

    response = with_token(first["token"]).get(TOKENS)

    assert response.status_code == 200
    listed = response.json()
    assert [token["id"] for token in listed] == [second["id"], first["id"]]
    assert set(listed[0]) == {"id", "prefix", "created", "expiry"}
    assert first["token"] not in response.content.decode()
    assert second["token"] not in response.content.decode()


def test_a_revoked_token_is_refused_with_401_and_the_others_still_work(sponsor):
    doomed, kept = obtain(), obtain()

    response = with_token(kept["token"]).delete(f"{TOKENS}{doomed['id']}/")

    assert response.status_code == 204
    refused = with_token(doomed["token"]).get("/api/v1/use-cases/")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Token"
    assert refused.json()["detail"] == REFUSED
    assert with_token(kept["token"]).get("/api/v1/use-cases/").status_code == 200
    assert [token["id"] for token in with_token(kept["token"]).get(TOKENS).json()] == [kept["id"]]


def test_revoking_all_refuses_every_token_of_the_caller(sponsor, outsider):
    mine = [obtain()["token"], obtain()["token"]]
    theirs = obtain("outsider")["token"]

    response = with_token(mine[0]).delete(TOKENS)

    assert response.status_code == 200
    assert response.json() == {"revoked": 2}
    for key in mine:
        assert with_token(key).get(TOKENS).status_code == 401
    assert with_token(theirs).get(TOKENS).status_code == 200


def test_an_expired_token_is_refused_with_401(sponsor):
    issued = obtain()
    expiry = datetime.fromisoformat(issued["expiry"])

    with time_machine.travel(expiry - timedelta(minutes=1), tick=False):
        assert with_token(issued["token"]).get(TOKENS).status_code == 200
    with time_machine.travel(expiry + timedelta(seconds=1), tick=False):
        response = with_token(issued["token"]).get(TOKENS)

    assert response.status_code == 401
    assert response.json()["detail"] == REFUSED


def test_another_persons_token_cannot_be_revoked(sponsor, outsider):
    mine = obtain()["token"]
    theirs = obtain("outsider")

    response = with_token(mine).delete(f"{TOKENS}{theirs['id']}/")

    assert response.status_code == 404
    assert response.json()["detail"] == "Not found."
    assert with_token(theirs["token"]).get(TOKENS).status_code == 200
    assert not AuditEvent.objects.filter(action="account.token_revoked").exists()


@pytest.mark.parametrize("token_id", ["nothex-nothex-no", "abc", "0" * 16, "A" * 16])
def test_an_unknown_token_id_is_a_404(sponsor, token_id):
    key = obtain()["token"]

    response = with_token(key).delete(f"{TOKENS}{token_id}/")

    assert response.status_code == 404
    assert AuthToken.objects.count() == 1


def test_issuing_and_revoking_are_audited_without_the_key(sponsor):
    issued = obtain()

    with_token(issued["token"]).delete(f"{TOKENS}{issued['id']}/")

    created, revoked = AuditEvent.objects.filter(action__startswith="account.token_").order_by(
        "seq"
    )
    assert created.action == "account.token_created" and revoked.action == "account.token_revoked"
    for event in (created, revoked):
        assert event.actor == sponsor
        assert (event.object_type, event.object_id) == ("auth.user", str(sponsor.pk))
        assert event.payload["token_id"] == issued["id"]
        assert event.payload["key_prefix"] == issued["prefix"]
        written = json.dumps(event.payload) + event.summary
        assert issued["token"] not in written and issued["token"][:15] not in written
    assert revoked.summary == f"Revoked their own API token ({issued['prefix']}…)"
    checked, broken = audit_verify()
    assert broken is None and checked == 2


def test_a_session_lists_its_tokens_and_a_caller_without_credentials_is_refused(client_as, sponsor):
    obtain()

    assert len(client_as(sponsor).get(TOKENS).json()) == 1
    assert APIClient().get(TOKENS).status_code == 403
    assert APIClient().post(TOKEN, {}, format="json").status_code == 400


def test_a_deactivated_accounts_token_is_refused(sponsor):
    key = obtain()["token"]
    sponsor.is_active = False
    sponsor.save()

    response = with_token(key).get(TOKENS)

    assert response.status_code == 401
    assert response.json()["detail"] == "The account this API token belongs to is deactivated."


def test_a_person_holds_at_most_twenty_tokens(sponsor):
    for _ in range(20):
        AuthToken.objects.create(user=sponsor)

    response = APIClient().post(TOKEN, {"username": "sponsor", "password": PASSWORD})

    assert response.status_code == 409
    assert response.json()["detail"] == "“sponsor” already holds 20 API tokens."
    assert AuthToken.objects.count() == 20


def test_the_schema_describes_the_token_scheme_and_endpoints(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    obtain_op = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert set(obtain_op["responses"]) >= {"201", "400", "429"}
    issued = schema["components"]["schemas"]["TokenIssued"]["properties"]
    assert set(issued) == {"id", "prefix", "created", "expiry", "token"}
    listed = schema["components"]["schemas"]["Token"]["properties"]
    assert "token" not in listed
    assert "delete" in schema["paths"]["/api/v1/auth/tokens/{token_id}/"]
    unlock = schema["paths"]["/api/v1/accounts/unlock/"]["post"]
    assert {"tokenAuth": []} in unlock["security"]
    assert set(unlock["responses"]) >= {"200", "400", "403", "409"}
