"""Query-string filters shared by the list endpoints."""
from django_filters import rest_framework as filters

# Ids are compared in the database: beyond 64 bits neither engine can (SQLite cannot even bind
# them), so a larger one is a 400, never a 500 or a scan for nothing.
MAX_ID = 2**63 - 1


def is_id(text: str) -> bool:
    """`text` is an id as a client writes one: ASCII digits, from 1 to MAX_ID."""
    return text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID


class IdFilter(filters.NumberFilter):
    """An id in the query string: a whole number from 1 to MAX_ID, else a 400 naming the parameter."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault("decimal_places", 0)
        super().__init__(*args, **kwargs)
