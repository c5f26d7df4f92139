"""Custom fields in the API: the definitions (read by everyone signed in,
written by administrators) and the typed ``custom_fields`` object of the use
case representation."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.web import get_or_404
from usecases import custom_fields, services
from usecases.models import CustomField, CustomFieldKind, Stage

# One value of a custom field, by kind (see the description). The types are
# disjoint, so exactly one branch of ``oneOf`` holds for any value.
VALUE_SCHEMA = {
    "oneOf": [
        {"type": "string", "maxLength": custom_fields.TEXT_MAX_LENGTH},
        {"type": "number"},
        {"type": "array", "items": {"type": "string"}},
    ],
    "description": "text: a string; number: a number; date: a string YYYY-MM-DD; choice: "
    "one of the field's choices; multi_choice: a list of its choices; person: a user id.",
}
VALUES_SCHEMA = {
    "type": "object",
    "additionalProperties": VALUE_SCHEMA,
    "description": "The custom fields' values keyed by the field's key "
    "(`GET /api/v1/custom-fields/`); a field without a value is left out.",
}
WRITE_SCHEMA = {
    "type": "object",
    "additionalProperties": VALUE_SCHEMA,
    "description": "Custom fields to set, keyed by the field's key; an empty string or an "
    "empty list clears a value, and fields not named keep theirs. Errors are named "
    "`custom_fields.<key>`.",
}


@extend_schema_field(VALUES_SCHEMA)
class CustomValuesField(serializers.Field):
    """Reads the active fields from the serializer's context
    (``custom_field_definitions``), read once per request."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, use_case: Any) -> dict[str, Any]:
        definitions = self.context.get("custom_field_definitions")
        if definitions is None:
            definitions = custom_fields.active_fields()
            self.context["custom_field_definitions"] = definitions
        typed = custom_fields.typed_values(definitions, use_case)
        return {key: value for key, value in typed.items() if value is not None}


@extend_schema_field(WRITE_SCHEMA)
class CustomValuesInput(serializers.Field):
    """The object as sent; the service validates each value against its field."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                _("Custom fields are an object keyed by the field's key.")
            )
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class CustomFieldSerializer(serializers.ModelSerializer):
    choices = serializers.ListField(
        child=serializers.CharField(max_length=custom_fields.CHOICE_MAX_LENGTH),
        help_text="The options of a choice or multi_choice field; empty for the other kinds.",
    )
    required_from_stage = serializers.ChoiceField(
        choices=Stage.choices,
        allow_null=True,
        help_text="The first stage whose gate review needs a value (null: optional). "
        "`poc` holds back the Gate 1 review (Discovery → POC) and every later one.",
    )

    class Meta:
        model = CustomField
        fields = [
            "id",
            "key",
            "label",
            "help_text",
            "kind",
            "choices",
            "required_from_stage",
            "active",
            "order",
        ]
        read_only_fields = fields

    def to_representation(self, instance: CustomField) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["required_from_stage"] = instance.required_from_stage or None
        return data


class CustomFieldInput(serializers.Serializer):
    key = serializers.CharField(
        max_length=40,
        help_text="Lower-case letters, digits and single underscores, starting with a "
        "letter; fixed once created.",
    )
    label = serializers.CharField(max_length=80)
    help_text = serializers.CharField(max_length=300, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=CustomFieldKind.choices, help_text="Fixed once created.")
    choices = serializers.ListField(
        child=serializers.CharField(max_length=custom_fields.CHOICE_MAX_LENGTH),
        required=False,
        max_length=custom_fields.CHOICES_MAX,
    )
    required_from_stage = serializers.ChoiceField(
        choices=Stage.choices, required=False, allow_null=True
    )
    active = serializers.BooleanField(required=False)
    order = serializers.IntegerField(min_value=0, max_value=32767, required=False)


class CustomFieldChangeInput(CustomFieldInput):
    key = serializers.CharField(max_length=40, required=False, help_text="Never changes.")
    label = serializers.CharField(max_length=80, required=False)
    kind = serializers.ChoiceField(
        choices=CustomFieldKind.choices, required=False, help_text="Never changes."
    )


def _apply(field: CustomField, data: dict[str, Any]) -> list[str]:
    for name, value in data.items():
        if name == "required_from_stage":
            value = value or ""
        setattr(field, name, value)
    return list(data)


class CustomFieldListView(APIView):
    """The custom fields of use cases: active ones for everyone signed in
    (`?all=1`: inactive ones too); administrators add them."""

    @extend_schema(responses={200: CustomFieldSerializer(many=True)})
    def get(self, request: Request) -> Response:
        rows = CustomField.objects.order_by("order", "label", "id")
        if request.query_params.get("all") != "1":
            rows = rows.filter(active=True)
        return Response(CustomFieldSerializer(rows, many=True).data)

    @extend_schema(
        request=CustomFieldInput,
        responses={201: CustomFieldSerializer},
        description="Administrators only (403 otherwise). Audited `custom_field.created`.",
    )
    def post(self, request: Request) -> Response:
        services.custom_field_ensure_allowed(by=request.user, action="add")
        data = CustomFieldInput(data=request.data)
        data.is_valid(raise_exception=True)
        field = CustomField()
        _apply(field, data.validated_data)
        field = services.custom_field_create(by=request.user, field=field)
        return Response(CustomFieldSerializer(field).data, status=status.HTTP_201_CREATED)


class CustomFieldDetailView(APIView):
    """One custom field; administrators change it (not its key or kind) and
    deactivate it (its values are kept)."""

    def _field(self, pk: int) -> CustomField:
        return get_or_404(CustomField.objects.all(), pk, _("No such custom field."))

    @extend_schema(responses={200: CustomFieldSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(CustomFieldSerializer(self._field(pk)).data)

    @extend_schema(
        request=CustomFieldChangeInput,
        responses={200: CustomFieldSerializer},
        description="Administrators only. Changes what is sent; the key and the kind never "
        "change (400), and a choice still chosen by a use case is not removed (400). "
        "Audited `custom_field.changed`.",
    )
    def put(self, request: Request, pk: int) -> Response:
        services.custom_field_ensure_allowed(by=request.user)
        field = self._field(pk)
        data = CustomFieldChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        names = _apply(field, data.validated_data)
        field = services.custom_field_change(by=request.user, field=field, fields=names)
        return Response(CustomFieldSerializer(field).data)

    @extend_schema(
        responses={200: OpenApiResponse(CustomFieldSerializer, description="Now inactive.")},
        description="Administrators only. Deactivates the field: hidden everywhere, values "
        "kept. Audited `custom_field.deactivated`.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.custom_field_ensure_allowed(by=request.user, action="delete")
        field = services.custom_field_deactivate(by=request.user, field=self._field(pk))
        return Response(CustomFieldSerializer(field).data)
