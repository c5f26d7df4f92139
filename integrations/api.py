"""The webhooks REST API, for administrators only (others: 403 before
anything is read). Thin: parse with ``integrations.serializers``, call one
service, answer what was written."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from core.web import get_or_404
from integrations import rules, selectors, services
from integrations.models import WebhookEndpoint
from integrations.serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
    WebhookTestSerializer,
)
from integrations.tasks import enqueue_send

TAGS = ["webhooks"]
ERRORS = {
    400: OpenApiResponse(description="Invalid input: `detail` and a message per field."),
    403: OpenApiResponse(description="Only administrators manage webhooks."),
    404: OpenApiResponse(description="No such endpoint."),
}


def _ensure_admin(request: Request) -> None:
    refusal = rules.manage_refusal(request.user)
    if refusal is not None:
        raise refusal


def _input(serializer_class: type[Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _endpoint(request: Request, pk: int) -> WebhookEndpoint:
    _ensure_admin(request)
    return get_or_404(WebhookEndpoint.objects.all(), pk, _("Not found."))


class WebhookListView(ListAPIView):
    """The registered endpoints (GET); register one (POST: the answer holds
    its signing secret)."""

    serializer_class = WebhookEndpointSerializer
    filter_backends: list = []

    def get_queryset(self):
        _ensure_admin(self.request)
        return WebhookEndpoint.objects.order_by("name", "id")

    @extend_schema(
        responses={200: WebhookEndpointSerializer(many=True), 403: ERRORS[403]}, tags=TAGS
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointSerializer, 400: ERRORS[400], 403: ERRORS[403]},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        _ensure_admin(request)
        data = _input(WebhookEndpointInputSerializer, request)
        endpoint = services.endpoint_create(by=request.user, **data)
        return Response(WebhookEndpointSerializer(endpoint).data, status=201)


class WebhookDetailView(APIView):
    @extend_schema(
        responses={200: WebhookEndpointSerializer, 403: ERRORS[403], 404: ERRORS[404]}, tags=TAGS
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(WebhookEndpointSerializer(_endpoint(request, pk)).data)

    @extend_schema(
        request=WebhookEndpointUpdateSerializer,
        responses={200: WebhookEndpointSerializer, **ERRORS},
        tags=TAGS,
    )
    def put(self, request: Request, pk: int) -> Response:
        endpoint = _endpoint(request, pk)
        data = _input(WebhookEndpointUpdateSerializer, request)
        endpoint = services.endpoint_update(by=request.user, endpoint=endpoint, **data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None, 403: ERRORS[403], 404: ERRORS[404]}, tags=TAGS)
    def delete(self, request: Request, pk: int) -> Response:
        services.endpoint_delete(by=request.user, endpoint=_endpoint(request, pk))
        return Response(status=204)


class WebhookDeliveryListView(ListAPIView):
    """The endpoint's delivery log, newest first: status, attempts, the last
    answer and error, and the payload sent."""

    serializer_class = WebhookDeliverySerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.deliveries(_endpoint(self.request, self.kwargs["pk"]))

    @extend_schema(
        responses={
            200: WebhookDeliverySerializer(many=True),
            403: ERRORS[403],
            404: ERRORS[404],
        },
        tags=TAGS,
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class WebhookTestView(APIView):
    @extend_schema(
        request=None,
        responses={202: WebhookTestSerializer, 403: ERRORS[403], 404: ERRORS[404]},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        """Queue a ``ping`` to the endpoint; follow it in the delivery log."""
        delivery = services.endpoint_test(by=request.user, endpoint=_endpoint(request, pk))
        enqueue_send()
        delivery.refresh_from_db()
        return Response(
            WebhookTestSerializer(
                {"delivery": delivery, "message": _("Test message queued.")}
            ).data,
            status=202,
        )
