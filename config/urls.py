from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from monitoring import views as probes
from monitoring.metrics import metrics_view
from usecases.views_language import language_set

api_v1 = [
    path("", include("usecases.api_urls")),
    path("", include("gates.api_urls")),
    path("", include("readiness.api_urls")),
    path("", include("value.api_urls")),
    path("", include("operations.api_urls")),
    path("", include("reporting.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("identity.api_urls")),
    path("", include("integrations.api_urls")),
    path("", include("value.api_urls_rollout")),
]

urlpatterns = [
    path("healthz", probes.Liveness.as_view(), name="healthz"),
    path("readyz", probes.Readiness.as_view(), name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    # The sign-in page and single sign-on's start and callback.
    path("", include("identity.urls")),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The language switcher (templates/base.html): Django's set_language, and
    # for a signed-in person the choice kept as theirs.
    path("i18n/setlang/", language_set, name="set_language"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("front.urls")),
    path("", include("usecases.urls")),
    path("", include("gates.urls")),
    path("", include("readiness.urls")),
    path("", include("value.urls")),
    path("", include("operations.urls")),
    path("", include("reporting.urls")),
    path("", include("notifications.urls")),
    path("", include("integrations.urls")),
    path("", include("value.urls_rollout")),
]

handler400 = "config.errors.bad_request"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
handler403 = "config.errors.permission_denied"
