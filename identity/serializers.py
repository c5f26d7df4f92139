from __future__ import annotations

from rest_framework import serializers

from identity.models import GroupMapping
from usecases.models import BusinessUnit, OrgRole


class GroupMappingInput(serializers.Serializer):
    idp_group = serializers.CharField(
        max_length=200,
        help_text="The provider group's name exactly as the groups claim carries it.",
    )
    org_role = serializers.ChoiceField(
        choices=OrgRole.choices,
        allow_blank=True,
        default="",
        help_text="The organisation role members of the group hold; empty for none.",
    )
    business_unit = serializers.PrimaryKeyRelatedField(
        queryset=BusinessUnit.objects.all(),
        allow_null=True,
        default=None,
        help_text="The business unit members of the group belong to; null for none.",
    )


class GroupMappingSerializer(serializers.ModelSerializer):
    business_unit_name = serializers.CharField(
        source="business_unit.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = GroupMapping
        fields = [
            "id",
            "idp_group",
            "org_role",
            "business_unit",
            "business_unit_name",
            "updated_at",
        ]
        read_only_fields = fields
