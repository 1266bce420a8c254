"""Reads of the certification app: who sees which certificate, coverage, readiness and public lookups."""
from django.db.models import Q

from accounts.models import Role
from accounts.permissions import has_org_role, user_org_ids
from certification import codes
from certification.models import (
    Certificate,
    CertificateStatus,
    DataErasureRecord,
    ListingCertification,
    RemanufacturedUnit,
    TraceEvent,
    TraceEventKind,
)

SOLD_KINDS = (TraceEventKind.SALE,)


def visible_certificates(user):
    """Staff: all. Members of the issuer or holder: theirs in every status. Everyone: valid ones (public register)."""
    queryset = Certificate.objects.select_related("issuer", "holder").prefetch_related("categories")
    if user and user.is_authenticated and user.is_staff:
        return queryset
    public = Q(status=CertificateStatus.VALID)
    org_ids = user_org_ids(user)
    if org_ids:
        public |= Q(issuer_id__in=org_ids) | Q(holder_id__in=org_ids)
    return queryset.filter(public)


def can_see_certificate_internals(user, certificate) -> bool:
    """Documents and history: the issuer's and holder's members and platform staff."""
    if not user or not user.is_authenticated:
        return False
    return user.is_staff or has_org_role(user, certificate.issuer_id) or has_org_role(user, certificate.holder_id)


def visible_units(user):
    queryset = RemanufacturedUnit.objects.select_related("manufacturer", "certificate", "category")
    if user and user.is_authenticated and user.is_staff:
        return queryset
    return queryset.filter(manufacturer_id__in=user_org_ids(user, Role.MEMBER))


def certificate_covers(certificate, category) -> bool:
    """Does the certificate name this category or one of its ancestors?

    At most two queries however deep the tree: the certificate's categories (none when they are
    prefetched) and, only when the category itself is not named, the category tree (small).
    """
    from listings.selectors import category_map

    covered = {node.pk for node in certificate.categories.all()}
    if category.pk in covered:
        return True
    if not covered or category.parent_id is None:
        return False
    categories, seen = category_map(), set()
    node = categories.get(category.parent_id)
    while node is not None and node.pk not in seen:
        if node.pk in covered:
            return True
        seen.add(node.pk)
        node = categories.get(node.parent_id)
    return False


def sellable_unit_ids(units) -> set[int]:
    """Ids of the units whose latest final test passed and that are not sold yet (one query for all)."""
    last_result, sold = {}, set()
    events = (
        TraceEvent.objects.filter(unit__in=units, kind__in=[TraceEventKind.FINAL_TEST, *SOLD_KINDS])
        .order_by("unit_id", "sequence")
        .values_list("unit_id", "kind", "data")
    )
    for unit_id, kind, data in events:
        if kind == TraceEventKind.FINAL_TEST:
            last_result[unit_id] = data.get("result")
        else:
            sold.add(unit_id)
    return {unit.pk for unit in units if last_result.get(unit.pk) == "pass" and unit.pk not in sold}


def listing_certification(listing) -> ListingCertification | None:
    return (
        ListingCertification.objects.select_related("certificate__issuer", "certificate__holder")
        .filter(listing=listing)
        .first()
    )


def certified_listing_ids(listing_ids) -> set[int]:
    """Of these listings, the remanufactured ones that rely on a certificate valid today (one query).

    Search indexes this as the "certified" trust filter; a certificate status change sends
    listing_changed for every listing relying on it, so the index follows.
    """
    return set(
        ListingCertification.objects.filter(
            listing_id__in=list(listing_ids),
            listing__kind="remanufactured",
            certificate__status=CertificateStatus.VALID,
        ).values_list("listing_id", flat=True)
    )


def current_erasure_record(listing) -> DataErasureRecord | None:
    return DataErasureRecord.objects.filter(listing=listing).order_by("-created_at", "-id").first()


def erasure_status(record: DataErasureRecord | None) -> str:
    """missing | verified | self_declared | failed, as shown to buyers."""
    if record is None:
        return "missing"
    if record.verification_result == "failed":
        return "failed"
    return "verified" if record.is_verified else "self_declared"


def resolve_code(raw: str):
    """("unit", unit) or ("certificate", certificate) for a trace code or certificate number, else None.

    The check character is tested before the database is asked, so typos cost no query.
    """
    code = codes.normalize_code(raw)
    if codes.is_trace_code(code):
        unit = (
            RemanufacturedUnit.objects.select_related("manufacturer", "certificate__issuer", "certificate__holder", "category")
            .filter(trace_code=code)
            .first()
        )
        return ("unit", unit) if unit else None
    if codes.is_certificate_number(code):
        certificate = (
            Certificate.objects.select_related("issuer", "holder").prefetch_related("categories").filter(number=code).first()
        )
        return ("certificate", certificate) if certificate else None
    return None
