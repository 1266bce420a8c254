"""Writes on listings other than state changes (those live in listings.lifecycle).

Each action runs in one transaction, checks who acts, leaves an audit trail where the change
matters (ListingChange for price and description, the report's own handled_* fields for
moderation) and sends listings.signals.listing_changed for what search indexes.
"""
import json
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import has_org_role
from listings import deals, eligibility, lifecycle, stock, tasks
from listings.attributes import validate_attributes
from listings.models import (
    Category,
    Deal,
    Favourite,
    HandoverOption,
    Listing,
    ListingChange,
    ListingKind,
    ListingPhoto,
    ListingReport,
    ListingState,
    ReportReason,
    ReportStatus,
)
from listings.permissions import SELLING_ORG_KINDS, can_manage, require_manage, require_staff
from listings.signals import listing_changed
from marketplace.errors import Conflict, DomainError, NotAllowed, NotFound
from marketplace.images import (
    PHASH_MAX_DISTANCE,
    clean_upload,
    derive_stored,
    hamming,
    hash_bands,
    make_derivatives,
)
from marketplace.tasks import run_after_commit
from marketplace.transitions import lock

COORDINATE_STEP = Decimal("0.01")  # about 1 km: the exact point is never stored
PHOTO_STATES = (ListingState.DRAFT, ListingState.ACTIVE)
# A listing in these states is public or may become public again without a publish check: it keeps a photo.
PHOTO_REQUIRED_STATES = (ListingState.ACTIVE, ListingState.RESERVED, ListingState.SUSPENDED)
# How long an upload may wait for its derivative task before the sweep makes them.
PENDING_PHOTO_GRACE = timedelta(minutes=10)
HISTORY_FIELDS = ("price", "description", "deal")
VIEW_DEDUP_SECONDS = 60 * 60


def max_photos() -> int:
    return settings.LISTING_MAX_PHOTOS


def round_coordinate(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(COORDINATE_STEP, rounding=ROUND_HALF_UP)


def _changed(listing, fields):
    listing_changed.send(sender=Listing, listing=listing, fields=set(fields), deleted=False)




def _check_handover(options):
    if not options:
        raise DomainError(_("Choose at least one way to hand the item over."), code="handover_required",
                          field="handover_options")
    unknown = set(options) - set(HandoverOption.values)
    if unknown:
        raise DomainError(_("Unknown hand-over option."), code="invalid_handover", field="handover_options")
    return [value for value in HandoverOption.values if value in options]


def _check_quantity(organization, quantity):
    if quantity < 1:
        raise DomainError(_("The quantity must be at least 1."), code="invalid_quantity", field="quantity")
    if organization is None and quantity != 1:
        raise DomainError(
            _("A person sells one item per listing; only organizations list stock."), code="quantity_not_allowed",
            field="quantity",
        )


def _check_organization(actor, organization):
    if organization is None:
        return
    if not has_org_role(actor, organization, Role.MEMBER):
        raise NotAllowed(_("You may list only for organizations you are a member of."))
    if organization.kind not in SELLING_ORG_KINDS:
        raise NotAllowed(_("%(org)s is not an organization that sells goods.") % {"org": organization.name})
    if not organization.is_verified:
        raise NotAllowed(
            _("%(org)s must be verified by the platform before it can sell.") % {"org": organization.name},
            code="organization_not_verified",
        )


def _check_category(category):
    if not category.is_active:
        raise DomainError(_("This category is closed for new listings."), code="category_closed", field="category")


@transaction.atomic
def create_listing(*, actor, category, title, price, city, organization=None, kind=ListingKind.SECOND_HAND,
                   description="", negotiable=False, quantity=1, handover_options=(HandoverOption.PICKUP,),
                   district="", latitude=None, longitude=None, attributes=None, deal=Deal.SALE,
                   swap_wanted="") -> Listing:
    """A new draft sold by `actor`, or by `organization` when given (actor must be a member);
    `deal`: sold, given away (price 0) or offered for swap (listings.deals)."""
    _check_organization(actor, organization)
    _check_category(category)
    deals.check(deal, price, swap_wanted)
    _check_quantity(organization, quantity)
    listing = Listing.objects.create(
        seller=actor,
        organization=organization,
        category=category,
        kind=ListingKind(kind),
        title=title.strip(),
        description=description.strip(),
        price=price,
        deal=Deal(deal),
        swap_wanted=(swap_wanted or "").strip(),
        negotiable=negotiable,
        quantity=quantity,
        handover_options=_check_handover(list(handover_options)),
        city=city.strip(),
        district=district.strip(),
        latitude=round_coordinate(latitude),
        longitude=round_coordinate(longitude),
        attributes=validate_attributes(category.attribute_schema, attributes),
        state=ListingState.DRAFT,
    )
    _changed(listing, {"created"})
    return listing


def _history_text(value) -> str:
    # Lists and objects (attributes, hand-over options) as JSON, the way clients wrote them.
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict | list) else str(value)


