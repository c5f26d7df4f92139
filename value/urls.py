from __future__ import annotations

from django.urls import path

from value import views

urlpatterns = [
    path("use-cases/<id:pk>/value/", views.usecase_value, name="usecase-value"),
    path("use-cases/<id:pk>/value/costs/", views.costs_save, name="usecase-value-costs"),
    path("use-cases/<id:pk>/value/benefits/", views.benefit_add, name="usecase-value-benefit"),
    path(
        "use-cases/<id:pk>/value/benefits/<id:benefit_id>/",
        views.benefit_change,
        name="usecase-value-benefit-change",
    ),
    path(
        "use-cases/<id:pk>/value/benefits/<id:benefit_id>/delete/",
        views.benefit_delete,
        name="usecase-value-benefit-delete",
    ),
    path(
        "use-cases/<id:pk>/value/benefits/<id:benefit_id>/realisations/",
        views.realisation_record,
        name="usecase-value-realisation",
    ),
]
