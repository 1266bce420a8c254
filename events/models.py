"""Events (flea markets, trading days, campus book swaps), stalls, bookings, passes and book swaps.

State changes go through events.services (the event lifecycle, bookings, check-in), events.books
(corners, credits) and events.swaps (offers, wants, rings); each writes one EventAuditRecord.
Models keep only invariants about their own fields; the database constraints below are what
keeps a stall from being held twice and a credit balance from going negative, whatever the
interleaving of requests.
"""
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketplace.i18n import localized


class EventKind(models.TextChoices):
    FLEA_MARKET = "flea_market", _("Flea market")
    TRADING_DAY = "trading_day", _("Community trading day")
    BOOK_SWAP = "book_swap", _("Campus book share day")


class EventState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ONGOING = "ongoing", _("Ongoing")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    MEMBERS = "members", _("Members of the organization only")


class BookingMode(models.TextChoices):
    FIRST_COME = "first_come", _("First come, first served")
    LOTTERY = "lottery", _("Lottery after the registration window")


class Event(models.Model):
    """An event run by a verified organization; times are stored in UTC, shown in `time_zone`."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="events", verbose_name=_("organization")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    title_zh = models.CharField(_("title (Chinese)"), max_length=120)
    title_en = models.CharField(_("title (English)"), max_length=120, blank=True)
    description_zh = models.TextField(_("description (Chinese)"), max_length=5000, blank=True)
    description_en = models.TextField(_("description (English)"), max_length=5000, blank=True)
    venue_address = models.CharField(_("venue address"), max_length=255)
    # A public venue: the exact point is kept (unlike a resident's listing).
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default=settings.TIME_ZONE)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    registration_opens_at = models.DateTimeField(_("registration opens at"))
    registration_closes_at = models.DateTimeField(_("registration closes at"))
    visibility = models.CharField(_("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
    # Visitors who may RSVP; empty means no limit. Stalls are limited by the stall plan.
    capacity = models.PositiveIntegerField(_("visitor capacity"), null=True, blank=True)
    booking_mode = models.CharField(
        _("stall booking mode"), max_length=16, choices=BookingMode.choices, default=BookingMode.FIRST_COME
    )
    # Book share days held at a sharing corner: takes there during the day count for the day's report.
    corner = models.ForeignKey(
        "SharingCorner", on_delete=models.PROTECT, null=True, blank=True, related_name="share_days",
        verbose_name=_("sharing corner"),
    )
    # Lottery: sha256 of the seed is published when the event is; the seed itself once drawn.
    lottery_commitment = models.CharField(max_length=64, blank=True)
    lottery_seed = models.CharField(max_length=64, blank=True)
    lottery_drawn_at = models.DateTimeField(null=True, blank=True)

    state = models.CharField(_("state"), max_length=16, choices=EventState.choices, default=EventState.DRAFT)
    state_changed_at = models.DateTimeField(_("state changed at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    # iCalendar SEQUENCE: bumped on every change a subscriber's calendar should pick up.
    sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["state", "starts_at"], name="event_state_starts"),
            models.Index(fields=["organization", "state"], name="event_org_state"),
            models.Index(fields=["state", "latitude", "longitude"], name="event_state_point"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"),
            models.CheckConstraint(
                condition=Q(registration_closes_at__gt=models.F("registration_opens_at")),
                name="event_registration_window_ordered",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self):
        return localized(self, "title")

    @property
    def description(self):
        return localized(self, "description")


class EventAuditRecord(models.Model):
    """One row per state change in the events app: who, when, what, from, to, why."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_records")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    subject = models.CharField(max_length=16)  # event, booking, rsvp, pass, lottery, ring, copy, credit, ...
    subject_id = models.BigIntegerField()
    action = models.CharField(max_length=32)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("event audit record")
        verbose_name_plural = _("event audit records")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["subject", "subject_id"], name="event_audit_subject")]

    def __str__(self):
        return f"{self.subject} {self.subject_id}: {self.action}"


