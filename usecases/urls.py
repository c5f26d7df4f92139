from __future__ import annotations

from django.urls import path

from usecases import views, views_imports

urlpatterns = [
    path("use-cases/new/", views.usecase_create, name="usecase-create"),
    path("use-cases/import/", views_imports.usecase_import, name="usecase-import"),
    path(
        "use-cases/import/template.csv",
        views_imports.import_template_csv,
        name="usecase-import-template-csv",
    ),
    path(
        "use-cases/import/template.xlsx",
        views_imports.import_template_xlsx,
        name="usecase-import-template-xlsx",
    ),
    path("use-cases/<id:pk>/edit/", views.usecase_edit, name="usecase-edit"),
    path("use-cases/<id:pk>/reclassify/", views.usecase_reclassify, name="usecase-reclassify"),
    path("use-cases/<id:pk>/withdraw/", views.usecase_withdraw, name="usecase-withdraw"),
    path("use-cases/<id:pk>/risk/", views.usecase_risk, name="usecase-risk"),
    path("people/options/", views.people_options, name="people-options"),
]
