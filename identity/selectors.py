from __future__ import annotations

from django.db.models import QuerySet

from identity.models import GroupMapping


def group_mappings() -> QuerySet[GroupMapping]:
    """Every mapping with its business unit: one query, whatever their number."""
    return GroupMapping.objects.select_related("business_unit").order_by("idp_group")
