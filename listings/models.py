"""Categories, listings, photos, their lifecycle audit, change history, favourites and reports.

State changes go through listings.lifecycle (the state machine) and writes through
listings.services; models keep only invariants about their own fields.
"""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketplace.i18n import localized

MAX_PRICE = Decimal("9999999.99")  # about ten million yuan: anything above is a typo or abuse


class Category(models.Model):
    """A node of the category tree; names its grading standard and the schema of its attributes."""

    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    # Code of the grading standard (e.g. "phone"); the newest published version applies.
    grading_standard_code = models.CharField(_("grading standard"), max_length=32, default="general")
    # JSON Schema (draft 2020-12) for Listing.attributes, with our extra "format"s: isbn, imei-last4,
    # oe-part-number (see listings.attributes).
    attribute_schema = models.JSONField(_("attribute schema"), default=dict, blank=True)
    # Used electronics (phones, computers): personal data must be erased before a merchant sells them.
    requires_data_erasure = models.BooleanField(_("requires data erasure record"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "id"]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return localized(self, "name")

    def descendant_ids(self) -> list[int]:
        """This category's id and those of all categories below it."""
        ids, frontier = [self.pk], [self.pk]
        while frontier:
            frontier = list(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            ids.extend(frontier)
        return ids


class ListingKind(models.TextChoices):
    SECOND_HAND = "second_hand", _("Second-hand")
    REMANUFACTURED = "remanufactured", _("Remanufactured")
    REFURBISHED = "refurbished", _("Refurbished")


class ListingState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    RESERVED = "reserved", _("Reserved")
    SOLD = "sold", _("Sold")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")
    SUSPENDED = "suspended", _("Suspended")


class HandoverOption(models.TextChoices):
    PICKUP = "pickup", _("Pickup")
    DELIVERY = "delivery", _("Delivery")
    AT_EVENT = "at_event", _("At an event")


class Deal(models.TextChoices):
    """How an item changes hands (listings.deals): sold for its price, given away for nothing
    (免费送), or swapped for something the seller wants. Giveaways and swaps never take payment."""

    SALE = "sale", _("For sale")
    GIVEAWAY = "giveaway", _("Giveaway")
    SWAP = "swap", _("Offered for swap")


class SuspensionSource(models.TextChoices):
    """Why a listing is suspended: reinstating for one source leaves the others in force.

    Each is a source declared in listings.eligibility, which says what suspends and reinstates it.
    """

    MODERATION = "moderation", _("Moderation")
    # Set by the platform through listings.lifecycle.reevaluate when a rule of the source stops holding:
    CERTIFICATE = "certificate", _("Certificate no longer valid")
    GRADING = "grading", _("Grade not sellable")  # the effective assessment has blockers (grade X)
    # the product's own records: a traced unit failed a later final test, a data-erasure check failed
    COMPLIANCE = "compliance", _("Product records no longer meet the rules")


class GradeSource(models.TextChoices):
    SELF_DECLARED = "self_declared", _("Self-declared by the seller")
    INSPECTION = "inspection", _("Inspected by an agency")


class Listing(models.Model):
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="listings")
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="listings",
        help_text=_("Set when the listing is sold by an organization rather than a person."),
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="listings")
    kind = models.CharField(_("kind"), max_length=20, choices=ListingKind.choices, default=ListingKind.SECOND_HAND)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    price = models.DecimalField(
        _("price (CNY)"), max_digits=9, decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_PRICE)],
    )
    deal = models.CharField(_("deal"), max_length=12, choices=Deal.choices, default=Deal.SALE)
    # For a swap: what the seller would take in exchange (its price is only what they value it at).
    swap_wanted = models.CharField(_("wanted in exchange"), max_length=200, blank=True)
    negotiable = models.BooleanField(_("negotiable"), default=False)
    quantity = models.PositiveIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])
    handover_options = models.JSONField(_("hand-over options"), default=list)
    city = models.CharField(_("city"), max_length=40)
    district = models.CharField(_("district"), max_length=40, blank=True)
    # Rounded to 0.01 degree (about 1 km) before it is stored: the exact point is never kept.
    latitude = models.DecimalField(_("latitude"), max_digits=5, decimal_places=2, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=6, decimal_places=2, null=True, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)

    state = models.CharField(_("state"), max_length=16, choices=ListingState.choices, default=ListingState.DRAFT)
    state_changed_at = models.DateTimeField(_("state changed at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # While suspended: the state to return to, and the sources holding the suspension.
    suspended_from_state = models.CharField(max_length=16, choices=ListingState.choices, blank=True)
    suspension_sources = models.JSONField(default=list, blank=True)
    suspension_reason = models.TextField(_("suspension reason"), blank=True)

    # The effective grade, copied by listings.lifecycle.reevaluate when grading reports an assessment:
    # the inspected grade wins over the declared one.
    grade_code = models.CharField(_("grade"), max_length=16, blank=True)
    grade_source = models.CharField(_("grade source"), max_length=16, choices=GradeSource.choices, blank=True)
    grade_mismatch = models.BooleanField(_("declared and inspected grades differ"), default=False)

    view_count = models.PositiveIntegerField(_("views"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["state", "-published_at"], name="listing_state_published"),
            models.Index(fields=["state", "category", "price"], name="listing_state_cat_price"),
            models.Index(fields=["seller", "state"], name="listing_seller_state"),
            models.Index(fields=["organization", "state"], name="listing_org_state"),
            models.Index(fields=["state", "expires_at"], name="listing_state_expires"),
        ]
        constraints = [
            # A sale has a price; a giveaway costs nothing; a swap's price is an indication, never charged.
            models.CheckConstraint(
                condition=Q(deal="sale", price__gt=0) | Q(deal="giveaway", price=0) | Q(deal="swap", price__gte=0),
                name="listing_price_fits_deal",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="listing_quantity_positive"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_public(self):
        return self.state in (ListingState.ACTIVE, ListingState.RESERVED, ListingState.SOLD)


def _photo_path(instance, kind, filename):
    return f"listings/{instance.listing_id}/{kind}/{filename}"


def upload_original(instance, filename):
    return _photo_path(instance, "original", filename)


def upload_display(instance, filename):
    return _photo_path(instance, "display", filename)


def upload_thumbnail(instance, filename):
    return _photo_path(instance, "thumb", filename)


class ListingPhoto(models.Model):
    """A photo re-encoded without metadata, with WebP derivatives and a perceptual hash.

    The upload stores the cleaned original; a task makes the display and thumbnail after the
    commit and sets `ready`. Until then the photo is not shown and does not count for publishing.
    """

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="photos")
    original = models.ImageField(upload_to=upload_original, width_field="width", height_field="height")
    display = models.ImageField(upload_to=upload_display, blank=True)
    thumbnail = models.ImageField(upload_to=upload_thumbnail, blank=True)
    ready = models.BooleanField(_("derivatives made"), default=False)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    # 64-bit perceptual (difference) hash as 16 hex digits: the same picture reused elsewhere is flagged.
    phash = models.CharField(max_length=16, db_index=True)
    # The hash cut into PHASH_BANDS exact-match bands: two hashes within PHASH_MAX_DISTANCE bits share at
    # least one band (pigeonhole), so near-duplicates are found with indexed equality lookups.
    hash_band_0 = models.PositiveIntegerField(default=0, db_index=True)
    hash_band_1 = models.PositiveIntegerField(default=0, db_index=True)
    hash_band_2 = models.PositiveIntegerField(default=0, db_index=True)
    hash_band_3 = models.PositiveIntegerField(default=0, db_index=True)
    hash_band_4 = models.PositiveIntegerField(default=0, db_index=True)
    # Set when the same picture is already used on another seller's listing: shown to staff.
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("duplicate of")
    )
    position = models.PositiveSmallIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("listing photo")
        verbose_name_plural = _("listing photos")
        ordering = ["position", "id"]

    def __str__(self):
        return f"photo {self.pk} of listing {self.listing_id}"


class ListingTransition(models.Model):
    """Audit of every state change: who, when, from, to, why."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="transitions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    from_state = models.CharField(max_length=16, choices=ListingState.choices)
    to_state = models.CharField(max_length=16, choices=ListingState.choices)
    reason = models.TextField(blank=True)
    # For suspensions and reinstatements: which source (moderation, certificate, grading, compliance).
    source = models.CharField(max_length=16, choices=SuspensionSource.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("listing transition")
        verbose_name_plural = _("listing transitions")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.listing_id}: {self.from_state} -> {self.to_state}"


class ListingChange(models.Model):
    """History of price and description edits."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    field = models.CharField(max_length=32)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("listing change")
        verbose_name_plural = _("listing changes")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.listing_id}.{self.field}"


class Favourite(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="favourited_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("favourite")
        verbose_name_plural = _("favourites")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "listing"], name="unique_favourite")]

    def __str__(self):
        return f"{self.user_id} ♥ {self.listing_id}"


class ReportReason(models.TextChoices):
    PROHIBITED = "prohibited", _("Prohibited or stolen item")
    FRAUD = "fraud", _("Fraud or scam")
    WRONG_GRADE = "wrong_grade", _("Grade or description does not match")
    COUNTERFEIT = "counterfeit", _("Counterfeit")
    DUPLICATE = "duplicate", _("Duplicate or reused photos")
    OFFENSIVE = "offensive", _("Offensive content")
    OTHER = "other", _("Other")


class ReportStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACTIONED = "actioned", _("Actioned")
    DISMISSED = "dismissed", _("Dismissed")


class ListingReport(models.Model):
    """A user's report of a listing: feeds the staff moderation queue."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    reason = models.CharField(max_length=20, choices=ReportReason.choices)
    details = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=16, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("listing report")
        verbose_name_plural = _("listing reports")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            # One open report per person per listing; reports filed by the system have no reporter.
            models.UniqueConstraint(
                fields=["listing", "reporter"], condition=Q(status="open"), name="one_open_report_per_user"
            ),
        ]

    def __str__(self):
        return f"report {self.pk} on {self.listing_id} ({self.reason})"
