from __future__ import annotations

from django.urls import path

from usecases import views

urlpatterns = [
    path("use-cases/new/", views.usecase_create, name="usecase-create"),
    path("use-cases/<id:pk>/edit/", views.usecase_edit, name="usecase-edit"),
    path("use-cases/<id:pk>/reclassify/", views.usecase_reclassify, name="usecase-reclassify"),
    path("use-cases/<id:pk>/withdraw/", views.usecase_withdraw, name="usecase-withdraw"),
    path("use-cases/<id:pk>/risk/", views.usecase_risk, name="usecase-risk"),
]
