"""Who may see and do what with sharing corners, credits and swaps: anonymous, resident, member
(a student), organizer (the school's admin), another organization, staff."""
import pytest

from accounts.models import Role
from events import books, swaps
from tests.events.factories import CornerFactory, SchoolFactory, member, share_day, student, teacher
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campus(db):
    school = SchoolFactory()
    corner = CornerFactory(organization=school)
    day = share_day(school, corner=corner)
    keeper, pupil = teacher(school), student(school)
    copy = books.deposit_book(corner, actor=keeper, giver=pupil, isbn="9787040396638", title="高等数学", grade="G")
    swaps.add_offer(day, actor=pupil, isbn="9787040396621", title="线性代数")
    people = {
        "anonymous": None, "resident": UserFactory(), "member": pupil, "organizer": member(school, Role.ADMIN),
        "other_org": member(SchoolFactory(), Role.ADMIN), "staff": StaffFactory(),
    }
    return school, corner, day, copy, people


# path template, method, body, {role: expected status}; anonymous is always 401.
MATRIX = [
    ("/api/v1/events/corners/", "get", None, {"resident": 200, "member": 200, "organizer": 200, "other_org": 200, "staff": 200}),
    ("/api/v1/events/corners/{corner}/", "get", None, {"resident": 404, "member": 200, "organizer": 200, "other_org": 404, "staff": 200}),
    ("/api/v1/events/corners/{corner}/stock", "get", None, {"resident": 404, "member": 200, "organizer": 200, "other_org": 404, "staff": 200}),
    ("/api/v1/events/corners/{corner}/books", "get", None, {"resident": 404, "member": 200, "organizer": 200, "other_org": 404, "staff": 200}),
    ("/api/v1/events/corners/{corner}/", "patch", {"name_en": "Corner"}, {"resident": 404, "member": 403, "organizer": 200, "other_org": 404, "staff": 403}),
    ("/api/v1/events/corners/{corner}/books", "post", "deposit", {"resident": 404, "member": 403, "organizer": 201, "other_org": 404, "staff": 403}),
    ("/api/v1/events/credits/{school}", "get", None, {"resident": 403, "member": 200, "organizer": 403, "other_org": 403, "staff": 200}),
    ("/api/v1/events/{day}/swap/offers", "get", None, {"resident": 404, "member": 200, "organizer": 200, "other_org": 404, "staff": 200}),
    ("/api/v1/events/{day}/swap/offers", "post", {"isbn": "9787536692930", "title": "三体"}, {"resident": 404, "member": 201, "organizer": 403, "other_org": 404, "staff": 403}),
    ("/api/v1/events/{day}/swap/matching", "post", {}, {"resident": 404, "member": 403, "organizer": 201, "other_org": 404, "staff": 403}),
    ("/api/v1/events/{day}/report", "get", None, {"resident": 404, "member": 403, "organizer": 200, "other_org": 404, "staff": 200}),
]


@pytest.mark.parametrize("path, method, body, expected", MATRIX)
def test_book_swap_permission_matrix(client_for, campus, path, method, body, expected):
    school, corner, day, copy, people = campus
    url = path.format(corner=corner.pk, school=school.pk, day=day.pk)
    for role, person in people.items():
        payload = body
        if body == "deposit":
            payload = {"giver": people["member"].pk, "isbn": "9787536692930", "title": "三体", "grade": "VG"}
        code = getattr(client_for(person), method)(url, payload or {}, format="json").status_code
        assert code == (401 if person is None else expected[role]), (role, url, code)