class Stall(models.Model):
    """A numbered stall of an event's stall plan."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="stalls")
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    size = models.CharField(_("size"), max_length=40, blank=True)
    fee = models.DecimalField(_("fee (CNY)"), max_digits=7, decimal_places=2, default=0,
                              validators=[MinValueValidator(0)])
    category = models.ForeignKey(
        "listings.Category", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("category hint"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("stall")
        verbose_name_plural = _("stalls")
        ordering = ["event", "number"]
        constraints = [
            models.UniqueConstraint(fields=["event", "number"], name="unique_stall_number"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="stall_fee_not_negative"),
        ]

    def __str__(self):
        return f"{self.event_id} #{self.number}"


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested (lottery)")
    CONFIRMED = "confirmed", _("Confirmed")
    OFFERED = "offered", _("Offered from the waitlist")
    WAITLISTED = "waitlisted", _("On the waitlist")
    CANCELLED = "cancelled", _("Cancelled")
    LAPSED = "lapsed", _("Offer lapsed")


# A booking in one of these holds its stall; no two bookings hold one stall at a time.
HOLDING_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.OFFERED)
# A person has at most one booking in one of these per event.
LIVE_STATUSES = (BookingStatus.REQUESTED, BookingStatus.CONFIRMED, BookingStatus.OFFERED, BookingStatus.WAITLISTED)


class StallBooking(models.Model):
    """A resident's booking of a stall, lottery request or waitlist place."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="bookings")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stall_bookings")
    stall = models.ForeignKey(Stall, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings")
    preferred_stall = models.ForeignKey(Stall, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=BookingStatus.choices)
    # Order on the waitlist (1 = next); for lottery losers, their place in the draw.
    queue_position = models.PositiveIntegerField(null=True, blank=True)
    lottery_rank = models.PositiveIntegerField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("what I will sell"), max_length=200, blank=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stall booking")
        verbose_name_plural = _("stall bookings")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["event", "status"], name="booking_event_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["stall"], condition=Q(status__in=HOLDING_STATUSES), name="one_holder_per_stall"
            ),
            models.UniqueConstraint(
                fields=["event", "holder"], condition=Q(status__in=LIVE_STATUSES), name="one_live_booking_per_person"
            ),
            models.UniqueConstraint(
                fields=["event", "queue_position"], condition=Q(status="waitlisted"), name="one_person_per_queue_place"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=HOLDING_STATUSES) | Q(stall__isnull=False), name="holding_booking_has_stall"
            ),
        ]

    def __str__(self):
        return f"booking {self.pk} of {self.event_id} ({self.status})"


class RsvpStatus(models.TextChoices):
    GOING = "going", _("Going")
    CANCELLED = "cancelled", _("Cancelled")


class Rsvp(models.Model):
    """A visitor's RSVP; counts against the event's capacity while going."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_rsvps")
    status = models.CharField(_("status"), max_length=16, choices=RsvpStatus.choices, default=RsvpStatus.GOING)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("RSVP")
        verbose_name_plural = _("RSVPs")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="one_rsvp_per_person")]

    def __str__(self):
        return f"rsvp {self.pk} of {self.event_id} ({self.status})"


class PassKind(models.TextChoices):
    STALL = "stall", _("Stall holder")
    VISITOR = "visitor", _("Visitor")


class EventPass(models.Model):
    """What a stall holder or visitor shows at the entrance: a QR code and a short code to type."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="passes")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_passes")
    kind = models.CharField(max_length=8, choices=PassKind.choices)
    booking = models.OneToOneField(StallBooking, on_delete=models.CASCADE, null=True, blank=True, related_name="event_pass")
    rsvp = models.OneToOneField(Rsvp, on_delete=models.CASCADE, null=True, blank=True, related_name="event_pass")
    code = models.CharField(max_length=12, unique=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("event pass")
        verbose_name_plural = _("event passes")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["event", "checked_in_at"], name="pass_event_checked_in")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="stall", booking__isnull=False, rsvp__isnull=True)
                           | Q(kind="visitor", rsvp__isnull=False, booking__isnull=True)),
                name="pass_belongs_to_booking_or_rsvp",
            ),
        ]

    def __str__(self):
        return self.display_code

    @property
    def display_code(self) -> str:
        return f"{self.code[:4]}-{self.code[4:]}"


