"""Reports, the staff moderation queue and the watchlist."""
import pytest

from listings import lifecycle
from listings.models import ListingReport, ListingTransition
from notifications.models import Notification
from tests.factories import StaffFactory, UserFactory
from tests.helpers import assert_error_shape
from tests.listings.factories import active

pytestmark = pytest.mark.django_db


def report(client, listing, reason="fraud", details="要求先转账"):
    return client.post(f"/api/v1/listings/{listing.pk}/report/", {"reason": reason, "details": details}, format="json")


def test_one_open_report_per_person_per_listing(client_for):
    listing = active()
    reporter = client_for(UserFactory())
    assert report(reporter, listing).status_code == 201
    assert_error_shape(report(reporter, listing, "other"), 409, "already_reported")
    assert report(client_for(UserFactory()), listing).status_code == 201
    ListingReport.objects.filter(listing=listing).update(status="dismissed")
    assert report(reporter, listing).status_code == 201  # a closed report does not block a new one


def test_an_unknown_reason_is_refused(client_for):
    assert_error_shape(report(client_for(UserFactory()), active(), "meh"), 400, "validation_error")


def test_the_queue_lists_open_reports_oldest_first(client_for):
    staff = client_for(StaffFactory())
    first, second = active(), active()
    report(client_for(UserFactory()), first)
    report(client_for(UserFactory()), second, "counterfeit")
    closed = ListingReport.objects.create(listing=second, reporter=UserFactory(), reason="other", status="dismissed")
    rows = staff.get("/api/v1/moderation/reports/").json()["results"]
    assert [(r["listing"]["id"], r["reason"]) for r in rows] == [(first.pk, "fraud"), (second.pk, "counterfeit")]
    assert rows[0]["reporter"]["display_name"]
    dismissed = staff.get("/api/v1/moderation/reports/?status=dismissed").json()["results"]
    assert [r["id"] for r in dismissed] == [closed.pk]


def test_the_queue_costs_a_constant_number_of_queries(client_for, django_assert_max_num_queries):
    staff = client_for(StaffFactory())
    for _ in range(10):
        report(client_for(UserFactory()), active())
    with django_assert_max_num_queries(5):  # count, reports+people, listings, photos, assessments
        assert len(staff.get("/api/v1/moderation/reports/").json()["results"]) == 10


def test_suspending_from_a_report_closes_every_open_report_and_audits(client_for):
    staff_user = StaffFactory()
    staff = client_for(staff_user)
    listing = active()
    report(client_for(UserFactory()), listing)
    report(client_for(UserFactory()), listing, "counterfeit")
    first = ListingReport.objects.filter(listing=listing).first()

    response = staff.post(f"/api/v1/moderation/reports/{first.pk}/suspend/", {"reason": "确认为假货"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "actioned" and response.json()["handled_by"]["id"] == staff_user.pk
    listing.refresh_from_db()
    assert listing.state == "suspended" and listing.suspension_reason == "确认为假货"
    assert set(ListingReport.objects.filter(listing=listing).values_list("status", flat=True)) == {"actioned"}
    audit = ListingTransition.objects.filter(listing=listing).last()
    assert (audit.actor, audit.to_state, audit.reason) == (staff_user, "suspended", "确认为假货")
    assert Notification.objects.filter(recipient=listing.seller, kind="listing_suspended").exists()
    assert_error_shape(staff.post(f"/api/v1/moderation/reports/{first.pk}/dismiss/", {}, format="json"), 409, "report_closed")


def test_suspend_from_a_report_needs_a_reason(client_for):
    listing = active()
    report(client_for(UserFactory()), listing)
    pk = ListingReport.objects.get().pk
    assert_error_shape(client_for(StaffFactory()).post(f"/api/v1/moderation/reports/{pk}/suspend/", {}, format="json"), 400)


def test_a_report_on_an_already_suspended_listing_is_closed_without_a_second_suspension(client_for):
    listing = lifecycle.suspend(active(), actor=StaffFactory(), reason="先行下架")
    pk = ListingReport.objects.create(listing=listing, reporter=UserFactory(), reason="fraud").pk
    response = client_for(StaffFactory()).post(f"/api/v1/moderation/reports/{pk}/suspend/", {"reason": "核实"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "actioned"
    assert ListingTransition.objects.filter(listing=listing, to_state="suspended").count() == 1


def test_dismissing_keeps_the_listing_online(client_for):
    listing = active()
    report(client_for(UserFactory()), listing)
    pk = ListingReport.objects.get().pk
    response = client_for(StaffFactory()).post(f"/api/v1/moderation/reports/{pk}/dismiss/", {"reason": "描述属实"}, format="json")
    assert response.json()["status"] == "dismissed" and response.json()["resolution"] == "描述属实"
    listing.refresh_from_db()
    assert listing.state == "active"


def test_my_watchlist_shows_published_listings_newest_first(client_for, django_assert_max_num_queries):
    me = UserFactory()
    client = client_for(me)
    listings = [active() for _ in range(3)]
    for listing in listings:
        client.post(f"/api/v1/listings/{listing.pk}/favourite/")
    lifecycle.withdraw(listings[0], actor=None)
    with django_assert_max_num_queries(6):
        rows = client.get("/api/v1/favourites/").json()["results"]
    assert [row["listing"]["id"] for row in rows] == [listings[2].pk, listings[1].pk]
    assert client_for(UserFactory()).get("/api/v1/favourites/").json()["results"] == []
