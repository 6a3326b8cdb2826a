"""Top-level URLs: each app mounts its pages and its API here."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from helpdesk.api.auth import TokenView
from helpdesk.health import healthz
from tickets.views import urls as pages

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("", include("tickets.api.urls")),
    path("", include("workflows.api.urls")),
    path("sla/", include("sla.api.urls")),
    path("", include("workflows.api.tasks_urls")),
    path("", include("feedback.urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include(pages.account_patterns)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("desk/", include(pages.desk_patterns)),
    path("portal/", include(pages.portal_patterns)),
    path("api/v1/", include((api_v1, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("sla/", include("sla.pages")),
    path("desk/", include("workflows.pages_tasks")),
    path("desk/", include("feedback.pages")),
    path("desk/boards/", include("helpdesk.live.urls")),
    path("", include(pages.page_patterns)),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