EDITABLE_FIELDS = frozenset({
    "title", "description", "price", "negotiable", "quantity", "handover_options", "city", "district",
    "latitude", "longitude", "attributes", "category", "kind", "deal", "swap_wanted",
})


@transaction.atomic
def update_listing(listing, *, actor, by_staff=False, **changes) -> Listing:
    """Edit a listing the actor manages; price and description changes are kept in ListingChange.

    `by_staff`: platform staff correct the listing (the Django admin). They need not manage it, the
    same rules apply, and every field they change is kept in ListingChange with them as the actor."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise DomainError(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
                          code="not_editable")
    listing = lock(Listing.objects, listing.pk)
    if by_staff:
        require_staff(actor)
    else:
        require_manage(actor, listing)
    if listing.state == ListingState.SOLD:
        raise Conflict(_("A sold listing can no longer be edited."), code="listing_sold")
    moves = ("category" in changes and changes["category"].pk != listing.category_id) or (
        "kind" in changes and changes["kind"] != listing.kind
    )
    if moves and listing.state != ListingState.DRAFT:
        raise Conflict(_("Category and kind can be changed only while the listing is a draft."), code="not_draft")
    if "category" in changes:
        _check_category(changes["category"])
    if changes.keys() & {"price", "deal", "swap_wanted"}:
        deals.check(changes.get("deal", listing.deal), changes.get("price", listing.price),
                    changes.get("swap_wanted", listing.swap_wanted))
    units_held = 0
    if "quantity" in changes:
        _check_quantity(listing.organization, changes["quantity"])
        units_held = stock.check_quantity(listing, changes["quantity"])
    old_quantity = listing.quantity
    if "handover_options" in changes:
        changes["handover_options"] = _check_handover(list(changes["handover_options"]))
    for name in ("latitude", "longitude"):
        if name in changes:
            changes[name] = round_coordinate(changes[name])
    for name in ("title", "description", "city", "district", "swap_wanted"):
        if name in changes:
            changes[name] = changes[name].strip()
    category = changes.get("category", listing.category)
    if "attributes" in changes or "category" in changes:
        changes["attributes"] = validate_attributes(
            category.attribute_schema, changes.get("attributes", listing.attributes)
        )

    changed, history = set(), []
    # The rules of being on sale keep holding while the listing is on sale (409 otherwise).
    with eligibility.kept_on_sale(listing):
        for name, value in changes.items():
            old = getattr(listing, name)
            if old == value:
                continue
            if by_staff or name in HISTORY_FIELDS:
                history.append(ListingChange(listing=listing, actor=actor, field=name, old_value=_history_text(old),
                                             new_value=_history_text(value)))
            setattr(listing, name, value)
            changed.add(name)
    if not changed:
        return listing
    ListingChange.objects.bulk_create(history)
    listing.save(update_fields=sorted({*changed, "updated_at"}))
    _changed(listing, changed)
    if "quantity" in changed:
        listing = stock.requantified(listing, old_quantity, held=units_held,
                                     reason=_("The seller changed the quantity."))
    # A fix made while suspended (e.g. fewer items than failed units) lifts that source's suspension.
    for source in [source for source in eligibility.enforced_sources() if source in listing.suspension_sources]:
        listing = lifecycle.reevaluate(listing, source)
    return listing


@transaction.atomic
def delete_draft(listing, *, actor) -> None:
    """Only drafts are deleted; a published listing is withdrawn instead, so its history stays.
    A listing another request deleted first is a 404."""
    listing = lock(Listing.objects, listing.pk)
    require_manage(actor, listing)
    if listing.state != ListingState.DRAFT:
        raise Conflict(_("Only a draft can be deleted; withdraw a published listing instead."), code="not_draft")
    names = _photo_file_names(listing.photos.all())
    listing_changed.send(sender=Listing, listing=listing, fields=set(), deleted=True)
    listing.delete()
    _delete_files_after_commit(names)


# Photos

def _vanished() -> NotFound:
    # Another request deleted the photo between our look-up and our lock.
    return NotFound(_("This listing or photo no longer exists."))


def _photo_file_names(photos):
    return [(f.storage, f.name) for photo in photos for f in (photo.original, photo.display, photo.thumbnail) if f]


def _delete_files_after_commit(names):
    def delete():
        _delete_files(names)

    transaction.on_commit(delete)


def _delete_files(names):
    for storage, name in names:
        storage.delete(name)


def _check_photos_allowed(listing, actor) -> None:
    require_manage(actor, listing)
    if listing.state not in PHOTO_STATES:
        raise Conflict(
            _("Photos can be changed only while the listing is a draft or active."), code="photos_locked"
        )


def _lock_for_photos(listing, actor) -> Listing:
    locked = lock(Listing.objects, listing.pk)
    _check_photos_allowed(locked, actor)
    return locked


def _find_duplicate(listing, phash) -> ListingPhoto | None:
    """The oldest photo of another seller's listing within PHASH_MAX_DISTANCE bits of `phash`."""
    bands = hash_bands(phash)
    candidates = ListingPhoto.objects.filter(
        Q(hash_band_0=bands[0]) | Q(hash_band_1=bands[1]) | Q(hash_band_2=bands[2])
        | Q(hash_band_3=bands[3]) | Q(hash_band_4=bands[4])
    ).exclude(listing__seller_id=listing.seller_id)
    if listing.organization_id is not None:
        candidates = candidates.exclude(listing__organization_id=listing.organization_id)
    matches = [photo for photo in candidates.order_by("id") if hamming(photo.phash, phash) <= PHASH_MAX_DISTANCE]
    return matches[0] if matches else None


