"""Search API: listings with facets and highlights, and completions. Public; anonymous clients are
held to the project's anonymous throttle."""
from dataclasses import replace

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from grading.conditions import condition_label
from listings.models import ListingKind
from marketplace.api.errors import error_body
from search import service
from search.backends.base import FACETS, SearchUnavailable
from search.selectors import category_labels, listing_cards, thumbnail_url
from search.serializers import (
    SearchCardSerializer,
    SearchParamsSerializer,
    SearchResponseSerializer,
    SuggestParamsSerializer,
    SuggestResponseSerializer,
)

ERROR_RESPONSES = {
    400: OpenApiResponse(description="Invalid parameters, in the project's error shape."),
    429: OpenApiResponse(description="Too many requests."),
    503: OpenApiResponse(description="Search is unavailable (type search_unavailable)."),
}


class _SearchView(APIView):
    permission_classes = [AllowAny]

    def handle_exception(self, exc):
        if isinstance(exc, SearchUnavailable):
            body = error_body(
                503, "search_unavailable", _("Search unavailable."),
                _("Search is unavailable at the moment. Please try again in a minute."),
            )
            return Response(body, status=503)
        return super().handle_exception(exc)


# Card and facet values rendered exactly as SearchResponseSerializer renders them.
_PRICE = SearchCardSerializer().fields["price"]


def _card(request, row: dict, hit, stalls: dict[int, int] | None) -> dict:
    cover = thumbnail_url(row["cover_thumbnail"])
    return {
        "id": row["id"], "title": row["title"], "price": _PRICE.to_representation(row["price"]),
        "city": row["city"], "district": row["district"], "grade": row["grade_code"], "kind": row["kind"],
        "deal": row["deal"], "cover_thumbnail_url": request.build_absolute_uri(cover) if cover else None,
        "highlights": {key: hit.highlights[key] for key in ("title", "description") if key in hit.highlights},
        "distance_km": None if hit.distance_km is None else float(hit.distance_km),
        "stall": None if stalls is None else stalls.get(row["id"]),
    }


def _at_event(request, query, event_id):
    """The query narrowed to the listings brought to the event, and their stall numbers; an event
    the caller may not see is a 400 on `event`, as an unknown category is on `category`."""
    from events.selectors import stalls_of_listings_at

    stalls = stalls_of_listings_at(request.user, event_id)
    if stalls is None:
        raise ValidationError({"event": [_("There is no event with this id.")]})
    return replace(query, listing_ids=frozenset(stalls)), stalls


def _facets(facets: dict) -> dict:
    entries = facets.get("category", [])
    names = category_labels([entry["value"] for entry in entries]) if entries else {}
    kinds = dict(ListingKind.choices)

    def label(facet, value):
        if facet == "category":
            return names.get(value, str(value))
        if facet == "kind":
            return str(kinds.get(value, value))
        if facet == "condition":
            return condition_label(value)
        return str(value)

    return {
        facet: [{"value": str(e["value"]), "label": label(facet, e["value"]), "count": e["count"]}
                for e in facets.get(facet, [])]
        for facet in FACETS
    }


class SearchListingsView(_SearchView):
    @extend_schema(
        operation_id="search_listings",
        summary="Search active listings",
        parameters=[SearchParamsSerializer],
        responses={200: SearchResponseSerializer, **ERROR_RESPONSES},
    )
    def get(self, request):
        query, event_id = SearchParamsSerializer.parse_with_event(request.query_params)
        stalls = None
        if event_id is not None:
            query, stalls = _at_event(request, query, event_id)
        results = service.search(query)
        cards = results.cards if results.cards is not None else listing_cards([hit.id for hit in results.hits])
        items = [_card(request, cards[hit.id], hit, stalls) for hit in results.hits if hit.id in cards]
        url = request.build_absolute_uri()
        has_next = query.offset + len(results.hits) < results.total
        previous = None
        if query.page > 1:
            previous = replace_query_param(url, "page", query.page - 1) if query.page > 2 else remove_query_param(url, "page")
        body = {
            "count": results.total,
            "total_is_exact": results.total_is_exact,
            "page": query.page,
            "page_size": query.page_size,
            "next": replace_query_param(url, "page", query.page + 1) if has_next else None,
            "previous": previous,
            "results": items,
            "facets": _facets(results.facets),
            "took_ms": round(results.took_ms, 2),
        }
        # The body as SearchResponseSerializer(body).data would render it, without its per-field cost.
        return Response(body)


class SuggestView(_SearchView):
    @extend_schema(
        operation_id="search_suggest",
        summary="Complete a title or category name",
        parameters=[SuggestParamsSerializer],
        responses={200: SuggestResponseSerializer, **ERROR_RESPONSES},
    )
    def get(self, request):
        params = SuggestParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        suggestions = service.suggest(params.validated_data["prefix"], limit=params.validated_data["limit"])
        return Response({"suggestions": suggestions})
