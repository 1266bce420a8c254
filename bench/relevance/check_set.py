"""Check a judged relevance set directory without searching anything.

    python bench/relevance/check_set.py bench/relevance/blind2

Checks the corpus (unique keys, states, kinds, categories of the seed migration, sellable grades of
each category's grading standard, attributes valid for the category's schema) and the judgments
(classes, filter names, keys that exist, relevant keys active, relevant and mistakes disjoint).
Exits non-zero with one line per problem.
"""
import ast
import importlib.util
import json
import math
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MIN_PER_CLASS = 7
MIN_LISTINGS = 220
MIN_QUERIES = 110
INACTIVE_RANGE = (8, 10)
STATES = {"draft", "active", "reserved", "sold", "withdrawn", "expired", "suspended"}
KINDS = {"second_hand", "remanufactured", "refurbished"}
GRADE_SOURCES = {"self_declared", "inspection", ""}


def harness_set(name: str) -> set[str]:
    """A set constant of bench/relevance/harness.py (FILTER_FIELDS, QUERY_CLASSES), read without
    importing it (nor the search code)."""
    tree = ast.parse((ROOT / "bench/relevance/harness.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == name for t in node.targets):
            value = node.value
            if isinstance(value, ast.Call):  # frozenset({...})
                value = value.args[0]
            return set(ast.literal_eval(value))
    raise SystemExit(f"{name} not found in bench/relevance/harness.py")


def filter_fields() -> set[str]:
    return harness_set("FILTER_FIELDS")


CLASSES = harness_set("QUERY_CLASSES")


def seed_categories() -> dict[str, dict]:
    """slug -> {standard, schema} from the category seed migration's data."""
    path = ROOT / "listings/migrations/0003_seed_categories.py"
    spec = importlib.util.spec_from_file_location("seed_categories", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {slug: {"standard": standard, "schema": schema}
            for slug, _parent, _zh, _en, standard, schema, _erasure in module.CATEGORIES}


def standards() -> dict[str, dict]:
    """standard code -> {grade code: level} of the newest version in grading/standards/."""
    newest: dict[str, dict] = {}
    for path in sorted((ROOT / "grading/standards").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["code"] not in newest or data["version"] > newest[data["code"]]["version"]:
            newest[data["code"]] = data
    return {code: {level["code"]: level for level in data["levels"]} for code, data in newest.items()}


def attribute_validator():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/check_set.sqlite3")
    import django

    django.setup()
    from listings.attributes import validate_attributes
    from marketplace.errors import DomainError

    def check(schema, attributes):
        try:
            validate_attributes(schema, attributes)
        except DomainError as error:
            return f"{error} ({getattr(error, 'field', '')})"
        return None

    return check


def _km(a, b) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def breaks_filters(listing: dict, filters: dict, condition_of: dict) -> list[str]:
    """The filters a listing fails (sort is not a filter), as judged from the corpus record alone."""
    failed = []
    price = float(listing.get("price", 0))
    grade = listing.get("grade", "")
    if "kind" in filters and listing.get("kind", "second_hand") != filters["kind"]:
        failed.append("kind")
    if "grade" in filters and grade != filters["grade"]:
        failed.append("grade")
    if "condition" in filters and condition_of.get((listing["category"], grade)) != filters["condition"]:
        failed.append("condition")
    if "city" in filters and listing.get("city") != filters["city"]:
        failed.append("city")
    if "certified" in filters and bool(listing.get("certified")) != bool(filters["certified"]):
        failed.append("certified")
    if "inspected" in filters and (listing.get("grade_source") == "inspection") != bool(filters["inspected"]):
        failed.append("inspected")
    if "min_price" in filters and price < float(filters["min_price"]):
        failed.append("min_price")
    if "max_price" in filters and price > float(filters["max_price"]):
        failed.append("max_price")
    if "near" in filters and "radius_km" in filters:
        point = (listing.get("latitude"), listing.get("longitude"))
        if None in point or _km(filters["near"], point) > float(filters["radius_km"]):
            failed.append("near")
    return failed


def check(directory: Path) -> list[str]:
    problems: list[str] = []
    corpus = json.loads((directory / "corpus.json").read_text(encoding="utf-8"))
    judged = json.loads((directory / "judged.json").read_text(encoding="utf-8"))
    categories, grades, fields = seed_categories(), standards(), filter_fields()
    validate = attribute_validator()
    conditions = {level.get("condition") for levels in grades.values() for level in levels.values()} - {None}
    condition_of = {
        (slug, code): level.get("condition")
        for slug, category in categories.items()
        for code, level in grades.get(category["standard"], {}).items()
    }

    by_key: dict[str, dict] = {}
    for listing in corpus:
        key = listing.get("key")
        where = f"listing {key!r}"
        if not key:
            problems.append(f"a listing has no key: {listing.get('title')!r}")
            continue
        if key in by_key:
            problems.append(f"{where}: duplicate key")
        by_key[key] = listing
        for name in ("title", "category"):
            if not listing.get(name):
                problems.append(f"{where}: no {name}")
        state = listing.get("state", "active")
        if state not in STATES:
            problems.append(f"{where}: unknown state {state!r}")
        kind = listing.get("kind", "second_hand")
        if kind not in KINDS:
            problems.append(f"{where}: unknown kind {kind!r}")
        if listing.get("certified") and kind != "remanufactured":
            problems.append(f"{where}: certified but not remanufactured")
        if listing.get("grade_source", "") not in GRADE_SOURCES:
            problems.append(f"{where}: unknown grade_source {listing.get('grade_source')!r}")
        try:
            float(listing.get("price", ""))
        except ValueError:
            problems.append(f"{where}: price {listing.get('price')!r} is not a number")
        category = categories.get(listing.get("category"))
        if category is None:
            problems.append(f"{where}: category {listing.get('category')!r} is not in the seed migration")
            continue
        grade = listing.get("grade", "")
        if grade:
            level = grades.get(category["standard"], {}).get(grade)
            if level is None:
                problems.append(f"{where}: grade {grade!r} is not in standard {category['standard']!r}")
            elif not level.get("sellable"):
                problems.append(f"{where}: grade {grade!r} is not sellable")
        elif listing.get("grade_source"):
            problems.append(f"{where}: grade_source without a grade")
        error = validate(category["schema"], listing.get("attributes", {}))
        if error:
            problems.append(f"{where}: attributes refused: {error}")

    inactive = [k for k, v in by_key.items() if v.get("state", "active") != "active"]
    if len(by_key) < MIN_LISTINGS:
        problems.append(f"corpus has {len(by_key)} listings, fewer than {MIN_LISTINGS}")
    if not INACTIVE_RANGE[0] <= len(inactive) <= INACTIVE_RANGE[1]:
        problems.append(f"corpus has {len(inactive)} non-active listings, not {INACTIVE_RANGE[0]}-{INACTIVE_RANGE[1]}")
    unused = set(categories) - {v.get("category") for v in by_key.values()}
    if unused:
        problems.append(f"categories without a listing: {sorted(unused)}")

    ids, per_class = set(), {}
    for entry in judged:
        qid = entry.get("id")
        where = f"query {qid!r}"
        if not qid or qid in ids:
            problems.append(f"{where}: missing or duplicate id")
        ids.add(qid)
        if not entry.get("q", "").strip():
            problems.append(f"{where}: empty query text")
        kind = entry.get("kind")
        if kind not in CLASSES:
            problems.append(f"{where}: unknown class {kind!r}")
        per_class[kind] = per_class.get(kind, 0) + 1
        relevant, mistakes = entry.get("relevant", []), entry.get("mistakes", [])
        if not relevant:
            problems.append(f"{where}: no relevant listing")
        for name, keys in (("relevant", relevant), ("mistakes", mistakes)):
            if len(keys) != len(set(keys)):
                problems.append(f"{where}: a key appears twice in {name}")
            for key in keys:
                if key not in by_key:
                    problems.append(f"{where}: {name} key {key!r} is not in the corpus")
        for key in relevant:
            if key in by_key and by_key[key].get("state", "active") != "active":
                problems.append(f"{where}: relevant key {key!r} is not active")
        both = set(relevant) & set(mistakes)
        if both:
            problems.append(f"{where}: in both relevant and mistakes: {sorted(both)}")
        filters = entry.get("filters", {})
        unknown = set(filters) - fields
        if unknown:
            problems.append(f"{where}: unknown filters {sorted(unknown)}")
        if "condition" in filters and filters["condition"] not in conditions:
            problems.append(f"{where}: unknown condition {filters['condition']!r}")
        if "kind" in filters and filters["kind"] not in KINDS:
            problems.append(f"{where}: unknown kind filter {filters['kind']!r}")
        if "near" in filters and not (isinstance(filters["near"], list) and len(filters["near"]) == 2):
            problems.append(f"{where}: near must be [lat, lon]")
        for key in relevant:
            if key in by_key:
                failed = breaks_filters(by_key[key], filters, condition_of)
                if failed:
                    problems.append(f"{where}: relevant key {key!r} fails the filters {failed}")
        if entry.get("category") and entry["category"] not in categories:
            problems.append(f"{where}: category {entry['category']!r} is not in the seed migration")
    if len(ids) < MIN_QUERIES:
        problems.append(f"{len(ids)} queries, fewer than {MIN_QUERIES}")
    for name in sorted(CLASSES):
        if per_class.get(name, 0) < MIN_PER_CLASS:
            problems.append(f"class {name!r} has {per_class.get(name, 0)} queries, fewer than {MIN_PER_CLASS}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python bench/relevance/check_set.py <set directory>", file=sys.stderr)
        return 2
    directory = Path(argv[1])
    for name in ("corpus.json", "judged.json"):
        if not (directory / name).is_file():
            print(f"{directory / name} is missing", file=sys.stderr)
            return 1
    problems = check(directory)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{directory}: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
