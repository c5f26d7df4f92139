from __future__ import annotations

from django.urls import path

from integrations import views

urlpatterns = [
    path("integrations/webhooks/", views.webhooks, name="webhooks"),
    path("integrations/webhooks/<id:pk>/", views.webhook_detail, name="webhook-detail"),
    path("integrations/webhooks/<id:pk>/test/", views.webhook_test, name="webhook-test"),
    path("integrations/webhooks/<id:pk>/delete/", views.webhook_delete, name="webhook-delete"),
]
