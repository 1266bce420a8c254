"""Who may call which endpoint: anonymous, another user, the seller, org admin and member, staff."""
import pytest

from accounts.models import Role
from listings import lifecycle
from listings.models import ListingReport, ListingState
from tests.factories import OrganizationFactory, StaffFactory, UserFactory, member_of
from tests.listings.factories import ListingFactory, PhotoFactory, active, upload

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "other", "seller", "org_admin", "org_member", "staff"]


@pytest.fixture
def world(db):
    shop = OrganizationFactory(kind="merchant")
    seller = member_of(shop, Role.MEMBER)
    return {
        "shop": shop,
        "anonymous": None,
        "other": UserFactory(),
        "seller": seller,
        "org_admin": member_of(shop, Role.ADMIN),
        "org_member": member_of(shop, Role.MEMBER),
        "staff": StaffFactory(),
    }


def listing_for(world, state):
    """A listing sold by the shop, created by world["seller"], in `state`."""
    if state == ListingState.DRAFT:
        listing = ListingFactory(seller=world["seller"], organization=world["shop"], grade_code="A")
        PhotoFactory(listing=listing)
        return listing
    listing = active(seller=world["seller"], organization=world["shop"])
    if state == ListingState.RESERVED:
        listing = lifecycle.reserve(listing, actor=None)
    elif state == ListingState.WITHDRAWN:
        listing = lifecycle.withdraw(listing, actor=None)
    elif state == ListingState.SUSPENDED:
        listing = lifecycle.suspend(listing, actor=None, reason="违规")
    return listing


def request(client_for, world, role, method, path, data=None, fmt="json"):
    client = client_for(world[role])
    kwargs = {"format": fmt} if data is not None else {}
    return getattr(client, method)(path, data, **kwargs) if data is not None else getattr(client, method)(path)


def expect(anonymous, other, seller, org_admin, org_member, staff):
    return dict(zip(ROLES, (anonymous, other, seller, org_admin, org_member, staff), strict=True))


# endpoint, listing state, method, path (after /api/v1/listings/{id}), body, expected status per role
CASES = [
    ("detail", "active", "get", "/", None, expect(200, 200, 200, 200, 200, 200)),
    ("detail of a draft", "draft", "get", "/", None, expect(404, 404, 200, 200, 404, 200)),
    ("edit", "active", "patch", "/", {"price": "300.00"}, expect(401, 403, 200, 200, 403, 403)),
    ("delete draft", "draft", "delete", "/", None, expect(401, 404, 204, 204, 404, 403)),
    ("publish", "draft", "post", "/publish/", None, expect(401, 404, 200, 200, 404, 403)),
    ("reserve", "active", "post", "/reserve/", {}, expect(401, 403, 200, 200, 403, 403)),
    ("release", "reserved", "post", "/release/", {}, expect(401, 403, 200, 200, 403, 403)),
    ("mark sold", "reserved", "post", "/mark-sold/", {}, expect(401, 403, 200, 200, 403, 403)),
    ("withdraw", "active", "post", "/withdraw/", {}, expect(401, 403, 200, 200, 403, 403)),
    ("reopen", "withdrawn", "post", "/reopen/", {}, expect(401, 404, 200, 200, 404, 403)),
    ("suspend", "active", "post", "/suspend/", {"reason": "违禁品"}, expect(401, 403, 403, 403, 403, 200)),
    ("reinstate", "suspended", "post", "/reinstate/", {}, expect(401, 403, 403, 403, 403, 200)),
    ("photos", "active", "get", "/photos/", None, expect(200, 200, 200, 200, 200, 200)),
    ("history", "active", "get", "/history/", None, expect(200, 200, 200, 200, 200, 200)),
    ("transitions", "active", "get", "/transitions/", None, expect(401, 403, 200, 200, 403, 200)),
    ("favourite", "active", "post", "/favourite/", {}, expect(401, 201, 400, 201, 201, 201)),
    ("unfavourite", "active", "delete", "/favourite/", None, expect(401, 204, 204, 204, 204, 204)),
    ("report", "active", "post", "/report/", {"reason": "fraud"}, expect(401, 201, 400, 400, 201, 201)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "state", "method", "suffix", "data", "expected"), CASES, ids=[case[0] for case in CASES])
