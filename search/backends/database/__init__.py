"""The database backend: works on the project's own database, with no extra service.

Index data lives in search.models, written when a listing changes and never recomputed per
query: one ListingSearchDocument per active listing (with its category path: the category and its
ancestors), and ListingSearchFacetCell counts (documents per combination of facet values). Text
matching uses the engine's full-text index, each engine in its module:

    backend.py     what both engines share: writes, filters, sort orders, facet plans, suggestions
    sqlite.py      SQLite: FTS5, bm25, a page statement and a facet statement
    postgresql.py  PostgreSQL: weighted tsvector, ts_rank, trigram retry, one statement per search
    schema.py      the engine structures (FTS5 table and triggers; tsvector, GIN and trigram
                   indexes) the migrations create, and the facet cells' SQL

Every query token is an OR-group of its synonyms; a document must match every group. Geo
search: a bounding-box prefilter on (latitude, longitude) (btree) and the exact haversine
distance on the rows left; at our scale (a few thousand listings within a radius) this beats
per-row earthdistance and needs no extension on either engine (see docs/search.md).

Facets of a search without words, radius or price range are sums over the facet cells (a few
thousand rows, whatever the corpus size); other searches count the matching documents.
"""
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from search.backends.database.backend import DatabaseSearchBackend


def DatabaseBackend(using: str = "default") -> DatabaseSearchBackend:
    """The database backend for the engine of connection `using` (SQLite or PostgreSQL)."""
    vendor = connections[using].vendor
    if vendor == "sqlite":
        from search.backends.database.sqlite import SQLiteSearchBackend

        return SQLiteSearchBackend(using)
    if vendor == "postgresql":
        from search.backends.database.postgresql import PostgreSQLSearchBackend

        return PostgreSQLSearchBackend(using)
    raise ImproperlyConfigured(f"The database search backend supports SQLite and PostgreSQL, not {vendor}.")
