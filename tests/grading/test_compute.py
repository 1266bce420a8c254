"""compute_grade: the worst cap wins, per seeded standard, and answers are validated."""
import pytest
from django.utils import translation

from grading.compute import compute_grade, describe_answer
from marketplace.errors import DomainError
from tests.grading.factories import BOOK_AS_NEW, PHONE_INSPECTION_PERFECT, PHONE_PERFECT, standard

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone():
    return standard("phone")


@pytest.fixture
def book():
    return standard("book")


def grade(std, answers, **options):
    return compute_grade(std, answers, **options)


# GRADING.md, phone/1: battery < 80% -> C, 80-84% -> B, 85-89% -> A.
@pytest.mark.parametrize(("battery", "expected"), [
    (0, "C"), (79, "C"), (80, "B"), (84, "B"), (85, "A"), (89, "A"), (90, "P"), (100, "P"),
])
def test_phone_battery_bands(phone, battery, expected):
    result = grade(phone, {**PHONE_PERFECT, "battery_health": battery})
    assert result.grade.code == expected
    assert result.functional_grade == expected
    assert result.cosmetic_grade == "P"


@pytest.mark.parametrize(("answers", "expected", "capped_by"), [
    ({"screen": "scratched"}, "C", "screen"),
    ({"screen": "cracked"}, "D", "screen"),
    ({"body_marks": "visible_20cm"}, "B", "body_marks"),
    ({"body_marks": "visible_50cm"}, "C", "body_marks"),
    ({"non_original_parts": True}, "A", "non_original_parts"),
    ({"functions_ok": False}, "D", "functions_ok"),
    ({"data_wiped": False}, "X", "data_wiped"),
    ({"account_lock": True}, "X", "account_lock"),
])
def test_phone_each_criterion_caps_as_grading_md_says(phone, answers, expected, capped_by):
    result = grade(phone, {**PHONE_PERFECT, **answers})
    assert result.grade.code == expected
    assert result.caps == {capped_by: expected}


def test_a_perfect_phone_is_premium_with_no_caps(phone):
    result = grade(phone, PHONE_PERFECT)
    assert (result.grade.code, result.caps, result.blockers, result.flags) == ("P", {}, [], [])
    assert result.sellable


def test_phone_worst_cap_wins_and_axes_are_graded_separately(phone):
    result = grade(phone, {**PHONE_PERFECT, "battery_health": 82, "screen": "scratched", "non_original_parts": True})
    assert result.caps == {"battery_health": "B", "screen": "C", "non_original_parts": "A"}
    assert result.grade.code == "C"
    assert result.cosmetic_grade == "C"
    assert result.functional_grade == "B"


def test_unwiped_locked_phone_is_unsellable_with_translated_reasons(phone):
    answers = {**PHONE_PERFECT, "data_wiped": False, "account_lock": True, "screen": "cracked"}
    with translation.override("en"):
        result = grade(phone, answers)
    assert result.grade.code == "X" and not result.sellable
    assert result.blocker_keys == ["data_wiped", "account_lock"]
    assert result.blockers == [
        "Personal data not wiped or the wipe not verified (GB 46864-2025)",
        "The device is still locked to an account or MDM",
    ]
    with translation.override("zh-hans"):
        assert grade(phone, answers).blockers[1] == "设备仍被账户或 MDM 锁定"


def test_blacklisted_imei_is_asked_only_in_an_inspection(phone):
    with pytest.raises(DomainError) as error:
        grade(phone, {**PHONE_PERFECT, "imei_blacklisted": False})
    assert error.value.field == "imei_blacklisted" and error.value.code == "inspection_only"

    with pytest.raises(DomainError) as error:
        grade(phone, PHONE_PERFECT, include_inspection_only=True)
    assert error.value.field == "imei_blacklisted" and error.value.code == "required"

    result = grade(phone, {**PHONE_INSPECTION_PERFECT, "imei_blacklisted": True}, include_inspection_only=True)
    assert result.grade.code == "X" and result.blocker_keys == ["imei_blacklisted"]


@pytest.mark.parametrize(("answers", "expected", "flags"), [
    ({}, "AN", []),
    ({"ex_library": True}, "G", ["ex_library"]),
    ({"markings": True}, "G", []),
    ({"tears": True}, "G", []),
    ({"dust_jacket": "missing"}, "VG", []),
    ({"dust_jacket": "not_issued"}, "AN", []),
    ({"water_damage": True}, "FR", []),
    ({"binding": "slightly_loose"}, "G", []),
    ({"binding": "loose"}, "P", []),
    ({"missing_pages": True}, "X", []),
    ({"mould": True}, "X", []),
    ({"book_club": True}, "AN", ["book_club"]),
    ({"ex_library": True, "water_damage": True, "dust_jacket": "missing"}, "FR", ["ex_library"]),
])
def test_book_trade_scale(book, answers, expected, flags):
    result = grade(book, {**BOOK_AS_NEW, **answers})
    assert result.grade.code == expected
    assert result.flags == flags
    assert result.sellable == (expected != "X")


def test_book_has_a_cosmetic_axis_only(book):
    result = grade(book, {**BOOK_AS_NEW, "markings": True})
    assert result.cosmetic_grade == "G"
    assert result.functional_grade == ""


