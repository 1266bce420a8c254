"""The grade a standard gives to a set of answers: a pure function, no database writes.

Every answer may cap the grade at a level of the standard's scale; the grade is the worst cap
over all criteria, or the best level when nothing caps it. Cosmetic and functional criteria
also give a grade of their own (the two axes of CTIA grading). A cap at an unsellable level
is a blocker: the item may not be published, and the seller is told why.
"""
import math
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.utils.translation import gettext as _

from grading.models import AnswerType, Axis, GradeLevel
from marketplace.errors import DomainError
from marketplace.i18n import localized


@dataclass(frozen=True)
class GradeResult:
    grade: GradeLevel
    caps: dict[str, str] = field(default_factory=dict)
    cosmetic_grade: str = ""
    functional_grade: str = ""
    flags: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    # The criteria behind `blockers`, and the answers as validated (unanswered optional ones dropped).
    blocker_keys: list[str] = field(default_factory=list)
    answers: dict = field(default_factory=dict)

    @property
    def sellable(self):
        return not self.blockers


def asked_criteria(standard, *, include_inspection_only=False):
    return [c for c in standard.criteria.all() if include_inspection_only or not c.inspection_only]


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def outcome_for(criterion, value) -> dict:
    """The rule outcome ({"cap", "flag", ...}) that `value` selects; validates the value."""
    rules = criterion.rules
    key = criterion.key
    if criterion.answer_type == AnswerType.BOOLEAN:
        if not isinstance(value, bool):
            raise DomainError(_("Answer yes (true) or no (false)."), code="invalid_answer", field=key)
        return rules.get("true" if value else "false") or {}
    if criterion.answer_type == AnswerType.CHOICE:
        options = rules.get("options", [])
        for option in options:
            if isinstance(value, str) and option["value"] == value:
                return option
        raise DomainError(
            _("“%(value)s” is not one of the choices: %(choices)s.")
            % {"value": value, "choices": ", ".join(option["value"] for option in options)},
            code="invalid_answer", field=key,
        )
    if criterion.answer_type == AnswerType.NUMBER:
        if not _is_number(value):
            raise DomainError(_("Answer with a number."), code="invalid_answer", field=key)
        if rules.get("integer") and value != int(value):
            raise DomainError(_("Answer with a whole number."), code="invalid_answer", field=key)
        low, high = rules["min"], rules["max"]
        if not low <= value <= high:
            raise DomainError(
                _("The number must be between %(min)s and %(max)s.") % {"min": low, "max": high},
                code="out_of_range", field=key,
            )
        for band in rules.get("bands", []):
            if value < band["below"]:
                return band
        return {}
    raise DomainError(_("This criterion cannot be answered."), code="invalid_standard", field=key)


def describe_answer(criterion, value) -> str:
    """The answer in words, in the active language: a choice's label, yes/no, a number with its unit."""
    if value is None:
        return _("Not answered")
    if criterion.answer_type == AnswerType.BOOLEAN:
        return _("Yes") if value else _("No")
    if criterion.answer_type == AnswerType.CHOICE:
        for option in criterion.rules.get("options", []):
            if option["value"] == value:
                return localized_rule(option, "label") or value
        return str(value)
    unit = criterion.rules.get("unit", "")
    number = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{number} {unit}".strip() if unit != "%" else f"{number}%"


def localized_rule(rule: dict, name: str) -> str:
    """A bilingual text of a rule outcome (e.g. label, reason) in the active language."""

    texts = {f"{name}_{language}": rule.get(f"{name}_{language}", "") for language in ("zh", "en")}
    return localized(SimpleNamespace(**texts), name)


def blocker_reason(criterion, value, outcome) -> str:
    return localized_rule(outcome, "reason") or _("%(question)s: %(answer)s") % {
        "question": criterion.question, "answer": describe_answer(criterion, value),
    }


def compute_grade(standard, answers: dict, *, include_inspection_only=False) -> GradeResult:
    """Validate `answers` against the standard's criteria and compute the grade they earn.

    Raises DomainError (field = the criterion key) for an unknown key, a missing required
    answer, a value of the wrong type, a number out of range or an unknown choice.
    """
    if not isinstance(answers, dict):
        raise DomainError(_("Answers must be an object of criterion keys to values."), code="invalid_answers", field="answers")
    levels = sorted(standard.levels.all(), key=lambda level: level.rank)
    if not levels:
        raise DomainError(_("This grading standard has no grade scale."), code="invalid_standard")
    by_code = {level.code: level for level in levels}
    all_criteria = {criterion.key: criterion for criterion in standard.criteria.all()}
    criteria = asked_criteria(standard, include_inspection_only=include_inspection_only)
    asked_keys = {criterion.key for criterion in criteria}

    for key in answers:
        if key in all_criteria and key not in asked_keys:
            raise DomainError(_("Only an inspection agency answers this question."), code="inspection_only", field=key)
        if key not in asked_keys:
            raise DomainError(
                _("“%(key)s” is not a criterion of %(standard)s.") % {"key": key, "standard": standard.label},
                code="unknown_criterion", field=key,
            )

    caps, flags, blockers, blocker_keys, cleaned = {}, [], [], [], {}
    axis_ranks = {Axis.COSMETIC: [], Axis.FUNCTIONAL: []}
    for criterion in criteria:
        value = answers.get(criterion.key)
        if value is None:
            if criterion.required:
                raise DomainError(_("This question must be answered."), code="required", field=criterion.key)
            continue
        outcome = outcome_for(criterion, value)
        cleaned[criterion.key] = value
        cap = outcome.get("cap")
        if cap:
            if cap not in by_code:
                raise DomainError(_("This grading standard caps at an unknown level."), code="invalid_standard",
                                  field=criterion.key)
            caps[criterion.key] = cap
            if criterion.axis in axis_ranks:
                axis_ranks[criterion.axis].append(by_code[cap].rank)
            if not by_code[cap].sellable:
                blockers.append(blocker_reason(criterion, value, outcome))
                blocker_keys.append(criterion.key)
        if outcome.get("flag") and outcome["flag"] not in flags:
            flags.append(outcome["flag"])

    def worst(ranks):
        return max(ranks, default=levels[0].rank)

    rank_to_level = {level.rank: level for level in levels}
    grade = rank_to_level[worst(by_code[cap].rank for cap in caps.values())]
    axes_present = {criterion.axis for criterion in criteria}
    cosmetic = rank_to_level[worst(axis_ranks[Axis.COSMETIC])].code if Axis.COSMETIC in axes_present else ""
    functional = rank_to_level[worst(axis_ranks[Axis.FUNCTIONAL])].code if Axis.FUNCTIONAL in axes_present else ""
    return GradeResult(
        grade=grade, caps=caps, cosmetic_grade=cosmetic, functional_grade=functional, flags=flags,
        blockers=blockers, blocker_keys=blocker_keys, answers=cleaned,
    )
