"""The rollout and value-rule API: thin views that check visibility
(invisible use cases are 404), refuse people without the role (403) before
reading the input, call one service and answer with the rollout as
``value.selectors_rollout`` reads it back.

Refusals are domain errors, answered in the project's error shape by
``core.api_errors``; nothing here catches them.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from gates.models import ReviewCriterion
from usecases import access
from usecases.models import UseCase
from value import rollout_rules
from value import serializers_rollout as s
from value.models import RolloutWave, ValueRule
from value.selectors_rollout import figures_for, rollout_of
from value.services import rollout, rules

TAGS = ["value"]
CONFLICT = {
    409: OpenApiResponse(
        description="Refused in the current state (a killed use case, a review no longer "
        "open, a wave before not passed): `detail` and the `reasons`."
    )
}


def _use_case(request: Request, pk: int) -> UseCase:
    return get_object_or_404(access.use_cases_visible_to(request.user), pk=pk)


def _ensure_may_plan(request: Request, use_case: UseCase) -> None:
    refusal = rollout_rules.rollout_refusal(request.user, use_case)
    if refusal is not None:
        raise refusal


def _wave(request: Request, pk: int) -> RolloutWave:
    wave = get_object_or_404(
        RolloutWave.objects.select_related("use_case").filter(
            use_case__in=access.use_cases_visible_to(request.user)
        ),
        pk=pk,
    )
    _ensure_may_plan(request, wave.use_case)
    return wave


def _input(serializer_class: type[Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _rollout(use_case_id: int, status: int = 200) -> Response:
    return Response(s.RolloutSerializer(rollout_of(use_case_id)).data, status=status)


class RolloutView(APIView):
    @extend_schema(responses={200: s.RolloutSerializer}, tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        """The pilot's scope (with the warning outside 5–15%) and the
        production waves with their validations."""
        return _rollout(_use_case(request, pk).pk)


class PilotScopeView(APIView):
    @extend_schema(
        request=s.PilotScopeInput, responses={200: s.RolloutSerializer, **CONFLICT}, tags=TAGS
    )
    def put(self, request: Request, pk: int) -> Response:
        """Set the pilot's scope; a share outside 5–15% is answered with a
        `warning`, not refused."""
        use_case = _use_case(request, pk)
        _ensure_may_plan(request, use_case)
        data = _input(s.PilotScopeInput, request)
        rollout.pilot_scope_set(use_case=use_case, by=request.user, **data)
        return _rollout(use_case.pk)


class WavesPlanView(APIView):
    @extend_schema(
        request=s.WavePlanInput, responses={201: s.RolloutSerializer, **CONFLICT}, tags=TAGS
    )
    def post(self, request: Request, pk: int) -> Response:
        """Plan the production waves (replacing the plan while none has
        started); without `waves`, 25%, 50%, 100% of the target."""
        use_case = _use_case(request, pk)
        _ensure_may_plan(request, use_case)
        data = _input(s.WavePlanInput, request)
        waves = data.get("waves")
        rollout.waves_plan(
            use_case=use_case,
            by=request.user,
            waves=None if waves is None else [dict(w) for w in waves],
        )
        return _rollout(use_case.pk, status=201)


class WaveStartView(APIView):
    @extend_schema(
        request=s.WaveStartInput, responses={200: s.RolloutSerializer, **CONFLICT}, tags=TAGS
    )
    def post(self, request: Request, pk: int) -> Response:
        """Start a wave: the first at any time, the others once the wave
        before passed its validation."""
        wave = _wave(request, pk)
        data = _input(s.WaveStartInput, request)
        rollout.wave_start(wave=wave, by=request.user, started_on=data["started_on"])
        return _rollout(wave.use_case_id)


class WaveValidateView(APIView):
    @extend_schema(
        request=s.WaveValidateInput, responses={200: s.RolloutSerializer, **CONFLICT}, tags=TAGS
    )
    def post(self, request: Request, pk: int) -> Response:
        """Record a started wave's validation: stability and adoption against
        its threshold. A failed one may be recorded again later."""
        wave = _wave(request, pk)
        data = _input(s.WaveValidateInput, request)
        rollout.wave_validate(wave=wave, by=request.user, **data)
        return _rollout(wave.use_case_id)


def _criterion(request: Request, review_id: int, criterion_id: int) -> ReviewCriterion:
    criterion = get_object_or_404(
        ReviewCriterion.objects.select_related("review__use_case").filter(
            review__use_case__in=access.use_cases_visible_to(request.user)
        ),
        pk=criterion_id,
        review_id=review_id,
    )
    refusal = rollout_rules.value_rule_refusal(request.user, criterion.review.use_case)
    if refusal is not None:
        raise refusal
    return criterion


class ValueRuleView(APIView):
    """Assess a criterion of an open review from the use case's value: 3-year
    ROI, NPV, payback month, or adoption against the pilot rate."""

    @extend_schema(
        request=s.ValueRuleInput,
        responses={200: s.CriterionValueRuleSerializer, **CONFLICT},
        tags=TAGS,
    )
    def put(self, request: Request, review_id: int, criterion_id: int) -> Response:
        """Bind the criterion to a value rule (replacing any it had) and
        assess it at once from the current figures."""
        criterion = _criterion(request, review_id, criterion_id)
        data = _input(s.ValueRuleInput, request)
        rule = rules.value_rule_bind(review_criterion=criterion, by=request.user, **data)
        rule = ValueRule.objects.select_related("review_criterion").get(pk=rule.pk)
        rule.figure = figures_for(criterion.review.use_case_id, {rule.metric})[rule.metric]
        return Response(s.CriterionValueRuleSerializer(rule).data)

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
        responses={204: None, **CONFLICT},
        tags=TAGS,
    )
    def delete(self, request: Request, review_id: int, criterion_id: int) -> Response:
        """Unbind the criterion from its value rule, saying why; it keeps its
        last assessment and is assessed by hand from then on."""
        criterion = _criterion(request, review_id, criterion_id)
        rules.value_rule_unbind(
            review_criterion=criterion,
            by=request.user,
            reason=request.query_params.get("reason", ""),
        )
        return Response(status=204)
