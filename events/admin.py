"""Admin: everything is read here; changes go through the API and its services (rules, locks, audit)."""
from django.contrib import admin

from events.models import (
    BookCopy,
    BookRecord,
    CreditEntry,
    Event,
    EventAuditRecord,
    EventListing,
    EventPass,
    Rsvp,
    SharingCorner,
    Stall,
    StallBooking,
    SwapMatchingRun,
    SwapOffer,
    SwapRing,
    SwapRingLink,
    SwapWant,
)
from marketplace.admin import ReadOnlyAdmin, ReadOnlyInline


class StallInline(ReadOnlyInline):
    model = Stall
    fields = ["number", "size", "fee", "category", "note"]
    readonly_fields = fields


class AuditInline(ReadOnlyInline):
    model = EventAuditRecord
    fields = ["created_at", "actor", "subject", "subject_id", "action", "from_state", "to_state", "reason"]
    readonly_fields = fields


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["id", "title_zh", "kind", "organization", "state", "starts_at", "visibility", "booking_mode"]
    list_filter = ["kind", "state", "visibility", "booking_mode"]
    search_fields = ["title_zh", "title_en", "venue_address", "organization__name"]
    date_hierarchy = "starts_at"
    list_select_related = ["organization"]
    inlines = [StallInline, AuditInline]


@admin.register(StallBooking)
class StallBookingAdmin(ReadOnlyAdmin):
    list_display = ["id", "event", "holder", "stall", "status", "queue_position", "lottery_rank", "offer_expires_at"]
    list_filter = ["status"]
    list_select_related = ["event", "holder", "stall"]
    search_fields = ["event__title_zh", "holder__email"]


@admin.register(Rsvp)
class RsvpAdmin(ReadOnlyAdmin):
    list_display = ["id", "event", "user", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["event", "user"]


@admin.register(EventPass)
class EventPassAdmin(ReadOnlyAdmin):
    list_display = ["id", "event", "holder", "kind", "code", "checked_in_at", "revoked_at"]
    list_filter = ["kind"]
    list_select_related = ["event", "holder"]
    search_fields = ["code"]


@admin.register(EventListing)
class EventListingAdmin(ReadOnlyAdmin):
    list_display = ["id", "event", "listing", "booking", "created_at"]
    list_select_related = ["event", "listing", "booking"]


@admin.register(EventAuditRecord)
class EventAuditRecordAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "organization", "event", "actor", "subject", "subject_id", "action", "from_state",
                    "to_state"]
    list_filter = ["subject", "action"]
    list_select_related = ["organization", "event", "actor"]


@admin.register(SharingCorner)
class SharingCornerAdmin(ReadOnlyAdmin):
    list_display = ["id", "name_zh", "organization", "place_zh", "is_active"]
    list_select_related = ["organization"]


@admin.register(BookRecord)
class BookRecordAdmin(ReadOnlyAdmin):
    list_display = ["isbn", "title", "author", "edition", "subject", "school_grade"]
    search_fields = ["isbn", "title", "author"]


@admin.register(BookCopy)
class BookCopyAdmin(ReadOnlyAdmin):
    list_display = ["id", "record", "corner", "condition", "credits", "status", "deposited_by", "taken_by"]
    list_filter = ["status", "condition"]
    list_select_related = ["record", "corner", "deposited_by", "taken_by"]


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "account", "kind", "amount", "balance_after", "copy", "actor", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["account__member", "account__organization", "actor"]


@admin.register(SwapOffer)
class SwapOfferAdmin(ReadOnlyAdmin):
    list_display = ["id", "event", "member", "record", "condition", "status"]
    list_filter = ["status"]
    list_select_related = ["event", "member", "record"]


@admin.register(SwapWant)
class SwapWantAdmin(ReadOnlyAdmin):
    list_display = ["id", "event", "member", "record", "status"]
    list_filter = ["status"]
    list_select_related = ["event", "member", "record"]


@admin.register(SwapMatchingRun)
class SwapMatchingRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "event", "max_ring_size", "participants", "books_moved", "books_moved_pairs_only",
                    "rings_proposed", "solver_status", "wall_ms", "created_at"]


class RingLinkInline(ReadOnlyInline):
    model = SwapRingLink
    fields = ["position", "giver", "receiver", "offer", "want", "confirmed_at"]
    readonly_fields = fields


@admin.register(SwapRing)
class SwapRingAdmin(ReadOnlyAdmin):
    list_display = ["id", "event", "size", "status", "status_changed_at"]
    list_filter = ["status"]
    inlines = [RingLinkInline]
