"""The readiness REST API: thin views that check visibility (invisible use
cases are 404), parse input with ``readiness.serializers``, call one service
and serialize what ``readiness.selectors`` reads back.

Writes by people without a role are 403 before the input is read. Refusals
from the services are domain errors, turned into 409/403/400 JSON with their
reasons by ``core.api_errors``; nothing here catches them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from core.errors import InvalidInput
from core.throttling import ThrottledAPIView
from gates.models import ReviewCriterion
from gates.uploads import stopped_upload, upload_limit
from readiness import rules, selectors, serializers, services
from readiness.models import Kpi, KpiRule, PocScorecard, PriorityDimension, ScorecardItem
from readiness.selectors import ReadinessSummary, ScorecardSummary
from readiness.views import IMPORT_UPLOAD_LIMIT
from usecases import access
from usecases.models import UseCase

TAGS = ["readiness"]
ERRORS = {
    400: OpenApiResponse(description="Invalid input: `detail` and a message per field."),
    403: OpenApiResponse(description="Visible, but you may not change its readiness."),
    404: OpenApiResponse(description="Unknown, or not visible to you."),
    409: OpenApiResponse(
        description="Refused in the current state (the stage, a killed use case, a review "
        "no longer open): `detail` and the `reasons`."
    ),
}
WRITE_ERRORS = {code: ERRORS[code] for code in (400, 403, 404, 409)}


def _use_case(request: Request, pk: int) -> UseCase:
    return get_object_or_404(
        access.use_cases_visible_to(request.user).select_related("business_unit"), pk=pk
    )


def _writable_use_case(request: Request, pk: int) -> UseCase:
    use_case = _use_case(request, pk)
    rules.ensure_can_write(request.user, use_case)
    return use_case


def _criterion(request: Request, review_id: int, criterion_id: int) -> ReviewCriterion:
    return get_object_or_404(
        ReviewCriterion.objects.select_related("review__use_case").filter(
            review__use_case__in=access.use_cases_visible_to(request.user)
        ),
        pk=criterion_id,
        review_id=review_id,
    )


def _input(serializer_class: type[Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _summary(use_case: UseCase) -> ReadinessSummary:
    return selectors.readiness_summary(use_case=use_case)


@dataclass(frozen=True)
class ScorecardRow:
    item: ScorecardItem
    score: int | None
    comment: str


@dataclass(frozen=True)
class ScorecardRead:
    card: ScorecardSummary | None
    items: list[ScorecardRow]


def _scorecard(summary: ReadinessSummary) -> ScorecardRead:
    card = summary.scorecard
    lines = {line.item.pk: line for line in card.lines} if card else {}
    rows = []
    for item in selectors.scorecard_items():
        line = lines.get(item.pk)
        rows.append(ScorecardRow(item, line.score if line else None, line.comment if line else ""))
    return ScorecardRead(card, rows)


def _checklist_response(use_case: UseCase) -> Response:
    return Response(serializers.ChecklistSerializer(_summary(use_case).checklist).data)


class ReadinessView(APIView):
    """How ready the use case is for the gate ahead: criteria, artifacts,
    approvals, the PoC scorecard, the checklist, the KPIs, the prioritization
    and the time in stage."""

    @extend_schema(responses={200: serializers.ReadinessSerializer, 404: ERRORS[404]}, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        summary = _summary(_use_case(request, pk))
        return Response(serializers.ReadinessSerializer(summary).data)


class PrioritizationView(APIView):
    """The Discovery prioritization: a score of 1-5 with a rationale on each
    dimension, and their weighted score."""

    @extend_schema(
        responses={200: serializers.PrioritizationSerializer, 404: ERRORS[404]}, tags=TAGS
    )
    def get(self, request: Request, pk: int) -> Response:
        summary = _summary(_use_case(request, pk))
        return Response(serializers.PrioritizationSerializer(summary).data)

    @extend_schema(
        request=serializers.PrioritizationInput,
        responses={200: serializers.PrioritizationSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def put(self, request: Request, pk: int) -> Response:
        use_case = _writable_use_case(request, pk)
        data = _input(serializers.PrioritizationInput, request)
        services.prioritization_save(
            use_case=use_case,
            by=request.user,
            scores={d.value: data[d.value] for d in PriorityDimension},
            rationales={d.value: data[f"{d.value}_rationale"] for d in PriorityDimension},
        )
        return Response(serializers.PrioritizationSerializer(_summary(use_case)).data)


class ScorecardView(APIView):
    """The PoC evaluation scorecard: every item with what a 5, a 3 and a 1
    mean, and the latest scoring. Each save is a new version."""

    @extend_schema(responses={200: serializers.ScorecardSerializer, 404: ERRORS[404]}, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        summary = _summary(_use_case(request, pk))
        return Response(serializers.ScorecardSerializer(_scorecard(summary)).data)

    @extend_schema(
        request=serializers.ScorecardInput,
        responses={200: serializers.ScorecardSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def put(self, request: Request, pk: int) -> Response:
        use_case = _writable_use_case(request, pk)
        data = _input(serializers.ScorecardInput, request)
        services.scorecard_save(
            use_case=use_case,
            by=request.user,
            scores={row["item"]: row["score"] for row in data["scores"]},
            comments={row["item"]: row["comment"] or "" for row in data["scores"]},
            note=data["note"] or "",
        )
        summary = _summary(use_case)
        return Response(serializers.ScorecardSerializer(_scorecard(summary)).data)


class ChecklistView(APIView):
    """The production readiness checklist that gates Gate 3."""

    @extend_schema(responses={200: serializers.ChecklistSerializer, 404: ERRORS[404]}, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        return _checklist_response(_use_case(request, pk))


class ChecklistItemView(APIView):
    """Record a checklist item's status, owner and evidence; ``item_id`` is
    the item's number (1-15). Omitted fields keep their current value."""

    @extend_schema(
        request=serializers.ChecklistItemInput,
        responses={200: serializers.ChecklistSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def patch(self, request: Request, pk: int, item_id: int) -> Response:
        use_case = _writable_use_case(request, pk)
        data = _input(serializers.ChecklistItemInput, request)
        current = next(
            (
                line
                for group in _summary(use_case).checklist.groups
                for line in group.lines
                if line.definition.number == item_id
            ),
            None,
        )
        if current is None:
            raise InvalidInput(
                _("There is no checklist item %(item_id)s.") % {"item_id": item_id}, field="item"
            )
        services.checklist_item_update(
            use_case=use_case,
            item=item_id,
            by=request.user,
            status=data.get("status", current.status),
            owner=data.get("owner", current.item.owner if current.item else None),
            evidence=data.get("evidence", current.item.evidence if current.item else ""),
        )
        return _checklist_response(use_case)


class KpiListView(APIView):
    """The use case's KPIs with their latest measurement and recent points;
    add a KPI."""

    @extend_schema(responses={200: serializers.KpiListSerializer, 404: ERRORS[404]}, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        summary = _summary(_use_case(request, pk))
        return Response(serializers.KpiListSerializer({"results": summary.kpis.lines}).data)

    @extend_schema(
        request=serializers.KpiInput,
        responses={201: serializers.KpiSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        use_case = _writable_use_case(request, pk)
        data = _input(serializers.KpiInput, request)
        kpi = services.kpi_create(
            use_case=use_case,
            by=request.user,
            name=data["name"],
            kind=data["kind"],
            unit=data["unit"] or "",
            baseline=data["baseline"],
            target=data["target"],
            direction=data["direction"],
        )
        line = next(x for x in _summary(use_case).kpis.lines if x.kpi.pk == kpi.pk)
        return Response(serializers.KpiSerializer(line).data, status=201)


class KpiMeasurementView(APIView):
    """Record a measurement of a KPI; criteria of open reviews bound to it
    are assessed again."""

    @extend_schema(
        request=serializers.KpiMeasurementInput,
        responses={201: serializers.KpiMeasurementSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def post(self, request: Request, kpi_id: int) -> Response:
        kpi = get_object_or_404(
            Kpi.objects.filter(use_case__in=access.use_cases_visible_to(request.user)), pk=kpi_id
        )
        rules.ensure_can_write(request.user, kpi.use_case)
        data = _input(serializers.KpiMeasurementInput, request)
        measurement = services.kpi_measurement_record(
            kpi=kpi,
            by=request.user,
            value=data["value"],
            measured_at=data["measured_at"],
            note=data["note"] or "",
        )
        return Response(serializers.KpiMeasurementSerializer(measurement).data, status=201)


@upload_limit(IMPORT_UPLOAD_LIMIT)
class KpiImportView(ThrottledAPIView, APIView):
    """Import measurements from a CSV file (kpi, measured_at, value, note):
    all rows or none; a refusal names each bad line in ``reasons``. At most
    1 MB (a larger file is stopped while it streams), KPI_IMPORT_MAX_ROWS rows,
    and no KPI past KPI_MAX_MEASUREMENTS (409); THROTTLE_IMPORTS imports per
    person (429)."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]
    throttle_classes = [rules.ImportThrottle]

    @extend_schema(
        request={"multipart/form-data": serializers.KpiImportInput},
        responses={
            201: serializers.KpiImportResultSerializer,
            **WRITE_ERRORS,
            429: OpenApiResponse(
                description="Too many imports by this person (THROTTLE_IMPORTS): `detail`, "
                "the limit in `reasons`, and a `Retry-After` header in seconds."
            ),
        },
        tags=TAGS,
    )
    def post(self, request: Request, pk: int) -> Response:
        use_case = _writable_use_case(request, pk)
        stopped = stopped_upload(request)
        if stopped is not None:
            raise stopped.refusal("file")
        data = _input(serializers.KpiImportInput, request)
        # The service reads the file and refuses what it cannot import,
        # a file larger than the limit included.
        created = services.kpi_measurements_import(
            use_case=use_case, by=request.user, file=data["file"]
        )
        return Response(
            serializers.KpiImportResultSerializer({"imported": len(created)}).data, status=201
        )


class CriterionScorecardView(APIView):
    """Cite a version of the use case's PoC scorecard as the criterion's
    evidence, or with null cite none."""

    @extend_schema(
        request=serializers.CriterionScorecardInput,
        responses={200: serializers.CriterionScorecardsSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def put(self, request: Request, review_id: int, criterion_id: int) -> Response:
        criterion = _criterion(request, review_id, criterion_id)
        use_case = criterion.review.use_case
        rules.ensure_can_write(request.user, use_case)
        scorecard_id = _input(serializers.CriterionScorecardInput, request)["scorecard"]
        scorecard = None
        if scorecard_id is not None:
            scorecard = PocScorecard.objects.filter(pk=scorecard_id, use_case=use_case).first()
            if scorecard is None:
                raise InvalidInput(
                    _("Name a PoC scorecard of this use case, or null."), field="scorecard"
                )
        services.criterion_scorecard_cite(
            review_criterion=criterion, by=request.user, scorecard=scorecard
        )
        cited = criterion.scorecards.order_by("-version")
        return Response(
            serializers.CriterionScorecardsSerializer(
                {"criterion": criterion.pk, "scorecards": cited}
            ).data
        )


class KpiRuleView(APIView):
    """Assess a criterion of an open review from a KPI: met while the KPI's
    latest measurement is at or above (``>=``) or at or below (``<=``) the
    threshold."""

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter(
                "reason",
                str,
                required=True,
                description="Why the criterion is to be assessed by hand (audited).",
            )
        ],
        responses={204: None, **{code: ERRORS[code] for code in (400, 403, 404, 409)}},
        tags=TAGS,
    )
    def delete(self, request: Request, review_id: int, criterion_id: int) -> Response:
        """Unbind the criterion from its KPI, saying why; it keeps its last
        assessment and is assessed by hand from then on."""
        criterion = _criterion(request, review_id, criterion_id)
        services.kpi_rule_unbind(
            review_criterion=criterion,
            by=request.user,
            reason=request.query_params.get("reason", ""),
        )
        return Response(status=204)

    @extend_schema(
        request=serializers.KpiRuleInput,
        responses={200: serializers.CriterionKpiRuleSerializer, **WRITE_ERRORS},
        tags=TAGS,
    )
    def put(self, request: Request, review_id: int, criterion_id: int) -> Response:
        """Bind the criterion to a KPI rule (replacing any it had) and assess
        it at once from the latest measurement."""
        criterion = _criterion(request, review_id, criterion_id)
        use_case = criterion.review.use_case
        rules.ensure_can_write(request.user, use_case)
        data = _input(serializers.KpiRuleInput, request)
        kpi = Kpi.objects.filter(pk=data["kpi"], use_case=use_case).first()
        if kpi is None:
            raise InvalidInput(_("Name a KPI of this use case."), field="kpi")
        rule = services.kpi_rule_bind(
            review_criterion=criterion,
            kpi=kpi,
            by=request.user,
            operator=data["operator"],
            threshold=data["threshold"],
        )
        # The criterion as the rule just assessed it.
        rule = KpiRule.objects.select_related("review_criterion").get(pk=rule.pk)
        return Response(serializers.CriterionKpiRuleSerializer(rule).data)
