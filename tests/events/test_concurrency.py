"""Requests that meet on one row, run at once on PostgreSQL: the locks and constraints keep every
stall held once, every promotion made, every pass checked in once and every balance >= 0."""
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from events import attendance, bookings, books, matching, swaps
from events.models import (
    BookingMode,
    BookingStatus,
    CopyStatus,
    CreditEntry,
    Event,
    EventAuditRecord,
    EventPass,
    OfferStatus,
    RingStatus,
    Rsvp,
    StallBooking,
    SwapRing,
    SwapWant,
    WantStatus,
)
from marketplace.errors import Conflict
from tests.events.factories import (
    CommunityFactory,
    CornerFactory,
    SchoolFactory,
    ongoing,
    published,
    share_day,
    student,
)
from tests.factories import UserFactory
from tests.helpers import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(action, arguments):
    """Run action(argument) for every argument in threads released together; returns (results, errors)."""
    barrier, results = threading.Barrier(len(arguments)), []

    def attempt(argument):
        barrier.wait()
        results.append(action(argument))

    errors = run_together(*(lambda argument=argument: attempt(argument) for argument in arguments), timeout=60)
    unexpected = [error for error in errors if not isinstance(error, Conflict)]
    assert not unexpected, unexpected
    return results, errors


def test_concurrent_bookings_never_double_book_and_the_rest_wait_in_line():
    event = published(stalls=5, organization=CommunityFactory())
    people = [UserFactory() for _ in range(20)]
    results, errors = race(lambda person: bookings.request_stall(event, actor=person), people)
    assert not errors
    statuses = Counter(booking.status for booking in StallBooking.objects.filter(event=event))
    assert statuses == {BookingStatus.CONFIRMED: 5, BookingStatus.WAITLISTED: 15}
    held = list(StallBooking.objects.filter(event=event, status=BookingStatus.CONFIRMED).values_list("stall__number", flat=True))
    assert sorted(held) == [1, 2, 3, 4, 5]
    positions = sorted(StallBooking.objects.filter(event=event, status=BookingStatus.WAITLISTED)
                       .values_list("queue_position", flat=True))
    assert positions == list(range(1, 16))


def test_concurrent_requests_for_one_named_stall_one_wins_the_rest_get_409():
    event = published(stalls=2, organization=CommunityFactory())
    results, errors = race(lambda person: bookings.request_stall(event, actor=person, stall_number=1),
                           [UserFactory() for _ in range(8)])
    assert len(results) == 1 and len(errors) == 7
    assert all(error.code == "stall_taken" for error in errors)
    assert StallBooking.objects.filter(event=event, stall__number=1, status=BookingStatus.CONFIRMED).count() == 1


def test_concurrent_cancellations_each_promote_someone_no_promotion_is_lost():
    event = published(stalls=3, organization=CommunityFactory())
    holders = [UserFactory() for _ in range(3)]
    held = [bookings.request_stall(event, actor=holder) for holder in holders]
    waiting = [bookings.request_stall(event, actor=UserFactory()) for _ in range(4)]
    assert all(booking.status == BookingStatus.WAITLISTED for booking in waiting)
    race(lambda booking: bookings.cancel_booking(booking, actor=booking.holder), held)
    offered = StallBooking.objects.filter(event=event, status=BookingStatus.OFFERED).order_by("queue_position")
    assert [booking.pk for booking in offered] == [booking.pk for booking in waiting[:3]]
    assert sorted(offered.values_list("stall__number", flat=True)) == [1, 2, 3]
    assert StallBooking.objects.get(pk=waiting[3].pk).status == BookingStatus.WAITLISTED


def test_two_workers_lapsing_offers_at_once_lapse_each_once_and_promote_each_once():
    event = published(stalls=1, organization=CommunityFactory())
    holder = bookings.request_stall(event, actor=UserFactory())
    first = bookings.request_stall(event, actor=UserFactory())
    second = bookings.request_stall(event, actor=UserFactory())
    bookings.cancel_booking(holder, actor=holder.holder)
    due = StallBooking.objects.get(pk=first.pk).offer_expires_at + timedelta(seconds=1)
    results, _errors = race(lambda _worker: bookings.expire_stall_offers(now=due), [1, 2])
    assert sorted(results) == [0, 1]
    assert StallBooking.objects.get(pk=first.pk).status == BookingStatus.LAPSED
    assert StallBooking.objects.get(pk=second.pk).status == BookingStatus.OFFERED
    assert EventAuditRecord.objects.filter(event=event, action="lapse").count() == 1


