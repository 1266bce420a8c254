from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from marketplace import health


@never_cache
def healthz(request):
    """Readiness: each dependency (database, search, broker, cache) with its state; 503 when one
    that this deployment needs is down (see marketplace.health)."""
    checks = health.dependencies()
    ready = health.healthy(checks)
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": checks,
        "search_backend": settings.SEARCH_BACKEND,
        "tasks": settings.TASK_MODE,
        "payments": "stripe" if settings.STRIPE_SECRET_KEY else "offline",
    }
    return JsonResponse(body, status=200 if ready else 503)


@never_cache
def livez(request):
    """Liveness for process supervisors: the process serves requests. Asks no other service, so a
    database or search outage never gets a healthy process restarted."""
    return JsonResponse({"status": "ok"})


class ApiRootView(APIView):
    """Entry point of the API: links to the main collections and the documentation."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request):
        links = {}
        for name, url_name in settings.API_ROOT_LINKS:
            links[name] = reverse(url_name, request=request)
        links["schema"] = reverse("schema", request=request)
        links["docs"] = reverse("swagger-ui", request=request)
        return Response(links)
