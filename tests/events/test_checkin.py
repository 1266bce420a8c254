"""Passes, QR codes read by a third-party decoder, check-in once, and live arrivals."""
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image

from events import codes
from events.attendance import issue_stall_pass
from events.models import BookingStatus, EventAuditRecord, EventPass, Stall, StallBooking
from tests.events.factories import ongoing, published
from tests.factories import UserFactory
from tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db


def my_pass(client_for, person, event):
    passes = client_for(person).get(f"/api/v1/events/{event.pk}/passes/mine").json()
    assert len(passes) == 1, passes
    return passes[0]


def scan(client_for, person, event, code):
    return client_for(person).post(f"/api/v1/events/{event.pk}/check-ins", {"code": code}, format="json")


def test_the_qr_code_of_a_pass_decodes_with_zxing_to_its_payload(client_for, community):
    event = published(stalls=2, organization=community)
    seller = UserFactory()
    client_for(seller).post(f"/api/v1/events/{event.pk}/bookings", {}, format="json")
    issued = my_pass(client_for, seller, event)
    response = client_for(seller).get(f"/api/v1/events/{event.pk}/passes/{issued['id']}/qr.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))
    assert [barcode.text for barcode in decoded] == [issued["qr_payload"]]
    assert issued["qr_payload"] == f"MPEV1:{event.pk}:{issued['code'].replace('-', '')}"


def test_only_the_holder_and_the_organizers_members_get_the_qr(client_for, community, crew):
    event = published(stalls=2, organization=community)
    seller = UserFactory()
    client_for(seller).post(f"/api/v1/events/{event.pk}/bookings", {}, format="json")
    pass_id = my_pass(client_for, seller, event)["id"]
    path = f"/api/v1/events/{event.pk}/passes/{pass_id}/qr.png"
    assert client_for(crew).get(path).status_code == 200
    assert_error_shape(client_for(UserFactory()).get(path), 403)
    assert_error_shape(client_for(None).get(path), 401)
    assert_error_shape(client_for(seller).get(f"/api/v1/events/{event.pk}/passes/999999/qr.png"), 404)


def test_a_scanned_payload_or_typed_code_checks_in_once(client_for, community, crew):
    event = ongoing(stalls=2, organization=community)
    visitor = UserFactory()
    client_for(visitor).post(f"/api/v1/events/{event.pk}/rsvp")
    issued = my_pass(client_for, visitor, event)
    typed = issued["code"].lower().replace("-", " ")
    response = scan(client_for, crew, event, typed)
    assert response.status_code == 200, response.content
    assert response.json()["kind"] == "visitor"
    again = scan(client_for, crew, event, issued["qr_payload"])
    assert_error_shape(again, 409, "already_checked_in")
    assert EventAuditRecord.objects.filter(subject="pass", action="check_in").count() == 1


def test_codes_of_other_events_unknown_codes_and_cancelled_passes_are_refused(client_for, community, crew):
    event, other = ongoing(stalls=1, organization=community), ongoing(organization=community)
    visitor = UserFactory()
    client_for(visitor).post(f"/api/v1/events/{other.pk}/rsvp")
    foreign = my_pass(client_for, visitor, other)
    assert_error_shape(scan(client_for, crew, event, foreign["qr_payload"]), 400, "wrong_event")
    assert_error_shape(scan(client_for, crew, event, foreign["code"]), 400, "unknown_code")
    assert_error_shape(scan(client_for, crew, event, "not a code"), 400, "unknown_code")
    client_for(visitor).post(f"/api/v1/events/{event.pk}/rsvp")
    mine = my_pass(client_for, visitor, event)
    client_for(visitor).delete(f"/api/v1/events/{event.pk}/rsvp")
    assert_error_shape(scan(client_for, crew, event, mine["code"]), 409, "pass_revoked")


def test_only_members_of_the_organizer_scan(client_for, community):
    event = ongoing(organization=community)
    assert_error_shape(scan(client_for, UserFactory(), event, "ABCD-EFGH"), 403)


def test_check_in_opens_two_hours_before_the_start(client_for, community, crew):
    event = published(organization=community, starts_at=timezone.now() + timedelta(hours=5))
    assert_error_shape(scan(client_for, crew, event, "ABCD-EFGH"), 409, "check_in_closed")


def test_arrivals_count_sellers_by_stall_and_everyone_by_hour(client_for, community, crew):
    event = ongoing(stalls=3, organization=community)
    sellers = [UserFactory() for _ in range(2)]
    for number, seller in enumerate(sellers, start=1):
        booking = StallBooking.objects.create(event=event, holder=seller, status=BookingStatus.CONFIRMED,
                                              stall=Stall.objects.get(event=event, number=number))
        issue_stall_pass(booking)
    visitors = [UserFactory() for _ in range(3)]
    for visitor in visitors:
        client_for(visitor).post(f"/api/v1/events/{event.pk}/rsvp")
    scan(client_for, crew, event, EventPass.objects.get(holder=sellers[0]).code)
    for visitor in visitors[:2]:
        scan(client_for, crew, event, EventPass.objects.get(holder=visitor).code)
    report = client_for(crew).get(f"/api/v1/events/{event.pk}/arrivals").json()
    assert report["sellers"] == {"expected": 2, "arrived": 1}
    assert report["visitors"] == {"expected": 3, "arrived": 2}
    assert [(row["stall"], row["booked"], row["arrived"]) for row in report["by_stall"]] == [
        (1, True, True), (2, True, False), (3, False, False)]
    assert len(report["by_hour"]) == 1
    assert report["by_hour"][0]["sellers"] == 1 and report["by_hour"][0]["visitors"] == 2
    hour = datetime.fromisoformat(report["by_hour"][0]["hour"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert (hour.minute, hour.second) == (0, 0)
    assert hour <= timezone.now() < hour + timedelta(hours=1)


def test_code_normalization_forgives_slips():
    assert codes.normalize("mpev1:12:abcd-0fgh") == (12, "ABCD0FGH")
    assert codes.normalize(" abcd efgh ") == (None, "ABCDEFGH")
    assert codes.normalize("AB0D-EFGH") == codes.normalize("ABOD-EFGH")
    assert codes.is_well_formed(codes.new_code())
