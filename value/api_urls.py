from __future__ import annotations

from django.urls import path

from value import api

urlpatterns = [
    path("use-cases/<id:pk>/value/", api.ValueView.as_view(), name="api-usecase-value"),
    path("use-cases/<id:pk>/value/costs/", api.CostsView.as_view(), name="api-usecase-value-costs"),
    path("use-cases/<id:pk>/benefits/", api.BenefitListView.as_view(), name="api-usecase-benefits"),
    path("benefits/<id:benefit_id>/", api.BenefitView.as_view(), name="api-benefit"),
    path(
        "benefits/<id:benefit_id>/realisations/",
        api.RealisationView.as_view(),
        name="api-benefit-realisations",
    ),
    path("cost-multipliers/", api.CostMultiplierListView.as_view(), name="api-cost-multipliers"),
]
