from __future__ import annotations

from django.urls import path

from reporting import api

urlpatterns = [
    path("reviews/<int:pk>/packs/", api.ReviewPacksView.as_view(), name="api-review-packs"),
    path("packs/<int:pk>/", api.PackDetailView.as_view(), name="api-pack-detail"),
    path("packs/<int:pk>/download/", api.PackDownloadView.as_view(), name="api-pack-download"),
]
