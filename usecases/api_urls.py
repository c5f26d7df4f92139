from __future__ import annotations

from django.urls import path

from usecases import api

urlpatterns = [
    path("use-cases/", api.UseCaseListView.as_view(), name="api-usecase-list"),
    path("use-cases/<id:pk>/", api.UseCaseDetailView.as_view(), name="api-usecase-detail"),
    path(
        "use-cases/<id:pk>/reclassify/",
        api.UseCaseReclassifyView.as_view(),
        name="api-usecase-reclassify",
    ),
    path("business-units/", api.BusinessUnitListView.as_view(), name="api-businessunit-list"),
]
