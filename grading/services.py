"""Writes of the grading app: publishing standards, recording assessments, adding evidence.

Each action runs in one transaction. An Assessment is its own audit record (who, when, which
standard, which answers, which grade) and is never changed; a StandardTransition records each
status change of a standard. Grading never writes a Listing: after an assessment it reports the
fact with `listings.lifecycle.reevaluate(listing, "grading")`, and listings copies the grade
and suspends or reinstates the listing (listings.eligibility, source "grading").
"""
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OrganizationKind, Role
from accounts.permissions import has_org_role, require_org_can_act_as, require_org_role
from grading import tasks
from grading.compute import compute_grade
from grading.models import (
    Assessment,
    AssessmentEvidence,
    AssessmentSource,
    GradingStandard,
    StandardStatus,
    StandardTransition,
)
from grading.notifications import GRADE_MISMATCH
from grading.selectors import current_assessments, is_seller_side, standard_for_category, with_scale
from grading.validation import validate_standard
from listings import eligibility, lifecycle
from listings.models import Listing, ListingState
from marketplace.errors import Conflict, DomainError, NotAllowed
from marketplace.images import clean_upload, make_pending_thumbnails, make_stored_thumbnail
from marketplace.tasks import run_after_commit
from marketplace.transitions import lock
from notifications.services import notify

# A listing may be (re)graded while it can still be sold; a sold, withdrawn or expired one is history.
GRADABLE_STATES = (ListingState.DRAFT, ListingState.ACTIVE, ListingState.RESERVED, ListingState.SUSPENDED)
EVIDENCE_WINDOW = timedelta(hours=24)
MAX_EVIDENCE = 10
GRADE_FIELDS = ("grade_code", "grade_source", "grade_mismatch")
SUSPENSION_FIELDS = ("state", "state_changed_at", "suspended_from_state", "suspension_sources", "suspension_reason")
# How long an evidence photo may wait for its thumbnail task before the sweep makes it.
PENDING_THUMBNAIL_GRACE = timedelta(minutes=10)


@transaction.atomic
def publish_standard(draft, *, actor=None) -> GradingStandard:
    """Publish a draft standard after validating it; the published version of the same code, if
    any, becomes superseded by it. Versions only go up."""
    draft = with_scale(GradingStandard.objects.select_for_update()).get(pk=draft.pk)
    if draft.status != StandardStatus.DRAFT:
        raise Conflict(_("Only a draft can be published; %(label)s is %(status)s.")
                       % {"label": draft.label, "status": StandardStatus(draft.status).label}, code="not_a_draft")
    validate_standard(draft)
    previous = (
        GradingStandard.objects.select_for_update()
        .filter(code=draft.code, status=StandardStatus.PUBLISHED)
        .first()
    )
    if previous is not None:
        if previous.version >= draft.version:
            raise Conflict(
                _("Version %(version)s of “%(code)s” is already published: publish a higher version.")
                % {"version": previous.version, "code": draft.code},
                code="version_not_newer",
            )
        # Superseded first: at most one published version per code, even mid-transaction.
        previous.status = StandardStatus.SUPERSEDED
        previous.superseded_by = draft
        previous.save(update_fields=["status", "superseded_by"])
        StandardTransition.objects.create(
            standard=previous, actor=actor, from_status=StandardStatus.PUBLISHED, to_status=StandardStatus.SUPERSEDED
        )
    draft.status = StandardStatus.PUBLISHED
    draft.published_at = timezone.now()
    # A draft is still mutable, so a full save is allowed here; afterwards it is frozen.
    draft.save(update_fields=["status", "published_at"])
    StandardTransition.objects.create(
        standard=draft, actor=actor, from_status=StandardStatus.DRAFT, to_status=StandardStatus.PUBLISHED
    )
    return draft


def self_assess(listing, *, actor, answers: dict, notes="") -> Assessment:
    """The seller (or a member of the selling organization) answers the criteria of the category's
    standard; the standard computes the grade. Replaces the current self-declared assessment."""
    return _record(listing, actor=actor, source=AssessmentSource.SELF_DECLARED, agency=None, answers=answers, notes=notes)


def inspect(listing, *, actor, agency, answers: dict, notes="") -> Assessment:
    """A member of a verified inspection agency grades the listing, inspection-only criteria
    included. The inspected grade wins over the declared one; the agency may not be on the
    selling side. Replaces the current inspection."""
    return _record(listing, actor=actor, source=AssessmentSource.INSPECTION, agency=agency, answers=answers, notes=notes)


def _check_may_assess(listing, actor, source, agency):
    if actor is None or not actor.is_authenticated:
        raise NotAllowed(_("Sign in to grade a listing."))
    if source == AssessmentSource.SELF_DECLARED:
        if not is_seller_side(actor, listing):
            raise NotAllowed(_("Only the seller or a member of the selling organization may declare the grade."),
                             code="not_seller")
        return
    require_org_can_act_as(agency, OrganizationKind.INSPECTION_AGENCY)
    require_org_role(actor, agency, Role.MEMBER)
    selling_org = listing.organization_id
    if actor.pk == listing.seller_id or (
        selling_org is not None and (agency.pk == selling_org or has_org_role(actor, selling_org, Role.MEMBER))
    ):
        raise NotAllowed(_("An inspector cannot inspect a listing of their own or of their organization."),
                         code="conflict_of_interest")


def _check_gradable(listing):
    if listing.state not in GRADABLE_STATES:
        raise Conflict(
            _("A listing that is %(state)s can no longer be graded.") % {"state": ListingState(listing.state).label},
            code="listing_not_gradable",
        )


