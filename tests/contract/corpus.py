"""The fixed corpora of the contract suite, created through the listings models.

A judged set is a directory holding `corpus.json` (the listings) and `judged.json` (queries with
the listings a person expects and the clear mistakes): `data/` is the regression set, `data/dev/`
the development set of issue 24 (every class of query the issue names, Xianyu-style posts).
Any directory of that format can be loaded (bench/search/relevance.py --set DIR).
"""
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.relevance.harness import CORPUS_NAME, JUDGMENTS_NAME
from listings.models import Category, GradeSource, Listing
from search.documents import build_documents
from tests.factories import UserFactory

DATA = Path(__file__).resolve().parent / "data"
DEV_DATA = DATA / "dev"
CORPUS_FILE = DATA / CORPUS_NAME
JUDGMENTS_FILE = DATA / JUDGMENTS_NAME
# Fields a record may leave out, and what they default to.
OPTIONAL_FIELDS = {
    "description": "", "kind": "second_hand", "grade": "", "grade_source": "", "city": "", "district": "",
    "latitude": None, "longitude": None, "attributes": {}, "state": "active", "days_ago": 0, "certified": False,
}
# Publication times count back from here, so "newest" has one answer.
BASE_TIME = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)


def load_records(path: Path = CORPUS_FILE) -> list[dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


@dataclass
class Corpus:
    listings: dict[str, Listing]
    records: dict[str, dict]
    categories: dict[str, Category]

    def key(self, listing_id: int) -> str:
        return self._keys()[listing_id]

    def keys(self, ids) -> list[str]:
        names = self._keys()
        return [names[i] for i in ids]

    def id(self, key: str) -> int:
        return self.listings[key].pk

    def _keys(self) -> dict[int, str]:
        return {listing.pk: key for key, listing in self.listings.items()}

    def active(self) -> list[str]:
        return [key for key, record in self.records.items() if record["state"] == "active"]

    def documents(self) -> list[dict]:
        return build_documents(self.listings.values())


def create_corpus(directory: Path = DATA) -> Corpus:
    """Every record of a judged set directory's corpus as a Listing (one bulk insert), in the seeded
    categories (listings migration)."""
    records = load_records(Path(directory) / CORPUS_NAME)
    categories = {c.slug: c for c in Category.objects.filter(slug__in={r["category"] for r in records})}
    missing = {r["category"] for r in records} - set(categories)
    assert not missing, f"categories missing from the listings seed migration: {missing}"
    seller = UserFactory(password=None)  # no hashing: a seller who never logs in
    rows = []
    for position, record in enumerate(records):
        record.update({name: record.get(name, default) for name, default in OPTIONAL_FIELDS.items()})
        published = BASE_TIME - timedelta(days=record["days_ago"], minutes=position)
        rows.append(Listing(
            seller=seller, category=categories[record["category"]], kind=record["kind"], title=record["title"],
            description=record["description"], price=Decimal(str(record["price"])), city=record["city"],
            district=record["district"], handover_options=["pickup"],
            latitude=None if record["latitude"] is None else Decimal(str(record["latitude"])),
            longitude=None if record["longitude"] is None else Decimal(str(record["longitude"])),
            attributes=record["attributes"], state=record["state"],
            published_at=None if record["state"] == "draft" else published,
            grade_code=record["grade"] or "", grade_source=record["grade_source"] or "",
        ))
    created = Listing.objects.bulk_create(rows)
    listings = {record["key"]: listing for record, listing in zip(records, created, strict=True)}
    assert all(listing.grade_source in ("", *GradeSource.values) for listing in created)
    return Corpus(listings=listings, records={r["key"]: r for r in records}, categories=categories)
