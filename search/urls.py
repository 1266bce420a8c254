from django.urls import path

from search.views import SearchListingsView, SuggestView

urlpatterns = [
    path("search/listings", SearchListingsView.as_view(), name="search-listings"),
    path("search/suggest", SuggestView.as_view(), name="search-suggest"),
]
