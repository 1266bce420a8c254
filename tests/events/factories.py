"""Builders for the events tests: organizers, their members and events in a given state."""
from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import CampusRole, Membership, OrganizationKind, Role
from events import lottery
from events.models import BookingMode, Event, EventKind, EventState, SharingCorner, Stall, Visibility
from tests.factories import OrganizationFactory, UserFactory


class CommunityFactory(OrganizationFactory):
    kind = OrganizationKind.COMMUNITY
    name = factory.Sequence(lambda n: f"社区{n}")


class SchoolFactory(OrganizationFactory):
    kind = OrganizationKind.SCHOOL
    name = factory.Sequence(lambda n: f"学校{n}")


def member(org, role=Role.MEMBER, campus_role="", **user_fields):
    user = UserFactory(**user_fields)
    Membership.objects.create(organization=org, user=user, role=role, campus_role=campus_role)
    return user


def student(school, **user_fields):
    return member(school, Role.MEMBER, CampusRole.STUDENT, **user_fields)


def teacher(school, **user_fields):
    return member(school, Role.MEMBER, CampusRole.TEACHER, **user_fields)


class EventFactory(DjangoModelFactory):
    """An event written straight to the table (the lifecycle itself is tested through the services)."""

    class Meta:
        model = Event

    organization = factory.SubFactory(CommunityFactory)
    kind = EventKind.FLEA_MARKET
    title_zh = factory.Sequence(lambda n: f"跳蚤市场{n}")
    title_en = factory.Sequence(lambda n: f"Flea market {n}")
    venue_address = "广州市天河区天河南二路社区广场"
    latitude = Decimal("23.134000")
    longitude = Decimal("113.330000")
    time_zone = "Asia/Shanghai"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=5))
    registration_opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    registration_closes_at = factory.LazyAttribute(lambda o: o.starts_at - timedelta(days=1))
    visibility = Visibility.PUBLIC
    booking_mode = BookingMode.FIRST_COME
    state = EventState.DRAFT


def with_stalls(event, count):
    Stall.objects.bulk_create([Stall(event=event, number=n, size="2x2 m", fee=Decimal("10.00"))
                               for n in range(1, count + 1)])
    return event


def published(stalls=0, **fields) -> Event:
    """A published event (first come by default) with `stalls` numbered stalls."""
    fields.setdefault("published_at", timezone.now())
    if fields.get("booking_mode") == BookingMode.LOTTERY:
        seed = lottery.new_seed()
        fields.update(lottery_seed=seed, lottery_commitment=lottery.commitment(seed))
    return with_stalls(EventFactory(state=EventState.PUBLISHED, **fields), stalls)


def ongoing(stalls=0, **fields) -> Event:
    now = timezone.now()
    fields.setdefault("starts_at", now - timedelta(hours=1))
    fields.setdefault("ends_at", now + timedelta(hours=4))
    fields.setdefault("registration_opens_at", now - timedelta(days=3))
    fields.setdefault("registration_closes_at", now - timedelta(minutes=30))
    return with_stalls(EventFactory(state=EventState.ONGOING, published_at=now - timedelta(days=3), **fields), stalls)


def share_day(school, corner=None, state=EventState.PUBLISHED, **fields) -> Event:
    fields.setdefault("published_at", timezone.now())
    if state == EventState.ONGOING:
        now = timezone.now()
        fields.setdefault("starts_at", now - timedelta(hours=1))
        fields.setdefault("ends_at", now + timedelta(hours=4))
        fields.setdefault("registration_closes_at", now + timedelta(hours=3))
    return EventFactory(organization=school, kind=EventKind.BOOK_SWAP, visibility=Visibility.MEMBERS, corner=corner,
                        title_zh="旧书分享日", title_en="Book share day", state=state, **fields)


class CornerFactory(DjangoModelFactory):
    class Meta:
        model = SharingCorner

    organization = factory.SubFactory(SchoolFactory)
    name_zh = "图书馆旧书角"
    name_en = "Library book corner"
    place_zh = "图书馆一楼东侧"
    place_en = "Library, ground floor, east side"
    opening_hours = factory.LazyFunction(lambda: [{"days": [1, 2, 3, 4, 5], "opens": "12:00", "closes": "13:30"}])


def event_payload(organization, **overrides) -> dict:
    starts = timezone.now() + timedelta(days=10)
    payload = {
        "organization": organization.pk, "kind": "flea_market", "title_zh": "周末跳蚤市场", "title_en": "Weekend flea market",
        "description_zh": "闲置好物，面对面交易。", "venue_address": "广州市天河区天河南二路社区广场",
        "latitude": "23.134000", "longitude": "113.330000", "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=5)).isoformat(),
        "registration_closes_at": (starts - timedelta(days=1)).isoformat(),
    }
    payload.update(overrides)
    return payload
