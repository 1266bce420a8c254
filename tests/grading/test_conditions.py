"""Condition levels common to every standard, mapped from each standard's grades as data."""
import json
from importlib import import_module

import pytest

from grading import conditions
from grading.models import Condition, GradeLevel, GradingStandard, StandardStatus
from grading.seed import CONDITIONS, STANDARDS_DIR, StandardFileError, check_shape

STANDARD_FILES = sorted(path.name for path in STANDARDS_DIR.glob("*.json"))


def test_the_files_and_the_model_name_the_same_levels():
    assert tuple(Condition.values) == CONDITIONS


@pytest.mark.parametrize("name", STANDARD_FILES)
def test_every_sellable_grade_of_every_standard_file_means_a_condition_level(name):
    data = json.loads((STANDARDS_DIR / name).read_text(encoding="utf-8"))
    for level in data["levels"]:
        if level.get("sellable", True):
            assert level.get("condition") in CONDITIONS, (name, level["code"])
        else:
            assert "condition" not in level, (name, level["code"])


def test_a_file_with_an_unknown_condition_level_is_refused():
    data = json.loads((STANDARDS_DIR / "phone-1.json").read_text(encoding="utf-8"))
    data["levels"][0]["condition"] = "mint"
    with pytest.raises(StandardFileError, match="mint"):
        check_shape(data)


@pytest.mark.django_db
def test_the_migration_gave_the_stored_standards_their_files_mapping():
    frozen = import_module("grading.migrations.0006_grade_level_condition").CONDITIONS_OF_LEVELS
    assert len(frozen) == 8
    for code, version in frozen:
        name = f"{code}-{version}.json"
        data = json.loads((STANDARDS_DIR / name).read_text(encoding="utf-8"))
        standard = GradingStandard.objects.get(code=data["code"], version=data["version"])
        stored = dict(standard.levels.values_list("code", "condition"))
        assert stored == {level["code"]: level.get("condition") for level in data["levels"]}, name


@pytest.mark.django_db
def test_a_grade_is_read_in_its_own_standard():
    conditions.clear_cache()
    assert conditions.condition_of("phone", "P") == "like_new"
    assert conditions.condition_of("book", "P") == "fair"  # Poor, a reading copy
    assert conditions.condition_of("book", "AN") == "like_new"
    assert conditions.condition_of("phone", "X") == ""  # not sellable
    assert conditions.condition_of("phone", "") == conditions.condition_of("", "A") == ""
    assert set(conditions.grades_in("like_new")["phone"]) == {"P"}
    assert set(conditions.grades_in("like_new")["book"]) == {"AN", "F"}


@pytest.mark.django_db
def test_the_published_version_decides_and_a_new_level_is_seen_at_once():
    conditions.clear_cache()
    assert conditions.condition_of("phone", "A") == "excellent"
    draft = GradingStandard.objects.create(code="phone", version=9, name_zh="草稿", name_en="Draft",
                                           status=StandardStatus.DRAFT)
    GradeLevel.objects.create(standard=draft, code="A", rank=0, label_zh="优", label_en="A", condition="good")
    GradeLevel.objects.create(standard=draft, code="Z", rank=1, label_zh="新", label_en="Z", condition="fair")
    assert conditions.condition_of("phone", "A") == "excellent"  # the published phone/1 answers for A
    assert conditions.condition_of("phone", "Z") == "fair"  # a code only the draft has: the draft answers
