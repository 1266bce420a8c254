"""Small things a client trips over (issue 22, item 22): the favourite answered, report reasons
listed, a category given by its slug."""
import threading

import pytest
from rest_framework.test import APIClient

from listings.models import Favourite, Listing, ReportReason
from tests.helpers import assert_error_shape, run_together
from tests.listings.factories import ListingFactory, active, category

pytestmark = pytest.mark.django_db


class TestFavourite:
    def test_adding_answers_the_favourite_201_then_200(self, client_for, user):
        listing = active()
        client = client_for(user)
        first = client.post(f"/api/v1/listings/{listing.pk}/favourite/")
        assert first.status_code == 201, first.content
        body = first.json()
        assert set(body) == {"id", "listing", "created_at"}
        assert body["listing"]["id"] == listing.pk and body["listing"]["cover_thumbnail_url"]
        again = client.post(f"/api/v1/listings/{listing.pk}/favourite/")
        assert again.status_code == 200
        assert again.json() == body
        assert Favourite.objects.filter(user=user).count() == 1
        assert [f["id"] for f in client.get("/api/v1/favourites/").json()["results"]] == [body["id"]]


class TestReportReasons:
    def test_an_unknown_reason_is_refused_with_the_list_of_reasons(self, client_for, user):
        listing = active()
        response = client_for(user).post(f"/api/v1/listings/{listing.pk}/report/", {"reason": "spam"}, format="json")
        body = assert_error_shape(response, 400, "validation_error")
        [message] = body["errors"]["reason"]
        assert message.startswith("“spam” is not a reason")
        assert all(reason in message for reason in ReportReason.values)

    def test_the_reasons_are_listed_in_chinese_too(self, client_for, user):
        listing = active()
        client = client_for(user)
        client.credentials(HTTP_ACCEPT_LANGUAGE="zh-hans")
        body = client.post(f"/api/v1/listings/{listing.pk}/report/", {"reason": "spam"}, format="json").json()
        message = body["errors"]["reason"][0]
        assert "不是" in message and "counterfeit" in message

    def test_a_listed_reason_is_accepted(self, client_for, user):
        listing = active()
        response = client_for(user).post(f"/api/v1/listings/{listing.pk}/report/", {"reason": "counterfeit"}, format="json")
        assert response.status_code == 201 and response.json()["reason"] == "counterfeit"


class TestCategoryBySlug:
    def test_a_draft_is_created_and_moved_with_a_category_slug(self, client_for, user, furniture_payload):
        client = client_for(user)
        response = client.post("/api/v1/listings/", {**furniture_payload, "category": "furniture"}, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["category"]["slug"] == "furniture"
        moved = client.patch(f"/api/v1/listings/{body['id']}/", {"category": "sports", "attributes": {}}, format="json")
        assert moved.status_code == 200, moved.content
        assert Listing.objects.get(pk=body["id"]).category == category("sports")
        by_id = client.patch(f"/api/v1/listings/{body['id']}/", {"category": category("apparel").pk,
                                                                "attributes": {"size": "M"}}, format="json")
        assert by_id.json()["category"]["slug"] == "apparel"

    @pytest.mark.parametrize("value", ["no-such-category", 999999, "", True, ["furniture"]])
    def test_an_unknown_or_malformed_category_is_a_400_naming_the_field(self, client_for, user, furniture_payload, value):
        response = client_for(user).post("/api/v1/listings/", {**furniture_payload, "category": value}, format="json")
        assert "category" in assert_error_shape(response, 400, "validation_error")["errors"]

    def test_the_listing_filter_takes_a_slug(self, api):
        novel = active(category=category("novels"), attributes={})
        assert [r["id"] for r in api.get("/api/v1/listings/", {"category": "books"}).json()["results"]] == [novel.pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_favourites_of_one_listing_at_once_make_one_favourite():
    listing = active()
    fan = ListingFactory().seller
    barrier, statuses = threading.Barrier(10), []

    def favourite():
        client = APIClient()
        client.force_authenticate(fan)
        barrier.wait()
        statuses.append(client.post(f"/api/v1/listings/{listing.pk}/favourite/").status_code)

    assert run_together(*([favourite] * 10), timeout=60) == []
    assert sorted(statuses) == [200] * 9 + [201]
    assert Favourite.objects.filter(user=fan, listing=listing).count() == 1
