"""Standards are data: seeded, validated, immutable once published, superseded by a new version."""
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from grading import migrations as grading_migrations
from grading.models import (
    Criterion,
    FrozenStandard,
    GradeLevel,
    GradingStandard,
    StandardStatus,
    StandardTransition,
)
from grading.seed import STANDARDS_DIR, read_standard_file
from grading.selectors import standard_for_category
from grading.services import publish_standard
from grading.validation import criterion_problems, standard_problems, validate_standard
from listings.models import Category
from marketplace.errors import Conflict, DomainError
from tests.grading.factories import CATEGORY_FOR_STANDARD, DraftStandardFactory, standard

pytestmark = pytest.mark.django_db


def draft_with_scale(code="phone", version=2, cap="B", **fields):
    draft = DraftStandardFactory(code=code, version=version, **fields)
    for rank, (level_code, sellable) in enumerate([("A", True), ("B", True), ("X", False)]):
        GradeLevel.objects.create(standard=draft, code=level_code, rank=rank, label_zh=level_code,
                                  label_en=level_code, sellable=sellable)
    Criterion.objects.create(standard=draft, key="scratched", question_zh="有划痕吗？", question_en="Scratched?",
                             answer_type="boolean", rules={"true": {"cap": cap}})
    return draft


def test_the_eight_standards_are_seeded_published_valid_and_cite_their_sources():
    published = GradingStandard.objects.filter(status=StandardStatus.PUBLISHED)
    assert sorted(s.label for s in published) == sorted(f"{code}/1" for code in CATEGORY_FOR_STANDARD)
    for std in published:
        std = standard(std.code)
        assert standard_problems(std) == []
        assert "GB/T 21667-2024" in std.source or std.code == "auto-part"
        assert std.name_zh and std.name_en
        assert all(level.label_zh and level.label_en and level.description_zh and level.description_en
                   for level in std.levels.all())
        assert all(c.question_zh and c.question_en for c in std.criteria.all())
        assert StandardTransition.objects.filter(standard=std, to_status=StandardStatus.PUBLISHED).count() == 1
    assert "AbeBooks" in standard("book").source
    assert "GB/T 45656-2025" in standard("phone").source
    assert [level.code for level in standard("book").levels.all()] == ["AN", "F", "VG", "G", "FR", "P", "X"]


def test_every_seeded_category_has_a_published_standard():
    for category in Category.objects.all():
        assert standard_for_category(category).code == category.grading_standard_code


def test_standard_for_category_picks_the_newest_published_version():
    category = Category.objects.get(slug="phones")
    new = publish_standard(draft_with_scale("phone", 2))
    assert standard_for_category(category) == new


def test_standard_for_category_refuses_a_category_without_standard():
    category = Category.objects.create(slug="mystery", name_zh="神秘", name_en="Mystery", grading_standard_code="nope")
    with pytest.raises(DomainError) as error:
        standard_for_category(category)
    assert error.value.code == "no_grading_standard"


