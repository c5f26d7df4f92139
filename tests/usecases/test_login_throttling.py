"""Failed sign-ins lock an account (django-axes), on the sign-in page and the
token endpoint alike: past the limit even the right password is refused, with
a message, until the cool-off passes or a program lead or an administrator
unlocks it with a reason. The lockout and the unlock are in the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from core.audit import audit_verify
from core.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"
UNLOCK = "/api/v1/accounts/unlock/"
WRONG = "not-the-password"
LOCKED = "This account is locked after 5 failed sign-in attempts."


@pytest.fixture(autouse=True)
def axes_defaults(settings):
    # The documented defaults, whatever the environment running the tests says.
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def sign_in(client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def ask_token(username: str, password: str):
    return APIClient().post(TOKEN, {"username": username, "password": password}, format="json")


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def lock(client, username: str = "sponsor", attempts: int = 30):
    for _ in range(attempts):
        response = sign_in(client, username, WRONG)
    return response


def test_it_counts_failures_and_locks_at_the_limit(client, sponsor):
    for _ in range(4):
        response = sign_in(client, "sponsor", WRONG)
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()

    response = sign_in(client, "sponsor", WRONG)

    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_thirty_wrong_passwords_then_the_right_one_is_refused_on_the_sign_in_page(client, sponsor):
    lock(client)

    response = sign_in(client, "sponsor", PASSWORD)

    assert response.status_code == 429
    page = response.content.decode()
    # The sign-in page again, with the lock in place of "wrong password".
    assert 'name="password"' in page and 'value="sponsor"' in page
    assert LOCKED in page
    assert "Try again in 15 minutes" in page
    assert "A program lead or an administrator can unlock it sooner." in page
    assert "Please enter a correct username and password" not in page
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert not signed_in(client)


def test_the_admin_sign_in_page_is_locked_too(client, sponsor):
    lock(client)

    response = client.post(
        "/admin/login/", {"username": "sponsor", "password": PASSWORD, "next": "/admin/"}
    )

    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not signed_in(client)


def test_thirty_wrong_passwords_then_the_right_one_is_refused_a_token(db, sponsor):
    for _ in range(30):
        response = ask_token("sponsor", WRONG)
    assert response.status_code == 429

    response = ask_token("sponsor", PASSWORD)

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["detail"] == LOCKED
    assert body["reasons"] == [
        "Try again in 15 minutes; until then even the right password is refused.",
        "A program lead or an administrator can unlock it sooner.",
    ]
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert not AuthToken.objects.exists()


def test_a_wrong_password_for_a_token_before_the_limit_is_a_400(db, sponsor):
    response = ask_token("sponsor", WRONG)

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "The username and password do not match an active account."
    )


def test_failures_on_the_page_and_the_api_count_together(client, sponsor):
    for _ in range(3):
        sign_in(client, "sponsor", WRONG)
    ask_token("sponsor", WRONG)

    assert ask_token("sponsor", WRONG).status_code == 429
    assert sign_in(client, "sponsor", PASSWORD).status_code == 429


def test_a_lock_is_one_accounts_not_its_colleagues(client, sponsor, techlead):
    lock(client)

    response = sign_in(client, "techlead", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


def test_a_success_before_the_limit_clears_the_failures(client, sponsor):
    for _ in range(4):
        sign_in(client, "sponsor", WRONG)
    assert sign_in(client, "sponsor", PASSWORD).status_code == 302
    client.logout()

    for _ in range(4):
        assert sign_in(client, "sponsor", WRONG).status_code == 200
    assert sign_in(client, "sponsor", PASSWORD).status_code == 302


def test_the_lock_ends_when_the_cool_off_has_passed(client, sponsor):
    locked_at = timezone.now()
    with time_machine.travel(locked_at, tick=False):
        lock(client)
    # Attempts while locked do not extend the lock.
    with time_machine.travel(locked_at + timedelta(minutes=14), tick=False):
        assert sign_in(client, "sponsor", PASSWORD).status_code == 429
        assert ask_token("sponsor", PASSWORD).status_code == 429

    with time_machine.travel(locked_at + timedelta(minutes=15, seconds=1), tick=False):
        assert ask_token("sponsor", PASSWORD).status_code == 201
        response = sign_in(client, "sponsor", PASSWORD)

    assert response.status_code == 302
    assert signed_in(client)


def test_the_lockout_is_audited_once(client, sponsor):
    lock(client)
    ask_token("sponsor", PASSWORD)

    event = AuditEvent.objects.get(action="account.locked")
    assert event.actor is None
    assert (event.object_type, event.object_id) == ("auth.user", str(sponsor.pk))
    assert event.summary.startswith("Sign-in locked for “sponsor” after 5 failed attempts")
    assert event.payload["failures"] == 5
    assert event.payload["path"] == LOGIN
    assert PASSWORD not in str(event.payload) and WRONG not in str(event.payload)


def test_a_sponsor_may_not_unlock(client, sponsor, techlead):
    lock(client)
    api = APIClient()
    api.force_authenticate(techlead)

    response = api.post(UNLOCK, {"username": "sponsor", "reason": "Asked nicely"}, format="json")

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Only a program lead or an administrator may unlock an account."
    )
    assert sign_in(client, "sponsor", PASSWORD).status_code == 429
    assert not AuditEvent.objects.filter(action="account.unlocked").exists()


def test_a_program_lead_unlocks_with_a_reason_and_the_right_password_works(client, sponsor, lead):
    lock(client)
    api = APIClient()
    api.force_authenticate(lead)

    response = api.post(
        UNLOCK,
        {"username": "sponsor", "reason": "Confirmed by phone: she mistyped after a reset."},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json() == {"username": "sponsor", "was_locked": True, "failures_cleared": 5}
    assert not AccessAttempt.objects.filter(username="sponsor").exists()
    assert sign_in(client, "sponsor", PASSWORD).status_code == 302
    assert signed_in(client)
    locked, unlocked = AuditEvent.objects.filter(
        action__in=["account.locked", "account.unlocked"]
    ).order_by("seq")
    assert locked.action == "account.locked"
    assert unlocked.action == "account.unlocked"
    assert unlocked.actor == lead
    assert (unlocked.object_type, unlocked.object_id) == ("auth.user", str(sponsor.pk))
    assert unlocked.summary == (
        "Unlocked sign-in for “sponsor”: Confirmed by phone: she mistyped after a reset."
    )
    assert unlocked.payload["reason"] == "Confirmed by phone: she mistyped after a reset."
    checked, broken = audit_verify()
    assert broken is None and checked >= 2


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"username": "sponsor", "reason": "   "}, "reason", "Say why the account is unlocked."),
        ({"username": "sponsor"}, "reason", "This field is required."),
        ({"username": " ", "reason": "Locked out"}, "username", "This field may not be blank."),
    ],
)
def test_an_unlock_without_a_reason_or_username_changes_nothing(
    client, sponsor, lead, body, field, message
):
    lock(client)
    api = APIClient()
    api.force_authenticate(lead)

    response = api.post(UNLOCK, body, format="json")

    assert response.status_code == 400
    assert message in str(response.json())
    assert field in str(response.json())
    assert sign_in(client, "sponsor", PASSWORD).status_code == 429
    assert not AuditEvent.objects.filter(action="account.unlocked").exists()


def test_unlocking_an_account_that_is_not_locked_is_refused(db, lead, sponsor):
    api = APIClient()
    api.force_authenticate(lead)

    response = api.post(UNLOCK, {"username": "sponsor", "reason": "Just in case"}, format="json")

    assert response.status_code == 409
    assert response.json()["detail"] == "“sponsor” is not locked."
    assert not AuditEvent.objects.exists()


def test_a_program_lead_unlocks_in_the_admin_after_giving_a_reason(client, sponsor):
    lead = UserFactory(username="officelead", is_staff=True, org_roles=["Program lead"])
    lock(client)
    client.force_login(lead)
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = client.get(changelist)
    assert page.status_code == 200 and "sponsor" in page.content.decode()
    selected = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]

    # The action asks for the reason first, and refuses to go on without one.
    asked = client.post(changelist, {"action": "unlock_accounts", "_selected_action": selected})
    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    refused = client.post(
        changelist,
        {"action": "unlock_accounts", "_selected_action": selected, "unlock": "1", "reason": ""},
    )
    assert refused.status_code == 200 and "This field is required." in refused.content.decode()
    assert AccessAttempt.objects.exists()

    response = client.post(
        changelist,
        {
            "action": "unlock_accounts",
            "_selected_action": selected,
            "unlock": "1",
            "reason": "Ticket 4711",
        },
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    event = AuditEvent.objects.get(action="account.unlocked")
    assert (event.actor, event.payload["reason"]) == (lead, "Ticket 4711")
    client.logout()
    assert sign_in(client, "sponsor", PASSWORD).status_code == 302


def test_staff_who_are_not_leads_see_no_locks_and_cannot_unlock(client, sponsor):
    staff = UserFactory(username="staffer", is_staff=True)
    lock(client)
    client.force_login(staff)
    changelist = reverse("admin:axes_accessattempt_changelist")
    selected = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]

    assert client.get(changelist).status_code == 403
    response = client.post(
        changelist,
        {"action": "unlock_accounts", "_selected_action": selected, "unlock": "1", "reason": "x"},
    )

    assert response.status_code == 403
    assert AccessAttempt.objects.exists()