def _report_duplicate(listing, duplicate_of):
    already = ListingReport.objects.filter(
        listing=listing, reporter__isnull=True, reason=ReportReason.DUPLICATE, status=ReportStatus.OPEN
    ).exists()
    if not already:
        ListingReport.objects.create(
            listing=listing,
            reporter=None,
            reason=ReportReason.DUPLICATE,
            details=_("A photo matches photo %(photo)s of listing %(listing)s by another seller.")
            % {"photo": duplicate_of.pk, "listing": duplicate_of.listing_id},
        )


def add_photo(listing, *, actor, uploaded_file) -> ListingPhoto:
    """Check, clean and store a photo (at the end); flag and report it when another seller already
    uses it. Its display and thumbnail are made by a task once the photo is committed
    (`make_photo_derivatives`): until then it is not shown and does not count for publishing."""
    # Cheap checks first, then the image checks and cleaning outside the row lock, then check again under it.
    _check_photos_allowed(listing, actor)
    clean = clean_upload(uploaded_file)
    with transaction.atomic():
        photo = _store_photo(_lock_for_photos(listing, actor), actor, clean)
    run_after_commit(tasks.make_photo_derivatives, photo.pk)
    # Eager tasks have made it ready by now: answer what is stored.
    return ListingPhoto.objects.filter(pk=photo.pk).first() or photo


