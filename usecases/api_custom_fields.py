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
    "nullable": True,
    "description": "text: a string; number: a number; date: a string YYYY-MM-DD; choice: "
    "one of the field's choices; multi_choice: a list of its choices; person: a user id. "
    "null: no value.",
}


@extend_schema_field(VALUE_SCHEMA)
class CustomValueField(serializers.Field):
    """A value as sent or stored; the service checks it against its field's kind."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            raise serializers.ValidationError(_("A value is a text, a number or a list of texts."))
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class CustomValueSerializer(serializers.Serializer):
    """One active custom field of a use case and its value (null: none)."""

    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=CustomFieldKind.choices)
    value = CustomValueField()


class CustomValueInput(serializers.Serializer):
    key = serializers.CharField(max_length=40, help_text="The field's key.")
    value = CustomValueField(
        help_text="The new value; null, an empty string or an empty list clears it."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A partial update (PATCH) skips the fields it is not sent, nested
        # ones too; a row needs both, or it would name no field or no value.
        missing = {
            name: [self.fields[name].error_messages["required"]]
            for name in ("key", "value")
            if name not in attrs
        }
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class CustomValuesField(serializers.ListField):
    """Every active custom field with the use case's value. The definitions
    are read once per request and kept in the serializer's context
    (``custom_field_definitions``)."""

    child = CustomValueSerializer()

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        kwargs.setdefault(
            "help_text",
            "Every active custom field (`GET /api/v1/custom-fields/`) with its value.",
        )
        super().__init__(**kwargs)

    def to_representation(self, use_case: Any) -> list[dict[str, Any]]:
        definitions = self.context.get("custom_field_definitions")
        if definitions is None:
            definitions = custom_fields.active_fields()
            self.context["custom_field_definitions"] = definitions
        values = use_case.custom_values or {}
        return [
            {
                "key": field.key,
                "label": field.label,
                "kind": field.kind,
                "value": values.get(field.key),
            }
            for field in definitions
        ]


class CustomValuesInput(serializers.ListField):
    """The custom fields to set, as ``[{"key", "value"}]``; the others keep
    their values. Handed to the services as ``{key: value}``."""

    child = CustomValueInput()

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault(
            "help_text",
            "Custom fields to set, each `{key, value}`; fields not named keep their values. "
            "Errors are named `custom_fields.<key>`.",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        rows = super().to_internal_value(data)
        return {row["key"]: row["value"] for row in rows}


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
