"""The portfolio's REST API: thin views over the selectors and services. API
tokens and unlocking accounts are in ``api_accounts``."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_fields import MethodTextField, represent_each
from core.web import display_name, get_or_404
from usecases import access, rules, selectors, services
from usecases.api_custom_fields import CustomValuesField, CustomValuesInput
from usecases.filters import UseCaseFilterSet
from usecases.models import (
    BusinessUnit,
    BusinessUnitMember,
    RegulatoryConstraint,
    RiskTier,
    UseCase,
    UseCaseMember,
)

User = get_user_model()

# Fields a client may read but never write: the gate engine moves the stage,
# the risk classification sets the risk tier and the regulations.
GATE_OWNED_FIELDS = {
    "stage": "The stage changes only through a gate decision.",
    "status": "The status changes only through a gate decision.",
    "stage_entered_at": "The time a stage was entered is set by gate decisions.",
    # Set by the risk classification (POST /use-cases/{id}/risk/, decided by
    # risk and compliance), never typed in.
    "risk_tier": "The risk tier is set by the risk classification.",
    "regulatory_constraints": "The regulations are set by the risk classification.",
}


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = MethodTextField("get_username")
    name = serializers.SerializerMethodField()

    def get_name(self, obj: Any) -> str:
        return display_name(obj)


class BusinessUnitSerializer(serializers.ModelSerializer):
    head = PersonSerializer(allow_null=True)
    can_propose = serializers.BooleanField(
        read_only=True,
        help_text="Whether the caller may propose use cases in this unit: they hold a role "
        "in it (head, member, or on a use case's team), or they are a program lead.",
    )

    class Meta:
        model = BusinessUnit
        fields = ["id", "name", "code", "head", "can_propose"]


class BusinessUnitMemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.SerializerMethodField()

    class Meta:
        model = BusinessUnitMember
        fields = ["id", "username", "name", "added_at"]

    def get_name(self, obj: Any) -> str:
        return display_name(obj.user)


class BusinessUnitMemberInput(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="The person who works in the unit.")

    def validate_username(self, value: str) -> Any:
        user = User.objects.filter(username=value, is_active=True).first()
        if user is None:
            raise serializers.ValidationError(f"No active user is called “{value}”.")
        return user


class BusinessUnitRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = BusinessUnit
        fields = ["id", "name"]


class TeamMemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    name = serializers.SerializerMethodField()
    role_display = MethodTextField("get_role_display")

    class Meta:
        model = UseCaseMember
        fields = ["user", "username", "name", "role", "role_display"]

    def get_name(self, obj: UseCaseMember) -> str:
        return display_name(obj.user)


class OpenReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    gate_number = serializers.IntegerField()
    status = serializers.CharField()


class UseCaseSerializer(serializers.ModelSerializer):
    """A use case as clients read it. Expects the rows of
    ``selectors.usecases_for_api`` (team and open review prefetched)."""

    business_unit = BusinessUnitRefSerializer()
    stage_display = MethodTextField("get_stage_display")
    status_display = MethodTextField("get_status_display")
    days_in_stage = serializers.SerializerMethodField()
    regulatory_constraints = serializers.ListField(
        child=serializers.ChoiceField(choices=RegulatoryConstraint.choices)
    )
    team = serializers.SerializerMethodField()
    open_review = serializers.SerializerMethodField()
    custom_fields = CustomValuesField()

    class Meta:
        model = UseCase
        fields = [
            "id",
            "title",
            "summary",
            "business_problem",
            "value_hypothesis",
            "quantified_outcome",
            "assumptions",
            "success_metrics",
            "data_sources",
            "regulatory_constraints",
            "risk_tier",
            "business_unit",
            "custom_fields",
            "stage",
            "stage_display",
            "status",
            "status_display",
            "stage_entered_at",
            "days_in_stage",
            "team",
            "open_review",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_days_in_stage(self, obj: UseCase) -> int:
        return obj.days_in_stage

    @extend_schema_field(TeamMemberSerializer(many=True))
    def get_team(self, obj: UseCase) -> list[dict]:
        return represent_each(self, TeamMemberSerializer, selectors.usecase_team(obj))

    @extend_schema_field(OpenReviewSerializer(allow_null=True))
    def get_open_review(self, obj: UseCase) -> dict | None:
        # Prefetched by the gate engine's registered API prefetch.
        reviews = getattr(obj, "open_reviews", [])
        return OpenReviewSerializer(reviews[0]).data if reviews else None


class UseCaseWriteSerializer(serializers.ModelSerializer):
    """The fields a client may write; validation only, the services save.
    Risk tier and regulations are read-only: the risk classification sets them."""

    custom_fields = CustomValuesInput(required=False, source="custom_values")

    class Meta:
        model = UseCase
        fields = [
            *(
                name
                for name in services.EDITABLE_FIELDS
                if name not in ("risk_tier", "regulatory_constraints")
            ),
            "custom_fields",
        ]


class ReclassifyInput(serializers.Serializer):
    risk_tier = serializers.ChoiceField(choices=RiskTier.choices)
    regulatory_constraints = serializers.ListField(
        child=serializers.ChoiceField(choices=RegulatoryConstraint.choices), allow_empty=True
    )
    reason = serializers.CharField(max_length=2000)


class WithdrawInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000,
        help_text="Why the use case is withdrawn; recorded in the audit trail.",
    )


class UseCaseCreateSerializer(UseCaseWriteSerializer):
    sponsor = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="User id of the sponsor; program leads only. Defaults to the caller.",
    )

    class Meta(UseCaseWriteSerializer.Meta):
        fields = [*UseCaseWriteSerializer.Meta.fields, "sponsor"]


def _refuse_gate_owned_fields(data: Any) -> None:
    if not hasattr(data, "keys"):
        return  # the serializer reports a body that is not an object
    sent = [name for name in GATE_OWNED_FIELDS if name in data]
    if sent:
        raise serializers.ValidationError({name: [GATE_OWNED_FIELDS[name]] for name in sent})


def _read(use_case_id: int) -> dict:
    use_case = selectors.usecases_for_api(UseCase.objects.all()).get(pk=use_case_id)
    return UseCaseSerializer(use_case).data


class CountedPaginator(Paginator):
    """A paginator told how many rows there are, so it runs no COUNT."""

    def __init__(self, count: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.count = count


class KeptFilterSet(DjangoFilterBackend):
    """The filter backend, keeping the filterset it builds on the view
    (``view.filterset``): the page's total reads the same filters without
    building them again (a query for the active custom fields)."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        view.filterset = filterset
        return filterset