class TestImmutability:
    def test_a_published_standard_refuses_changes_and_deletion(self):
        phone = standard("phone")
        phone.name_en = "Something else"
        with pytest.raises(FrozenStandard):
            phone.save()
        with pytest.raises(FrozenStandard):
            standard("phone").delete()
        assert standard("phone").name_en == "Used phone grading"

    def test_its_levels_and_criteria_refuse_changes_additions_and_deletion(self):
        phone = standard("phone")
        level = phone.levels.get(code="C")
        level.label_en = "Okay"
        with pytest.raises(FrozenStandard):
            level.save()
        criterion = phone.criteria.get(key="battery_health")
        criterion.rules = {**criterion.rules, "bands": []}
        with pytest.raises(FrozenStandard):
            criterion.save()
        with pytest.raises(FrozenStandard):
            criterion.delete()
        with pytest.raises(FrozenStandard):
            GradeLevel.objects.create(standard=phone, code="Z", rank=9, label_zh="Z", label_en="Z")
        assert standard("phone").criteria.get(key="battery_health").rules["bands"]

    @pytest.mark.parametrize("write", [
        lambda s: GradingStandard.objects.filter(pk=s.pk).update(source="made up"),
        lambda s: GradingStandard.objects.filter(pk=s.pk).update(status=StandardStatus.DRAFT),
        lambda s: GradeLevel.objects.filter(standard=s, code="C").update(label_en="Okay"),
        lambda s: Criterion.objects.filter(standard=s).update(rules={}),
        lambda s: GradeLevel.objects.bulk_create([GradeLevel(standard=s, code="Z", rank=9, label_zh="Z", label_en="Z")]),
    ])
    def test_the_database_refuses_writes_that_bypass_the_models(self, write):
        if connection.vendor not in ("sqlite", "postgresql"):
            pytest.skip("the trigger guard exists on SQLite and PostgreSQL")
        phone = standard("phone")
        with pytest.raises(IntegrityError), transaction.atomic():
            write(phone)
        assert standard("phone").criteria.count() == 8

    @pytest.mark.postgres
    @pytest.mark.parametrize("write", [
        lambda s: Criterion.objects.filter(standard=s, key="screen")._raw_delete(s._state.db),
        lambda s: GradingStandard.objects.filter(pk=s.pk)._raw_delete(s._state.db),
    ])
    def test_postgresql_also_refuses_raw_deletes(self, write):
        # (SQLite keeps no DELETE guard: Django flushes SQLite test databases with DELETE.)
        phone = standard("phone")
        with pytest.raises(IntegrityError), transaction.atomic():
            write(phone)
        assert standard("phone").criteria.count() == 8

    def test_a_draft_may_be_edited_freely(self):
        draft = draft_with_scale("phone", 2)
        draft.name_en = "Phones, second edition"
        draft.save()
        GradeLevel.objects.filter(standard=draft, code="B").update(label_en="Good")
        draft.criteria.get().delete()
        assert GradingStandard.objects.get(pk=draft.pk).name_en == "Phones, second edition"


class TestPublish:
    def test_a_new_version_supersedes_the_published_one(self, staff):
        old = standard("phone")
        new = publish_standard(draft_with_scale("phone", 2), actor=staff)
        old.refresh_from_db()
        assert (new.status, old.status, old.superseded_by_id) == (StandardStatus.PUBLISHED, StandardStatus.SUPERSEDED, new.pk)
        assert new.published_at is not None
        transitions = StandardTransition.objects.filter(actor=staff)
        assert sorted((t.standard_id, t.to_status) for t in transitions) == sorted(
            [(old.pk, StandardStatus.SUPERSEDED), (new.pk, StandardStatus.PUBLISHED)]
        )
        # Still immutable once superseded: even its status.
        with pytest.raises(FrozenStandard):
            GradingStandard.objects.get(pk=old.pk).delete()
        old.status = StandardStatus.PUBLISHED
        with pytest.raises(FrozenStandard):
            old.save()

    def test_a_new_code_is_published_without_superseding_anything(self):
        new = publish_standard(draft_with_scale("bicycle", 1))
        assert new.status == StandardStatus.PUBLISHED
        assert GradingStandard.objects.filter(status=StandardStatus.SUPERSEDED).count() == 0

    def test_only_a_draft_can_be_published(self):
        with pytest.raises(Conflict) as error:
            publish_standard(standard("phone"))
        assert error.value.code == "not_a_draft"

    def test_versions_only_go_up(self):
        publish_standard(draft_with_scale("phone", 3))
        with pytest.raises(Conflict) as error:
            publish_standard(draft_with_scale("phone", 2))
        assert error.value.code == "version_not_newer"
        assert standard("phone", 3).status == StandardStatus.PUBLISHED

    def test_an_invalid_standard_is_not_published_and_nothing_is_superseded(self):
        draft = draft_with_scale("phone", 2, cap="Q")
        with pytest.raises(DomainError) as error:
            publish_standard(draft)
        assert "“Q”" in error.value.message
        assert standard("phone").status == StandardStatus.PUBLISHED
        assert GradingStandard.objects.get(pk=draft.pk).status == StandardStatus.DRAFT


