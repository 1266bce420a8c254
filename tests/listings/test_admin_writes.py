"""Admin edits go through listings.services: validated, in the history, and searchable (issue 21, section 2)."""
import json

import pytest
from django.db import connection

from listings import services
from listings.models import Category, Listing, ListingChange
from listings.signals import listing_changed
from marketplace.errors import NotAllowed
from search import service as search_service
from tests.factories import UserFactory
from tests.listings.factories import ListingFactory, active, category

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/search/listings"


@pytest.fixture
def database_search(settings):
    settings.SEARCH_BACKEND = "database"
    search_service.reset_backends()
    yield
    search_service.reset_backends()


INLINES = ("photos", "transitions", "changes")


def listing_form(listing, **changes) -> dict:
    """What the admin's change form posts for `listing`, with `changes` applied."""
    values = {
        "title": listing.title, "description": listing.description, "category": listing.category_id,
        "kind": listing.kind, "price": str(listing.price), "deal": listing.deal, "swap_wanted": listing.swap_wanted,
        "quantity": listing.quantity,
        "handover_options": json.dumps(listing.handover_options), "city": listing.city,
        "district": listing.district, "latitude": "", "longitude": "",
        "attributes": json.dumps(listing.attributes, ensure_ascii=False),
        **({"negotiable": "on"} if listing.negotiable else {}),
    }
    values.update(changes)
    for prefix in INLINES:
        values.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0",
                       f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
    return values


def category_form(node, **changes) -> dict:
    values = {
        "parent": node.parent_id or "", "slug": node.slug, "name_zh": node.name_zh, "name_en": node.name_en,
        "grading_standard_code": node.grading_standard_code, "attribute_schema": json.dumps(node.attribute_schema),
        "position": node.position, **({"requires_data_erasure": "on"} if node.requires_data_erasure else {}),
        **({"is_active": "on"} if node.is_active else {}),
    }
    values.update(changes)
    return values


def found(api, q, **params) -> set[int]:
    response = api.get(SEARCH, {"q": q, **params})
    assert response.status_code == 200, response.content
    return {card["id"] for card in response.json()["results"]}


def test_an_admin_edit_of_the_title_is_validated_searchable_and_in_the_history(
    admin_client, admin_user, api, database_search, django_capture_on_commit_callbacks
):
    listing = active(title="Quuxwood 五斗柜")
    search_service.index(listing)
    assert found(api, "quuxwood") == {listing.pk}

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/listings/listing/{listing.pk}/change/",
                                     listing_form(listing, title="  Zorbacle 五斗柜 "))
    assert response.status_code == 302, response.content.decode()[:2000]

    listing.refresh_from_db()
    assert listing.title == "Zorbacle 五斗柜"  # stripped by the service, as for the seller's edits
    assert found(api, "zorbacle") == {listing.pk}
    assert found(api, "quuxwood") == set()
    change = ListingChange.objects.get(listing=listing)
    assert (change.field, change.old_value, change.new_value, change.actor) == (
        "title", "Quuxwood 五斗柜", "Zorbacle 五斗柜", admin_user)
    history = api.get(f"/api/v1/listings/{listing.pk}/history/").json()
    assert [(entry["field"], entry["new_value"]) for entry in history] == [("title", "Zorbacle 五斗柜")]


def test_attribute_errors_show_in_the_admin_form_and_nothing_is_saved(admin_client):
    listing = active(category=category("novels"), attributes={"author": "余华"})
    response = admin_client.post(f"/admin/listings/listing/{listing.pk}/change/",
                                 listing_form(listing, attributes=json.dumps({"isbn": "978-7-5442-1"})))
    assert response.status_code == 200
    page = response.content.decode()
    assert "isbn: Not a valid ISBN-10 or ISBN-13 (check the digits)." in page
    assert 'class="errorlist' in page
    listing.refresh_from_db()
    assert listing.attributes == {"author": "余华"}
    assert not ListingChange.objects.exists()


def test_the_services_rules_on_state_apply_to_admin_edits(admin_client):
    listing = active()
    response = admin_client.post(f"/admin/listings/listing/{listing.pk}/change/",
                                 listing_form(listing, category=category("sports").pk, attributes="{}"))
    assert response.status_code == 200
    assert "Category and kind can be changed only while the listing is a draft." in response.content.decode()
    assert Listing.objects.get(pk=listing.pk).category == category("furniture")


