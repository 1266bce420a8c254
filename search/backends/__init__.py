"""Search backends by name: "database" (the default, no extra service) and "elasticsearch"."""
from importlib import import_module

BACKENDS = {
    "database": "search.backends.database.DatabaseBackend",
    "elasticsearch": "search.backends.elasticsearch.ElasticsearchBackend",
}


def load_backend(name: str, **options):
    """A new backend instance of that name; options go to its constructor."""
    try:
        path = BACKENDS[name]
    except KeyError:
        raise ValueError(f"Unknown SEARCH_BACKEND {name!r}; choose one of {', '.join(BACKENDS)}.") from None
    module_name, class_name = path.rsplit(".", 1)
    return getattr(import_module(module_name), class_name)(**options)
