from __future__ import annotations

from django.urls import path

from usecases import views

urlpatterns = [
    path("", views.home, name="home"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("use-cases/new/", views.usecase_create, name="usecase-create"),
    path("use-cases/<int:pk>/", views.usecase_detail, name="usecase-detail"),
    path("use-cases/<int:pk>/edit/", views.usecase_edit, name="usecase-edit"),
    path("use-cases/<int:pk>/team/", views.member_add, name="usecase-member-add"),
    path(
        "use-cases/<int:pk>/team/<int:member_id>/remove/",
        views.member_remove,
        name="usecase-member-remove",
    ),
]
