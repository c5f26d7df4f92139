"""API token authentication: django-rest-knox's, answering 401 to a token it
does not accept.

DRF decides between 401 and 403 by the first authentication class alone, and
the first is the session's (which names no scheme), so knox's own
``AuthenticationFailed`` would reach a client as a 403. A client that sent a
token that expired, was revoked or never existed gets a 401 with
``WWW-Authenticate: Token`` instead, and knows to obtain a new one. A caller
who sent no credentials at all still gets the 403 it always had.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions, status

TOKEN_REFUSED = (
    "This API token is not accepted: it expired, was revoked or never existed. "
    "Obtain a new one at POST /api/v1/auth/token/."
)


class TokenRefused(exceptions.APIException):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = TOKEN_REFUSED
    default_code = "token_refused"

    def __init__(self, detail: Any = None, *, scheme: str) -> None:
        super().__init__(detail)
        # The exception handler turns this into the WWW-Authenticate header.
        self.auth_header = scheme


class TokenAuthentication(KnoxTokenAuthentication):
    """``Authorization: Token <key>``; knox keeps only the key's hash and
    deletes a token found expired."""

    def authenticate(self, request: Any) -> Any:
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed as exc:
            raise TokenRefused(exc.detail, scheme=self.authenticate_header(request)) from None

    def authenticate_credentials(self, token: bytes) -> Any:
        try:
            return super().authenticate_credentials(token)
        except exceptions.AuthenticationFailed:
            # knox says "Invalid token." for unknown, expired and revoked alike.
            raise exceptions.AuthenticationFailed(TOKEN_REFUSED) from None

    def validate_user(self, auth_token: Any) -> Any:
        if not auth_token.user.is_active:
            raise TokenRefused(
                "The account this API token belongs to is deactivated.",
                scheme=self.authenticate_header(None),
            )
        return super().validate_user(auth_token)


class TokenScheme(KnoxTokenScheme):
    """The schema's security scheme for the class above (drf-spectacular's
    knox extension matches knox's own class only)."""

    target_class = "usecases.authentication.TokenAuthentication"
    name = "tokenAuth"
