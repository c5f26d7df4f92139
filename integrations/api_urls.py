from __future__ import annotations

from django.urls import path

from integrations import api

urlpatterns = [
    path("webhooks/", api.WebhookListView.as_view(), name="api-webhooks"),
    path("webhooks/<id:pk>/", api.WebhookDetailView.as_view(), name="api-webhook-detail"),
    path(
        "webhooks/<id:pk>/deliveries/",
        api.WebhookDeliveryListView.as_view(),
        name="api-webhook-deliveries",
    ),
    path("webhooks/<id:pk>/test/", api.WebhookTestView.as_view(), name="api-webhook-test"),
]