class UseCaseListView(generics.ListCreateAPIView):
    """Use cases visible to the caller; propose a new one (it starts in Discovery).
    Besides the filters below, `cf_<key>` filters on an active custom field: a
    choice, one of a multiple choice's choices, a person's user id, or a part
    of a text (`GET /api/v1/custom-fields/` lists the keys)."""

    serializer_class = UseCaseSerializer
    filterset_class = UseCaseFilterSet
    filter_backends = [KeptFilterSet]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return UseCase.objects.none()  # the schema needs the model, not the rows
        # The portfolio's rows, annotated as the page's: the shared filters
        # sort on the priority score and filter on overdue and stalled.
        return selectors.usecases_for_api(selectors.portfolio_queryset(self.request.user))

    def paginate_queryset(self, queryset):
        # The total counted as the portfolio page counts it: the whole
        # portfolio's from its counts per stage, a head's as two sets (ORed in
        # one COUNT, their unit and the rest of what they see read every use
        # case).
        filterset = getattr(self, "filterset", None)
        total = None if filterset is None else selectors.list_total(self.request.user, filterset)
        if total is not None:
            self.paginator.django_paginator_class = functools.partial(CountedPaginator, total)
        return super().paginate_queryset(queryset)

    @extend_schema(
        request=UseCaseCreateSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                pattern=f"^{services.IDEMPOTENCY_KEY.pattern}$",
                description="A random token (8 to 64 letters, digits or `_ . : -`) per use "
                "case to create: the same caller sending the same key again gets the use "
                "case the key created (200) and nothing new is created.",
            )
        ],
        responses={
            201: UseCaseSerializer,
            200: OpenApiResponse(
                UseCaseSerializer,
                description="The `Idempotency-Key` was already used by the caller: the use "
                "case it created, unchanged.",
            ),
        },
        description="Create a use case in Discovery. The caller becomes its sponsor; a "
        "program lead may name another sponsor. `stage` and `status` are refused.",
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.usecase_ensure_creatable(by=request.user)
        key = services.clean_idempotency_key(request.headers.get("Idempotency-Key"))
        if key is not None:
            existing = services.usecase_created_with_key(by=request.user, idempotency_key=key)
            if existing is not None:
                return self._answer(existing, created=False)
        _refuse_gate_owned_fields(request.data)
        serializer = UseCaseCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        use_case, created = services.usecase_create_once(
            by=request.user, idempotency_key=key, **serializer.validated_data
        )
        return self._answer(use_case, created=created)

    def _answer(self, use_case: UseCase, *, created: bool) -> Response:
        return Response(
            _read(use_case.pk),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"Location": use_case.get_absolute_url()},
        )


