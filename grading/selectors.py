"""Reads: which standard applies, who sees a listing's assessments, and the grade report."""
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from accounts.models import OrganizationKind, Role
from accounts.permissions import has_org_role, org_can_act_as
from grading.compute import asked_criteria, blocker_reason, describe_answer, localized_rule, outcome_for
from grading.models import (
    Assessment,
    AssessmentEvidence,
    AssessmentSource,
    Criterion,
    GradeLevel,
    GradingStandard,
    StandardStatus,
)
from marketplace.errors import DomainError


def with_scale(queryset):
    """Standards with their levels and criteria prefetched: two queries however many standards."""
    return queryset.prefetch_related(
        Prefetch("levels", queryset=GradeLevel.objects.order_by("rank")),
        Prefetch("criteria", queryset=Criterion.objects.order_by("position", "id")),
    )


def public_standards():
    """Published and superseded standards: drafts are never shown."""
    return with_scale(GradingStandard.objects.exclude(status=StandardStatus.DRAFT).select_related("superseded_by"))


def standard_for_category(category) -> GradingStandard:
    """The newest published version of the category's standard, with its scale and criteria."""
    standard = (
        with_scale(GradingStandard.objects.filter(code=category.grading_standard_code, status=StandardStatus.PUBLISHED))
        .order_by("-version")
        .first()
    )
    if standard is None:
        raise DomainError(
            _("No grading standard “%(code)s” is published for the category %(category)s.")
            % {"code": category.grading_standard_code, "category": category.name},
            code="no_grading_standard",
        )
    return standard


def is_seller_side(user, listing) -> bool:
    """The seller of a personal listing, or a member (any role) of the selling organization.

    For an organization's listing membership is what counts: a seller removed from the
    organization is no longer on its selling side (cannot declare the grade or see hidden grading).
    """
    if user is None or not user.is_authenticated:
        return False
    if listing.organization_id is None:
        return listing.seller_id == user.pk
    return has_org_role(user, listing.organization_id, Role.MEMBER)


def can_view_grading(user, listing) -> bool:
    """Anyone for a public listing; otherwise its seller side, staff, and agencies that inspected it."""
    if listing.is_public:
        return True
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff or is_seller_side(user, listing):
        return True
    return Assessment.objects.filter(
        listing=listing, source=AssessmentSource.INSPECTION, inspection_agency__memberships__user=user
    ).exists()


def acts_for_agency(user, agency) -> bool:
    """Is the user a member of `agency`, a verified inspection agency?"""
    return org_can_act_as(agency, OrganizationKind.INSPECTION_AGENCY) and has_org_role(user, agency, Role.MEMBER)


def can_view_report(user, listing) -> bool:
    """The buyer-facing report of a listing that is not public: its seller side and staff only."""
    if listing.is_public:
        return True
    return user is not None and user.is_authenticated and (user.is_staff or is_seller_side(user, listing))


def assessments_for_api(listing):
    return (
        Assessment.objects.filter(listing=listing)
        .select_related("grade", "standard", "assessor", "inspection_agency")
        .prefetch_related(Prefetch("evidence", queryset=AssessmentEvidence.objects.order_by("id")))
    )


def current_assessments(listing) -> dict[str, Assessment]:
    """The current assessment of each source (at most one each), with what a report needs."""
    queryset = (
        assessments_for_api(listing)
        .filter(is_current=True)
        .prefetch_related(
            Prefetch("standard__levels", queryset=GradeLevel.objects.order_by("rank")),
            Prefetch("standard__criteria", queryset=Criterion.objects.order_by("position", "id")),
        )
    )
    return {assessment.source: assessment for assessment in queryset}


def effective_assessment(current: dict[str, Assessment]) -> Assessment | None:
    """The inspected grade wins over the declared one."""
    return current.get(AssessmentSource.INSPECTION) or current.get(AssessmentSource.SELF_DECLARED)


def blocker_reasons(assessment) -> list[str]:
    """Why the assessment makes the item unsellable, in the active language (re-rendered from the
    standard, which is immutable once published, so the reasons are those of the day it was made)."""
    criteria = {criterion.key: criterion for criterion in assessment.standard.criteria.all()}
    reasons = []
    for key in assessment.blockers:
        criterion = criteria.get(key)
        if criterion is not None:
            value = assessment.answers.get(key)
            reasons.append(blocker_reason(criterion, value, outcome_for(criterion, value)))
    return reasons


