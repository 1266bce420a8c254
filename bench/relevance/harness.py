"""Scoring of a judged relevance set: recall@k, nDCG@k and the share of queries with no mistake.

A judgment is a query (text and filters) with the listings a person expects (`relevant`, best
first) and those that would be a clear mistake in the top k (`mistakes`), named by corpus keys,
and the class of query it tests (`kind`: chinese, negation, typo, ...). A run maps each judgment
to the ranked keys a backend returned. The contract suite holds every backend to a floor
(tests/contract/test_relevance.py); bench/search/relevance.py scores any judged set directory
(`corpus.json` and `judged.json`) on every backend with it, overall and per class.
"""
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from search.backends.base import SearchQuery

K = 10

FILTER_FIELDS = {
    "kind", "grade", "condition", "city", "certified", "inspected", "min_price", "max_price", "near", "radius_km",
    "sort",
}
# The classes of query of issue 24 (a judgment's `kind`).
QUERY_CLASSES = frozenset({
    "negation", "compound_head", "accessory", "generic_type", "english_for_chinese", "category_name",
    "partial_words", "one_char_modifier", "identifier_spacing", "typo", "filter", "chinese", "english",
    "mixed", "traditional", "full_width",
})
# The files of a judged set directory.
CORPUS_NAME = "corpus.json"
JUDGMENTS_NAME = "judged.json"


@dataclass(frozen=True)
class Judgment:
    id: str
    q: str
    relevant: tuple[str, ...]
    mistakes: tuple[str, ...] = ()
    filters: dict = field(default_factory=dict, hash=False, compare=False)
    category: str | None = None  # a category slug, resolved to an id by the caller
    kind_of_query: str = ""  # the class of query: chinese, english, negation, compound_head, typo, filter, ...
    needs: str | None = None  # a capability only some backends have (e.g. "trigram")

    def to_query(self, category_id: int | None = None, page_size: int = K) -> SearchQuery:
        params = dict(self.filters)
        for money in ("min_price", "max_price"):
            if money in params:
                params[money] = Decimal(str(params[money]))
        if "near" in params:
            params["near"] = tuple(params["near"])
        return SearchQuery(q=self.q, category=category_id, page_size=page_size, **params)


@dataclass
class QueryScore:
    judgment: Judgment
    ranked: list[str]
    recall: float
    ndcg: float
    mistakes_found: list[str]

    @property
    def clean(self) -> bool:
        return not self.mistakes_found


@dataclass
class Report:
    scores: list[QueryScore]
    skipped: list[Judgment]

    @property
    def recall(self) -> float:
        return _mean(s.recall for s in self.scores)

    @property
    def ndcg(self) -> float:
        return _mean(s.ndcg for s in self.scores)

    @property
    def no_mistake_share(self) -> float:
        return _mean(1.0 if s.clean else 0.0 for s in self.scores)

    def failures(self, min_recall: float = 1.0) -> list[str]:
        """One line per query that missed something or showed a mistake: what a reviewer reads first."""
        lines = []
        for s in self.scores:
            if s.recall < min_recall or s.mistakes_found:
                missing = [key for key in s.judgment.relevant if key not in s.ranked[:K]]
                lines.append(
                    f"{s.judgment.id} {s.judgment.q!r}: recall={s.recall:.2f} ndcg={s.ndcg:.2f} "
                    f"missing={missing} mistakes={s.mistakes_found} top={s.ranked[:K]}"
                )
        return lines

    @property
    def no_mistake_count(self) -> int:
        return sum(1 for s in self.scores if s.clean)

    def by_kind(self) -> dict[str, "Report"]:
        """The report of each class of query (`kind`), classes in the order they first appear."""
        kinds: dict[str, Report] = {}
        for s in self.scores:
            kinds.setdefault(s.judgment.kind_of_query or "-", Report(scores=[], skipped=[])).scores.append(s)
        for judgment in self.skipped:
            kinds.setdefault(judgment.kind_of_query or "-", Report(scores=[], skipped=[])).skipped.append(judgment)
        return kinds

    def summary(self) -> str:
        return (
            f"{len(self.scores)} queries ({len(self.skipped)} skipped): recall@{K}={self.recall:.3f} "
            f"nDCG@{K}={self.ndcg:.3f} no-mistake={self.no_mistake_share:.3f} "
            f"({self.no_mistake_count} of {len(self.scores)})"
        )


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def recall_at_k(ranked: list[str], relevant: Iterable[str], k: int = K) -> float:
    """Share of the relevant listings in the top k; a query with more than k relevant needs k of them."""
    relevant = set(relevant)
    if not relevant:
        return 1.0
    found = len(relevant & set(ranked[:k]))
    return found / min(len(relevant), k)