class EventListing(models.Model):
    """A listing its seller brings to their stall at an event."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="event_listings")
    listing = models.ForeignKey("listings.Listing", on_delete=models.CASCADE, related_name="event_links")
    booking = models.ForeignKey(StallBooking, on_delete=models.CASCADE, related_name="listings")
    attached_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("listing at an event")
        verbose_name_plural = _("listings at events")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "listing"], name="one_attachment_per_listing_and_event")]

    def __str__(self):
        return f"listing {self.listing_id} at {self.event_id}"


# --- campus book swaps --------------------------------------------------------------------------

class SharingCorner(models.Model):
    """A shelf of shared books somewhere on a school's campus."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="sharing_corners")
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    place_zh = models.CharField(_("place on campus (Chinese)"), max_length=200)
    place_en = models.CharField(_("place on campus (English)"), max_length=200, blank=True)
    # [{"days": [1, 2, 3, 4, 5], "opens": "12:00", "closes": "13:30"}], ISO weekdays (1 = Monday).
    opening_hours = models.JSONField(_("opening hours"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sharing corner")
        verbose_name_plural = _("sharing corners")
        ordering = ["organization", "id"]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return localized(self, "name")

    @property
    def place(self):
        return localized(self, "place")


class BookRecord(models.Model):
    """What the project knows about an ISBN, from the first giver who described it."""

    isbn = models.CharField(_("ISBN-13"), max_length=13, unique=True)
    title = models.CharField(_("title"), max_length=200)
    author = models.CharField(_("author"), max_length=200, blank=True)
    edition = models.CharField(_("edition"), max_length=60, blank=True)
    publisher = models.CharField(_("publisher"), max_length=120, blank=True)
    subject = models.CharField(_("subject"), max_length=40, blank=True)
    # The school year the book is for, as schools say it (e.g. 高一, 初二, Grade 10).
    school_grade = models.CharField(_("school grade"), max_length=20, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("book record")
        verbose_name_plural = _("book records")
        ordering = ["isbn"]

    def __str__(self):
        return f"{self.title} ({self.isbn})"


class CopyStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("On the shelf")
    TAKEN = "taken", _("Taken")


class BookCopy(models.Model):
    """A physical book deposited at a sharing corner (credit mode)."""

    corner = models.ForeignKey(SharingCorner, on_delete=models.PROTECT, related_name="copies")
    record = models.ForeignKey(BookRecord, on_delete=models.PROTECT, related_name="copies")
    condition = models.CharField(_("grade"), max_length=8)  # a level code of the book/1 grading standard
    credits = models.PositiveSmallIntegerField(_("credits"))
    status = models.CharField(_("status"), max_length=16, choices=CopyStatus.choices, default=CopyStatus.IN_STOCK)
    deposited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    deposited_at = models.DateTimeField(auto_now_add=True)
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    taken_at = models.DateTimeField(null=True, blank=True)
    # The share day during which it was taken (a take at the corner while a share day there is on).
    taken_at_event = models.ForeignKey(Event, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("book copy")
        verbose_name_plural = _("book copies")
        ordering = ["-deposited_at", "-id"]
        indexes = [models.Index(fields=["corner", "status"], name="copy_corner_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="in_stock", taken_by__isnull=True) | Q(status="taken", taken_by__isnull=False),
                name="taken_copy_has_taker",
            ),
        ]

    def __str__(self):
        return f"{self.record_id} at {self.corner_id} ({self.status})"


class CreditAccount(models.Model):
    """One member's credit account at one school: the row every ledger write locks first."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="book_credit_accounts")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("credit account")
        verbose_name_plural = _("credit accounts")
        constraints = [models.UniqueConstraint(fields=["organization", "member"], name="one_credit_account_per_member")]

    def __str__(self):
        return f"credits of {self.member_id} at {self.organization_id}"


class CreditEntryKind(models.TextChoices):
    DEPOSIT = "deposit", _("Book deposited")
    TAKE = "take", _("Book taken")


class AppendOnly(Exception):
    """Ledger entries are never changed or deleted; a correction is a new entry."""


class CreditEntry(models.Model):
    """An append-only ledger line; the balance is the sum of an account's amounts."""

    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="entries")
    amount = models.IntegerField()
    # The sum of the account's amounts up to and including this entry (written under the account's lock).
    balance_after = models.IntegerField()
    kind = models.CharField(max_length=16, choices=CreditEntryKind.choices)
    copy = models.ForeignKey(BookCopy, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_entries")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("credit entry")
        verbose_name_plural = _("credit entries")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="credit_entry_amount_not_zero"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="credit_balance_never_negative"),
        ]

    def __str__(self):
        return f"{self.account_id}: {self.amount:+d}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnly("Credit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Credit entries are append-only.")


class OfferStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_RING = "in_ring", _("Proposed in a swap ring")
    EXCHANGED = "exchanged", _("Exchanged")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SwapOffer(models.Model):
    """A book a student offers to swap on a share day."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="swap_offers")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    record = models.ForeignKey(BookRecord, on_delete=models.PROTECT, related_name="+")
    condition = models.CharField(_("grade"), max_length=8, blank=True)
    status = models.CharField(max_length=16, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("swap offer")
        verbose_name_plural = _("swap offers")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["event", "status"], name="offer_event_status")]

    def __str__(self):
        return f"offer {self.pk}: {self.record_id} by {self.member_id}"


class WantStatus(models.TextChoices):
    OPEN = "open", _("Open")
    FULFILLED = "fulfilled", _("Fulfilled")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SwapWant(models.Model):
    """A book (by ISBN) a student wants on a share day."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="swap_wants")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    record = models.ForeignKey(BookRecord, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=WantStatus.choices, default=WantStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("swap want")
        verbose_name_plural = _("swap wants")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "member", "record"], condition=Q(status="open"), name="one_open_want_per_book"
            ),
        ]

    def __str__(self):
        return f"want {self.pk}: {self.record_id} by {self.member_id}"


