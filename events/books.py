"""Campus book sharing: ISBNs, book records, sharing corners and the credit ledger.

Credit mode: a keeper (a teacher or an administrator of the school) records a student's or
teacher's book deposited at a corner, graded on the book/1 standard; the giver earns the credits
of its grade (settings.EVENTS_BOOK_CREDITS). A member takes a book from the shelf by spending as
many credits. The ledger (CreditEntry) is append-only; the balance is the sum of the account's
entries. Every ledger write first locks the member's CreditAccount row and computes the balance
under that lock, so concurrent takes are decided one after the other and the balance never goes
below zero (a CHECK constraint on balance_after refuses it besides).
"""
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import ValidationError as StdnumValidationError

from accounts.models import CampusRole, Role
from accounts.permissions import has_org_role, membership_of
from events import audit
from events.models import (
    BookCopy,
    BookRecord,
    CopyStatus,
    CreditAccount,
    CreditEntry,
    CreditEntryKind,
    Event,
    EventKind,
    EventState,
    SharingCorner,
)
from events.permissions import require_campus_member, require_organizer, require_school
from marketplace.errors import Conflict, DomainError, NotAllowed

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


# --- ISBNs and book records ---------------------------------------------------------------------

def normalize_isbn(raw: str) -> str:
    """The ISBN-13 of a valid ISBN-10 or ISBN-13 (hyphens and spaces allowed), via python-stdnum."""
    try:
        compact = stdnum_isbn.validate(raw or "")
    except StdnumValidationError:
        raise DomainError(_("“%(isbn)s” is not a valid ISBN-10 or ISBN-13: check the digits.") % {"isbn": raw},
                          code="invalid_isbn", field="isbn") from None
    return stdnum_isbn.to_isbn13(compact)


RECORD_FIELDS = ("title", "author", "edition", "publisher", "subject", "school_grade")


def prefill(isbn: str) -> dict | None:
    """What the project already knows about `isbn` (an ISBN-13): the first giver's description,
    else the newest listing carrying that ISBN; None when it was never seen."""
    record = BookRecord.objects.filter(isbn=isbn).first()
    if record is not None:
        return {"isbn": isbn, "source": "book_record", **{name: getattr(record, name) for name in RECORD_FIELDS}}
    from listings.models import Listing

    listing = Listing.objects.filter(attributes__isbn=isbn).order_by("-id").only("title", "attributes").first()
    if listing is None:
        return None
    attributes = listing.attributes or {}
    return {"isbn": isbn, "source": "listing", "title": listing.title, "author": attributes.get("author", ""),
            "edition": attributes.get("edition", ""), "publisher": attributes.get("publisher", ""),
            "subject": attributes.get("subject", ""), "school_grade": attributes.get("school_level", "")}


def record_book(*, isbn, actor, **description) -> BookRecord:
    """The record of `isbn`, made from the giver's description the first time; later givers only
    fill what is still blank (the first description is not overwritten)."""
    isbn = normalize_isbn(isbn)
    description = {name: (description.get(name) or "").strip() for name in RECORD_FIELDS}
    record = BookRecord.objects.filter(isbn=isbn).first()
    if record is None:
        known = prefill(isbn) or {}
        merged = {name: description[name] or known.get(name, "") for name in RECORD_FIELDS}
        if not merged["title"]:
            raise DomainError(_("This ISBN is new here: give the book's title."), code="title_required", field="title")
        try:
            with transaction.atomic():
                return BookRecord.objects.create(isbn=isbn, created_by=actor, **merged)
        except IntegrityError:
            record = BookRecord.objects.get(isbn=isbn)  # another giver described it at the same moment
    blanks = [name for name in RECORD_FIELDS if not getattr(record, name) and description[name]]
    for name in blanks:
        setattr(record, name, description[name])
    if blanks:
        record.save(update_fields=blanks)
    return record


def credits_for(grade: str) -> int:
    table = settings.EVENTS_BOOK_CREDITS
    if grade not in table:
        raise DomainError(
            _("Grade “%(grade)s” cannot be shared; use one of %(grades)s of the book grading standard.")
            % {"grade": grade, "grades": ", ".join(table)},
            code="invalid_grade", field="grade",
        )
    return table[grade]


# --- sharing corners ----------------------------------------------------------------------------

def validate_opening_hours(hours) -> list[dict]:
    """[{"days": [1..7], "opens": "HH:MM", "closes": "HH:MM"}, ...] with opens before closes."""
    if not isinstance(hours, list):
        raise DomainError(_("Opening hours are a list of {days, opens, closes}."), code="invalid_hours",
                          field="opening_hours")
    cleaned = []
    for slot in hours:
        days = slot.get("days") if isinstance(slot, dict) else None
        opens, closes = (slot.get("opens"), slot.get("closes")) if isinstance(slot, dict) else (None, None)
        if (not isinstance(days, list) or not days or any(not isinstance(day, int) or not 1 <= day <= 7 for day in days)
                or not isinstance(opens, str) or not isinstance(closes, str)
                or not _TIME.match(opens) or not _TIME.match(closes) or opens >= closes):
            raise DomainError(
                _("Each opening slot names weekdays 1 (Monday) to 7 and times HH:MM, opening before closing."),
                code="invalid_hours", field="opening_hours",
            )
        cleaned.append({"days": sorted(set(days)), "opens": opens, "closes": closes})
    return cleaned


