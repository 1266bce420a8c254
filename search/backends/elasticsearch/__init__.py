"""The Elasticsearch backend, in the parts Wagtail's own backends have:

    backend.py  the backend: configuration, transport errors, live writes, searches, suggestions
    mapping.py  the index mapping and settings, a document as its _source, the index names
    query.py    a SearchQuery as request bodies (pure: pinned by tests/search/golden)
    rebuild.py  the zero-downtime rebuild: a new versioned index loaded in bulk, the alias swapped
"""
from search.backends.elasticsearch.backend import ElasticsearchBackend

__all__ = ["ElasticsearchBackend"]