class UseCaseDetailView(generics.RetrieveAPIView):
    """One use case; PATCH edits its facts (program leads and its sponsor)."""

    serializer_class = UseCaseSerializer

    def get_queryset(self):
        return selectors.usecases_for_api(access.use_cases_visible_to(self.request.user))

    @extend_schema(
        request=UseCaseWriteSerializer,
        responses={
            200: UseCaseSerializer,
            409: OpenApiResponse(
                description="Refused in the current state (a killed use case; facts frozen "
                "while a review is open): `detail` and the `reasons`."
            ),
        },
        description="Edit the facts of a use case. `stage`, `status` and "
        "`stage_entered_at` are refused with 400: only gate decisions move them.",
    )
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        use_case = get_object_or_404(access.use_cases_visible_to(request.user), pk=kwargs["pk"])
        services.usecase_ensure_editable(use_case=use_case, by=request.user)
        _refuse_gate_owned_fields(request.data)
        serializer = UseCaseWriteSerializer(use_case, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.usecase_update(use_case=use_case, by=request.user, **serializer.validated_data)
        return Response(_read(use_case.pk))


class UseCaseReclassifyView(APIView):
    """The risk and compliance role's reclassification of a use case's risk
    tier and regulations (lowering included), with a reason; refused (409)
    while a review is open."""

    @extend_schema(
        request=ReclassifyInput,
        responses={
            200: UseCaseSerializer,
            409: OpenApiResponse(
                description="Refused while a review is open, or for a killed use case: "
                "`detail` and the `reasons`."
            ),
        },
        description="Only the risk and compliance role. The classification before and after "
        "and the reason go to the audit trail.",
    )
    def post(self, request: Request, pk: int) -> Response:
        use_case = access.visible_use_case(request.user, pk)
        refusal = rules.reclassify_refusal(request.user, use_case)
        if refusal is not None:
            raise refusal
        data = ReclassifyInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.usecase_reclassify(use_case=use_case, by=request.user, **data.validated_data)
        return Response(_read(use_case.pk))


class UseCaseWithdrawView(APIView):
    """The sponsor or a program lead withdraws a use case that has passed no
    gate, with a reason: its status becomes `withdrawn`, terminal and
    read-only; nothing is deleted."""

    @extend_schema(
        request=WithdrawInput,
        responses={
            200: UseCaseSerializer,
            409: OpenApiResponse(
                description="Refused in the current state: already killed or withdrawn, it "
                "passed a gate (a Go or Conditional Go), or a review is open or submitted "
                "(named in the `reasons`)."
            ),
        },
        description="Only program leads and the use case's sponsor (others: 403). Audited "
        "`usecase.withdrawn` with the reason.",
    )
    def post(self, request: Request, pk: int) -> Response:
        use_case = access.visible_use_case(request.user, pk)
        services.usecase_ensure_withdrawable(use_case=use_case, by=request.user)
        data = WithdrawInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.usecase_withdraw(use_case=use_case, by=request.user, **data.validated_data)
        return Response(_read(use_case.pk))


class BusinessUnitListView(generics.ListAPIView):
    """Every business unit, for forms and clients; a short list, not paginated.
    ``can_propose`` says where the caller may propose use cases."""

    serializer_class = BusinessUnitSerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        proposable = access.proposable_business_units(self.request.user)
        return (
            BusinessUnit.objects.select_related("head")
            .annotate(can_propose=Exists(proposable.filter(pk=OuterRef("pk"))))
            .order_by("name")
        )


def _business_unit(pk: int) -> BusinessUnit:
    return get_or_404(BusinessUnit.objects.all(), pk, "No such business unit.")


class BusinessUnitMembersView(APIView):
    """Who works in a business unit: they may propose its use cases. Program
    leads and administrators add and remove them (audited)."""

    @extend_schema(responses={200: BusinessUnitMemberSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        unit = _business_unit(pk)
        members = unit.memberships.select_related("user").order_by("user__username")
        return Response(BusinessUnitMemberSerializer(members, many=True).data)

    @extend_schema(request=BusinessUnitMemberInput, responses={201: BusinessUnitMemberSerializer})
    def post(self, request: Request, pk: int) -> Response:
        unit = _business_unit(pk)
        data = BusinessUnitMemberInput(data=request.data)
        data.is_valid(raise_exception=True)
        member = services.business_unit_member_add(
            by=request.user, business_unit=unit, user=data.validated_data["username"]
        )
        return Response(BusinessUnitMemberSerializer(member).data, status=status.HTTP_201_CREATED)


class BusinessUnitMemberDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, member_pk: int) -> Response:
        unit = _business_unit(pk)
        member = get_or_404(unit.memberships.all(), member_pk, "No such member of this unit.")
        services.business_unit_member_remove(by=request.user, member=member)
        return Response(status=status.HTTP_204_NO_CONTENT)