@transaction.atomic
def create_corner(*, actor, organization, **fields) -> SharingCorner:
    require_organizer(actor, organization)
    require_school(organization)
    fields["opening_hours"] = validate_opening_hours(fields.get("opening_hours", []))
    corner = SharingCorner.objects.create(organization=organization, **fields)
    audit.record(organization_id=organization.pk, actor=actor, subject="corner", subject_id=corner.pk, action="create")
    return corner


@transaction.atomic
def update_corner(corner, *, actor, **changes) -> SharingCorner:
    require_organizer(actor, corner.organization)
    corner = SharingCorner.objects.select_for_update().get(pk=corner.pk)
    if "opening_hours" in changes:
        changes["opening_hours"] = validate_opening_hours(changes["opening_hours"])
    for name, value in changes.items():
        setattr(corner, name, value)
    corner.save()
    audit.record(organization_id=corner.organization_id, actor=actor, subject="corner", subject_id=corner.pk,
                 action="update", detail={"fields": sorted(changes)})
    return corner


def can_keep_corner(user, organization) -> bool:
    """Keepers record deposits: administrators and teachers of the school."""
    membership = membership_of(user, organization)
    return membership is not None and (
        has_org_role(user, organization, Role.ADMIN) or membership.campus_role == CampusRole.TEACHER
    )


# --- the credit ledger --------------------------------------------------------------------------

def balance(organization, member) -> int:
    total = CreditEntry.objects.filter(account__organization=organization, account__member=member).aggregate(
        total=Sum("amount")
    )["total"]
    return total or 0


def _locked_account(organization, member) -> CreditAccount:
    """The member's account row, locked until the transaction ends (made on first use)."""
    try:
        with transaction.atomic():
            CreditAccount.objects.get_or_create(organization=organization, member=member)
    except IntegrityError:
        pass  # made at the same moment by a concurrent first deposit
    return CreditAccount.objects.select_for_update().get(organization=organization, member=member)


def _append(account, *, amount, kind, copy, actor) -> CreditEntry:
    """One ledger line, under the account's lock; refuses to take the balance below zero."""
    current = CreditEntry.objects.filter(account=account).aggregate(total=Sum("amount"))["total"] or 0
    if current + amount < 0:
        raise Conflict(
            _("Not enough credits: this book costs %(cost)s and you have %(balance)s.")
            % {"cost": -amount, "balance": current},
            code="insufficient_credits",
        )
    return CreditEntry.objects.create(account=account, amount=amount, balance_after=current + amount, kind=kind,
                                      copy=copy, actor=actor)


@transaction.atomic
def deposit_book(corner, *, actor, giver, isbn, grade, **description) -> BookCopy:
    """A keeper records `giver`'s book on the corner's shelf; the giver earns its credits."""
    organization = corner.organization
    require_school(organization)
    if not can_keep_corner(actor, organization):
        raise NotAllowed(_("Deposits are recorded by the school's teachers and administrators."))
    require_campus_member(actor, organization, who=giver)
    if not corner.is_active:
        raise Conflict(_("This sharing corner is closed."), code="corner_closed")
    credits = credits_for(grade)
    record = record_book(isbn=isbn, actor=actor, **description)
    copy = BookCopy.objects.create(corner=corner, record=record, condition=grade, credits=credits, deposited_by=giver,
                                   recorded_by=actor)
    entry = _append(_locked_account(organization, giver), amount=credits, kind=CreditEntryKind.DEPOSIT, copy=copy,
                    actor=actor)
    audit.record(organization_id=organization.pk, actor=actor, subject="copy", subject_id=copy.pk, action="deposit",
                 to_state=CopyStatus.IN_STOCK, detail={"giver": giver.pk, "credits": credits, "entry": entry.pk})
    return copy


def _share_day_on(corner, now) -> Event | None:
    return Event.objects.filter(corner=corner, kind=EventKind.BOOK_SWAP, state=EventState.ONGOING,
                                starts_at__lte=now, ends_at__gt=now).first()


@transaction.atomic
def take_book(copy, *, actor, member=None) -> BookCopy:
    """`member` (by default the actor; a keeper may record a take for a member) takes the copy
    off the shelf and pays its credits. 409 when it is gone or the credits do not suffice."""
    member = member or actor
    copy = BookCopy.objects.select_for_update(of=("self",)).select_related("corner__organization", "record").get(pk=copy.pk)
    organization = copy.corner.organization
    if member.pk != actor.pk and not can_keep_corner(actor, organization):
        raise NotAllowed(_("Only the school's teachers and administrators record takes for someone else."))
    require_campus_member(actor, organization, who=member)
    if copy.status != CopyStatus.IN_STOCK:
        raise Conflict(_("Someone already took this book."), code="already_taken")
    now = timezone.now()
    entry = _append(_locked_account(organization, member), amount=-copy.credits, kind=CreditEntryKind.TAKE, copy=copy,
                    actor=actor)
    copy.status, copy.taken_by, copy.taken_at = CopyStatus.TAKEN, member, now
    copy.taken_at_event = _share_day_on(copy.corner, now)
    copy.save(update_fields=["status", "taken_by", "taken_at", "taken_at_event"])
    audit.record(organization_id=organization.pk, event_id=copy.taken_at_event_id, actor=actor, subject="copy",
                 subject_id=copy.pk, action="take", from_state=CopyStatus.IN_STOCK, to_state=CopyStatus.TAKEN,
                 detail={"member": member.pk, "credits": copy.credits, "entry": entry.pk})
    return copy
