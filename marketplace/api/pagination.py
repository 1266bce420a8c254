"""Pagination: page numbers with a total where totals matter, a cursor for feeds."""
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.pagination import CursorPagination, PageNumberPagination

from marketplace.errors import DomainError


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


class _PageParams(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=PagePagination.max_page_size,
                                         default=PagePagination.page_size)


class ValidatedPagePagination(PagePagination):
    """Page numbers answered as the search endpoint answers them: `page` and `page_size` must be
    whole numbers (page_size 1 to 100), else 400 `validation_error`; a page past the last one is
    400 `page_out_of_range` (the first page of an empty list is an empty page)."""

    def paginate_queryset(self, queryset, request, view=None):
        params = _PageParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        number, size = params.validated_data["page"], params.validated_data["page_size"]
        paginator = self.django_paginator_class(queryset, size)
        if number > paginator.num_pages:
            raise DomainError(
                _("Page %(page)s is past the last page of results.") % {"page": number},
                code="page_out_of_range", field="page",
            )
        self.page = paginator.page(number)
        self.request = request
        return list(self.page)
