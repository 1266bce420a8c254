"""Checks that a standard's data makes sense before anyone grades with it.

`standard_problems(standard)` lists every problem in words; `validate_standard(standard)` raises
DomainError with all of them. The admin shows the problems while a draft is edited, and
grading.services.publish_standard refuses to publish a standard that has any.
"""
import math

from django.utils.translation import gettext as _

from grading.models import AnswerType
from marketplace.errors import DomainError

OUTCOME_KEYS = {"cap", "flag", "flag_label_zh", "flag_label_en", "reason_zh", "reason_en"}
OPTION_KEYS = OUTCOME_KEYS | {"value", "label_zh", "label_en"}
BAND_KEYS = OUTCOME_KEYS | {"below"}
NUMBER_KEYS = {"unit", "min", "max", "integer", "bands"}


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _outcome_problems(where, outcome, allowed_keys, level_codes):
    if not isinstance(outcome, dict):
        return [_("%(where)s must be an object.") % {"where": where}]
    problems = []
    unknown = sorted(set(outcome) - allowed_keys)
    if unknown:
        problems.append(_("%(where)s has unknown keys: %(keys)s.") % {"where": where, "keys": ", ".join(unknown)})
    cap = outcome.get("cap")
    if cap is not None and (not isinstance(cap, str) or (level_codes is not None and cap not in level_codes)):
        problems.append(_("%(where)s caps at “%(cap)s”, which is not a level of this standard.") % {"where": where, "cap": cap})
    flag = outcome.get("flag")
    if flag is not None and (not isinstance(flag, str) or not flag):
        problems.append(_("%(where)s has an empty flag.") % {"where": where})
    return problems


def criterion_problems(key, answer_type, rules, level_codes=None):
    """Problems of one criterion's rules; cap codes are checked only when level_codes is given."""
    if not isinstance(rules, dict):
        return [_("Criterion “%(key)s”: the rules must be an object.") % {"key": key}]
    prefix = _("Criterion “%(key)s”") % {"key": key}
    problems = []
    if answer_type == AnswerType.BOOLEAN:
        unknown = sorted(set(rules) - {"true", "false"})
        if unknown:
            problems.append(_("%(where)s: a yes/no rule has only the keys “true” and “false”, not %(keys)s.")
                            % {"where": prefix, "keys": ", ".join(unknown)})
        for side in ("true", "false"):
            if side in rules:
                problems += _outcome_problems(f"{prefix} [{side}]", rules[side], OUTCOME_KEYS, level_codes)
    elif answer_type == AnswerType.CHOICE:
        options = rules.get("options")
        if set(rules) - {"options"}:
            problems.append(_("%(where)s: a choice rule has only the key “options”.") % {"where": prefix})
        if not isinstance(options, list) or not options:
            return [*problems, _("%(where)s: a choice needs a non-empty list of options.") % {"where": prefix}]
        seen = set()
        for index, option in enumerate(options):
            where = f"{prefix} [options {index + 1}]"
            problems += _outcome_problems(where, option, OPTION_KEYS, level_codes)
            if not isinstance(option, dict):
                continue
            value = option.get("value")
            if not isinstance(value, str) or not value:
                problems.append(_("%(where)s needs a value.") % {"where": where})
            elif value in seen:
                problems.append(_("%(where)s repeats the value “%(value)s”.") % {"where": where, "value": value})
            seen.add(value)
            if not option.get("label_zh") or not option.get("label_en"):
                problems.append(_("%(where)s needs a Chinese and an English label.") % {"where": where})
    elif answer_type == AnswerType.NUMBER:
        unknown = sorted(set(rules) - NUMBER_KEYS)
        if unknown:
            problems.append(_("%(where)s has unknown keys: %(keys)s.") % {"where": prefix, "keys": ", ".join(unknown)})
        low, high = rules.get("min"), rules.get("max")
        if not _is_number(low) or not _is_number(high) or low >= high:
            return [*problems, _("%(where)s: a number needs a “min” below its “max”.") % {"where": prefix}]
        bands = rules.get("bands", [])
        if not isinstance(bands, list):
            return [*problems, _("%(where)s: “bands” must be a list.") % {"where": prefix}]
        previous = low
        for index, band in enumerate(bands):
            where = f"{prefix} [bands {index + 1}]"
            problems += _outcome_problems(where, band, BAND_KEYS, level_codes)
            if not isinstance(band, dict):
                continue
            below = band.get("below")
            # Bands are read in order, the first whose bound is above the answer applies.
            if not _is_number(below) or below <= previous or below > high:
                problems.append(_("%(where)s: “below” must rise from band to band, between min and max.")
                                % {"where": where})
            else:
                previous = below
    else:
        problems.append(_("%(where)s: unknown answer type “%(type)s”.") % {"where": prefix, "type": answer_type})
    return problems


def standard_problems(standard) -> list[str]:
    levels = list(standard.levels.all())
    criteria = list(standard.criteria.all())
    problems = []
    if not levels:
        problems.append(_("A standard needs a grade scale."))
    elif not min(levels, key=lambda level: level.rank).sellable:
        problems.append(_("The best grade of the scale must be sellable."))
    if not criteria:
        problems.append(_("A standard needs at least one criterion."))
    if not (standard.name_zh and standard.name_en):
        problems.append(_("A standard needs a Chinese and an English name."))
    level_codes = {level.code for level in levels}
    for criterion in criteria:
        problems += criterion_problems(criterion.key, criterion.answer_type, criterion.rules, level_codes)
    return problems


def validate_standard(standard) -> None:
    problems = standard_problems(standard)
    if problems:
        raise DomainError(" ".join(problems), code="invalid_standard", field="rules")
