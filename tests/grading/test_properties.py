"""Properties of compute_grade over random answers and random standards (hypothesis)."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grading.compute import compute_grade
from grading.models import AnswerType, Axis, Criterion, GradeLevel
from tests.grading.factories import CATEGORY_FOR_STANDARD, standard


def answer_strategy(criterion):
    rules = criterion.rules
    if criterion.answer_type == AnswerType.BOOLEAN:
        value = st.booleans()
    elif criterion.answer_type == AnswerType.CHOICE:
        value = st.sampled_from([option["value"] for option in rules["options"]])
    elif rules.get("integer"):
        value = st.integers(min_value=rules["min"], max_value=rules["max"])
    else:
        value = st.floats(min_value=rules["min"], max_value=rules["max"], allow_nan=False)
    return value if criterion.required else st.one_of(st.none(), value)


def answers_strategy(criteria):
    return st.fixed_dictionaries({criterion.key: answer_strategy(criterion) for criterion in criteria})


def assert_worst_cap(std, result):
    ranks = {level.code: level.rank for level in std.levels.all()}
    cap_ranks = [ranks[code] for code in result.caps.values()]
    # Never better than any criterion's cap ...
    assert all(ranks[result.grade.code] >= rank for rank in cap_ranks)
    # ... and exactly the worst cap (the best level when nothing caps).
    assert ranks[result.grade.code] == max(cap_ranks, default=min(ranks.values()))
    assert result.sellable == result.grade.sellable


@pytest.mark.django_db
@pytest.mark.parametrize("code", sorted(CATEGORY_FOR_STANDARD))
@pytest.mark.parametrize("inspection", [False, True])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_seeded_standards_grade_is_the_worst_cap(code, inspection, data):
    std = standard(code)
    criteria = [c for c in std.criteria.all() if inspection or not c.inspection_only]
    answers = data.draw(answers_strategy(criteria))
    result = compute_grade(std, answers, include_inspection_only=inspection)
    assert_worst_cap(std, result)
    assert set(result.caps) <= set(answers)


class _Related(list):
    def all(self):
        return self


class _Standard:
    """An unsaved standard: compute_grade only reads .levels.all(), .criteria.all() and .label."""

    label = "random/1"

    def __init__(self, levels, criteria):
        self.levels, self.criteria = _Related(levels), _Related(criteria)


@st.composite
def random_standards(draw):
    size = draw(st.integers(min_value=1, max_value=6))
    levels = [GradeLevel(code=f"L{rank}", rank=rank, label_zh="级", label_en="level", sellable=rank < size - 1 or size == 1)
              for rank in range(size)]
    codes = st.one_of(st.none(), st.sampled_from([level.code for level in levels]))
    criteria = []
    for index in range(draw(st.integers(min_value=1, max_value=6))):
        kind = draw(st.sampled_from(list(AnswerType)))
        if kind == AnswerType.BOOLEAN:
            rules = {side: ({"cap": cap} if (cap := draw(codes)) else {}) for side in ("true", "false")}
        elif kind == AnswerType.CHOICE:
            rules = {"options": [{"value": f"v{n}", "label_zh": "选", "label_en": "opt", **({"cap": c} if (c := draw(codes)) else {})}
                                 for n in range(draw(st.integers(min_value=1, max_value=4)))]}
        else:
            bounds = sorted(draw(st.sets(st.integers(min_value=1, max_value=99), max_size=4)))
            rules = {"min": 0, "max": 100, "integer": True,
                     "bands": [{"below": b, **({"cap": c} if (c := draw(codes)) else {})} for b in bounds]}
        criteria.append(Criterion(key=f"c{index}", answer_type=kind, rules=rules, required=draw(st.booleans()),
                                  axis=draw(st.sampled_from(list(Axis))), question_zh="问", question_en="q"))
    return _Standard(levels, criteria)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_random_standards_grade_is_the_worst_cap(data):
    std = data.draw(random_standards())
    answers = data.draw(answers_strategy(std.criteria))
    result = compute_grade(std, answers)
    assert_worst_cap(std, result)
    # Each axis grade is the worst cap among that axis's criteria.
    ranks = {level.code: level.rank for level in std.levels}
    for axis, grade in ((Axis.COSMETIC, result.cosmetic_grade), (Axis.FUNCTIONAL, result.functional_grade)):
        keys = [c.key for c in std.criteria if c.axis == axis]
        if keys:
            assert ranks[grade] == max((ranks[result.caps[k]] for k in keys if k in result.caps), default=0)
        else:
            assert grade == ""
