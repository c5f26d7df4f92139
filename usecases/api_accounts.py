"""The API's account endpoints: API tokens obtained, listed and revoked, and a
locked account unlocked. Thin views over the account services."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import authenticate, user_logged_in
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import InvalidInput
from usecases import rules, services
from usecases.lockout import account_locked

WRONG_CREDENTIALS = "The username and password do not match an active account."
TOKEN_ID = re.compile(rf"[0-9a-f]{{{services.TOKEN_ID_LENGTH}}}")


class TokenObtainInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, write_only=True, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    id = serializers.SerializerMethodField(
        help_text="Names the token to revoke it; drawn from its stored hash, it is no secret."
    )
    prefix = serializers.SerializerMethodField(
        help_text="The key's first characters, to tell which client holds it."
    )
    created = serializers.DateTimeField(read_only=True)
    expiry = serializers.DateTimeField(
        read_only=True, help_text="After this the token is refused (401)."
    )

    def get_id(self, obj: AuthToken) -> str:
        return services.token_id(obj)

    def get_prefix(self, obj: AuthToken) -> str:
        return services.token_prefix(obj)


class TokenIssuedSerializer(TokenSerializer):
    token = serializers.SerializerMethodField(
        help_text="The whole key, for `Authorization: Token <token>`. Shown in this answer "
        "only: it is stored as a hash and cannot be read again."
    )

    def get_token(self, obj: AuthToken) -> str:
        return self.context["key"]


class TokensRevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text="How many tokens were revoked.")


class AccountUnlockInput(serializers.Serializer):
    username = serializers.CharField(max_length=255, help_text="The account to unlock.")
    reason = serializers.CharField(
        allow_blank=True, help_text="Why it is unlocked; it goes to the audit trail."
    )


class AccountUnlockedSerializer(serializers.Serializer):
    username = serializers.CharField()
    was_locked = serializers.BooleanField(
        help_text="False when the failures counted had not yet reached the limit."
    )
    failures_cleared = serializers.IntegerField(
        help_text="Failed sign-ins counted against the account until now."
    )


class ObtainTokenView(APIView):
    """Exchange a username and password for a new API token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=TokenObtainInput,
        responses={
            201: TokenIssuedSerializer,
            400: OpenApiResponse(description="The username and password do not match."),
            403: OpenApiResponse(
                description="Sign-in with a password is turned off (LOCAL_LOGIN=0) and the "
                "account is not a break-glass account."
            ),
            429: OpenApiResponse(
                description="The account is locked after too many failed sign-ins: wait the "
                "seconds `Retry-After` names, or have a program lead unlock it."
            ),
        },
        auth=[],
        description="Issues a new token on every call, one per client; the key is in this "
        "answer only. Failed attempts count towards the account's lock, as on the sign-in "
        "page; while it is locked even the right password is refused (429).",
    )
    def post(self, request: Request) -> Response:
        data = TokenObtainInput(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"]
        refusal = rules.password_sign_in_refusal(username)
        if refusal is not None:
            raise refusal
        # The Django request, not DRF's: django-axes marks it when it refuses.
        user = authenticate(
            request._request, username=username, password=data.validated_data["password"]
        )
        if user is None:
            if getattr(request._request, "axes_locked_out", False):
                raise account_locked(username)
            raise InvalidInput(WRONG_CREDENTIALS)
        # As a sign-in: django-axes clears the failures, last_login moves.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        token, key = services.token_create(by=user, user=user)
        body = TokenIssuedSerializer(token, context={"key": key}).data
        return Response(body, status=status.HTTP_201_CREATED)


class TokenListView(APIView):
    """The caller's own API tokens that still authenticate (never a key)."""

    @extend_schema(responses={200: TokenSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(TokenSerializer(services.tokens_live(request.user), many=True).data)

    @extend_schema(
        operation_id="v1_auth_tokens_destroy_all",
        request=None,
        responses={200: TokensRevokedSerializer},
        description="Revoke every token of the caller, the one in use included.",
    )
    def delete(self, request: Request) -> Response:
        revoked = services.token_revoke_all(by=request.user, user=request.user)
        return Response({"revoked": revoked})


class TokenDetailView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "token_id",
                str,
                OpenApiParameter.PATH,
                description="The token's `id`, as the list shows it.",
                pattern=f"^{TOKEN_ID.pattern}$",
            )
        ],
        request=None,
        responses={204: None, 404: OpenApiResponse(description="Not one of your live tokens.")},
        description="Revoke one of the caller's tokens; it is refused (401) from then on.",
    )
    def delete(self, request: Request, token_id: str) -> Response:
        services.token_revoke(by=request.user, token=_own_token(request.user, token_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _own_token(user: Any, token_id: str) -> AuthToken:
    # Another person's token is as unknown as one that never existed.
    token = None
    if TOKEN_ID.fullmatch(token_id):
        token = services.tokens_live(user).filter(digest__startswith=token_id).first()
    if token is None:
        raise Http404
    return token


class AccountUnlockView(APIView):
    """Lift the lock django-axes put on an account after failed sign-ins."""

    @extend_schema(
        request=AccountUnlockInput,
        responses={
            200: AccountUnlockedSerializer,
            403: OpenApiResponse(description="Only program leads and administrators unlock."),
            409: OpenApiResponse(description="No failed sign-in is counted against the account."),
        },
        description="Clears the failed sign-ins counted against the username, so it may sign "
        "in again at once. The reason goes to the audit trail, after the lockout itself.",
    )
    def post(self, request: Request) -> Response:
        refusal = services.account_unlock_refusal(request.user)
        if refusal is not None:
            raise refusal
        data = AccountUnlockInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.account_unlock(by=request.user, **data.validated_data)
        return Response(AccountUnlockedSerializer(result).data)