@pytest.mark.parametrize(("code", "answers", "expected"), [
    ("computer", {"sanitization_record": True, "firmware_lock": False, "functions_ok": True, "dead_pixels": True,
                  "screen": "flawless", "body_marks": "none"}, "C"),
    ("computer", {"sanitization_record": False, "firmware_lock": False, "functions_ok": True, "dead_pixels": False,
                  "screen": "flawless", "body_marks": "none"}, "X"),
    ("computer", {"sanitization_record": True, "firmware_lock": False, "functions_ok": True, "dead_pixels": False,
                  "screen": "flawless", "body_marks": "none", "charger_included": False, "battery_health": 92}, "B"),
    ("apparel", {"tags_attached": True, "worn_or_washed": False, "pilling_or_fading": False, "stain_hole_tear": False,
                 "odour_or_not_cleaned": False}, "NWT"),
    ("apparel", {"tags_attached": False, "worn_or_washed": True, "pilling_or_fading": True, "stain_hole_tear": False,
                 "odour_or_not_cleaned": False}, "G"),
    ("appliance", {"main_function": True, "dents": True, "cleaned": False}, "C"),
    ("furniture", {"pests": False, "structural_damage": False, "stains_or_odour": False, "signs_of_use": True}, "B"),
    ("furniture", {"pests": True, "structural_damage": False, "stains_or_odour": False, "signs_of_use": False}, "X"),
    ("auto-part", {"trace_code": True, "origin": "remanufactured_marked", "performance_as_new": True,
                   "warranty_as_new": True}, "REMAN"),
    ("auto-part", {"trace_code": True, "origin": "remanufactured_marked", "performance_as_new": False,
                   "warranty_as_new": True}, "REUSED"),
    ("auto-part", {"trace_code": True, "origin": "remanufactured_unmarked", "performance_as_new": True,
                   "warranty_as_new": True}, "X"),
    ("general", {"prohibited_or_stolen": False, "usage": "used_no_marks", "function_fault": False,
                 "repair_history": False, "accessories_complete": False}, "A"),
])
def test_other_seeded_standards(code, answers, expected):
    assert grade(standard(code), answers).grade.code == expected


@pytest.mark.parametrize(("answers", "field", "code"), [
    ({**PHONE_PERFECT, "colour": "red"}, "colour", "unknown_criterion"),
    ({k: v for k, v in PHONE_PERFECT.items() if k != "screen"}, "screen", "required"),
    ({**PHONE_PERFECT, "screen": None}, "screen", "required"),
    ({**PHONE_PERFECT, "data_wiped": "yes"}, "data_wiped", "invalid_answer"),
    ({**PHONE_PERFECT, "data_wiped": 1}, "data_wiped", "invalid_answer"),
    ({**PHONE_PERFECT, "battery_health": "95"}, "battery_health", "invalid_answer"),
    ({**PHONE_PERFECT, "battery_health": True}, "battery_health", "invalid_answer"),
    ({**PHONE_PERFECT, "battery_health": 101}, "battery_health", "out_of_range"),
    ({**PHONE_PERFECT, "battery_health": -1}, "battery_health", "out_of_range"),
    ({**PHONE_PERFECT, "battery_health": 85.5}, "battery_health", "invalid_answer"),
    ({**PHONE_PERFECT, "battery_health": float("nan")}, "battery_health", "invalid_answer"),
    ({**PHONE_PERFECT, "screen": "shattered"}, "screen", "invalid_answer"),
    ({**PHONE_PERFECT, "screen": ["cracked"]}, "screen", "invalid_answer"),
])
def test_invalid_answers_are_refused_with_the_criterion_as_field(phone, answers, field, code):
    with pytest.raises(DomainError) as error:
        grade(phone, answers)
    assert (error.value.field, error.value.code) == (field, code)
    assert error.value.status_code == 400 and error.value.message


def test_answers_must_be_an_object(phone):
    with pytest.raises(DomainError) as error:
        grade(phone, ["screen"])
    assert error.value.field == "answers"


def test_an_optional_criterion_may_be_left_out_and_is_not_stored():
    answers = {"sanitization_record": True, "firmware_lock": False, "functions_ok": True, "dead_pixels": False,
               "screen": "flawless", "body_marks": "none", "battery_health": None}
    result = grade(standard("computer"), answers)
    assert result.grade.code == "P"
    assert "battery_health" not in result.answers and "charger_included" not in result.answers


def test_answers_in_words(phone, book):
    criteria = {c.key: c for c in [*phone.criteria.all(), *book.criteria.all()]}
    with translation.override("en"):
        assert describe_answer(criteria["battery_health"], 82) == "82%"
        assert describe_answer(criteria["screen"], "cracked") == "Cracked or broken"
        assert describe_answer(criteria["ex_library"], True) == "Yes"
        assert describe_answer(criteria["ex_library"], None) == "Not answered"
    with translation.override("zh-hans"):
        assert describe_answer(criteria["screen"], "cracked") == "有裂痕或破碎"
        assert describe_answer(criteria["ex_library"], False) == "否"


def test_compute_writes_nothing(phone, django_assert_num_queries):
    with django_assert_num_queries(0):
        grade(phone, {**PHONE_PERFECT, "screen": "cracked"})
