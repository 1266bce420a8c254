"""Demo inspections: the demo inspection agency inspects a phone, a book and an appliance listing.

The listings demo runs first and self-assesses its listings; the agency confirms the seller's
answers, except on the phone, where it finds a flaw the seller did not declare (a mismatch).
Idempotent: a listing this agency already inspected is left alone.
"""
from grading.models import AnswerType, Assessment, AssessmentSource
from grading.selectors import current_assessments, standard_for_category
from grading.services import GRADABLE_STATES, inspect
from listings.models import Listing

DEMO_INSPECTIONS = [("phone", True), ("book", False), ("appliance", False)]  # standard code, with a mismatch
NOTES = {
    True: "鉴定发现卖家未申报的瑕疵，见证据照片。 The inspection found a flaw the seller did not declare.",
    False: "鉴定结果与卖家申报一致。 The inspection confirms the seller's declaration.",
}


def _outcomes(criterion):
    """(answer, rule outcome) pairs of a criterion, best first as far as the rules tell."""
    rules = criterion.rules
    if criterion.answer_type == AnswerType.BOOLEAN:
        return [(value, rules.get(str(value).lower()) or {}) for value in (False, True)]
    if criterion.answer_type == AnswerType.CHOICE:
        return [(option["value"], option) for option in rules["options"]]
    bands = rules.get("bands", [])
    return [(rules["max"], {})] + [(band["below"] - 1, band) for band in reversed(bands)]


def _clean_answer(criterion):
    """An answer that caps nothing (the best outcome)."""
    return next((value for value, outcome in _outcomes(criterion) if not outcome.get("cap")), _outcomes(criterion)[0][0])


def _flaw(standard, grade_rank):
    """The mildest answer that caps the grade below `grade_rank` at a sellable level: (key, value)."""
    levels = {level.code: level for level in standard.levels.all()}
    flaws = [
        (levels[outcome["cap"]].rank, criterion.key, value)
        for criterion in standard.criteria.all()
        if not criterion.inspection_only
        for value, outcome in _outcomes(criterion)
        if outcome.get("cap") in levels and levels[outcome["cap"]].sellable and levels[outcome["cap"]].rank > grade_rank
    ]
    return min(flaws)[1:] if flaws else None


def load(world):
    agency = world["orgs"]["inspection_agency"]
    inspector = world["org_staff"]["inspection_agency"]
    made = 0
    for code, with_mismatch in DEMO_INSPECTIONS:
        listing = (
            Listing.objects.filter(category__grading_standard_code=code, state__in=GRADABLE_STATES)
            .exclude(seller=inspector)
            .exclude(organization=agency)
            .select_related("category")
            .order_by("pk")
            .first()
        )
        if listing is None or Assessment.objects.filter(listing=listing, inspection_agency=agency).exists():
            continue
        standard = standard_for_category(listing.category)
        declared = current_assessments(listing).get(AssessmentSource.SELF_DECLARED)
        declared_answers = declared.answers if declared and declared.standard_id == standard.pk else {}
        answers = {
            criterion.key: declared_answers.get(criterion.key, _clean_answer(criterion))
            for criterion in standard.criteria.all()
            if criterion.required or criterion.key in declared_answers
        }
        if with_mismatch:
            rank = declared.grade.rank if declared else 0
            flaw = _flaw(standard, rank)
            if flaw is not None:
                answers[flaw[0]] = flaw[1]
        inspect(listing, actor=inspector, agency=agency, answers=answers, notes=NOTES[with_mismatch])
        made += 1
    return f"{made} inspections, {Assessment.objects.filter(source=AssessmentSource.INSPECTION).count()} in all"
