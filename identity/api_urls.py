from __future__ import annotations

from django.urls import path

from identity import api

urlpatterns = [
    path("sso/group-mappings/", api.GroupMappingListView.as_view(), name="api-sso-mappings"),
    path(
        "sso/group-mappings/<id:pk>/",
        api.GroupMappingDetailView.as_view(),
        name="api-sso-mapping",
    ),
]
