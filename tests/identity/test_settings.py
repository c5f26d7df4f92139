"""Single sign-on's settings: a half configuration is refused at start."""

from __future__ import annotations

import pytest

from tests.test_settings import run_manage


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OIDC_ISSUER": "https://login.example.com"}, "OIDC_ISSUER needs OIDC_CLIENT_ID"),
        ({"LOCAL_LOGIN": "0"}, "LOCAL_LOGIN=0 needs single sign-on"),
        (
            {
                "OIDC_ISSUER": "https://login.example.com",
                "OIDC_CLIENT_ID": "stagegate",
                "OIDC_CLIENT_SECRET": "s3cret",
                "OIDC_SCOPES": "email profile",
            },
            "OIDC_SCOPES must include openid",
        ),
    ],
)
def test_it_refuses_to_start_half_configured(env, message):
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_it_starts_with_single_sign_on_and_passwords_off():
    result = run_manage(
        "check",
        OIDC_ISSUER="https://login.example.com",
        OIDC_CLIENT_ID="stagegate",
        OIDC_CLIENT_SECRET="s3cret",
        LOCAL_LOGIN="0",
        BREAK_GLASS_USERS="admin",
    )
    assert result.returncode == 0, result.stderr
