from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerView

from marketplace.api.docs import SchemaView
from marketplace.views import ApiRootView, healthz, livez

handler400 = "marketplace.api.errors.bad_request"
handler403 = "marketplace.api.errors.permission_denied"
handler404 = "marketplace.api.errors.not_found"
handler500 = "marketplace.api.errors.server_error"

api_v1 = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("", include("accounts.urls")),
    path("", include("notifications.urls")),
    path("", include("listings.urls")),
    path("", include("grading.urls")),
    path("", include("certification.urls")),
    path("", include("events.urls")),
    path("", include("orders.urls")),
    path("", include("search.urls")),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("", include("certification.urls_public")),
    path("", include("accounts.urls_public")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api-auth/", include("rest_framework.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
