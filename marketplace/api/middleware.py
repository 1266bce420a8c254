"""Every /api/ path answers with or without its trailing slash.

Routers declare collections with a slash and single-purpose endpoints without one; clients
should not have to remember which. Rather than redirect (which loses a POST body, and which
Django refuses to do for POSTs under DEBUG), a path that does not resolve is rewritten to its
twin with the slash added or removed, when that one resolves.
"""
from django.urls import is_valid_path


class SlashInsensitiveApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/api/") and len(path) > 5:
            urlconf = getattr(request, "urlconf", None)
            if not is_valid_path(path, urlconf):
                twin = path[:-1] if path.endswith("/") else f"{path}/"
                if is_valid_path(twin, urlconf):
                    request.path_info = twin
                    request.path = f"{request.path[: len(request.path) - len(path)]}{twin}"
        return self.get_response(request)