def _store_photo(listing, actor, clean) -> ListingPhoto:
    count = listing.photos.count()
    if count >= max_photos():
        raise Conflict(_("A listing has at most %(max)s photos.") % {"max": max_photos()}, code="too_many_photos")
    bands = hash_bands(clean.phash)
    duplicate_of = _find_duplicate(listing, clean.phash)
    photo = ListingPhoto(
        listing=listing,
        width=clean.width,
        height=clean.height,
        phash=clean.phash,
        position=count,
        uploaded_by=actor,
        duplicate_of=duplicate_of,
        ready=False,
        **{f"hash_band_{index}": band for index, band in enumerate(bands)},
    )
    photo.original.save(clean.original.name, clean.original, save=False)
    written = _photo_file_names([photo])
    # The file is written before the row: remove it again if saving the row fails.
    try:
        photo.save()
        if duplicate_of is not None:
            _report_duplicate(listing, duplicate_of)
    except Exception:
        _delete_files(written)
        raise
    return photo


def make_photo_derivatives(photo_id) -> bool:
    """Make the display and thumbnail of a stored photo and show it (the task after an upload).

    True when the photo is ready (now or before), False when it is gone or its original cannot be
    read. The image work holds no lock; recording the result locks the listing and then the photo,
    the order every photo write locks in, so a delete of either waits for it or wins cleanly.
    """
    photo = ListingPhoto.objects.filter(pk=photo_id).first()
    if photo is None:
        return False
    if photo.ready:
        return True
    derivatives = derive_stored(photo.original, make_derivatives, f"photo {photo_id}")
    if derivatives is None:
        return False
    photo.display.save(derivatives.display.name, derivatives.display, save=False)
    photo.thumbnail.save(derivatives.thumbnail.name, derivatives.thumbnail, save=False)
    written = [(photo.display.storage, photo.display.name), (photo.thumbnail.storage, photo.thumbnail.name)]
    try:
        with transaction.atomic():
            listing = Listing.objects.select_for_update().filter(pk=photo.listing_id).first()
            current = ListingPhoto.objects.select_for_update().filter(pk=photo_id).first() if listing else None
            if current is not None and not current.ready:
                current.display, current.thumbnail, current.ready = photo.display.name, photo.thumbnail.name, True
                current.save(update_fields=["display", "thumbnail", "ready"])
                _changed(listing, {"photos"})
                return True
    except Exception:
        _delete_files(written)
        raise
    # Deleted while the derivatives were made, or made ready by another run: these files are nobody's.
    _delete_files(written)
    return current is not None


def make_pending_photo_derivatives(*, older_than=PENDING_PHOTO_GRACE, limit=100) -> int:
    """Photos still without derivatives some time after their upload (their task was lost: broker
    down, worker killed) are made ready now, oldest first. Returns how many became ready."""
    due = (
        ListingPhoto.objects.filter(ready=False, created_at__lte=timezone.now() - older_than)
        .order_by("id").values_list("pk", flat=True)[:limit]
    )
    return sum(1 for photo_id in list(due) if make_photo_derivatives(photo_id))


def _renumber(listing, ordered_ids):
    photos = {photo.pk: photo for photo in listing.photos.all()}
    for position, photo_id in enumerate(ordered_ids):
        photo = photos[photo_id]
        if photo.position != position:
            photo.position = position
            photo.save(update_fields=["position"])


@transaction.atomic
def delete_photo(photo, *, actor) -> None:
    """Delete a photo (its files go after the commit). The last photo shown on a listing that is on
    sale, or may come back on sale, stays: 409 `last_photo`."""
    listing = _lock_for_photos(photo.listing, actor)
    photo = ListingPhoto.objects.select_for_update().filter(pk=photo.pk, listing=listing).first()
    if photo is None:
        raise _vanished()
    if (
        listing.state in PHOTO_REQUIRED_STATES and photo.ready
        and not listing.photos.filter(ready=True).exclude(pk=photo.pk).exists()
    ):
        raise Conflict(
            _("This is the last photo of a listing on sale: add another photo first, or withdraw the listing."),
            code="last_photo",
        )
    names = _photo_file_names([photo])
    photo.delete()
    _renumber(listing, list(listing.photos.order_by("position", "id").values_list("pk", flat=True)))
    _changed(listing, {"photos"})
    _delete_files_after_commit(names)


