from __future__ import annotations

from django.urls import path

from usecases import api, api_accounts, api_custom_fields, api_imports, api_risk

urlpatterns = [
    path("auth/token/", api_accounts.ObtainTokenView.as_view(), name="api-token"),
    path("auth/tokens/", api_accounts.TokenListView.as_view(), name="api-token-list"),
    path(
        "auth/tokens/<str:token_id>/",
        api_accounts.TokenDetailView.as_view(),
        name="api-token-detail",
    ),
    path("accounts/unlock/", api_accounts.AccountUnlockView.as_view(), name="api-account-unlock"),
    path("use-cases/", api.UseCaseListView.as_view(), name="api-usecase-list"),
    path("use-cases/import/", api_imports.UseCaseImportView.as_view(), name="api-usecase-import"),
    path("use-cases/<id:pk>/", api.UseCaseDetailView.as_view(), name="api-usecase-detail"),
    path(
        "use-cases/<id:pk>/reclassify/",
        api.UseCaseReclassifyView.as_view(),
        name="api-usecase-reclassify",
    ),
    path(
        "use-cases/<id:pk>/withdraw/",
        api.UseCaseWithdrawView.as_view(),
        name="api-usecase-withdraw",
    ),
    path("use-cases/<id:pk>/risk/", api_risk.UseCaseRiskView.as_view(), name="api-usecase-risk"),
    path(
        "risk-classifications/<id:pk>/decision/",
        api_risk.RiskDecisionView.as_view(),
        name="api-risk-decision",
    ),
    path(
        "risk/questionnaire/",
        api_risk.RiskQuestionnaireView.as_view(),
        name="api-risk-questionnaire",
    ),
    path(
        "custom-fields/",
        api_custom_fields.CustomFieldListView.as_view(),
        name="api-customfield-list",
    ),
    path(
        "custom-fields/<id:pk>/",
        api_custom_fields.CustomFieldDetailView.as_view(),
        name="api-customfield-detail",
    ),
    path("business-units/", api.BusinessUnitListView.as_view(), name="api-businessunit-list"),
    path(
        "business-units/<id:pk>/members/",
        api.BusinessUnitMembersView.as_view(),
        name="api-businessunit-members",
    ),
    path(
        "business-units/<id:pk>/members/<id:member_pk>/",
        api.BusinessUnitMemberDetailView.as_view(),
        name="api-businessunit-member-detail",
    ),
]
