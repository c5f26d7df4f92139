"""OpenID Connect through mozilla-django-oidc: its code flow, state, nonce,
PKCE and ID token checks, with this project's settings and accounts.

The library reads its settings by name (``OIDC_RP_CLIENT_ID``,
``OIDC_OP_TOKEN_ENDPOINT``, ...). ``library_setting`` answers those from the
project's own (``OIDC_CLIENT_ID``, ...) and the provider's endpoints from its
discovery document, read at the first sign-in and kept per issuer, so the
application starts even while the provider is down."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.translation import gettext_lazy
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

logger = logging.getLogger(__name__)

# The provider's endpoints, by the library's setting names, and the discovery
# document's keys that hold them.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
# The library's names for the project's settings.
RENAMED = {
    "OIDC_RP_CLIENT_ID": "OIDC_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET": "OIDC_CLIENT_SECRET",
    "OIDC_RP_SCOPES": "OIDC_SCOPES",
    "OIDC_TIMEOUT": "OIDC_TIMEOUT_SECONDS",
}
SIGN_IN_FAILED = gettext_lazy(
    "Single sign-on did not sign you in. Try again, or ask an administrator."
)
PROVIDER_UNREACHABLE = gettext_lazy(
    "The sign-in service %(provider)s cannot be reached. Try again later."
)


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read."""


def sso_enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


@lru_cache(maxsize=4)
def _discovery(issuer: str, timeout: int) -> dict[str, str]:
    # A failure raises and is not cached: the next sign-in asks again.
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=timeout)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("OpenID Connect discovery at %s failed: %s", url, exc)
        raise ProviderUnavailable(url) from exc
    if not isinstance(document, dict) or document.get("issuer", "").rstrip("/") != issuer:
        logger.warning("OpenID Connect discovery at %s names another issuer", url)
        raise ProviderUnavailable(url)
    missing = [key for key in DISCOVERED.values() if not document.get(key)]
    if missing:
        logger.warning("OpenID Connect discovery at %s lacks %s", url, ", ".join(missing))
        raise ProviderUnavailable(url)
    return {key: document[key] for key in DISCOVERED.values()}


def discovery() -> dict[str, str]:
    if not sso_enabled():
        raise ImproperlyConfigured("Single sign-on is off: OIDC_ISSUER is empty.")
    return _discovery(settings.OIDC_ISSUER, settings.OIDC_TIMEOUT_SECONDS)


def library_setting(attr: str, *default: Any) -> Any:
    if attr in DISCOVERED:
        return discovery()[DISCOVERED[attr]]
    if attr in RENAMED:
        return getattr(settings, RENAMED[attr])
    return import_from_settings(attr, *default)


class SingleSignOnBackend(OIDCAuthenticationBackend):
    """The code flow's backend: it answers only on the callback with a code and
    state (never to a username and password), and hands the verified claims to
    ``identity.services.sso_sign_in``, which finds or creates the account and
    applies the group mappings."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The library reads its endpoints here; this backend is built for every
        # password sign-in too, so they are read in authenticate() instead.
        self.UserModel = get_user_model()

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return library_setting(attr, *args)

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        if request is None or not sso_enabled() or "password" in kwargs or "nonce" not in kwargs:
            return None
        self.OIDC_OP_TOKEN_ENDPOINT = self.get_settings("OIDC_OP_TOKEN_ENDPOINT")
        self.OIDC_OP_USER_ENDPOINT = self.get_settings("OIDC_OP_USER_ENDPOINT")
        self.OIDC_OP_JWKS_ENDPOINT = self.get_settings("OIDC_OP_JWKS_ENDPOINT")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        try:
            return super().authenticate(request, **kwargs)
        except requests.RequestException as exc:
            # The token or userinfo request failed (the provider refused the
            # code, or is down): no sign-in, and the callback says so.
            logger.warning("OpenID Connect sign-in failed: %s", exc)
            return None

    def get_payload_data(self, token: str, key: Any) -> dict:
        # The library checks the signature, expiry and nonce; a token is also
        # for this client only, from this issuer only.
        payload = super().get_payload_data(token, key)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token is for another client.")
        if str(payload.get("iss", "")).rstrip("/") != settings.OIDC_ISSUER:
            raise SuspiciousOperation("The ID token is from another issuer.")
        return payload

    def get_user(self, user_id: Any) -> Any:
        # As ModelBackend: an account deactivated since loses its session.
        return ModelBackend.get_user(self, user_id)

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict) -> Any:
        from identity.services import SignInRefused, sso_sign_in

        claims = {**self.get_userinfo(access_token, id_token, payload)}
        # The ID token's subject is the one that was verified; userinfo must agree.
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("The userinfo subject differs from the ID token's.")
        for name in (settings.OIDC_GROUPS_CLAIM, settings.OIDC_USERNAME_CLAIM):
            if name not in claims and name in payload:
                claims[name] = payload[name]
        try:
            return sso_sign_in(issuer=settings.OIDC_ISSUER, claims=claims)
        except SignInRefused as refusal:
            logger.warning("Single sign-on refused: %s", refusal)
            self.request.sso_refusal = str(refusal)
            return None


class SignInStart(OIDCAuthenticationRequestView):
    """Sends the browser to the provider's sign-in page."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Read in get(): a provider that is down is a message, not an error page.
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return library_setting(attr, *args)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))
        try:
            self.OIDC_OP_AUTH_ENDPOINT = self.get_settings("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderUnavailable:
            messages.error(
                request, str(PROVIDER_UNREACHABLE) % {"provider": settings.OIDC_PROVIDER_NAME}
            )
            return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        return super().get(request)


class SignInCallback(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back with a code."""

    @staticmethod
    def get_settings(attr: str, *args: Any) -> Any:
        return library_setting(attr, *args)

    @property
    def failure_url(self) -> str:
        return resolve_url(settings.LOGIN_REDIRECT_URL_FAILURE)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))
        try:
            return super().get(request)
        except ProviderUnavailable:
            messages.error(
                request, str(PROVIDER_UNREACHABLE) % {"provider": settings.OIDC_PROVIDER_NAME}
            )
            return HttpResponseRedirect(self.failure_url)

    def login_failure(self) -> HttpResponse:
        refusal = getattr(self.request, "sso_refusal", None)
        messages.error(self.request, refusal or str(SIGN_IN_FAILED))
        return super().login_failure()
