"""The common condition level of a grade: what buyers filter on, whatever standard graded the item.

Every standard's levels say which condition level they mean (`GradeLevel.condition`, from the
standard's file): phone P and book AN are like new, phone B and furniture B good. A listing's grade
code is read in its category's standard (`Category.grading_standard_code`), so `P` is like new for a
phone and fair for a book. The mapping comes from the published version of each standard (an older
version's levels answer for codes the published one no longer has), and is kept in memory for a
minute (standards change rarely; a level saved in this process clears it at once).

    condition_of(standard_code, grade_code) -> "like_new" | ... | ""
    grades_in(condition) -> {standard code: [grade codes]}
    condition_label(condition) -> the level's name in the active language
"""
import threading
import time

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from grading.models import Condition, GradeLevel, StandardStatus

MAPPING_TTL_SECONDS = 60.0

_lock = threading.Lock()
_cache: tuple[float, dict[tuple[str, str], str]] | None = None


def condition_map() -> dict[tuple[str, str], str]:
    """(standard code, grade code) -> condition level, for every level that has one."""
    global _cache
    entry, now = _cache, time.monotonic()
    if entry is None or now - entry[0] >= MAPPING_TTL_SECONDS:
        rows = (GradeLevel.objects.exclude(condition__isnull=True).exclude(condition="")
                .values_list("standard__code", "standard__version", "standard__status", "code", "condition"))
        # The published version first, then newer before older: the first answer for a code wins.
        ordered = sorted(rows, key=lambda row: (row[2] != StandardStatus.PUBLISHED, -row[1]))
        mapping: dict[tuple[str, str], str] = {}
        for standard_code, _version, _status, code, condition in ordered:
            mapping.setdefault((standard_code, code), condition)
        entry = (now, mapping)
        with _lock:
            _cache = entry
    return entry[1]


def condition_of(standard_code: str, grade_code: str) -> str:
    """The condition level of a grade of a standard, "" when it has none (no grade, unknown code)."""
    if not standard_code or not grade_code:
        return ""
    return condition_map().get((standard_code, grade_code), "")


def grades_in(condition: str) -> dict[str, list[str]]:
    """The grade codes of every standard that mean this condition level."""
    out: dict[str, list[str]] = {}
    for (standard_code, code), level in condition_map().items():
        if level == condition:
            out.setdefault(standard_code, []).append(code)
    return out


def condition_label(condition: str) -> str:
    """The level's name in the active language (the value itself for an unknown one)."""
    try:
        return str(Condition(condition).label)
    except ValueError:
        return condition


def clear_cache() -> None:
    global _cache
    with _lock:
        _cache = None


@receiver(post_save, sender=GradeLevel, dispatch_uid="grading.conditions_level_saved")
@receiver(post_delete, sender=GradeLevel, dispatch_uid="grading.conditions_level_deleted")
def _forget_mapping(**kwargs) -> None:
    clear_cache()
