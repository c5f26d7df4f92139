from __future__ import annotations

from django.urls import path

from notifications import views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read-all/", views.mark_all_read, name="inbox-read-all"),
    path("inbox/preferences/", views.preferences, name="notification-preferences"),
    path("inbox/<id:pk>/read/", views.mark_read, name="inbox-read"),
    path("inbox/<id:pk>/open/", views.open_notification, name="inbox-open"),
]
