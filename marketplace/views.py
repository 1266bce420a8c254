from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView


def healthz(request):
    """Liveness and readiness: the database answers; which search backend and task mode are active."""
    database = {"vendor": connection.vendor}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database["ok"] = True
    except DatabaseError as exc:
        database.update(ok=False, error=exc.__class__.__name__)
    healthy = database["ok"]
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": database,
        "search_backend": settings.SEARCH_BACKEND,
        "tasks": settings.TASK_MODE,
        "payments": "stripe" if settings.STRIPE_SECRET_KEY else "offline",
    }
    return JsonResponse(body, status=200 if healthy else 503)


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
