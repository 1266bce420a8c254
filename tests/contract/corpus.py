"""The fixed corpus of the contract suite (data/corpus.json), created through the listings models."""
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from listings.models import Category, GradeSource, Listing
from search.documents import build_documents
from tests.factories import UserFactory

DATA = Path(__file__).resolve().parent / "data"
CORPUS_FILE = DATA / "corpus.json"
JUDGMENTS_FILE = DATA / "judged.json"
# Publication times count back from here, so "newest" has one answer.
BASE_TIME = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)


def load_records() -> list[dict]:
    return json.loads(CORPUS_FILE.read_text(encoding="utf-8"))


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


def create_corpus() -> Corpus:
    """Every record as a Listing (one bulk insert), in the seeded categories (listings migration)."""
    records = load_records()
    categories = {c.slug: c for c in Category.objects.filter(slug__in={r["category"] for r in records})}
    missing = {r["category"] for r in records} - set(categories)
    assert not missing, f"categories missing from the listings seed migration: {missing}"
    seller = UserFactory(password=None)  # no hashing: a seller who never logs in
    rows = []
    for position, record in enumerate(records):
        published = BASE_TIME - timedelta(days=record["days_ago"], minutes=position)
        rows.append(Listing(
            seller=seller, category=categories[record["category"]], kind=record["kind"], title=record["title"],
            description=record["description"], price=Decimal(record["price"]), city=record["city"],
            district=record["district"], handover_options=["pickup"],
            latitude=None if record["latitude"] is None else Decimal(str(record["latitude"])),
            longitude=None if record["longitude"] is None else Decimal(str(record["longitude"])),
            attributes=record["attributes"], state=record["state"],
            published_at=None if record["state"] == "draft" else published,
            grade_code=record["grade"], grade_source=record["grade_source"] or "",
        ))
    created = Listing.objects.bulk_create(rows)
    listings = {record["key"]: listing for record, listing in zip(records, created, strict=True)}
    assert all(listing.grade_source in ("", *GradeSource.values) for listing in created)
    return Corpus(listings=listings, records={r["key"]: r for r in records}, categories=categories)