def test_a_code_scanned_by_two_scanners_at_once_checks_in_once():
    community = CommunityFactory()
    event = ongoing(organization=community)
    from accounts.models import Role
    from tests.events.factories import member

    scanners = [member(community, Role.MEMBER) for _ in range(4)]
    visit = attendance.rsvp(event, actor=UserFactory())
    code = EventPass.objects.get(rsvp=visit).code
    results, errors = race(lambda scanner: attendance.check_in(event, actor=scanner, code=code), scanners)
    assert len(results) == 1 and len(errors) == 3
    assert all(error.code == "already_checked_in" for error in errors)
    assert EventAuditRecord.objects.filter(event=event, action="check_in").count() == 1


def test_concurrent_rsvps_never_exceed_the_capacity():
    event = published(organization=CommunityFactory(), capacity=3)
    results, errors = race(lambda person: attendance.rsvp(event, actor=person), [UserFactory() for _ in range(10)])
    assert len(results) == 3 and all(error.code == "event_full" for error in errors)
    assert Rsvp.objects.filter(event=event, status="going").count() == 3


def test_a_lottery_drawn_twice_at_once_is_drawn_once():
    community = CommunityFactory()
    from accounts.models import Role
    from tests.events.factories import member

    organizers = [member(community, Role.ADMIN) for _ in range(2)]
    event = published(stalls=2, organization=community, booking_mode=BookingMode.LOTTERY)
    for _ in range(5):
        bookings.request_stall(event, actor=UserFactory())
    Event.objects.filter(pk=event.pk).update(registration_closes_at=timezone.now() - timedelta(seconds=1))
    results, errors = race(lambda organizer: bookings.draw_lottery(event, actor=organizer), organizers)
    assert len(results) == 1 and errors[0].code == "already_drawn"
    assert EventAuditRecord.objects.filter(event=event, subject="lottery").count() == 1
    assert StallBooking.objects.filter(event=event, status=BookingStatus.CONFIRMED).count() == 2


def _stocked_corner(school, copies, credits_each=1):
    corner = CornerFactory(organization=school)
    keeper = student(school)
    from accounts.models import CampusRole, Membership

    Membership.objects.filter(user=keeper).update(campus_role=CampusRole.TEACHER)
    giver = student(school)
    grade = next(code for code, value in books.settings.EVENTS_BOOK_CREDITS.items() if value == credits_each)
    made = [books.deposit_book(corner, actor=keeper, giver=giver, isbn="9787040396638", title="高等数学", grade=grade)
            for _ in range(copies)]
    return corner, keeper, made


def test_concurrent_takes_against_one_balance_never_take_it_below_zero():
    school = SchoolFactory()
    corner, keeper, shelf = _stocked_corner(school, copies=10)
    taker = student(school)
    depositor_shelf = [books.deposit_book(corner, actor=keeper, giver=taker, isbn="9787040396621", title="线性代数",
                                          grade=shelf[0].condition) for _ in range(3)]
    assert books.balance(school, taker) == 3
    results, errors = race(lambda copy: books.take_book(copy, actor=taker), shelf)
    assert len(results) == 3 and all(error.code == "insufficient_credits" for error in errors)
    assert books.balance(school, taker) == 0
    entries = CreditEntry.objects.filter(account__member=taker).order_by("id")
    assert entries.aggregate(total=Sum("amount"))["total"] == 0
    assert all(entry.balance_after >= 0 for entry in entries)
    assert len(depositor_shelf) == 3


def test_two_members_taking_the_same_book_at_once_one_gets_it():
    school = SchoolFactory()
    corner, keeper, shelf = _stocked_corner(school, copies=1)
    takers = [student(school) for _ in range(2)]
    for taker in takers:
        books.deposit_book(corner, actor=keeper, giver=taker, isbn="9787560013473", title="新概念英语", grade=shelf[0].condition)
    results, errors = race(lambda taker: books.take_book(shelf[0], actor=taker), takers)
    assert len(results) == 1 and errors[0].code == "already_taken"
    shelf[0].refresh_from_db()
    assert shelf[0].status == CopyStatus.TAKEN
    assert CreditEntry.objects.filter(copy=shelf[0], kind="take").count() == 1


def test_first_deposits_for_one_member_at_once_open_one_account():
    school = SchoolFactory()
    corner, keeper, _shelf = _stocked_corner(school, copies=0)
    giver = student(school)
    results, errors = race(lambda isbn: books.deposit_book(corner, actor=keeper, giver=giver, isbn=isbn, title="书",
                                                           grade="VG"), ["9787040396638", "9787040396621", "9787536692930"])
    assert not errors and len(results) == 3
    assert books.balance(school, giver) == 6


