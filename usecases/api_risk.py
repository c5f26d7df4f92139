"""The risk classification API: the questionnaire, a use case's versions and
new answers, and risk and compliance's decision. Thin: validate, call one
service, answer with the typed representation."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.web import get_or_404
from usecases import access, risk, rules, selectors, services
from usecases.api import PersonSerializer
from usecases.models import (
    RegulatoryConstraint,
    RiskClassification,
    RiskClassificationStatus,
    RiskTier,
)

# --- The questionnaire ----------------------------------------------------------------


class RiskOptionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class RiskQuestionSerializer(serializers.Serializer):
    code = serializers.CharField()
    group = serializers.CharField()
    group_label = serializers.CharField()
    text = serializers.CharField()
    help = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=risk.QUESTION_KINDS,
        help_text="`yes_no`: answer true or false; `choices`: a list of option codes "
        "(empty for none).",
    )
    options = RiskOptionSerializer(many=True)


class RiskQuestionnaireSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    questions = RiskQuestionSerializer(many=True)


def _questionnaire() -> dict[str, Any]:
    groups = dict(risk.GROUPS)
    return {
        "version": risk.QUESTIONNAIRE_VERSION,
        "questions": [
            {
                "code": q.code,
                "group": q.group,
                "group_label": groups[q.group],
                "text": q.text,
                "help": q.help,
                "kind": q.kind,
                "options": [{"code": c, "label": label} for c, label in q.options],
            }
            for q in risk.QUESTIONS
        ],
    }


# --- Answers: one typed field per question -------------------------------------------------


def _answer_field(question: risk.Question) -> serializers.Field:
    if question.kind == risk.YES_NO:
        return serializers.BooleanField(help_text=f"{question.text} {question.help}")
    return serializers.ListField(
        child=serializers.ChoiceField(choices=question.options),
        allow_empty=True,
        max_length=len(question.options),
        help_text=f"{question.text} {question.help}",
    )


class RiskAnswersSerializer(serializers.Serializer):
    """Every question of the questionnaire answered; an unknown code is refused."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {q.code: _answer_field(q) for q in risk.QUESTIONS}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(str(code) for code in data if code not in risk.QUESTIONS_BY_CODE)
            if unknown:
                raise serializers.ValidationError(
                    {code: ["Not a question of the questionnaire."] for code in unknown}
                )
        return super().to_internal_value(data)


class RiskAnswerInput(serializers.Serializer):
    answers = RiskAnswersSerializer()


class RiskDecisionInput(serializers.Serializer):
    confirm = serializers.BooleanField(
        required=False,
        default=False,
        help_text="True: the proposal as it is. False: override with `tier`, `regulations` "
        "and `reason`.",
    )
    tier = serializers.ChoiceField(choices=RiskTier.choices, required=False)
    regulations = serializers.ListField(
        child=serializers.ChoiceField(choices=RegulatoryConstraint.choices),
        required=False,
        allow_empty=True,
        max_length=len(RegulatoryConstraint.values),
    )
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, help_text="Required to override."
    )


class RiskClassificationSerializer(serializers.ModelSerializer):
    answers = RiskAnswersSerializer()
    proposed_regulations = serializers.ListField(
        child=serializers.ChoiceField(choices=RegulatoryConstraint.choices)
    )
    regulations = serializers.ListField(
        child=serializers.ChoiceField(choices=RegulatoryConstraint.choices),
        help_text="The decision's regulations (empty until decided).",
    )
    reasoning = serializers.ListField(
        child=serializers.CharField(), help_text="One sentence per rule that fired."
    )
    status = serializers.ChoiceField(choices=RiskClassificationStatus.choices)
    tier = serializers.SerializerMethodField(help_text="The decision's tier; null until decided.")
    answered_by = PersonSerializer()
    decided_by = PersonSerializer(allow_null=True)

    class Meta:
        model = RiskClassification
        fields = [
            "id",
            "use_case",
            "version",
            "questionnaire_version",
            "answers",
            "proposed_tier",
            "proposed_regulations",
            "reasoning",
            "prohibited",
            "answered_by",
            "answered_at",
            "status",
            "tier",
            "regulations",
            "override_reason",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=RiskTier.choices, allow_null=True))
    def get_tier(self, obj: RiskClassification) -> str | None:
        return obj.tier or None


# --- Views ----------------------------------------------------------------------


class RiskQuestionnaireView(APIView):
    @extend_schema(
        responses=RiskQuestionnaireSerializer,
        description="The questions of the risk questionnaire, grouped, with their kind and "
        "options: what `POST /use-cases/{id}/risk/` answers.",
    )
    def get(self, request: Request) -> Response:
        return Response(RiskQuestionnaireSerializer(_questionnaire()).data)


class UseCaseRiskView(APIView):
    @extend_schema(
        responses=RiskClassificationSerializer(many=True),
        description="Every version of the use case's risk classification, newest first.",
    )
    def get(self, request: Request, pk: int) -> Response:
        use_case = access.visible_use_case(request.user, pk)
        rows = selectors.risk_page(use_case)
        return Response(RiskClassificationSerializer(rows, many=True).data)

    @extend_schema(
        request=RiskAnswerInput,
        responses={
            201: RiskClassificationSerializer,
            403: OpenApiResponse(description="Not on the team and not a program lead."),
            409: OpenApiResponse(description="A killed or withdrawn use case."),
        },
        description="Answer the questionnaire (every question): a new version, proposed, "
        "awaiting risk and compliance. The team (sponsor, technical lead, contributors) or "
        "a program lead.",
    )
    def post(self, request: Request, pk: int) -> Response:
        use_case = access.visible_use_case(request.user, pk)
        refusal = rules.risk_answer_refusal(request.user, use_case)
        if refusal is not None:
            raise refusal
        data = RiskAnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.risk_answer(
            use_case=use_case, by=request.user, answers=dict(data.validated_data["answers"])
        )
        row = RiskClassification.objects.select_related("answered_by", "decided_by").get(pk=row.pk)
        return Response(RiskClassificationSerializer(row).data, status=status.HTTP_201_CREATED)


class RiskDecisionView(APIView):
    @extend_schema(
        request=RiskDecisionInput,
        responses={
            200: RiskClassificationSerializer,
            403: OpenApiResponse(
                description="Not risk and compliance, or on the use case's team (segregation "
                "of duties)."
            ),
            409: OpenApiResponse(
                description="Already decided, replaced by a later version, or the tier is "
                "frozen by a review under way: `detail` and the `reasons`."
            ),
        },
        description="Risk and compliance confirms the proposal (`confirm: true`) or overrides "
        "it (`tier`, `regulations`, `reason`). The decision becomes the use case's risk tier "
        "and regulatory constraints.",
    )
    def post(self, request: Request, pk: int) -> Response:
        visible = access.use_cases_visible_to(request.user)
        row = get_or_404(
            RiskClassification.objects.filter(use_case__in=visible),
            pk,
            "No such risk classification.",
        )
        data = RiskDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values.get("confirm"):
            kwargs: dict[str, Any] = {"confirm": True}
            if "tier" in values or "regulations" in values or values.get("reason"):
                kwargs.update(
                    tier=values.get("tier"),
                    regulations=values.get("regulations"),
                    reason=values.get("reason"),
                )
        else:
            kwargs = {
                "tier": values.get("tier"),
                "regulations": values.get("regulations", []),
                "reason": values.get("reason"),
            }
        services.risk_decide(classification=row, by=request.user, **kwargs)
        row = RiskClassification.objects.select_related("answered_by", "decided_by").get(pk=row.pk)
        return Response(RiskClassificationSerializer(row).data)