def test_listing_endpoints(client_for, world, role, name, state, method, suffix, data, expected):
    listing = listing_for(world, state)
    response = request(client_for, world, role, method, f"/api/v1/listings/{listing.pk}{suffix}", data)
    assert response.status_code == expected[role], (name, role, response.content)
    if response.status_code >= 400:
        assert set(response.json()) >= {"type", "title", "status", "detail"}


PHOTO_CASES = [
    ("upload", "post", "/photos/", expect(401, 403, 201, 201, 403, 403)),
    ("delete", "delete", "/photos/{photo}/", expect(401, 403, 204, 204, 403, 403)),
    ("set cover", "post", "/photos/{photo}/set-cover/", expect(401, 403, 200, 200, 403, 403)),
    ("reorder", "post", "/photos/reorder/", expect(401, 403, 200, 200, 403, 403)),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "suffix", "expected"), PHOTO_CASES, ids=[case[0] for case in PHOTO_CASES])
def test_photo_endpoints(client_for, world, role, name, method, suffix, expected):
    listing = listing_for(world, "active")
    photo = listing.photos.get()
    second = PhotoFactory(listing=listing, position=1)
    path = f"/api/v1/listings/{listing.pk}" + suffix.format(photo=photo.pk)
    client = client_for(world[role])
    if name == "upload":
        response = client.post(path, {"image": upload()}, format="multipart")
    elif name == "reorder":
        response = client.post(path, {"photo_ids": [second.pk, photo.pk]}, format="json")
    else:
        response = getattr(client, method)(path)
    assert response.status_code == expected[role], (name, role, response.content)


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("other", 201), ("seller", 201), ("org_admin", 201), ("org_member", 201), ("staff", 201)],
)
def test_create_a_personal_listing(client_for, world, role, expected, furniture_payload):
    response = client_for(world[role]).post("/api/v1/listings/", furniture_payload, format="json")
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("other", 403), ("seller", 201), ("org_admin", 201), ("org_member", 201), ("staff", 403)],
)
def test_create_for_the_organization_needs_membership(client_for, world, role, expected, furniture_payload):
    payload = {**furniture_payload, "organization": world["shop"].pk, "quantity": 5}
    response = client_for(world[role]).post("/api/v1/listings/", payload, format="json")
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("other", 200), ("seller", 200), ("org_admin", 200), ("org_member", 200), ("staff", 200)],
)
def test_my_favourites(client_for, world, role, expected):
    assert client_for(world[role]).get("/api/v1/favourites/").status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 401), ("other", 403), ("seller", 403), ("org_admin", 403), ("org_member", 403), ("staff", 200)],
)
@pytest.mark.parametrize("what", ["list", "detail", "suspend", "dismiss"])
def test_moderation_queue_is_staff_only(client_for, world, role, expected, what):
    listing = listing_for(world, "active")
    report = ListingReport.objects.create(listing=listing, reporter=world["other"], reason="fraud")
    client = client_for(world[role])
    base = "/api/v1/moderation/reports/"
    if what == "list":
        response = client.get(base)
    elif what == "detail":
        response = client.get(f"{base}{report.pk}/")
    else:
        response = client.post(f"{base}{report.pk}/{what}/", {"reason": "核实属实"}, format="json")
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("role", ROLES)
def test_list_and_categories_are_open_to_everyone(client_for, world, role):
    client = client_for(world[role])
    assert client.get("/api/v1/listings/").status_code == 200
    assert client.get("/api/v1/categories/").status_code == 200
