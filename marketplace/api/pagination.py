"""Pagination: page numbers with a total where totals matter, a cursor for feeds."""
from rest_framework.pagination import CursorPagination, PageNumberPagination


class PagePagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class FeedPagination(CursorPagination):
    """Newest first, stable under inserts: for notification and event feeds."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    # The id breaks ties between rows created in the same instant, so no row is skipped or repeated.
    ordering = ("-created_at", "-id")
