"""The readiness REST API: thin views over ``readiness.selectors`` and
``readiness.services``. Invisible use cases are 404; writes by people without
a role are 403 (the services decide); refusals 409 and bad input 400 come from
the domain errors through ``core.api_errors``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import InvalidInput
from gates.models import ReviewCriterion
from readiness import rules, selectors, services
from readiness.extensions import CitedScorecardSerializer
from readiness.models import Kpi, PocScorecard, PriorityDimension, format_value
from readiness.selectors import ReadinessSummary
from usecases import access
from usecases.models import UseCase

User = get_user_model()


def _use_case(request: Request, pk: int) -> UseCase:
    return get_object_or_404(
        access.use_cases_visible_to(request.user).select_related("business_unit"), pk=pk
    )


def _reject_nul(value: Any, path: str = "") -> None:
    """PostgreSQL text cannot hold NUL: refuse it as input, not as a 500."""
    if isinstance(value, str) and "\x00" in value:
        raise InvalidInput("Text may not contain NUL characters.", field=path or None)
    if isinstance(value, dict):
        for key, item in value.items():
            _reject_nul(item, str(key))
    elif isinstance(value, list):
        for item in value:
            _reject_nul(item, path)


def _data(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise InvalidInput("Send a JSON object.")
    data = request.data.dict() if hasattr(request.data, "dict") else dict(request.data)
    _reject_nul(data)
    return data


def _person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": user.get_full_name() or user.get_username(),
    }


def _num(value: Any) -> str | None:
    return None if value is None else format_value(value)


def prioritization_data(summary: ReadinessSummary) -> dict[str, Any]:
    p = summary.prioritization
    data: dict[str, Any] = {
        "scored": p is not None,
        "weights": services.prioritization_weights(),
        "weighted_score": str(p.score) if p else None,
        "dimensions": [],
    }
    for dimension in PriorityDimension:
        data["dimensions"].append(
            {
                "code": dimension.value,
                "label": dimension.label,
                "score": getattr(p.prioritization, dimension.value) if p else None,
                "rationale": getattr(p.prioritization, f"{dimension.value}_rationale") if p else "",
            }
        )
    if p:
        data["updated_at"] = p.prioritization.updated_at
    return data


def scorecard_data(summary: ReadinessSummary) -> dict[str, Any]:
    card = summary.scorecard
    scores = {line.item.pk: line for line in card.lines} if card else {}
    return {
        "scored": card is not None,
        "version": card.version if card else None,
        "total": card.total if card else None,
        "band": card.band if card else None,
        "band_display": card.band_display if card else None,
        "improve_first": card.improve_first if card else [],
        "scored_at": card.scored_at if card else None,
        "scored_by": card.scored_by if card else None,
        "items": [
            {
                "id": item.pk,
                "name": item.name,
                "excellent": item.excellent,
                "acceptable": item.acceptable,
                "insufficient": item.insufficient,
                "score": scores[item.pk].score if item.pk in scores else None,
                "comment": scores[item.pk].comment if item.pk in scores else "",
            }
            for item in selectors.scorecard_items()
        ],
    }


def checklist_data(summary: ReadinessSummary) -> dict[str, Any]:
    checklist = summary.checklist
    return {
        "started": checklist.started,
        "complete": checklist.complete,
        "total": checklist.total,
        "done": checklist.done,
        "not_applicable": checklist.not_applicable,
        "open_items": checklist.open_items,
        "items": [
            {
                "id": line.definition.number,
                "number": line.definition.number,
                "group": line.definition.group,
                "text": line.definition.text,
                "status": line.status,
                "owner": _person(line.item.owner) if line.item else None,
                "evidence": line.item.evidence if line.item else "",
                "updated_at": line.item.updated_at if line.item else None,
            }
            for group in checklist.groups
            for line in group.lines
        ],
    }


def kpi_data(line: selectors.KpiLine) -> dict[str, Any]:
    kpi = line.kpi
    return {
        "id": kpi.pk,
        "name": kpi.name,
        "kind": kpi.kind,
        "unit": kpi.unit,
        "baseline": _num(kpi.baseline),
        "target": _num(kpi.target),
        "direction": kpi.direction,
        "latest": {
            "value": _num(line.latest.value),
            "measured_at": line.latest.measured_at,
            "note": line.latest.note,
        }
        if line.latest
        else None,
        "on_target": line.on_target,
        "points": [{"measured_at": d, "value": _num(v)} for d, v in line.points],
    }


def summary_data(summary: ReadinessSummary) -> dict[str, Any]:
    timing = summary.timing
    criteria = summary.criteria
    artifacts = summary.artifacts
    approvals = summary.approvals
    return {
        "use_case": summary.use_case.pk,
        "stage": summary.use_case.stage,
        "gate_number": summary.gate_number,
        "review": {"id": summary.review.pk, "status": summary.review.status}
        if summary.review
        else None,
        "criteria": {
            "total": criteria.total,
            "met": criteria.met,
            "must_meet_open": criteria.must_meet_open,
            "items": [
                {
                    "id": line.id or None,
                    "name": line.name,
                    "must_meet": line.must_meet,
                    "status": line.status,
                    "evidence": line.evidence,
                    "kpi_rule": line.kpi_rule or None,
                }
                for line in criteria.lines
            ],
        }
        if criteria
        else None,
        "artifacts": {
            "required": artifacts.required,
            "present": artifacts.present,
            "missing": artifacts.missing,
        }
        if artifacts
        else None,
        "approvals": {
            "total": approvals.total,
            "approved": approvals.approved,
            "pending": approvals.pending,
            "rejected": approvals.rejected,
        }
        if approvals
        else None,
        "scorecard": {
            "total": summary.scorecard.total,
            "band": summary.scorecard.band,
            "band_display": summary.scorecard.band_display,
            "improve_first": summary.scorecard.improve_first,
            "version": summary.scorecard.version,
        }
        if summary.scorecard
        else None,
        "checklist": {
            "started": summary.checklist.started,
            "complete": summary.checklist.complete,
            "total": summary.checklist.total,
            "closed": summary.checklist.closed,
            "open_items": summary.checklist.open_items,
        },
        "kpis": {
            "total": len(summary.kpis.lines),
            "measured": summary.kpis.measured,
            "on_target": summary.kpis.on_target,
            "items": [kpi_data(line) for line in summary.kpis.lines],
        },
        "prioritization": {"weighted_score": str(summary.prioritization.score)}
        if summary.prioritization
        else None,
        "timing": {
            "days_in_stage": timing.days_in_stage,
            "norm_min_days": timing.norm.min_days if timing.norm else None,
            "norm_max_days": timing.norm.max_days if timing.norm else None,
            "overdue": timing.overdue,
            "stalled": timing.stalled,
            "days_since_activity": timing.days_since_activity,
        },
    }


def _summary(use_case: UseCase) -> ReadinessSummary:
    return selectors.readiness_summary(use_case=use_case)


class ReadinessView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        return Response(summary_data(_summary(_use_case(request, pk))))


class PrioritizationView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        return Response(prioritization_data(_summary(_use_case(request, pk))))

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def put(self, request: Request, pk: int) -> Response:
        use_case = _use_case(request, pk)
        rules.ensure_can_write(request.user, use_case)
        data = _data(request)
        services.prioritization_save(
            use_case=use_case,
            by=request.user,
            scores={d.value: data.get(d.value) for d in PriorityDimension},
            rationales={d.value: data.get(f"{d.value}_rationale") for d in PriorityDimension},
        )
        return Response(prioritization_data(_summary(use_case)))


class ScorecardView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        return Response(scorecard_data(_summary(_use_case(request, pk))))

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def put(self, request: Request, pk: int) -> Response:
        """Body: ``{"scores": [{"item": <id>, "score": 1-5, "comment": ""}], "note": ""}``."""
        use_case = _use_case(request, pk)
        rules.ensure_can_write(request.user, use_case)
        data = _data(request)
        rows = data.get("scores")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InvalidInput(
                "scores must be a list of {item, score, comment} objects.", field="scores"
            )
        scores: dict[int, Any] = {}
        comments: dict[int, str] = {}
        for row in rows:
            item = row.get("item")
            if not isinstance(item, int) or isinstance(item, bool):
                raise InvalidInput("Each score names its item by id.", field="scores")
            scores[item] = row.get("score")
            comments[item] = str(row.get("comment") or "")
        services.scorecard_save(
            use_case=use_case,
            by=request.user,
            scores=scores,
            comments=comments,
            note=str(data.get("note") or ""),
        )
        return Response(scorecard_data(_summary(use_case)))


class ChecklistView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        return Response(checklist_data(_summary(_use_case(request, pk))))


class ChecklistItemView(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def patch(self, request: Request, pk: int, item_id: int) -> Response:
        """``item_id`` is the item's number (1-15). Body: status (open, done,
        not_applicable), owner (user id or null), evidence."""
        use_case = _use_case(request, pk)
        rules.ensure_can_write(request.user, use_case)
        data = _data(request)
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
            raise InvalidInput(f"There is no checklist item {item_id}.", field="item")
        owner = current.item.owner if current.item else None
        if "owner" in data:
            owner_id = data["owner"]
            if owner_id in (None, ""):
                owner = None
            else:
                try:
                    owner = User.objects.get(pk=int(owner_id), is_active=True)
                except (User.DoesNotExist, TypeError, ValueError):
                    raise InvalidInput("The owner must be an active user.", field="owner") from None
        services.checklist_item_update(
            use_case=use_case,
            item=item_id,
            by=request.user,
            status=data.get("status", current.status),
            owner=owner,
            evidence=str(data.get("evidence", current.item.evidence if current.item else "")),
        )
        return Response(checklist_data(_summary(use_case)))


class KpiListView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        summary = _summary(_use_case(request, pk))
        return Response({"results": [kpi_data(line) for line in summary.kpis.lines]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: int) -> Response:
        use_case = _use_case(request, pk)
        rules.ensure_can_write(request.user, use_case)
        data = _data(request)
        kpi = services.kpi_create(
            use_case=use_case,
            by=request.user,
            name=str(data.get("name") or ""),
            kind=data.get("kind"),
            unit=str(data.get("unit") or ""),
            baseline=data.get("baseline"),
            target=data.get("target"),
            direction=data.get("direction"),
        )
        line = next(x for x in _summary(use_case).kpis.lines if x.kpi.pk == kpi.pk)
        return Response(kpi_data(line), status=201)


class KpiMeasurementView(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, kpi_id: int) -> Response:
        kpi = get_object_or_404(
            Kpi.objects.filter(use_case__in=access.use_cases_visible_to(request.user)), pk=kpi_id
        )
        rules.ensure_can_write(request.user, kpi.use_case)
        data = _data(request)
        measurement = services.kpi_measurement_record(
            kpi=kpi,
            by=request.user,
            value=data.get("value"),
            measured_at=data.get("measured_at"),
            note=str(data.get("note") or ""),
        )
        return Response(
            {
                "id": measurement.pk,
                "kpi": kpi.pk,
                "value": _num(measurement.value),
                "measured_at": measurement.measured_at,
                "note": measurement.note,
            },
            status=201,
        )


class KpiImportView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request=OpenApiTypes.BINARY, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: int) -> Response:
        """Multipart ``file``: CSV with the header kpi,measured_at,value,note."""
        use_case = _use_case(request, pk)
        rules.ensure_can_write(request.user, use_case)
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput("Attach the CSV file as “file”.", field="file")
        if upload.size > services.MAX_IMPORT_BYTES:
            raise InvalidInput("The file is larger than 1 MB.", field="file")
        created = services.kpi_measurements_import(use_case=use_case, by=request.user, file=upload)
        return Response({"imported": len(created)}, status=201)


def _criterion(request: Request, review_id: int, criterion_id: int) -> ReviewCriterion:
    return get_object_or_404(
        ReviewCriterion.objects.select_related("review__use_case").filter(
            review__use_case__in=access.use_cases_visible_to(request.user)
        ),
        pk=criterion_id,
        review_id=review_id,
    )


class CriterionScorecardView(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def put(self, request: Request, review_id: int, criterion_id: int) -> Response:
        """Cite a version of the use case's PoC scorecard as the criterion's
        evidence: ``{"scorecard": id}``, or ``{"scorecard": null}`` to cite none."""
        criterion = _criterion(request, review_id, criterion_id)
        use_case = criterion.review.use_case
        rules.ensure_can_write(request.user, use_case)
        raw = _data(request).get("scorecard")
        scorecard = None
        if raw is not None:
            try:
                scorecard = PocScorecard.objects.get(pk=int(raw), use_case=use_case)
            except (PocScorecard.DoesNotExist, TypeError, ValueError):
                raise InvalidInput(
                    "Name a PoC scorecard of this use case, or null.", field="scorecard"
                ) from None
        services.criterion_scorecard_cite(
            review_criterion=criterion, by=request.user, scorecard=scorecard
        )
        cited = criterion.scorecards.order_by("-version")
        return Response(
            {
                "criterion": criterion.pk,
                "scorecards": CitedScorecardSerializer(cited, many=True).data,
            }
        )


class KpiRuleView(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, review_id: int, criterion_id: int) -> Response:
        """Unbind the criterion from its KPI; it keeps its last assessment."""
        criterion = _criterion(request, review_id, criterion_id)
        services.kpi_rule_unbind(review_criterion=criterion, by=request.user)
        return Response(status=204)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    def put(self, request: Request, review_id: int, criterion_id: int) -> Response:
        """Bind a criterion of an open review to a KPI: ``{"kpi": id,
        "operator": ">=" or "<=", "threshold": number}``."""
        criterion = _criterion(request, review_id, criterion_id)
        use_case = criterion.review.use_case
        rules.ensure_can_write(request.user, use_case)
        data = _data(request)
        try:
            kpi = Kpi.objects.get(pk=int(data.get("kpi")), use_case=use_case)
        except (Kpi.DoesNotExist, TypeError, ValueError):
            raise InvalidInput("Name a KPI of this use case.", field="kpi") from None
        rule = services.kpi_rule_bind(
            review_criterion=criterion,
            kpi=kpi,
            by=request.user,
            operator=data.get("operator"),
            threshold=data.get("threshold"),
        )
        criterion.refresh_from_db()
        return Response(
            {
                "criterion": criterion.pk,
                "kpi": kpi.pk,
                "operator": rule.operator,
                "threshold": _num(rule.threshold),
                "status": criterion.status,
                "evidence": criterion.evidence,
            }
        )
