"""The market's product vocabulary (vocabulary.txt): what each word names, in Chinese and English.

A concept is one line of the file: its words (the first is its name in the index), the broader
concepts it is a kind of (`is`), the categories it names (`in`), the endings that make a compound
one of it (`head`), and flags (`type`, `accessory`, `model`). search.analysis reads it to work out
what a listing is and what a query asks for; every backend indexes and matches the terms that
analysis gives, so the vocabulary is the same everywhere.

Words are index terms (search.text: normalized, Latin words stemmed); an English entry of several
words is one term, its words joined (washing machine -> washmachin), and is also kept as a phrase
that analysis joins wherever those words follow one another.
"""
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from search.text import HAN_RE, _read_lines, entry_words, normalize

# The longest English phrase (in words) analysis looks for.
MAX_PHRASE_WORDS = 4


@dataclass(frozen=True)
class Concept:
    name: str  # index term of the line's first word
    terms: tuple[str, ...]  # index terms of every word of the line
    parents: tuple[str, ...] = ()  # names of the broader concepts (`is`)
    categories: tuple[str, ...] = ()  # category slugs the concept names (`in`)
    endings: tuple[str, ...] = ()  # compounds ending in these are of this concept (`head`)
    typed: bool = False  # a category of one kind of product
    accessory: bool = False
    model: bool = False
    brands: tuple[str, ...] = ()  # index terms of the brand of a model (`by`): macbook is an 苹果


@dataclass
class Vocabulary:
    concepts: dict[str, Concept] = field(default_factory=dict)
    by_term: dict[str, str] = field(default_factory=dict)  # term -> concept name
    phrases: dict[tuple[str, ...], str] = field(default_factory=dict)  # stemmed words -> joined term
    endings: dict[str, str] = field(default_factory=dict)  # Chinese ending -> concept name
    by_category: dict[str, tuple[str, ...]] = field(default_factory=dict)  # slug -> concept names
    words: frozenset[str] = frozenset()  # Chinese words of every line (the tokenizer keeps them whole)
    lineages: dict[str, tuple[str, ...]] = field(default_factory=dict)  # see `lineage`

    def concept(self, term: str) -> Concept | None:
        name = self.by_term.get(term)
        return None if name is None else self.concepts[name]

    def lineage(self, name: str) -> tuple[str, ...]:
        """The concept and every broader one, nearest first."""
        return self.lineages.get(name, ())

    def is_accessory(self, name: str) -> bool:
        return any(self.concepts[n].accessory for n in self.lineage(name))

    def is_model(self, name: str) -> bool:
        return self.concepts[name].model

    def related(self, a: str, b: str) -> bool:
        """One is the other or a kind of it (手机 and iphone; 柜子 and 衣柜)."""
        return a in self.lineage(b) or b in self.lineage(a)

    def heads(self) -> frozenset[str]:
        """Concepts that are heads of compounds (they have endings): their English words are heads too."""
        return frozenset(name for name, concept in self.concepts.items() if concept.endings)


def phrase_words(entry: str) -> tuple[str, ...]:
    """An entry's words as index terms (search.text.entry_words)."""
    return entry_words(entry)


def entry_term(entry: str) -> str:
    """An entry as one index term: its words joined (smart watch -> smartwatch)."""
    return "".join(phrase_words(entry))


def _parse(line: str):
    parts = [part.strip() for part in line.split("|")]
    entries = [entry.strip() for entry in parts[0].split(",") if entry.strip()]
    attributes: dict[str, list[str]] = {}
    flags: set[str] = set()
    for part in parts[1:]:
        if ":" in part:
            key, values = part.split(":", 1)
            attributes.setdefault(key.strip(), []).extend(v.strip() for v in values.split(",") if v.strip())
        elif part:
            flags.add(part)
    return entries, attributes, flags


def read_vocabulary(path) -> Vocabulary:
    """Parse a vocabulary file; a word on two lines, or an `is` naming no line, is an error."""
    vocabulary = Vocabulary()
    pending: list[tuple[str, list[str]]] = []
    words: set[str] = set()
    for line in _read_lines(path):
        entries, attributes, flags = _parse(line)
        unknown = flags - {"type", "accessory", "model"}
        unknown_attributes = set(attributes) - {"in", "is", "head", "by"}
        if unknown or unknown_attributes or not entries:
            raise ValueError(f"{path}: cannot read the line {line!r}")
        terms = []
        for entry in entries:
            term = entry_term(entry)
            if term and term not in terms:
                terms.append(term)
            normalized = normalize(entry).strip()
            if HAN_RE.search(normalized) and " " not in normalized:
                words.add(normalized)
            key = phrase_words(entry)
            if len(key) > 1 and all(HAN_RE.search(w) is None for w in key):
                vocabulary.phrases[key] = term
        name = terms[0]
        if name in vocabulary.concepts:
            raise ValueError(f"{path}: the concept {name!r} is on two lines")
        for term in terms:
            if term in vocabulary.by_term:
                raise ValueError(f"{path}: {term!r} is on the lines of {vocabulary.by_term[term]!r} and {name!r}")
            vocabulary.by_term[term] = name
        endings = tuple(normalize(ending) for ending in attributes.get("head", ()))
        for ending in endings:
            vocabulary.endings[ending] = name
            words.add(ending)
        vocabulary.concepts[name] = Concept(
            name=name, terms=tuple(terms), categories=tuple(attributes.get("in", ())), endings=endings,
            typed="type" in flags, accessory="accessory" in flags, model="model" in flags,
            brands=tuple(entry_term(brand) for brand in attributes.get("by", ())),
        )
        pending.append((name, attributes.get("is", [])))
    for name, parents in pending:
        resolved = []
        for parent in parents:
            parent_name = vocabulary.by_term.get(entry_term(parent))
            if parent_name is None:
                raise ValueError(f"{path}: {name!r} is a kind of {parent!r}, which is on no line")
            resolved.append(parent_name)
        concept = vocabulary.concepts[name]
        vocabulary.concepts[name] = Concept(**{**concept.__dict__, "parents": tuple(resolved)})
    categories: dict[str, list[str]] = {}
    for name, concept in vocabulary.concepts.items():
        for slug in concept.categories:
            categories.setdefault(slug, []).append(name)
    vocabulary.by_category = {slug: tuple(names) for slug, names in categories.items()}
    vocabulary.words = frozenset(words)
    vocabulary.lineages = {name: _lineage(vocabulary.concepts, name) for name in vocabulary.concepts}
    return vocabulary


def _lineage(concepts: dict[str, Concept], name: str) -> tuple[str, ...]:
    """The concept and every broader one, nearest first (a cycle is cut)."""
    out, frontier = [], [name]
    while frontier:
        current = frontier.pop(0)
        if current not in out:
            out.append(current)
            frontier.extend(concepts[current].parents)
    return tuple(out)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    return read_vocabulary(Path(settings.SEARCH_VOCABULARY_FILE))


__all__ = ["Concept", "Vocabulary", "entry_term", "phrase_words", "read_vocabulary", "vocabulary"]
