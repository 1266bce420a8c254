"""Standards as data files: grading/standards/<code>-<version>.json.

One file holds one version of a standard: its names, `source` (the public standards it follows),
its grade scale best first, and its criteria in the order they are asked (see docs/grading.md).
`build_standard` turns such a dict into a draft standard (`manage.py import_grading_standard`).
The first eight files were seeded as published version 1 by migration 0003, which carries its own
frozen copy of them: a published file never changes, a new version is a new file.
"""
import json
from pathlib import Path

STANDARDS_DIR = Path(__file__).resolve().parent / "standards"
# The common condition levels a level may mean (grading.models.Condition; plain values here, so the
# seed migration reads files without the app's models).
CONDITIONS = ("like_new", "excellent", "good", "fair", "for_parts")

STANDARD_FIELDS = ("code", "version", "name_zh", "name_en", "description_zh", "description_en", "source")
LEVEL_FIELDS = ("code", "label_zh", "label_en", "description_zh", "description_en", "sellable", "condition")
CRITERION_FIELDS = (
    "key", "question_zh", "question_en", "help_zh", "help_en", "answer_type", "axis", "rules", "required",
    "inspection_only",
)


class StandardFileError(ValueError):
    """The data does not have the shape of a standard file."""


def read_standard_file(path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StandardFileError(f"{path}: {exc}") from exc
    check_shape(data)
    return data


def _pick(item, fields, where):
    if not isinstance(item, dict):
        raise StandardFileError(f"{where} must be an object")
    unknown = sorted(set(item) - set(fields))
    if unknown:
        raise StandardFileError(f"{where} has unknown keys: {', '.join(unknown)}")
    return {name: item[name] for name in fields if name in item}


def check_shape(data) -> None:
    """The keys and types a file needs; the meaning of the rules is checked by grading.validation."""
    _pick({k: v for k, v in data.items() if k not in ("levels", "criteria")}, STANDARD_FIELDS, "standard")
    for required in ("code", "version", "name_zh", "name_en"):
        if not data.get(required):
            raise StandardFileError(f"standard needs {required!r}")
    if not isinstance(data["version"], int) or data["version"] < 1:
        raise StandardFileError("version must be a positive integer")
    for name in ("levels", "criteria"):
        if not isinstance(data.get(name), list) or not data[name]:
            raise StandardFileError(f"standard needs a non-empty list {name!r}")
    for index, level in enumerate(data["levels"]):
        _pick(level, LEVEL_FIELDS, f"levels[{index}]")
        if not level.get("code") or not level.get("label_zh") or not level.get("label_en"):
            raise StandardFileError(f"levels[{index}] needs code, label_zh and label_en")
        if level.get("condition") is not None and level["condition"] not in CONDITIONS:
            raise StandardFileError(f"levels[{index}] has the condition {level['condition']!r}; "
                                    f"use one of {', '.join(CONDITIONS)}")
    for index, criterion in enumerate(data["criteria"]):
        _pick(criterion, CRITERION_FIELDS, f"criteria[{index}]")
        for required in ("key", "question_zh", "question_en", "answer_type", "rules"):
            if required not in criterion:
                raise StandardFileError(f"criteria[{index}] needs {required!r}")


def build_standard(data, *, standard_model, level_model, criterion_model):
    """Create a draft standard with its levels (rank = position, best first) and criteria."""
    fields = {k: v for k, v in data.items() if k in STANDARD_FIELDS}
    standard = standard_model.objects.create(status="draft", **fields)
    # A historical model (an older migration) may not have every field yet (condition: grading 0006).
    level_fields = {field.name for field in level_model._meta.get_fields()}
    level_model.objects.bulk_create(
        level_model(standard=standard, rank=rank,
                    **{k: v for k, v in _pick(level, LEVEL_FIELDS, "level").items() if k in level_fields})
        for rank, level in enumerate(data["levels"])
    )
    criterion_model.objects.bulk_create(
        criterion_model(standard=standard, position=position, **_pick(criterion, CRITERION_FIELDS, "criterion"))
        for position, criterion in enumerate(data["criteria"])
    )
    return standard
