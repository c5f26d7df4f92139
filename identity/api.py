"""The single sign-on mappings' API, for administrators: thin views over
``identity.services``; refusals become the one error shape (core.api_errors)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.web import get_or_404
from identity import rules, selectors, serializers, services

TAGS = ["single sign-on"]
ERRORS = {
    400: OpenApiResponse(description="Invalid input: `detail` and a message per field."),
    403: OpenApiResponse(description="Only administrators edit the mappings."),
    404: OpenApiResponse(description="No such mapping."),
}


def _ensure_admin(request: Request) -> None:
    refusal = rules.mapping_edit_refusal(request.user)
    if refusal is not None:
        raise refusal


def _input(request: Request, partial: bool = False) -> dict:
    data = serializers.GroupMappingInput(data=request.data, partial=partial)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


class GroupMappingListView(APIView):
    """Which provider groups grant which organisation role and business unit
    at every sign-in."""

    @extend_schema(
        responses={200: serializers.GroupMappingSerializer(many=True), 403: ERRORS[403]},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        _ensure_admin(request)
        rows = serializers.GroupMappingSerializer(selectors.group_mappings(), many=True)
        return Response(rows.data)

    @extend_schema(
        request=serializers.GroupMappingInput,
        responses={201: serializers.GroupMappingSerializer, 400: ERRORS[400], 403: ERRORS[403]},
        tags=TAGS,
        description="Adds a mapping; it applies to each person at their next sign-in. "
        "Audited (`identity.mapping_created`).",
    )
    def post(self, request: Request) -> Response:
        _ensure_admin(request)
        mapping = services.group_mapping_create(by=request.user, **_input(request))
        body = serializers.GroupMappingSerializer(mapping).data
        return Response(body, status=status.HTTP_201_CREATED)


class GroupMappingDetailView(APIView):
    @extend_schema(
        request=serializers.GroupMappingInput,
        responses={200: serializers.GroupMappingSerializer, **ERRORS},
        tags=TAGS,
        description="Replaces a mapping; roles it granted and no longer grants are removed "
        "at each person's next sign-in. Audited (`identity.mapping_updated`).",
    )
    def put(self, request: Request, pk: int) -> Response:
        _ensure_admin(request)
        mapping = get_or_404(selectors.group_mappings(), pk)
        mapping = services.group_mapping_update(by=request.user, mapping=mapping, **_input(request))
        return Response(serializers.GroupMappingSerializer(mapping).data)

    @extend_schema(
        request=None,
        responses={204: None, 403: ERRORS[403], 404: ERRORS[404]},
        tags=TAGS,
        description="Removes a mapping; the roles it granted go at each person's next "
        "sign-in. Audited (`identity.mapping_deleted`).",
    )
    def delete(self, request: Request, pk: int) -> Response:
        _ensure_admin(request)
        mapping = get_or_404(selectors.group_mappings(), pk)
        services.group_mapping_delete(by=request.user, mapping=mapping)
        return Response(status=status.HTTP_204_NO_CONTENT)
