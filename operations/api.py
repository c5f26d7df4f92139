"""The operations REST API: thin views that check visibility (invisible use
cases are 404), parse input with ``operations.serializers``, call one service
and serialize what ``operations.selectors`` reads back. Refusals are domain
errors, answered in the project's error shape by ``core.api_errors``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from core.errors import InvalidInput
from operations import selectors, serializers, services
from readiness.models import Kpi
from usecases import access
from usecases.models import UseCase

User = get_user_model()
TAGS = ["operations"]
ERRORS = {
    400: OpenApiResponse(description="Invalid input: `detail` and a message per field."),
    403: OpenApiResponse(description="Visible, but you may not do this."),
    404: OpenApiResponse(description="Unknown, or not visible to you."),
    409: OpenApiResponse(
        description="Refused in the current state (not in operation, retired, killed): "
        "`detail` and the `reasons`."
    ),
}


def _use_case(request: Request, pk: int) -> UseCase:
    return get_object_or_404(access.use_cases_visible_to(request.user), pk=pk)


def _input(serializer_class: type[Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _operation(use_case: UseCase) -> Response:
    read = selectors.operation_read(use_case=use_case)
    return Response(serializers.OperationSerializer(read).data)


class OperationView(APIView):
    """The use case in operation: owner, next due date, monitored KPIs with
    their drift bounds, incidents, drift breaches and recertification reviews."""

    @extend_schema(responses={200: serializers.OperationSerializer, 404: ERRORS[404]}, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        return _operation(_use_case(request, pk))


class OperationOwnerView(APIView):
    """Name the operating owner (program leads only), with the reason."""

    @extend_schema(
        request=serializers.OwnerInput,
        responses={200: serializers.OperationSerializer, **ERRORS},
        tags=TAGS,
    )
    def put(self, request: Request, pk: int) -> Response:
        use_case = _use_case(request, pk)
        data = _input(serializers.OwnerInput, request)
        owner = User.objects.filter(pk=data["owner"]).first()
        if owner is None:
            raise InvalidInput("There is no such user.", field="owner")
        services.operating_owner_set(
            use_case=use_case, by=request.user, owner=owner, reason=data["reason"]
        )
        return _operation(use_case)


class IncidentListView(APIView):
    """The use case's incidents, newest first; record one (it opens the
    recertification early, or joins the open one)."""

    @extend_schema(responses={200: serializers.IncidentListSerializer, 404: ERRORS[404]}, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        read = selectors.operation_read(use_case=_use_case(request, pk))
        return Response(serializers.IncidentListSerializer({"results": read.incidents}).data)

    @extend_schema(
        request=serializers.IncidentInput,
        responses={201: serializers.IncidentSerializer, **ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        use_case = _use_case(request, pk)
        data = _input(serializers.IncidentInput, request)
        incident = services.incident_record(use_case=use_case, by=request.user, **data)
        return Response(serializers.IncidentSerializer(incident).data, status=201)


class KpiDriftView(APIView):
    """A KPI's drift bound: set it (PUT) or clear it (DELETE); whoever edits
    the use case's KPIs may."""

    def _kpi(self, request: Request, kpi_id: int) -> Kpi:
        return get_object_or_404(
            Kpi.objects.filter(use_case__in=access.use_cases_visible_to(request.user)),
            pk=kpi_id,
        )

    @extend_schema(
        request=serializers.DriftInput,
        responses={200: serializers.KpiDriftSerializer, **ERRORS},
        tags=TAGS,
    )
    def put(self, request: Request, kpi_id: int) -> Response:
        kpi = self._kpi(request, kpi_id)
        data = _input(serializers.DriftInput, request)
        kpi = services.kpi_drift_set(
            kpi=kpi, by=request.user, operator=data["operator"], threshold=data["threshold"]
        )
        return Response(serializers.KpiDriftSerializer(kpi).data)

    @extend_schema(
        request=None, responses={200: serializers.KpiDriftSerializer, **ERRORS}, tags=TAGS
    )
    def delete(self, request: Request, kpi_id: int) -> Response:
        kpi = services.kpi_drift_clear(kpi=self._kpi(request, kpi_id), by=request.user)
        return Response(serializers.KpiDriftSerializer(kpi).data)