def publish_blockers(listing) -> list[str]:
    """Publish rule: the listing's effective assessment must not make it unsellable."""
    assessment = effective_assessment(current_assessments(listing))
    return blocker_reasons(assessment) if assessment is not None else []


def _level(levels, code):
    level = levels.get(code)
    if level is None:
        return None
    return {
        "code": level.code, "label": level.label, "description": level.description,
        "label_zh": level.label_zh, "label_en": level.label_en, "sellable": level.sellable,
    }


def _flag(criterion, outcome):
    return {"code": outcome["flag"], "label": localized_rule(outcome, "flag_label") or criterion.question}


def _assessment_report(assessment, request=None):
    standard = assessment.standard
    levels = {level.code: level for level in standard.levels.all()}
    inspection = assessment.source == AssessmentSource.INSPECTION
    evidence_by_key = {}
    for item in assessment.evidence.all():
        evidence_by_key.setdefault(item.criterion_key, []).append(item)

    def photos(key):
        return [
            {
                "url": _absolute(request, item.image.url),
                "thumbnail_url": _absolute(request, item.thumbnail.url) if item.thumbnail else None,
                "caption": item.caption,
            }
            for item in evidence_by_key.get(key, [])
        ]

    criteria, flags = [], []
    for criterion in asked_criteria(standard, include_inspection_only=inspection):
        value = assessment.answers.get(criterion.key)
        outcome = outcome_for(criterion, value) if value is not None else {}
        cap = assessment.caps.get(criterion.key)
        if outcome.get("flag"):
            flags.append(_flag(criterion, outcome))
        criteria.append({
            "key": criterion.key,
            "question": criterion.question,
            "axis": criterion.axis,
            "answer": value,
            "answer_text": describe_answer(criterion, value),
            "cap": _level(levels, cap) if cap else None,
            "evidence": photos(criterion.key),
        })
    agency = assessment.inspection_agency
    return {
        "id": assessment.pk,
        "source": assessment.source,
        "standard": standard.label,
        "grade": _level(levels, assessment.grade.code),
        "cosmetic_grade": _level(levels, assessment.cosmetic_grade),
        "functional_grade": _level(levels, assessment.functional_grade),
        "sellable": not assessment.blockers,
        "blockers": blocker_reasons(assessment),
        "flags": flags,
        "criteria": criteria,
        "general_evidence": photos(""),
        "notes": assessment.notes,
        "inspection_agency": {"id": agency.pk, "name": agency.name} if agency else None,
        "assessed_at": assessment.created_at,
    }


def _absolute(request, url):
    return request.build_absolute_uri(url) if request is not None else url


def grade_report(listing, request=None) -> dict:
    """The grade report a buyer reads (after GB/T 21667-2024's appraisal report): the standard
    applied, the declared and the inspected assessment with every answer and the cap it imposed,
    the evidence, the flags, and whether the two grades differ."""
    current = current_assessments(listing)
    effective = effective_assessment(current)
    declared = current.get(AssessmentSource.SELF_DECLARED)
    inspected = current.get(AssessmentSource.INSPECTION)
    standard = effective.standard if effective else None
    reports = {
        source: _assessment_report(assessment, request) if assessment else None
        for source, assessment in ((AssessmentSource.INSPECTION, inspected), (AssessmentSource.SELF_DECLARED, declared))
    }
    flags = {}
    for report in reports.values():
        for flag in report["flags"] if report else []:
            flags.setdefault(flag["code"], flag)
    return {
        "listing": {"id": listing.pk, "title": listing.title, "state": listing.state},
        "standard": _standard_summary(standard),
        "grade": _level({lv.code: lv for lv in standard.levels.all()}, effective.grade.code) if effective else None,
        "grade_source": effective.source if effective else None,
        "declared": reports[AssessmentSource.SELF_DECLARED],
        "inspected": reports[AssessmentSource.INSPECTION],
        "mismatch": bool(declared and inspected and declared.grade.code != inspected.grade.code),
        "flags": list(flags.values()),
    }


def _standard_summary(standard):
    if standard is None:
        return None
    return {
        "code": standard.code, "version": standard.version, "label": standard.label, "name": standard.name,
        "name_zh": standard.name_zh, "name_en": standard.name_en, "source": standard.source,
        "status": standard.status,
    }