def test_a_valid_attribute_edit_is_normalized_and_kept_with_the_staff_member(admin_client, admin_user):
    listing = ListingFactory(category=category("novels"), attributes={})
    response = admin_client.post(f"/admin/listings/listing/{listing.pk}/change/",
                                 listing_form(listing, attributes=json.dumps({"isbn": "7-02-000220-X"})))
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.attributes == {"isbn": "9787020002207"}
    change = ListingChange.objects.get(listing=listing)
    assert (change.field, change.new_value, change.actor) == ("attributes", '{"isbn": "9787020002207"}', admin_user)


def test_listings_are_neither_added_nor_deleted_nor_given_to_another_seller_in_the_admin(admin_client):
    listing = active()
    assert admin_client.get("/admin/listings/listing/add/").status_code == 403
    assert admin_client.get(f"/admin/listings/listing/{listing.pk}/delete/").status_code == 403
    stranger = UserFactory()
    response = admin_client.post(f"/admin/listings/listing/{listing.pk}/change/",
                                 listing_form(listing, seller=stranger.pk, price="300.00"))
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.seller != stranger and str(listing.price) == "300.00"


def test_staff_edits_need_staff():
    listing = active()
    with pytest.raises(NotAllowed):
        services.update_listing(listing, actor=listing.seller, by_staff=True, title="Anything")


class TestCategories:
    def test_a_rename_is_reflected_in_search(self, admin_client, api, database_search, django_capture_on_commit_callbacks):
        listing = active(title="Oak chest of drawers")
        search_service.index(listing)
        furniture = category("furniture")
        assert found(api, "blorptique") == set()

        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(f"/admin/listings/category/{furniture.pk}/change/",
                                         category_form(furniture, name_en="Blorptique"))
        assert response.status_code == 302, response.content.decode()[:2000]

        assert found(api, "blorptique") == {listing.pk}
        facets = api.get(SEARCH, {"q": "oak"}, HTTP_ACCEPT_LANGUAGE="en").json()["facets"]["category"]
        assert {entry["label"] for entry in facets} == {"Blorptique"}

    def test_a_move_reindexes_the_listings_below_the_category(self, admin_client, api, database_search,
                                                                django_capture_on_commit_callbacks):
        novel = active(title="Glimmerfax saga", category=category("novels"), attributes={})
        search_service.index(novel)
        novels, office = category("novels"), category("office-equipment")

        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(f"/admin/listings/category/{novels.pk}/change/",
                                         category_form(novels, parent=office.pk))
        assert response.status_code == 302, response.content.decode()[:2000]

        assert found(api, "glimmerfax", category=office.pk) == {novel.pk}
        assert found(api, "glimmerfax", category=category("books").pk) == set()
        assert search_service.suggest("Office") and novel.title not in search_service.suggest("Books")

    def test_a_category_cannot_be_moved_under_its_own_subcategory(self, admin_client):
        books = category("books")
        response = admin_client.post(f"/admin/listings/category/{books.pk}/change/",
                                     category_form(books, parent=category("novels").pk))
        assert response.status_code == 200
        assert "A category cannot be moved under itself or one of its subcategories." in response.content.decode()
        assert Category.objects.get(pk=books.pk).parent is None

    def test_other_edits_do_not_reindex(self, admin_user, django_capture_on_commit_callbacks, monkeypatch):
        from listings import tasks

        queued = []
        monkeypatch.setattr(tasks.reindex_category_listings, "delay", queued.append)
        furniture = category("furniture")
        with django_capture_on_commit_callbacks(execute=True):
            services.update_category(furniture, actor=admin_user, position=99)
        assert queued == []
        with django_capture_on_commit_callbacks(execute=True):
            services.update_category(furniture, actor=admin_user, name_zh="家具家居")
        assert queued == [furniture.pk]

    def test_the_task_reports_active_listings_of_the_subtree_in_batches(self, django_capture_on_commit_callbacks):
        books = category("books")
        inside = [active(category=category(slug), attributes={}) for slug in ("books", "novels", "novels")]
        inside.append(active(category=category("textbooks"), attributes={"isbn": "9787020002207"}))
        ListingFactory(category=category("novels"), attributes={})  # a draft: not in the index
        active()  # furniture: another subtree
        seen, transactions = [], set()

        def receive(sender, listing, **kwargs):
            seen.append(listing.pk)
            transactions.add(tuple(connection.savepoint_ids))  # each batch runs in an atomic block of its own

        listing_changed.connect(receive, dispatch_uid="test-batches")
        try:
            assert services.report_category_listings_changed(books.pk, batch_size=2) == 4
        finally:
            listing_changed.disconnect(dispatch_uid="test-batches")
        assert sorted(seen) == sorted(listing.pk for listing in inside)
        assert len(transactions) == 2