@transaction.atomic
def reorder_photos(listing, *, actor, photo_ids) -> list[ListingPhoto]:
    """Put the photos in the order given; the first one becomes the cover. Every photo must be named once."""
    listing = _lock_for_photos(listing, actor)
    current = set(listing.photos.values_list("pk", flat=True))
    if len(photo_ids) != len(set(photo_ids)) or set(photo_ids) != current:
        raise DomainError(_("Name every photo of the listing exactly once."), code="invalid_order", field="photo_ids")
    _renumber(listing, photo_ids)
    _changed(listing, {"photos"})
    return list(listing.photos.order_by("position", "id"))


@transaction.atomic
def set_cover(photo, *, actor) -> list[ListingPhoto]:
    """Make `photo` the cover (position 0); the others keep their order behind it."""
    listing = _lock_for_photos(photo.listing, actor)
    ordered = list(listing.photos.order_by("position", "id").values_list("pk", flat=True))
    if photo.pk not in ordered:
        raise _vanished()
    ordered.remove(photo.pk)
    _renumber(listing, [photo.pk, *ordered])
    _changed(listing, {"photos"})
    return list(listing.photos.order_by("position", "id"))


# Categories

CATEGORY_FIELDS = frozenset({
    "parent", "slug", "name_zh", "name_en", "grading_standard_code", "attribute_schema", "requires_data_erasure",
    "position", "is_active",
})
# What the search documents of the listings below a category read of it: its names and its place in the tree.
INDEXED_CATEGORY_FIELDS = frozenset({"parent", "name_zh", "name_en"})
REINDEX_BATCH = 500


@transaction.atomic
def update_category(category, *, actor, **changes) -> Category:
    """Staff edit a category (the Django admin). A rename or a move under another parent reaches
    search: once committed, a task reports every active listing of the category and of the
    categories below it as changed, in batches (`report_category_listings_changed`)."""
    require_staff(actor)
    unknown = set(changes) - CATEGORY_FIELDS
    if unknown:
        raise DomainError(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
                          code="not_editable")
    category = lock(Category.objects, category.pk)
    parent = changes.get("parent")
    if parent is not None and parent.pk in category.descendant_ids():
        raise DomainError(_("A category cannot be moved under itself or one of its subcategories."),
                          code="category_cycle", field="parent")
    changed = set()
    for name, value in changes.items():
        if getattr(category, name) != value:
            setattr(category, name, value)
            changed.add(name)
    if not changed:
        return category
    category.save(update_fields=sorted(changed))
    if changed & INDEXED_CATEGORY_FIELDS:
        category_id = category.pk
        # robust: the category is saved; a broker that refuses the task is logged, not the admin's error.
        transaction.on_commit(lambda: tasks.reindex_category_listings.delay(category_id), robust=True)
    return category


def report_category_listings_changed(category_id, *, batch_size=REINDEX_BATCH) -> int:
    """Send listing_changed for every active listing of the category and of every category below
    it, `batch_size` listings per transaction (by id), so search indexes them with the category's
    current names and place in the tree. Only active listings are in the index. Returns how many."""
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        return 0
    category_ids = category.descendant_ids()
    reported, last_id = 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                Listing.objects.filter(category_id__in=category_ids, state=ListingState.ACTIVE, pk__gt=last_id)
                .order_by("pk")[:batch_size]
            )
            for listing in batch:
                _changed(listing, {"category"})
        if not batch:
            return reported
        reported += len(batch)
        last_id = batch[-1].pk


# Favourites, views, reports