class SwapMatchingRun(models.Model):
    """One run of the ring matching on a share day, with what rings gained over pairs alone."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="matching_runs")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    max_ring_size = models.PositiveSmallIntegerField()
    participants = models.PositiveIntegerField()
    books_moved = models.PositiveIntegerField()
    books_moved_pairs_only = models.PositiveIntegerField()
    # No matching of these offers and wants could move more books (the solver's proof so far).
    books_bound = models.PositiveIntegerField(null=True, blank=True)
    rings_proposed = models.PositiveIntegerField()
    solver_status = models.CharField(max_length=16)  # optimal | feasible (stopped at the time bound)
    wall_ms = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("swap matching run")
        verbose_name_plural = _("swap matching runs")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"matching {self.pk} of {self.event_id}"


class RingStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed: waiting for everyone to confirm")
    FIXED = "fixed", _("Fixed: everyone confirmed")
    DISSOLVED = "dissolved", _("Dissolved")


class SwapRing(models.Model):
    """A cycle of 2 to 4 students, each giving one offered book to the next, who wants it."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="swap_rings")
    run = models.ForeignKey(SwapMatchingRun, on_delete=models.SET_NULL, null=True, related_name="rings")
    size = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=RingStatus.choices, default=RingStatus.PROPOSED)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    dissolved_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("swap ring")
        verbose_name_plural = _("swap rings")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["event", "status"], name="ring_event_status")]

    def __str__(self):
        return f"ring {self.pk} ({self.size}, {self.status})"


class SwapRingLink(models.Model):
    """One hand-over in a ring: `giver` gives `offer` to `receiver`, who wants it."""

    ring = models.ForeignKey(SwapRing, on_delete=models.CASCADE, related_name="links")
    position = models.PositiveSmallIntegerField()
    giver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    receiver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    offer = models.ForeignKey(SwapOffer, on_delete=models.CASCADE, related_name="ring_links")
    want = models.ForeignKey(SwapWant, on_delete=models.CASCADE, related_name="ring_links")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("swap ring link")
        verbose_name_plural = _("swap ring links")
        ordering = ["ring", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ring", "giver"], name="one_link_per_giver"),
            models.UniqueConstraint(fields=["ring", "receiver"], name="one_link_per_receiver"),
        ]

    def __str__(self):
        return f"{self.giver_id} -> {self.receiver_id} in ring {self.ring_id}"