def test_everyone_in_a_ring_confirming_at_once_fixes_it_once():
    school = SchoolFactory()
    organizer = student(school)
    from accounts.models import Membership, Role

    Membership.objects.filter(user=organizer).update(role=Role.ADMIN)
    event = share_day(school)
    a, b, c = (student(school) for _ in range(3))
    isbns = {"ab": "9787040396638", "bc": "9787040396621", "ca": "9787536692930"}
    swaps.add_offer(event, actor=a, isbn=isbns["ab"], title="高等数学")
    swaps.add_offer(event, actor=b, isbn=isbns["bc"], title="线性代数")
    swaps.add_offer(event, actor=c, isbn=isbns["ca"], title="三体")
    swaps.add_want(event, actor=b, isbn=isbns["ab"])
    swaps.add_want(event, actor=c, isbn=isbns["bc"])
    swaps.add_want(event, actor=a, isbn=isbns["ca"])
    run = swaps.run_matching(event, actor=organizer)
    assert run.books_moved == 3
    ring = event.swap_rings.get()
    race(lambda member: swaps.confirm_ring(ring, actor=member), [a, b, c])
    ring.refresh_from_db()
    assert ring.status == RingStatus.FIXED
    assert EventAuditRecord.objects.filter(subject="ring", subject_id=ring.pk, action="fix").count() == 1


@pytest.mark.parametrize("withdrawn", ["offer", "want"])
def test_a_withdrawal_while_the_matching_runs_waits_for_the_run_and_sees_the_ring(monkeypatch, withdrawn):
    school = SchoolFactory()
    organizer = student(school)
    from accounts.models import Membership, Role

    Membership.objects.filter(user=organizer).update(role=Role.ADMIN)
    event = share_day(school)
    a, b = student(school), student(school)
    offer = swaps.add_offer(event, actor=a, isbn="9787040396638", title="高等数学")
    swaps.add_offer(event, actor=b, isbn="9787040396621", title="线性代数")
    swaps.add_want(event, actor=b, isbn="9787040396638")
    wish = swaps.add_want(event, actor=a, isbn="9787040396621")
    solving, real_solve = threading.Event(), matching.solve

    def slow_solve(*args, **kwargs):
        solving.set()
        time.sleep(1.5)  # a real solver may take EVENTS_SWAP_SOLVER_SECONDS
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(matching, "solve", slow_solve)
    runs = []

    def withdraw():
        assert solving.wait(timeout=30)
        if withdrawn == "offer":
            swaps.withdraw_offer(offer, actor=a)
        else:
            swaps.withdraw_want(wish, actor=a)

    errors = run_together(lambda: runs.append(swaps.run_matching(event, actor=organizer, max_ring_size=2)), withdraw,
                          timeout=60)
    # The withdrawal waited for the run: the pair is proposed and the withdrawal is refused, as
    # for any book in a proposed ring (the member declines the ring first).
    assert [(type(error), getattr(error, "code", str(error))) for error in errors] == [
        (Conflict, "offer_not_open" if withdrawn == "offer" else "want_in_ring")]
    assert runs[0].rings_proposed == 1
    offer.refresh_from_db()
    wish.refresh_from_db()
    assert (offer.status, wish.status) == (OfferStatus.IN_RING, WantStatus.OPEN)
    ring = SwapRing.objects.get(event=event)
    swaps.decline_ring(ring, actor=a)
    if withdrawn == "offer":
        assert swaps.withdraw_offer(offer, actor=a).status == OfferStatus.WITHDRAWN
    else:
        assert swaps.withdraw_want(wish, actor=a).status == WantStatus.WITHDRAWN


def test_one_wish_posted_twice_at_once_is_made_once_and_the_other_post_is_409(monkeypatch):
    school = SchoolFactory()
    event = share_day(school)
    wisher = student(school)
    books.record_book(isbn="9787040396638", actor=wisher, title="高等数学")
    real_record_book = swaps.record_book

    def slow_record_book(**arguments):
        record = real_record_book(**arguments)
        time.sleep(0.5)  # both requests are past the book's record before either looks for the wish
        return record

    monkeypatch.setattr(swaps, "record_book", slow_record_book)

    def post(_attempt):
        client = APIClient()
        client.credentials(HTTP_ACCEPT_LANGUAGE="en")
        client.force_authenticate(wisher)
        response = client.post(f"/api/v1/events/{event.pk}/swap/wants", {"isbn": "9787040396638", "title": "高等数学"},
                               format="json")
        return response.status_code, response.json().get("type")

    results, errors = race(post, [1, 2])
    assert not errors
    assert sorted(results) == [(201, None), (409, "already_wanted")]
    assert SwapWant.objects.filter(event=event, member=wisher).count() == 1