def ndcg_at_k(ranked: list[str], relevant: Iterable[str], k: int = K) -> float:
    """Binary-gain nDCG: relevant listings high in the top k score more."""
    relevant = set(relevant)
    if not relevant:
        return 1.0
    dcg = sum(1.0 / math.log2(position + 2) for position, key in enumerate(ranked[:k]) if key in relevant)
    ideal = sum(1.0 / math.log2(position + 2) for position in range(min(len(relevant), k)))
    return dcg / ideal


def score(judgment: Judgment, ranked: list[str], k: int = K) -> QueryScore:
    top = ranked[:k]
    return QueryScore(
        judgment=judgment, ranked=list(ranked),
        recall=recall_at_k(ranked, judgment.relevant, k), ndcg=ndcg_at_k(ranked, judgment.relevant, k),
        mistakes_found=[key for key in top if key in set(judgment.mistakes)],
    )


def evaluate(judgments: Iterable[Judgment], run: Callable[[Judgment], list[str]], capabilities=frozenset()) -> Report:
    """Score every judgment the backend can be held to (those needing a capability it lacks are skipped)."""
    scores, skipped = [], []
    for judgment in judgments:
        if judgment.needs and judgment.needs not in capabilities:
            skipped.append(judgment)
            continue
        scores.append(score(judgment, run(judgment)))
    return Report(scores=scores, skipped=skipped)


def load_judgments(path: str | Path) -> list[Judgment]:
    """The judgments of a judged.json file (a judged set directory's `JUDGMENTS_NAME`)."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    judgments = []
    for entry in raw:
        unknown = set(entry.get("filters", {})) - FILTER_FIELDS
        if unknown:
            raise ValueError(f"{entry['id']}: unknown filters {sorted(unknown)}")
        judgments.append(Judgment(
            id=entry["id"], q=entry.get("q", ""), relevant=tuple(entry["relevant"]),
            mistakes=tuple(entry.get("mistakes", ())), filters=entry.get("filters", {}),
            category=entry.get("category"), kind_of_query=entry.get("kind", ""), needs=entry.get("needs"),
        ))
    ids = [j.id for j in judgments]
    if len(ids) != len(set(ids)):
        raise ValueError("judgment ids must be unique")
    return judgments


def kind_table(results: list[dict]) -> str:
    """Scores per class of query (the judgments' `kind`), one column per result: recall@10 / nDCG@10
    / queries without a mistake. `results` are bench/search/relevance.py's result dicts (its JSON
    files), each with its "label" and "by_kind"."""
    kinds = list(dict.fromkeys(kind for r in results for kind in r.get("by_kind", {})))
    lines = [
        "| class | queries | " + " | ".join(r["label"] for r in results) + " |",
        "| --- | ---: |" + " --- |" * len(results),
    ]
    for kind in kinds:
        cells, counts = [], set()
        for r in results:
            part = r.get("by_kind", {}).get(kind)
            if not part or not part["scored"]:
                cells.append("-")
                continue
            counts.add(part["scored"] + part["skipped"])
            cells.append(f"{part['recall']:.2f} / {part['ndcg']:.2f} / {part['no_mistake']} of {part['scored']}")
        lines.append(f"| {kind} | {'/'.join(str(n) for n in sorted(counts)) or '-'} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
