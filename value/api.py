"""The value REST API: thin views that check visibility (invisible use cases
are 404), parse input with ``value.serializers``, call one service and
serialize what ``value.selectors.value_read`` reads back.

Writes by people without the role are 403 before the input is read; a
read-only use case is 409. Refusals from the services are domain errors,
turned into 409/403/400 JSON with their reasons by ``core.api_errors``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from core.web import get_or_404
from usecases import access
from usecases.models import UseCase
from value import rules, selectors, serializers, services
from value.models import Benefit

TAGS = ["value"]
ERRORS = {
    400: OpenApiResponse(description="Invalid input: `detail` and a message per field."),
    403: OpenApiResponse(description="Visible, but you may not change its costs and benefits."),
    404: OpenApiResponse(description="Unknown, or not visible to you."),
    409: OpenApiResponse(
        description="Refused in the current state (a killed, withdrawn or retired use case; "
        "an actual cost for a stage not reached yet): `detail` and the `reasons`."
    ),
}
WRITE_ERRORS = {code: ERRORS[code] for code in (400, 403, 404, 409)}
DELETE_ERRORS = {code: ERRORS[code] for code in (403, 404, 409)}


def _use_case(request: Request, pk: int) -> UseCase:
    return get_or_404(
        access.use_cases_visible_to(request.user).select_related("business_unit"),
        pk,
    )


def _editable_use_case(request: Request, pk: int) -> UseCase:
    use_case = _use_case(request, pk)
    rules.ensure_can_edit(request.user, use_case)
    return use_case


def _benefit(request: Request, benefit_id: int) -> Benefit:
    benefit = get_or_404(
        Benefit.objects.select_related("use_case").filter(
            use_case__in=access.use_cases_visible_to(request.user)
        ),
        benefit_id,
    )
    rules.ensure_can_edit(request.user, benefit.use_case)
    return benefit


def _input(serializer_class: type[Serializer], request: Request, **kwargs: Any) -> dict[str, Any]:
    data = serializer_class(data=request.data, **kwargs)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _value(use_case: UseCase) -> dict[str, Any]:
    return serializers.ValueSerializer(selectors.value_read(use_case)).data


def _benefit_out(use_case: UseCase, benefit_id: int) -> dict[str, Any]:
    read = selectors.finances_of(use_case)
    benefit = next(b for b in read.benefits if b.pk == benefit_id)
    return serializers.BenefitSerializer(benefit).data


class ValueView(APIView):
    """The use case's money: the budget grid (stages × categories, planned and
    actual) with totals, benefits with what they realised, the production
    budget projected from the PoC (with the 3–5× and 8–15× references), the
    3-year returns, and the warnings (a production plan below the projection)."""

    @extend_schema(responses={200: serializers.ValueSerializer, 404: ERRORS[404]}, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_value(_use_case(request, pk)))


class CostsView(APIView):
    """Set cells of the budget grid in one audited change: per cell a stage
    and a category, and ``planned``, ``actual`` and/or ``note`` (left out:
    unchanged; null or blank: cleared). All cells or none."""

    @extend_schema(
        request=serializers.CostsInput,
        responses={200: serializers.ValueSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def put(self, request: Request, pk: int) -> Response:
        use_case = _editable_use_case(request, pk)
        data = _input(serializers.CostsInput, request)
        services.cost_lines_set(use_case=use_case, by=request.user, rows=data["cells"])
        return Response(_value(use_case))


class BenefitListView(APIView):
    """The use case's benefits (annual figures) with what each realised; add one."""

    @extend_schema(responses={200: serializers.BenefitListSerializer, 404: ERRORS[404]}, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        finances = selectors.finances_of(_use_case(request, pk))
        return Response(serializers.BenefitListSerializer({"results": finances.benefits}).data)

    @extend_schema(
        request=serializers.BenefitInput,
        responses={201: serializers.BenefitSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        use_case = _editable_use_case(request, pk)
        data = _input(serializers.BenefitInput, request)
        benefit = services.benefit_create(
            use_case=use_case,
            by=request.user,
            name=data["name"],
            annual_amount=data["annual_amount"],
            kpi=data["kpi"],
        )
        return Response(_benefit_out(use_case, benefit.pk), status=201)


class BenefitView(APIView):
    """Change a benefit (what is given) or delete it with its realisations."""

    @extend_schema(
        request=serializers.BenefitChangeInput,
        responses={200: serializers.BenefitSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def patch(self, request: Request, benefit_id: int) -> Response:
        benefit = _benefit(request, benefit_id)
        data = _input(serializers.BenefitChangeInput, request)
        services.benefit_update(benefit=benefit, by=request.user, **data)
        return Response(_benefit_out(benefit.use_case, benefit.pk))

    @extend_schema(responses={204: None, **DELETE_ERRORS}, tags=TAGS)
    def delete(self, request: Request, benefit_id: int) -> Response:
        benefit = _benefit(request, benefit_id)
        services.benefit_delete(benefit=benefit, by=request.user)
        return Response(status=204)


class RealisationView(APIView):
    """Record money a benefit brought in over a period; a benefit tied to a
    KPI may cite one of that KPI's measurements."""

    @extend_schema(
        request=serializers.RealisationInput,
        responses={201: serializers.RealisationSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, benefit_id: int) -> Response:
        benefit = _benefit(request, benefit_id)
        data = _input(serializers.RealisationInput, request)
        realisation = services.benefit_realisation_record(
            benefit=benefit,
            by=request.user,
            period_end=data["period_end"],
            amount=data["amount"],
            note=data["note"],
            kpi_measurement=data["kpi_measurement"],
        )
        return Response(serializers.RealisationSerializer(realisation).data, status=201)


class CostMultiplierListView(APIView):
    """The PoC-to-production multiplier range per category the projection uses
    (an administrator edits them)."""

    @extend_schema(responses={200: serializers.CostMultiplierListSerializer}, tags=TAGS)
    def get(self, request: Request) -> Response:
        rows = [
            {"category": category, "low": low, "high": high}
            for category, (low, high) in sorted(selectors.multipliers().items())
        ]
        return Response(serializers.CostMultiplierListSerializer({"results": rows}).data)
