"""Creating, editing, reading and filtering listings through the API."""
from decimal import Decimal

import pytest

from grading.models import Assessment, GradingStandard
from listings import lifecycle
from listings.models import Listing, ListingChange, ListingState
from tests.factories import OrganizationFactory, StaffFactory, UserFactory
from tests.helpers import assert_error_shape
from tests.listings.factories import ListingFactory, PhotoFactory, active, category

pytestmark = pytest.mark.django_db


def detail(client, listing):
    return client.get(f"/api/v1/listings/{listing.pk}/")


class TestCreate:
    def test_a_resident_creates_a_draft_with_a_rounded_location(self, client_for, user, furniture_payload):
        response = client_for(user).post("/api/v1/listings/", furniture_payload, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["state"] == "draft" and body["is_owner"] is True
        assert (body["latitude"], body["longitude"]) == ("23.13", "113.33")
        listing = Listing.objects.get(pk=body["id"])
        assert listing.seller == user and listing.organization is None
        assert (listing.latitude, listing.longitude) == (Decimal("23.13"), Decimal("113.33"))
        assert listing.handover_options == ["pickup", "delivery"]

    def test_the_client_cannot_set_owner_state_grade_or_views(self, client_for, user, other_user, furniture_payload):
        payload = {**furniture_payload, "seller": other_user.pk, "state": "active", "grade_code": "A", "view_count": 999}
        body = client_for(user).post("/api/v1/listings/", payload, format="json").json()
        listing = Listing.objects.get(pk=body["id"])
        assert (listing.seller, listing.state, listing.grade_code, listing.view_count) == (user, "draft", "", 0)

    def test_attributes_are_checked_against_the_category(self, client_for, user, furniture_payload):
        payload = {**furniture_payload, "category": category("textbooks").pk, "attributes": {"isbn": "9787111213827"}}
        body = assert_error_shape(client_for(user).post("/api/v1/listings/", payload, format="json"), 400, "invalid_attributes")
        assert "attributes.isbn" in body["errors"]

    def test_isbn_is_stored_as_isbn13(self, client_for, user, furniture_payload):
        payload = {**furniture_payload, "category": category("textbooks").pk, "attributes": {"isbn": "7-111-21382-3"}}
        body = client_for(user).post("/api/v1/listings/", payload, format="json").json()
        assert body["attributes"] == {"isbn": "9787111213826"}

    @pytest.mark.parametrize("price", ["0", "-5", "10000000.00", "abc", "1.234"])
    def test_prices_must_be_positive_and_sane(self, client_for, user, furniture_payload, price):
        response = client_for(user).post("/api/v1/listings/", {**furniture_payload, "price": price}, format="json")
        body = assert_error_shape(response, 400, "validation_error")
        assert "price" in body["errors"]

    def test_a_person_sells_one_item_an_organization_sells_stock(self, client_for, user, shop, shop_member, furniture_payload):
        assert_error_shape(
            client_for(user).post("/api/v1/listings/", {**furniture_payload, "quantity": 3}, format="json"), 400,
            "quantity_not_allowed",
        )
        response = client_for(shop_member).post(
            "/api/v1/listings/", {**furniture_payload, "quantity": 30, "organization": shop.pk}, format="json"
        )
        assert response.status_code == 201
        assert response.json()["organization"]["id"] == shop.pk and response.json()["quantity"] == 30

    def test_an_unverified_or_non_selling_organization_cannot_list(self, client_for, furniture_payload):
        from tests.factories import member_of

        pending = OrganizationFactory(verification_status="pending")
        agency = OrganizationFactory(kind="inspection_agency")
        for org in (pending, agency):
            member = member_of(org)
            response = client_for(member).post("/api/v1/listings/", {**furniture_payload, "organization": org.pk}, format="json")
            assert_error_shape(response, 403)

    def test_unknown_hand_over_options_are_refused(self, client_for, user, furniture_payload):
        response = client_for(user).post("/api/v1/listings/", {**furniture_payload, "handover_options": ["drone"]}, format="json")
        assert_error_shape(response, 400, "validation_error")


class TestEdit:
    def test_price_and_description_changes_are_kept_and_shown(self, client_for, api):
        listing = active(price=Decimal("500.00"), description="九成新")
        seller = client_for(listing.seller)
        seller.patch(f"/api/v1/listings/{listing.pk}/", {"price": "450.00"}, format="json")
        seller.patch(f"/api/v1/listings/{listing.pk}/", {"description": "九成新，可小刀", "title": "新标题"}, format="json")
        history = api.get(f"/api/v1/listings/{listing.pk}/history/").json()
        assert [(h["field"], h["old_value"], h["new_value"]) for h in history] == [
            ("price", "500.00", "450.00"),
            ("description", "九成新", "九成新，可小刀"),
        ]
        assert ListingChange.objects.filter(listing=listing, actor=listing.seller).count() == 2

    def test_an_unchanged_price_leaves_no_history(self, client_for):
        listing = active(price=Decimal("500.00"))
        client_for(listing.seller).patch(f"/api/v1/listings/{listing.pk}/", {"price": "500.00"}, format="json")
        assert not ListingChange.objects.exists()

    def test_a_sold_listing_cannot_be_edited(self, client_for):
        listing = lifecycle.mark_sold(active(), actor=None)
        response = client_for(listing.seller).patch(f"/api/v1/listings/{listing.pk}/", {"price": "1.00"}, format="json")
        assert_error_shape(response, 409, "listing_sold")
        listing.refresh_from_db()
        assert listing.price == Decimal("350.00")

    def test_category_and_kind_change_only_in_draft(self, client_for):
        draft = ListingFactory()
        seller = client_for(draft.seller)
        novels = category("novels")
        response = seller.patch(f"/api/v1/listings/{draft.pk}/", {"category": novels.pk, "attributes": {"author": "余华"}}, format="json")
        assert response.status_code == 200 and response.json()["category"]["slug"] == "novels"
        live = active()
        response = client_for(live.seller).patch(f"/api/v1/listings/{live.pk}/", {"kind": "refurbished"}, format="json")
        assert_error_shape(response, 409, "not_draft")

    def test_a_new_category_rechecks_the_attributes(self, client_for):
        draft = ListingFactory(attributes={"material": "实木"})
        response = client_for(draft.seller).patch(
            f"/api/v1/listings/{draft.pk}/", {"category": category("auto-parts").pk}, format="json"
        )
        assert_error_shape(response, 400, "invalid_attributes")

    def test_only_drafts_are_deleted(self, client_for, django_capture_on_commit_callbacks):
        live = active()
        assert_error_shape(client_for(live.seller).delete(f"/api/v1/listings/{live.pk}/"), 409, "not_draft")
        draft = ListingFactory()
        photo = PhotoFactory(listing=draft)
        storage, name = photo.original.storage, photo.original.name
        with django_capture_on_commit_callbacks(execute=True):
            assert client_for(draft.seller).delete(f"/api/v1/listings/{draft.pk}/").status_code == 204
        assert not Listing.objects.filter(pk=draft.pk).exists()
        assert not storage.exists(name)  # files go once the deletion is committed


class TestDetail:
    def test_detail_shows_what_a_buyer_needs_and_no_contact_data(self, api):
        seller = UserFactory(display_name="李娜", email="lina@example.com", phone="+8613800138000")
        listing = active(seller=seller, category=category("textbooks"), attributes={"isbn": "9787111213826"})
        body = detail(api, listing).json()
        assert body["seller"] == {"id": seller.pk, "display_name": "李娜"}
        assert "lina@example.com" not in str(body) and "13800138000" not in str(body)
        assert [c["slug"] for c in body["category_path"]] == ["books", "textbooks"]
        assert body["attributes"] == {"isbn": "9787111213826"}
        photo = body["photos"][0]
        assert photo["display_url"].startswith("http://testserver/media/listings/") and photo["display_url"].endswith(".webp")
        assert body["cover_thumbnail_url"] == photo["thumbnail_url"]
        assert body["suspension_reason"] is None and body["is_owner"] is False
        assert photo["duplicate_of_listing"] is None

    def test_declared_and_inspected_grades_with_the_mismatch_flag(self, api):
        listing = active(grade_code="B", grade_source="inspection", grade_mismatch=True)
        standard = GradingStandard.objects.get(code="furniture", status="published")
        best, second = list(standard.levels.order_by("rank")[:2])
        agency = OrganizationFactory(kind="inspection_agency")
        Assessment.objects.create(listing=listing, standard=standard, source="self_declared", assessor=listing.seller, grade=best)
        Assessment.objects.create(
            listing=listing, standard=standard, source="inspection", assessor=UserFactory(), inspection_agency=agency, grade=second
        )
        body = detail(api, listing).json()
        assert body["declared_grade"]["code"] == best.code
        assert body["inspected_grade"]["code"] == second.code
        assert body["inspected_grade"]["standard"] == standard.label
        assert body["grade_mismatch"] is True and body["grade_code"] == "B"

    def test_the_owner_and_staff_see_the_suspension_reason(self, client_for, api):
        listing = lifecycle.suspend(active(), actor=StaffFactory(), reason="照片与描述不符")
        assert detail(client_for(listing.seller), listing).json()["suspension_reason"] == "照片与描述不符"
        assert detail(client_for(StaffFactory()), listing).json()["suspension_sources"] == ["moderation"]
        assert detail(api, listing).status_code == 404

    def test_favourite_count_and_my_favourite(self, client_for):
        listing = active()
        fans = [UserFactory() for _ in range(3)]
        for fan in fans:
            assert client_for(fan).post(f"/api/v1/listings/{listing.pk}/favourite/").status_code == 201
        client_for(fans[0]).post(f"/api/v1/listings/{listing.pk}/favourite/")  # twice is still one
        body = detail(client_for(fans[0]), listing).json()
        assert body["favourite_count"] == 3 and body["is_favourite"] is True
        assert detail(client_for(UserFactory()), listing).json()["is_favourite"] is False
        client_for(fans[0]).delete(f"/api/v1/listings/{listing.pk}/favourite/")
        assert detail(client_for(fans[0]), listing).json()["favourite_count"] == 2

    def test_views_are_counted_once_per_viewer_and_never_the_sellers(self, client_for, api):
        listing = active()
        detail(client_for(listing.seller), listing)
        viewer = client_for(UserFactory())
        detail(viewer, listing)
        detail(viewer, listing)
        detail(api, listing)
        listing.refresh_from_db()
        assert listing.view_count == 2

    def test_a_draft_can_not_be_favourited(self, client_for, user):
        draft = ListingFactory(seller=user)
        other = client_for(UserFactory())
        assert other.post(f"/api/v1/listings/{draft.pk}/favourite/").status_code == 404


class TestListAndFilters:
    def test_the_public_sees_published_listings_only(self, api):
        shown = [active(), lifecycle.reserve(active(), actor=None), lifecycle.mark_sold(active(), actor=None)]
        hidden = [ListingFactory(), lifecycle.withdraw(active(), actor=None), lifecycle.suspend(active(), actor=None, reason="x")]
        ids = {row["id"] for row in api.get("/api/v1/listings/").json()["results"]}
        assert ids == {listing.pk for listing in shown}
        assert not ids & {listing.pk for listing in hidden}

    def test_sellers_see_their_own_in_every_state_with_mine(self, client_for, user):
        mine = [ListingFactory(seller=user), lifecycle.withdraw(active(seller=user), actor=None)]
        active()
        for query in ("?mine=1", "?seller=me"):
            ids = {row["id"] for row in client_for(user).get(f"/api/v1/listings/{query}").json()["results"]}
            assert ids == {listing.pk for listing in mine}
        drafts = client_for(user).get("/api/v1/listings/?mine=1&state=draft").json()["results"]
        assert [row["id"] for row in drafts] == [mine[0].pk]

    def test_org_admins_see_the_organizations_listings_with_mine(self, client_for, shop, shop_admin, shop_member):
        listing = ListingFactory(seller=shop_member, organization=shop)
        ids = {row["id"] for row in client_for(shop_admin).get("/api/v1/listings/?mine=1").json()["results"]}
        assert ids == {listing.pk}

    def test_the_public_cannot_widen_the_states(self, api, client_for):
        draft = ListingFactory()
        assert api.get("/api/v1/listings/?state=draft").json()["results"] == []
        staff_rows = client_for(StaffFactory()).get("/api/v1/listings/?state=draft").json()["results"]
        assert [row["id"] for row in staff_rows] == [draft.pk]

    def test_filters(self, api, shop):
        phone = active(category=category("phones"), attributes={"brand": "Apple", "model": "iPhone 12"}, price=Decimal("2100"), city="深圳市", grade_code="B")
        book = active(category=category("novels"), attributes={}, price=Decimal("15"), city="南宁市", grade_code="A")
        org_item = active(organization=shop, price=Decimal("800"), kind="refurbished")

        def ids(query):
            response = api.get(f"/api/v1/listings/?{query}")
            assert response.status_code == 200, response.content
            return {row["id"] for row in response.json()["results"]}

        assert ids(f"category={category('phones-tablets').pk}") == {phone.pk}  # descendants included
        assert ids(f"category={category('books').pk}") == {book.pk}
        assert ids("min_price=100&max_price=1000") == {org_item.pk}
        assert ids("city=南宁市") == {book.pk}
        assert ids("grade=B") == {phone.pk}
        assert ids("kind=refurbished") == {org_item.pk}
        assert ids(f"organization={shop.pk}") == {org_item.pk}
        assert ids(f"seller={phone.seller_id}") == {phone.pk}
        assert ids("seller=me") == set()
        rows = api.get("/api/v1/listings/?ordering=price").json()["results"]
        assert [row["id"] for row in rows] == [book.pk, org_item.pk, phone.pk]

    def test_a_page_of_20_listings_costs_a_constant_number_of_queries(self, api, client_for, django_assert_max_num_queries):
        standard = GradingStandard.objects.get(code="furniture", status="published")
        level = standard.levels.order_by("rank").first()
        shop = OrganizationFactory()
        for index in range(20):
            listing = active(organization=shop if index % 2 else None)
            PhotoFactory(listing=listing, position=1)
            Assessment.objects.create(listing=listing, standard=standard, source="self_declared", assessor=listing.seller, grade=level)
        # count, page, photos, assessments (+ session/user lookups stay out: force_authenticate)
        with django_assert_max_num_queries(4):
            response = api.get("/api/v1/listings/?page_size=20")
        assert len(response.json()["results"]) == 20
        assert all(row["cover_thumbnail_url"] for row in response.json()["results"])
        user = UserFactory()
        with django_assert_max_num_queries(6):
            assert client_for(user).get("/api/v1/listings/?mine=1").status_code == 200
        furniture = category("furniture").pk
        with django_assert_max_num_queries(5):  # + the category tree, for descendants
            assert len(client_for(user).get(f"/api/v1/listings/?category={furniture}").json()["results"]) == 20

    def test_detail_costs_a_constant_number_of_queries(self, api, django_assert_max_num_queries):
        listing = active()
        for position in range(1, 6):
            PhotoFactory(listing=listing, position=position)
        # 7 for the listing, its photos, grades and counts; 3 for the seller's record (orders' extra).
        with django_assert_max_num_queries(10):
            assert detail(api, listing).status_code == 200


class TestLifecycleEndpoints:
    def test_publish_refusal_lists_every_reason(self, client_for):
        draft = ListingFactory(grade_code="")
        body = assert_error_shape(client_for(draft.seller).post(f"/api/v1/listings/{draft.pk}/publish/"), 409, "not_publishable")
        assert "photo" in body["detail"] and "Grade" in body["detail"]

    def test_the_seller_walks_a_listing_to_sold(self, client_for):
        draft = ListingFactory(grade_code="A")
        PhotoFactory(listing=draft)
        seller = client_for(draft.seller)
        for step, state in [("publish", "active"), ("reserve", "reserved"), ("release", "active"), ("reserve", "reserved"), ("mark-sold", "sold")]:
            response = seller.post(f"/api/v1/listings/{draft.pk}/{step}/", {"reason": "买家确认"}, format="json")
            assert response.status_code == 200, response.content
            assert response.json()["state"] == state
        assert_error_shape(seller.post(f"/api/v1/listings/{draft.pk}/withdraw/"), 409, "invalid_transition")
        transitions = seller.get(f"/api/v1/listings/{draft.pk}/transitions/").json()
        assert [(t["from_state"], t["to_state"]) for t in transitions][-1] == ("reserved", "sold")
        assert transitions[-1]["actor"]["id"] == draft.seller_id

    def test_staff_suspend_needs_a_reason_and_reinstate_restores(self, client_for):
        listing = active()
        staff = client_for(StaffFactory())
        assert_error_shape(staff.post(f"/api/v1/listings/{listing.pk}/suspend/", {}, format="json"), 400)
        assert staff.post(f"/api/v1/listings/{listing.pk}/suspend/", {"reason": "广告"}, format="json").json()["state"] == "suspended"
        assert staff.post(f"/api/v1/listings/{listing.pk}/reinstate/", {}, format="json").json()["state"] == "active"
        assert ListingState(Listing.objects.get(pk=listing.pk).state) == ListingState.ACTIVE


def test_errors_speak_chinese_to_chinese_clients():
    from rest_framework.test import APIClient

    listing = lifecycle.mark_sold(active(), actor=None)
    client = APIClient()
    client.force_authenticate(listing.seller)
    client.credentials(HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = assert_error_shape(client.patch(f"/api/v1/listings/{listing.pk}/", {"price": "1.00"}, format="json"), 409)
    assert body["detail"] == "已售出的商品不能再修改。"