class TestValidation:
    @pytest.mark.parametrize(("answer_type", "rules", "fragment"), [
        ("boolean", {"true": {"cap": "Q"}}, "not a level"),
        ("boolean", {"yes": {"cap": "A"}}, "only the keys"),
        ("boolean", {"true": {"cap": "A", "colour": "red"}}, "unknown keys"),
        ("choice", {"options": []}, "non-empty list"),
        ("choice", {"options": [{"value": "a", "label_zh": "甲", "label_en": "A"},
                                {"value": "a", "label_zh": "乙", "label_en": "B"}]}, "repeats"),
        ("choice", {"options": [{"value": "a", "label_en": "A"}]}, "Chinese and an English label"),
        ("number", {"min": 0}, "“min” below its “max”"),
        ("number", {"min": 10, "max": 0}, "“min” below its “max”"),
        ("number", {"min": 0, "max": 100, "bands": [{"below": 85, "cap": "B"}, {"below": 80, "cap": "A"}]}, "must rise"),
        ("number", {"min": 0, "max": 100, "bands": [{"below": 120, "cap": "B"}]}, "must rise"),
        ("number", {"min": 0, "max": 100, "bands": [{"cap": "B"}]}, "must rise"),
        ("text", {}, "unknown answer type"),
    ])
    def test_bad_rules_are_named(self, answer_type, rules, fragment):
        problems = criterion_problems("k", answer_type, rules, {"A", "B", "X"})
        assert problems and any(fragment in problem for problem in problems), problems

    def test_ordered_bands_and_known_caps_pass(self):
        rules = {"min": 0, "max": 100, "bands": [{"below": 80, "cap": "X"}, {"below": 85, "cap": "B"}]}
        assert criterion_problems("battery", "number", rules, {"A", "B", "X"}) == []

    def test_a_standard_needs_a_scale_criteria_and_a_sellable_best_level(self):
        draft = DraftStandardFactory()
        problems = standard_problems(draft)
        assert len(problems) == 2
        GradeLevel.objects.create(standard=draft, code="X", rank=0, label_zh="X", label_en="X", sellable=False)
        with pytest.raises(DomainError, match="best grade"):
            validate_standard(draft)


class TestImportCommand:
    def write(self, tmp_path, **changes):
        data = json.loads((STANDARDS_DIR / "furniture-1.json").read_text())
        data.update(changes)
        path = tmp_path / "standard.json"
        path.write_text(json.dumps(data, ensure_ascii=False))
        return path

    def test_a_new_version_from_a_file_is_published_without_code(self, tmp_path):
        call_command("import_grading_standard", str(self.write(tmp_path, version=2, name_en="Furniture v2")), "--publish")
        assert standard("furniture", 2).status == StandardStatus.PUBLISHED
        assert standard("furniture", 1).status == StandardStatus.SUPERSEDED
        assert standard_for_category(Category.objects.get(slug="furniture")).version == 2

    def test_an_existing_version_is_refused(self, tmp_path):
        with pytest.raises(CommandError, match="already exists"):
            call_command("import_grading_standard", str(self.write(tmp_path)))

    def test_a_draft_with_bad_rules_is_refused_and_not_kept(self, tmp_path):
        data = json.loads((STANDARDS_DIR / "furniture-1.json").read_text())
        data["criteria"][0]["rules"] = {"true": {"cap": "Z"}}
        path = self.write(tmp_path, version=2, criteria=data["criteria"])
        with pytest.raises(CommandError, match="Z"):
            call_command("import_grading_standard", str(path))
        assert not GradingStandard.objects.filter(code="furniture", version=2).exists()

    def test_every_standard_file_has_the_file_shape(self):
        assert [read_standard_file(path)["code"] for path in STANDARDS_DIR.glob("*.json")]

    def test_the_published_files_still_say_what_the_seed_migration_froze(self):
        frozen = json.loads((Path(grading_migrations.__file__).parent / "0003_seed_standards.json").read_text())
        assert len(frozen) == 8
        for data in frozen:
            published = read_standard_file(STANDARDS_DIR / f"{data['code']}-{data['version']}.json")
            # The condition levels came later, with their own migration (grading 0006).
            for level in published["levels"]:
                level.pop("condition", None)
            assert published == data
