"""Campus book sharing: ISBNs, pre-filled records, corners, deposits and takes with credits."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role
from events import books
from events.models import AppendOnly, BookRecord, CopyStatus, CreditEntry
from marketplace.errors import Conflict, DomainError
from tests.events.factories import CornerFactory, SchoolFactory, member, share_day, student, teacher
from tests.factories import UserFactory
from tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("raw, isbn13", [
    ("978-7-04-039663-8", "9787040396638"),
    ("9787040396638", "9787040396638"),
    ("0-306-40615-2", "9780306406157"),
    ("080442957X", "9780804429573"),
    (" 978 7 5366 9293 0 ", "9787536692930"),
])
def test_isbns_are_validated_and_normalized_to_isbn13(raw, isbn13):
    assert books.normalize_isbn(raw) == isbn13


@pytest.mark.parametrize("raw", ["9787040396639", "0-306-40615-3", "12345", "", "978704039663X", "abcdefghij"])
def test_invalid_isbns_are_refused_with_the_field(raw):
    with pytest.raises(DomainError) as refusal:
        books.normalize_isbn(raw)
    assert refusal.value.field == "isbn" and refusal.value.code == "invalid_isbn"


def test_lookup_prefills_from_the_first_givers_record(client_for, school):
    keeper = teacher(school)
    corner = CornerFactory(organization=school)
    books.deposit_book(corner, actor=keeper, giver=student(school), isbn="978-7-04-039663-8", title="高等数学 上册",
                       author="同济大学数学系", edition="第七版", subject="数学", school_grade="高三", grade="VG")
    body = client_for(UserFactory()).get("/api/v1/events/books/lookup", {"isbn": "9787040396638"}).json()
    assert body["known"] is True and body["source"] == "book_record"
    assert (body["title"], body["author"], body["edition"]) == ("高等数学 上册", "同济大学数学系", "第七版")
    # A later giver's description does not overwrite the first one; it fills blanks only.
    books.record_book(isbn="9787040396638", actor=keeper, title="另一个书名", publisher="高等教育出版社")
    record = BookRecord.objects.get(isbn="9787040396638")
    assert record.title == "高等数学 上册" and record.publisher == "高等教育出版社"


def test_lookup_of_an_unknown_isbn_and_of_a_bad_one(client_for):
    body = client_for(UserFactory()).get("/api/v1/events/books/lookup", {"isbn": "9787536692930"}).json()
    assert body["known"] is False and body["title"] == ""
    assert_error_shape(client_for(UserFactory()).get("/api/v1/events/books/lookup", {"isbn": "9787536692931"}), 400,
                       "invalid_isbn")
    assert client_for(None).get("/api/v1/events/books/lookup", {"isbn": "9787536692930"}).status_code == 401


def test_a_new_isbn_needs_a_title():
    with pytest.raises(DomainError) as refusal:
        books.record_book(isbn="9787536692930", actor=None)
    assert refusal.value.field == "title"


def test_a_deposit_earns_the_grades_credits_and_a_take_spends_them(client_for, school, settings):
    settings.EVENTS_BOOK_CREDITS = {"AN": 3, "F": 3, "VG": 2, "G": 2, "FR": 1, "P": 1}
    keeper, giver, taker = teacher(school), student(school), student(school)
    corner = CornerFactory(organization=school)
    response = client_for(keeper).post(f"/api/v1/events/corners/{corner.pk}/books",
                                       {"giver": giver.pk, "isbn": "9787040396638", "title": "高等数学", "subject": "数学",
                                        "grade": "VG"}, format="json")
    assert response.status_code == 201, response.content
    copy_id = response.json()["id"]
    assert response.json()["credits"] == 2
    assert client_for(giver).get(f"/api/v1/events/credits/{school.pk}").json()["balance"] == 2
    assert_error_shape(client_for(taker).post(f"/api/v1/events/corners/{corner.pk}/books/{copy_id}/take", {},
                                              format="json"), 409, "insufficient_credits")
    took = client_for(giver).post(f"/api/v1/events/corners/{corner.pk}/books/{copy_id}/take", {}, format="json")
    assert took.status_code == 200 and took.json()["status"] == "taken"
    account = client_for(giver).get(f"/api/v1/events/credits/{school.pk}").json()
    assert account["balance"] == 0
    assert [(entry["kind"], entry["amount"], entry["balance_after"]) for entry in account["entries"]] == [
        ("take", -2, 0), ("deposit", 2, 2)]
    assert_error_shape(client_for(giver).post(f"/api/v1/events/corners/{corner.pk}/books/{copy_id}/take", {},
                                              format="json"), 409, "already_taken")


def test_grade_x_and_unknown_grades_cannot_be_shared(client_for, school):
    keeper, corner = teacher(school), CornerFactory(organization=school)
    for grade in ("X", "Z"):
        response = client_for(keeper).post(f"/api/v1/events/corners/{corner.pk}/books",
                                           {"giver": student(school).pk, "isbn": "9787040396638", "title": "书",
                                            "grade": grade}, format="json")
        body = assert_error_shape(response, 400, "invalid_grade")
        assert "grade" in body["errors"]


def test_only_students_and_teachers_of_the_school_take_part(client_for, school):
    keeper, corner = teacher(school), CornerFactory(organization=school)
    outsider, other_school_student = UserFactory(), student(SchoolFactory())
    admin_without_campus_role = member(school, Role.ADMIN)
    for person in (outsider, other_school_student, admin_without_campus_role):
        with pytest.raises(Exception) as refusal:
            books.deposit_book(corner, actor=keeper, giver=person, isbn="9787040396638", title="书", grade="G")
        assert getattr(refusal.value, "code", "") == "not_a_campus_member"
    # Corners are listed to the school's campus members and admins only.
    assert client_for(outsider).get(f"/api/v1/events/corners/{corner.pk}/").status_code == 404
    assert client_for(other_school_student).get("/api/v1/events/corners/").json()["results"] == []
    assert client_for(student(school)).get(f"/api/v1/events/corners/{corner.pk}/").status_code == 200
    assert client_for(admin_without_campus_role).get(f"/api/v1/events/corners/{corner.pk}/").status_code == 200


def test_students_do_not_record_deposits(client_for, school):
    corner, pupil = CornerFactory(organization=school), student(school)
    response = client_for(pupil).post(f"/api/v1/events/corners/{corner.pk}/books",
                                      {"giver": pupil.pk, "isbn": "9787040396638", "title": "书", "grade": "G"},
                                      format="json")
    assert_error_shape(response, 403)


def test_a_keeper_records_a_take_for_a_member_but_a_student_cannot_for_another(client_for, school):
    keeper, corner = teacher(school), CornerFactory(organization=school)
    giver, friend = student(school), student(school)
    copy = books.deposit_book(corner, actor=keeper, giver=giver, isbn="9787040396638", title="书", grade="G")
    path = f"/api/v1/events/corners/{corner.pk}/books/{copy.pk}/take"
    assert_error_shape(client_for(friend).post(path, {"member": giver.pk}, format="json"), 403)
    assert client_for(keeper).post(path, {"member": giver.pk}, format="json").status_code == 200
    copy.refresh_from_db()
    assert copy.taken_by == giver


def test_a_take_during_a_share_day_at_the_corner_counts_for_the_day(school):
    keeper, corner = teacher(school), CornerFactory(organization=school)
    day = share_day(school, corner=corner, state="ongoing")
    giver = student(school)
    copy = books.deposit_book(corner, actor=keeper, giver=giver, isbn="9787040396638", title="书", grade="G")
    assert books.take_book(copy, actor=giver).taken_at_event == day


def test_corners_are_made_by_school_admins_with_valid_opening_hours(client_for, school, school_admin, community, organizer):
    payload = {"organization": school.pk, "name_zh": "旧书角", "place_zh": "教学楼一楼",
               "opening_hours": [{"days": [1, 3, 5], "opens": "12:00", "closes": "13:00"}]}
    response = client_for(school_admin).post("/api/v1/events/corners/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["in_stock"] == 0
    bad = dict(payload, opening_hours=[{"days": [1], "opens": "14:00", "closes": "13:00"}])
    assert_error_shape(client_for(school_admin).post("/api/v1/events/corners/", bad, format="json"), 400, "invalid_hours")
    assert_error_shape(client_for(student(school)).post("/api/v1/events/corners/", payload, format="json"), 403)
    not_school = dict(payload, organization=community.pk)
    assert_error_shape(client_for(organizer).post("/api/v1/events/corners/", not_school, format="json"), 403)


def test_stock_per_corner_by_subject_and_grade(client_for, school):
    keeper, corner = teacher(school), CornerFactory(organization=school)
    giver = student(school)
    for isbn, subject, grade in [("9787040396638", "数学", "VG"), ("9787040396621", "数学", "G"),
                                 ("9787560013473", "英语", "VG")]:
        books.deposit_book(corner, actor=keeper, giver=giver, isbn=isbn, title="书", subject=subject, grade=grade)
    stock = client_for(giver).get(f"/api/v1/events/corners/{corner.pk}/stock").json()
    assert stock["in_stock"] == 3 and stock["taken"] == 0
    assert stock["by_subject"] == [{"subject": "数学", "count": 2}, {"subject": "英语", "count": 1}]
    assert stock["by_grade"] == [{"grade": "G", "count": 1}, {"grade": "VG", "count": 2}]
    shelf = client_for(giver).get(f"/api/v1/events/corners/{corner.pk}/books").json()
    assert shelf["count"] == 3


def test_credit_entries_are_append_only(school):
    keeper, corner, giver = teacher(school), CornerFactory(organization=school), student(school)
    books.deposit_book(corner, actor=keeper, giver=giver, isbn="9787040396638", title="书", grade="G")
    entry = CreditEntry.objects.get()
    entry.amount = 100
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()


def test_a_member_sees_only_their_own_credits_keepers_see_anyones(client_for, school):
    keeper, pupil, other = teacher(school), student(school), student(school)
    path = f"/api/v1/events/credits/{school.pk}"
    assert client_for(pupil).get(path).json()["balance"] == 0
    assert_error_shape(client_for(pupil).get(path, {"member": other.pk}), 403)
    assert client_for(keeper).get(path, {"member": other.pk}).json()["member"] == other.pk
    assert_error_shape(client_for(UserFactory()).get(path), 403)


# --- the ledger as a property -------------------------------------------------------------------

operations = st.lists(
    st.tuples(st.sampled_from(["deposit", "take"]), st.sampled_from(["AN", "VG", "G", "P"]), st.integers(0, 2)),
    min_size=1, max_size=14,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_any_sequence_of_deposits_and_takes_keeps_balance_equal_to_the_sum_and_never_negative(steps):
    school = SchoolFactory()
    corner = CornerFactory(organization=school)
    keeper = teacher(school)
    members = [student(school) for _ in range(3)]
    shelf = [books.deposit_book(corner, actor=keeper, giver=keeper, isbn="9787560013473", title="书", grade="P")
             for _ in range(3)]
    for action, grade, who in steps:
        person = members[who]
        if action == "deposit":
            shelf.append(books.deposit_book(corner, actor=keeper, giver=person, isbn="9787040396638", title="书",
                                            grade=grade))
            continue
        available = [copy for copy in shelf if copy.status == CopyStatus.IN_STOCK]
        if not available:
            continue
        copy = available[-1]
        before = books.balance(school, person)
        try:
            books.take_book(copy, actor=person)
            copy.refresh_from_db()
            assert before >= copy.credits
        except Conflict as refusal:
            assert refusal.code == "insufficient_credits" and before < copy.credits
            copy.refresh_from_db()
            assert copy.status == CopyStatus.IN_STOCK  # a refused take writes nothing
    for person in [*members, keeper]:
        entries = list(CreditEntry.objects.filter(account__organization=school, account__member=person).order_by("id"))
        running = 0
        for entry in entries:
            running += entry.amount
            assert entry.balance_after == running >= 0
        assert books.balance(school, person) == running >= 0