def add_favourite(listing, *, user) -> tuple[Favourite, bool]:
    """Put a published listing on the user's watchlist: (the favourite, whether it is new). Adding
    it again, or twice at once, keeps the one favourite (the unique constraint decides)."""
    if not listing.is_public:
        raise Conflict(_("Only published listings can be added to your watchlist."), code="not_public")
    if listing.seller_id == user.pk:
        raise DomainError(_("You cannot watch your own listing."), code="own_listing")
    return Favourite.objects.get_or_create(user=user, listing=listing)


def remove_favourite(listing, *, user) -> None:
    Favourite.objects.filter(user=user, listing=listing).delete()


def record_view(listing, *, viewer, client_key: str) -> bool:
    """Count a view once per viewer per hour, never the seller's own: one UPDATE ... SET n = n + 1."""
    if viewer is not None and viewer.is_authenticated and can_manage(viewer, listing):
        return False
    if not listing.is_public:
        return False
    who = f"user:{viewer.pk}" if viewer is not None and viewer.is_authenticated else f"anon:{client_key}"
    if not cache.add(f"listing-view:{listing.pk}:{who}", 1, timeout=VIEW_DEDUP_SECONDS):
        return False
    Listing.objects.filter(pk=listing.pk).update(view_count=F("view_count") + 1)
    return True


def report_listing(listing, *, reporter, reason, details="") -> ListingReport:
    """File a report for the moderation queue; one open report per person per listing."""
    if can_manage(reporter, listing):
        raise DomainError(_("You cannot report your own listing."), code="own_listing")
    if ListingReport.objects.filter(listing=listing, reporter=reporter, status=ReportStatus.OPEN).exists():
        raise Conflict(_("You already reported this listing; staff are looking at it."), code="already_reported")
    try:
        with transaction.atomic():
            return ListingReport.objects.create(
                listing=listing, reporter=reporter, reason=ReportReason(reason), details=(details or "").strip()
            )
    except IntegrityError as exc:  # two reports sent at the same moment
        raise Conflict(_("You already reported this listing; staff are looking at it."), code="already_reported") from exc


def _lock_open_report(report) -> ListingReport:
    report = ListingReport.objects.select_for_update().get(pk=report.pk)
    if report.status != ReportStatus.OPEN:
        raise Conflict(_("This report was already handled."), code="report_closed")
    return report


def _close(report, *, actor, status, resolution):
    report.status = status
    report.handled_by = actor
    report.handled_at = timezone.now()
    report.resolution = resolution
    report.save(update_fields=["status", "handled_by", "handled_at", "resolution"])


@transaction.atomic
def action_report(report, *, actor, reason) -> ListingReport:
    """Suspend the reported listing for moderation and close every open report on it as actioned."""
    require_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the listing is suspended: the seller is told."), code="reason_required", field="reason")
    report = _lock_open_report(report)
    listing = report.listing
    if not (listing.state == ListingState.SUSPENDED and "moderation" in listing.suspension_sources):
        lifecycle.suspend(listing, actor=actor, reason=reason)
    for open_report in ListingReport.objects.select_for_update().filter(listing=listing, status=ReportStatus.OPEN):
        _close(open_report, actor=actor, status=ReportStatus.ACTIONED, resolution=reason)
    report.refresh_from_db()
    return report


@transaction.atomic
def dismiss_report(report, *, actor, resolution="") -> ListingReport:
    require_staff(actor)
    report = _lock_open_report(report)
    _close(report, actor=actor, status=ReportStatus.DISMISSED, resolution=(resolution or "").strip())
    return report


def expire_due_listings(now=None) -> int:
    """Expire every active listing past its expires_at; each in its own transaction. Returns how many."""
    now = now or timezone.now()
    due = Listing.objects.filter(state=ListingState.ACTIVE, expires_at__lte=now).values_list("pk", flat=True)
    expired = 0
    for pk in list(due.iterator()):
        if lifecycle.expire(Listing(pk=pk), now=now) is not None:
            expired += 1
    return expired
