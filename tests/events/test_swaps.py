"""Swap mode on a share day: offers, wants, pairs, rings proposed, confirmed or declined, the report."""
import csv
import io

import pytest
from django.db.models.query import QuerySet
from django.utils import translation

from accounts.models import User
from events import books, matching, swaps
from events.models import (
    Event,
    EventAuditRecord,
    EventState,
    OfferStatus,
    SwapOffer,
    SwapRing,
    SwapWant,
    WantStatus,
)
from notifications.models import Notification
from tests.events.factories import CornerFactory, SchoolFactory, share_day, student, teacher
from tests.factories import UserFactory
from tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db

MATH, LINEAR, NOVEL, ENGLISH = "9787040396638", "9787040396621", "9787536692930", "9787560013473"


@pytest.fixture
def day(school):
    return share_day(school)


def offer(client_for, person, event, isbn, **extra):
    body = {"isbn": isbn, "title": extra.pop("title", f"书 {isbn[-4:]}"), **extra}
    response = client_for(person).post(f"/api/v1/events/{event.pk}/swap/offers", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def want(client_for, person, event, isbn):
    response = client_for(person).post(f"/api/v1/events/{event.pk}/swap/wants", {"isbn": isbn, "title": "书"},
                                       format="json")
    assert response.status_code == 201, response.content
    return response.json()


def triangle(client_for, school, day):
    """a gives MATH to b, b gives LINEAR to c, c gives NOVEL to a: a ring, and no pair."""
    a, b, c = (student(school) for _ in range(3))
    offer(client_for, a, day, MATH, subject="数学", school_grade="高一", grade="VG")
    offer(client_for, b, day, LINEAR, subject="数学", school_grade="高二", grade="G")
    offer(client_for, c, day, NOVEL, subject="语文", school_grade="高一", grade="F")
    want(client_for, b, day, MATH)
    want(client_for, c, day, LINEAR)
    want(client_for, a, day, NOVEL)
    return a, b, c


def test_only_students_and_teachers_of_the_school_list_books(client_for, school, day):
    for outsider in (UserFactory(), student(SchoolFactory())):
        response = client_for(outsider).post(f"/api/v1/events/{day.pk}/swap/offers", {"isbn": MATH, "title": "书"},
                                             format="json")
        assert response.status_code == 404  # a members-only share day is not even visible
    assert offer(client_for, teacher(school), day, MATH)["status"] == "open"
    assert_error_shape(client_for(student(school)).post(f"/api/v1/events/{day.pk}/swap/offers",
                                                        {"isbn": "123", "title": "书"}, format="json"), 400, "invalid_isbn")


def test_mutual_pairs_are_proposed_to_both(client_for, school, day):
    a, b = student(school), student(school)
    mine = offer(client_for, a, day, MATH)
    theirs = offer(client_for, b, day, ENGLISH)
    want(client_for, a, day, ENGLISH)
    want(client_for, b, day, MATH)
    pairs = client_for(a).get(f"/api/v1/events/{day.pk}/swap/pairs").json()
    assert pairs == [{"partner": b.pk, "gives_offer": mine["id"], "receives_offer": theirs["id"]}]
    assert client_for(b).get(f"/api/v1/events/{day.pk}/swap/pairs").json()[0]["partner"] == a.pk


def test_the_matching_proposes_a_ring_where_pairs_move_nothing(client_for, school, school_admin, day,
                                                                 django_capture_on_commit_callbacks):
    a, b, c = triangle(client_for, school, day)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(school_admin).post(f"/api/v1/events/{day.pk}/swap/matching", {}, format="json")
    assert response.status_code == 201, response.content
    run = response.json()
    assert (run["books_moved"], run["books_moved_pairs_only"], run["extra_books_from_rings"]) == (3, 0, 3)
    assert run["solver_status"] == "optimal" and run["participants"] == 3
    rings = client_for(a).get(f"/api/v1/events/{day.pk}/swap/rings").json()
    assert len(rings) == 1 and rings[0]["size"] == 3 and rings[0]["status"] == "proposed"
    gives = {(link["giver"], link["receiver"], link["isbn"]) for link in rings[0]["links"]}
    assert gives == {(a.pk, b.pk, MATH), (b.pk, c.pk, LINEAR), (c.pk, a.pk, NOVEL)}
    # Told after the commit, by a task: each member what they give and receive.
    told = Notification.objects.filter(kind="swap_ring_proposed")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted([a.pk, b.pk, c.pk])
    body = told.get(recipient=a).body
    assert "give “书 6638”" in body and "receive “书 2930”" in body
    # A second run leaves them alone while they answer.
    again = client_for(school_admin).post(f"/api/v1/events/{day.pk}/swap/matching", {}, format="json").json()
    assert again["books_moved"] == 0


def test_a_ring_is_fixed_once_everyone_confirmed(client_for, school, school_admin, day):
    a, b, c = triangle(client_for, school, day)
    client_for(school_admin).post(f"/api/v1/events/{day.pk}/swap/matching", {}, format="json")
    ring = SwapRing.objects.get(event=day)
    path = f"/api/v1/events/{day.pk}/swap/rings/{ring.pk}"
    assert client_for(a).post(f"{path}/confirm").json()["status"] == "proposed"
    assert_error_shape(client_for(a).post(f"{path}/confirm"), 409, "already_confirmed")
    assert_error_shape(client_for(student(school)).post(f"{path}/confirm"), 403)
    assert client_for(b).post(f"{path}/confirm").json()["status"] == "proposed"
    fixed = client_for(c).post(f"{path}/confirm").json()
    assert fixed["status"] == "fixed" and all(link["confirmed"] for link in fixed["links"])
    assert set(day.swap_offers.values_list("status", flat=True)) == {OfferStatus.EXCHANGED}
    assert set(day.swap_wants.values_list("status", flat=True)) == {WantStatus.FULFILLED}
    assert Notification.objects.filter(kind="swap_ring_fixed").count() == 3
    assert_error_shape(client_for(a).post(f"{path}/decline", {}, format="json"), 409, "ring_closed")


def test_declining_dissolves_the_ring_and_frees_the_books(client_for, school, school_admin, day):
    a, b, c = triangle(client_for, school, day)
    client_for(school_admin).post(f"/api/v1/events/{day.pk}/swap/matching", {}, format="json")
    ring = SwapRing.objects.get(event=day)
    response = client_for(b).post(f"/api/v1/events/{day.pk}/swap/rings/{ring.pk}/decline", {"reason": "书已借出"},
                                  format="json")
    assert response.json()["status"] == "dissolved"
    assert set(day.swap_offers.values_list("status", flat=True)) == {OfferStatus.OPEN}
    assert Notification.objects.filter(kind="swap_ring_dissolved").count() == 2
    # The books are back in the pool: the next run proposes the ring again.
    assert client_for(school_admin).post(f"/api/v1/events/{day.pk}/swap/matching", {}, format="json").json()[
        "books_moved"] == 3


def test_a_book_in_a_proposed_ring_cannot_be_withdrawn(client_for, school, school_admin, day):
    a, b, c = triangle(client_for, school, day)
    client_for(school_admin).post(f"/api/v1/events/{day.pk}/swap/matching", {}, format="json")
    offer_id = day.swap_offers.get(member=a).pk
    assert_error_shape(client_for(a).delete(f"/api/v1/events/{day.pk}/swap/offers/{offer_id}"), 409, "offer_not_open")
    lone = offer(client_for, a, day, ENGLISH)
    assert client_for(a).delete(f"/api/v1/events/{day.pk}/swap/offers/{lone['id']}").json()["status"] == "withdrawn"
    assert_error_shape(client_for(b).delete(f"/api/v1/events/{day.pk}/swap/offers/{lone['id']}"), 403)


def test_only_the_organizer_runs_the_matching(client_for, school, day):
    assert_error_shape(client_for(student(school)).post(f"/api/v1/events/{day.pk}/swap/matching", {}, format="json"), 403)


def test_rings_only_for_the_organizer_in_full(client_for, school, school_admin, day):
    a, b, c = triangle(client_for, school, day)
    client_for(school_admin).post(f"/api/v1/events/{day.pk}/swap/matching", {}, format="json")
    assert len(client_for(school_admin).get(f"/api/v1/events/{day.pk}/swap/rings").json()) == 1
    assert client_for(student(school)).get(f"/api/v1/events/{day.pk}/swap/rings").json() == []


def test_the_share_day_report_counts_books_by_subject_and_grade_and_exports_csv(client_for, school, school_admin):
    corner = CornerFactory(organization=school)
    day = share_day(school, corner=corner, state="ongoing")
    a, b, c = triangle(client_for, school, day)
    swaps.run_matching(day, actor=school_admin)
    ring = SwapRing.objects.get(event=day)
    for person in (a, b, c):
        swaps.confirm_ring(ring, actor=person)
    keeper = teacher(school)
    copy = books.deposit_book(corner, actor=keeper, giver=a, isbn=ENGLISH, title="新概念英语", subject="英语",
                              school_grade="初二", grade="G")
    taker = student(school)
    books.deposit_book(corner, actor=keeper, giver=taker, isbn=NOVEL, title="三体", grade="G")
    books.take_book(copy, actor=taker)

    report = client_for(school_admin).get(f"/api/v1/events/{day.pk}/report").json()
    assert report["books_exchanged"] == 4
    assert report["by_mode"] == {"swap": 3, "credit": 1}
    assert report["by_subject_and_grade"] == [
        {"subject": "数学", "school_grade": "高一", "count": 1}, {"subject": "数学", "school_grade": "高二", "count": 1},
        {"subject": "英语", "school_grade": "初二", "count": 1}, {"subject": "语文", "school_grade": "高一", "count": 1},
    ]
    assert report["members_exchanging"] == 4 and report["members_taking_part"] == 4

    exported = client_for(school_admin).get(f"/api/v1/events/{day.pk}/report.csv")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 4 and {row["mode"] for row in rows} == {"swap", "credit"}
    assert {row["isbn"] for row in rows} == {MATH, LINEAR, NOVEL, ENGLISH}
    assert_error_shape(client_for(a).get(f"/api/v1/events/{day.pk}/report.csv"), 403)
    assert_error_shape(client_for(a).get(f"/api/v1/events/{day.pk}/report"), 403)


def test_rings_are_written_only_while_the_day_is_open(client_for, school, school_admin):
    finished = share_day(school, state="finished")
    assert_error_shape(client_for(school_admin).post(f"/api/v1/events/{finished.pk}/swap/matching", {}, format="json"),
                       409, "event_closed")


def test_a_book_and_wish_withdrawn_while_the_matching_runs_are_not_put_in_a_ring(school, school_admin, day,
                                                                                   monkeypatch):
    a, b = student(school), student(school)
    mine = swaps.add_offer(day, actor=a, isbn=MATH, title="高等数学")
    swaps.add_offer(day, actor=b, isbn=LINEAR, title="线性代数")
    swaps.add_want(day, actor=b, isbn=MATH)
    wish = swaps.add_want(day, actor=a, isbn=LINEAR)
    real_solve = matching.solve

    def solve_then_withdraw(*args, **kwargs):
        found = real_solve(*args, **kwargs)
        # What a write that skipped the share day's lock would leave while the solver runs.
        SwapOffer.objects.filter(pk=mine.pk).update(status=OfferStatus.WITHDRAWN)
        SwapWant.objects.filter(pk=wish.pk).update(status=WantStatus.WITHDRAWN)
        return found

    monkeypatch.setattr(matching, "solve", solve_then_withdraw)
    run = swaps.run_matching(day, actor=school_admin, max_ring_size=2)
    assert (run.rings_proposed, run.books_moved) == (0, 0)
    assert not SwapRing.objects.filter(event=day).exists()
    statuses = dict(day.swap_offers.values_list("member_id", "status"))
    assert statuses == {a.pk: OfferStatus.WITHDRAWN, b.pk: OfferStatus.OPEN}
    assert SwapWant.objects.get(pk=wish.pk).status == WantStatus.WITHDRAWN


@pytest.mark.parametrize("gone", ["offer", "want"])
def test_a_ring_whose_book_or_wish_is_no_longer_there_is_not_fixed(client_for, school, school_admin, day, gone):
    a, b, c = triangle(client_for, school, day)
    swaps.run_matching(day, actor=school_admin)
    ring = SwapRing.objects.get(event=day)
    path = f"/api/v1/events/{day.pk}/swap/rings/{ring.pk}"
    assert client_for(a).post(f"{path}/confirm").status_code == 200
    assert client_for(b).post(f"{path}/confirm").status_code == 200
    # A ring proposed before withdrawals waited for the matching: c's book or wish is gone since.
    if gone == "offer":
        day.swap_offers.filter(member=c).update(status=OfferStatus.WITHDRAWN)
    else:
        day.swap_wants.filter(member=c).update(status=WantStatus.WITHDRAWN)
    assert_error_shape(client_for(c).post(f"{path}/confirm"), 409, "ring_out_of_date")
    ring.refresh_from_db()
    assert ring.status == "proposed"
    assert not day.swap_offers.filter(status=OfferStatus.EXCHANGED).exists()
    assert not day.swap_wants.filter(status=WantStatus.FULFILLED).exists()
    # Declining still dissolves it, and the withdrawal stays.
    assert client_for(c).post(f"{path}/decline", {}, format="json").json()["status"] == "dissolved"
    expected = OfferStatus.WITHDRAWN if gone == "offer" else OfferStatus.OPEN
    assert day.swap_offers.get(member=c).status == expected


def test_a_wish_submitted_twice_is_409_even_when_both_passed_the_check(client_for, school, day, monkeypatch):
    a = student(school)
    url = f"/api/v1/events/{day.pk}/swap/wants"
    assert client_for(a).post(url, {"isbn": MATH, "title": "高等数学"}, format="json").status_code == 201
    real_exists = QuerySet.exists

    def stale_exists(queryset):
        # The second of two simultaneous requests checked before the first one's wish was committed.
        return False if queryset.model is SwapWant else real_exists(queryset)

    monkeypatch.setattr(QuerySet, "exists", stale_exists)
    assert_error_shape(client_for(a).post(url, {"isbn": MATH, "title": "高等数学"}, format="json"), 409,
                       "already_wanted")
    assert day.swap_wants.filter(member=a).count() == 1
    assert EventAuditRecord.objects.filter(event=day, subject="want", action="create").count() == 1


@pytest.mark.parametrize("state", [EventState.FINISHED, EventState.CANCELLED])
def test_rings_are_answered_only_while_the_day_is_open(client_for, school, school_admin, day, state):
    a, b, c = triangle(client_for, school, day)
    swaps.run_matching(day, actor=school_admin)
    ring = SwapRing.objects.get(event=day)
    path = f"/api/v1/events/{day.pk}/swap/rings/{ring.pk}"
    assert client_for(a).post(f"{path}/confirm").status_code == 200
    Event.objects.filter(pk=day.pk).update(state=state)
    assert_error_shape(client_for(b).post(f"{path}/confirm"), 409, "event_closed")
    assert_error_shape(client_for(b).post(f"{path}/decline", {}, format="json"), 409, "event_closed")
    ring.refresh_from_db()
    assert ring.status == "proposed" and ring.links.filter(confirmed_at__isnull=False).count() == 1


def test_a_dissolved_ring_is_explained_to_each_member_in_their_language(client_for, school, school_admin, day):
    a, b, c = triangle(client_for, school, day)
    User.objects.filter(pk=a.pk).update(language="en")
    User.objects.filter(pk=c.pk).update(language="zh-hans")
    swaps.run_matching(day, actor=school_admin)
    ring = SwapRing.objects.get(event=day)
    with translation.override("zh-hans"):  # the decliner reads Chinese
        swaps.decline_ring(ring, actor=b)
    told = Notification.objects.filter(kind="swap_ring_dissolved")
    assert "A member of your swap ring declined it." in told.get(recipient=a).body
    assert "你所在交换环的一名成员拒绝了交换。" in told.get(recipient=c).body
    assert not told.filter(recipient=b).exists()


@pytest.mark.parametrize("state, close", [(EventState.ONGOING, "finish"), (EventState.PUBLISHED, "cancel")])
def test_when_the_day_closes_rings_still_waiting_are_dissolved_and_their_books_open(client_for, school, school_admin,
                                                                                    state, close):
    day = share_day(school, state=state)
    triangle(client_for, school, day)
    swaps.run_matching(day, actor=school_admin)
    assert set(day.swap_offers.values_list("status", flat=True)) == {OfferStatus.IN_RING}
    response = client_for(school_admin).post(f"/api/v1/events/{day.pk}/{close}", {"reason": "停电"}, format="json")
    assert response.status_code == 200, response.content
    ring = SwapRing.objects.get(event=day)
    assert ring.status == "dissolved" and ring.dissolved_reason
    assert set(day.swap_offers.values_list("status", flat=True)) == {OfferStatus.OPEN}
    assert EventAuditRecord.objects.filter(event=day, subject="ring", action="dissolve").count() == 1