@transaction.atomic
def _record(given_listing, *, actor, source, agency, answers, notes):
    # The row lock serializes concurrent assessments of one listing (one current per source).
    listing = lock(Listing.objects.select_related("category", "seller"), given_listing.pk)
    _check_may_assess(listing, actor, source, agency)
    _check_gradable(listing)
    standard = standard_for_category(listing.category)
    result = compute_grade(standard, answers, include_inspection_only=source == AssessmentSource.INSPECTION)
    replaced = Assessment.objects.filter(listing=listing, source=source, is_current=True).select_related("grade").first()
    Assessment.objects.filter(listing=listing, source=source, is_current=True).update(is_current=False)
    assessment = Assessment.objects.create(
        listing=listing, standard=standard, source=source, assessor=actor, inspection_agency=agency,
        answers=result.answers, grade=result.grade, caps=result.caps, cosmetic_grade=result.cosmetic_grade,
        functional_grade=result.functional_grade, flags=result.flags, blockers=result.blocker_keys,
        notes=notes or "", is_current=True,
    )
    _tell_seller_of_mismatch(listing, replaced=replaced, new_source=source)
    # listings copies the new grade onto the listing and keeps the grading rules holding on sale
    # (blockers suspend it for the source "grading"; a later sellable assessment brings it back).
    fresh = lifecycle.reevaluate(listing, eligibility.GRADING)
    # The caller's instance sees the new grade (e.g. to publish it next) and state (suspended or not).
    for name in (*GRADE_FIELDS, *SUSPENSION_FIELDS):
        setattr(given_listing, name, getattr(fresh, name))
    return assessment


def _grade_pair(declared, inspected):
    return (declared.grade.code if declared else None, inspected.grade.code if inspected else None)


def _tell_seller_of_mismatch(listing, *, replaced, new_source) -> None:
    """Tell the seller when the declared and the inspected grade differ and that is news: the
    mismatch appeared with this assessment, or one of its two grades changed (`replaced`: the
    assessment of `new_source` that was current before this one)."""
    current = current_assessments(listing)
    declared = current.get(AssessmentSource.SELF_DECLARED)
    inspected = current.get(AssessmentSource.INSPECTION)
    if not (declared and inspected and declared.grade.code != inspected.grade.code):
        return
    now = _grade_pair(declared, inspected)
    replaced_code = replaced.grade.code if replaced else None
    before = (replaced_code, now[1]) if new_source == AssessmentSource.SELF_DECLARED else (now[0], replaced_code)
    had_mismatch = None not in before and before[0] != before[1]
    if had_mismatch and before == now:
        return
    notify(listing.seller, GRADE_MISMATCH, {
        "listing": listing.title, "declared": declared.grade.code, "inspected": inspected.grade.code,
        "agency": inspected.inspection_agency.name, "standard": inspected.standard.label,
    })


def _check_evidence_allowed(assessment, actor, criterion_key) -> None:
    if actor is None or actor.pk != assessment.assessor_id:
        raise NotAllowed(_("Only the person who made the assessment may add evidence to it."), code="not_assessor")
    _check_gradable(assessment.listing)
    if timezone.now() - assessment.created_at > EVIDENCE_WINDOW:
        raise Conflict(_("Evidence can be added only within 24 hours of the assessment; make a new assessment."),
                       code="evidence_window_closed")
    if assessment.evidence.count() >= MAX_EVIDENCE:
        raise Conflict(_("An assessment has at most %(count)s evidence photos.") % {"count": MAX_EVIDENCE},
                       code="too_much_evidence")
    if criterion_key and not assessment.standard.criteria.filter(key=criterion_key).exists():
        raise DomainError(
            _("“%(key)s” is not a criterion of %(standard)s.") % {"key": criterion_key, "standard": assessment.standard.label},
            code="unknown_criterion", field="criterion_key",
        )


def add_evidence(assessment, *, actor, image, criterion_key="", caption="") -> AssessmentEvidence:
    """A photo that backs an answer: only the assessor, within 24 hours, at most ten per assessment.

    The image goes through the shared pipeline (verified, metadata stripped) before the assessment
    is locked; the checks run again under the lock. Its thumbnail is made by a task after the
    commit (`make_evidence_thumbnail`): until then `thumbnail` is empty."""
    _check_evidence_allowed(assessment, actor, criterion_key)
    clean = clean_upload(image)
    with transaction.atomic():
        locked = lock(Assessment.objects.select_related("listing", "standard"), assessment.pk)
        _check_evidence_allowed(locked, actor, criterion_key)
        evidence = AssessmentEvidence(assessment=locked, criterion_key=criterion_key, caption=caption)
        evidence.image.save(clean.original.name, clean.original, save=False)
        try:
            evidence.save()
        except Exception:
            # Storage is not transactional: do not leave a file behind that no row points at.
            evidence.image.delete(save=False)
            raise
    run_after_commit(tasks.make_evidence_thumbnail, evidence.pk)
    # Eager tasks have made the thumbnail by now: answer what is stored.
    return AssessmentEvidence.objects.filter(pk=evidence.pk).first() or evidence


def make_evidence_thumbnail(evidence_id) -> bool:
    """Make the thumbnail of a stored evidence photo (the task after its upload). True when it has
    one (now or before), False when the evidence is gone or its image cannot be read."""
    return make_stored_thumbnail(AssessmentEvidence, evidence_id)


def make_pending_evidence_thumbnails(*, older_than=PENDING_THUMBNAIL_GRACE, limit=100) -> int:
    """Evidence still without a thumbnail some time after its upload (its task was lost) gets one now."""
    return make_pending_thumbnails(AssessmentEvidence, older_than=older_than, limit=limit)
