"""The site's URLs plus certification.urls_public, as the lead will include them at the root."""
from django.urls import include, path

from marketplace.urls import handler400, handler403, handler404, handler500  # noqa: F401
from marketplace.urls import urlpatterns as site_urlpatterns

urlpatterns = [*site_urlpatterns, path("", include("certification.urls_public"))]
