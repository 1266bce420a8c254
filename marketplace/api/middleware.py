"""Every /api/ path answers with or without its trailing slash.

Routers declare collections with a slash and single-purpose endpoints without one; clients
should not have to remember which. Rather than redirect (which loses a POST body, and which
Django refuses to do for POSTs under DEBUG), a path that does not resolve is rewritten to its
twin with the slash added or removed, when that one resolves.
"""
from functools import lru_cache

from django.urls import get_resolver, is_valid_path


@lru_cache(maxsize=4096)
def _path_to_serve(resolver, path: str) -> str:
    """`path`, or its twin when only the twin resolves. Cached per resolver (a new one after
    URLconf changes), because resolving costs as much as the handler's own resolution, and the
    same paths come back all the time; the bound keeps paths with ids from growing it."""
    urlconf = resolver.urlconf_name
    if is_valid_path(path, urlconf):
        return path
    twin = path[:-1] if path.endswith("/") else f"{path}/"
    return twin if is_valid_path(twin, urlconf) else path


class SlashInsensitiveApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/api/") and len(path) > 5:
            served = _path_to_serve(get_resolver(getattr(request, "urlconf", None)), path)
            if served != path:
                request.path_info = served
                request.path = f"{request.path[: len(request.path) - len(path)]}{served}"
        return self.get_response(request)
