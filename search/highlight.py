"""Highlights: the matched words of a title or description wrapped in <em>..</em>.

The text is segmented the same way as it was indexed (search.text), so a word is marked when its
term is one of the query's terms (synonyms included), whatever its case, width or script in the
original. Everything that is not a mark is HTML-escaped: clients may render highlights as HTML.
Backends share this so that they mark the same words.

A page highlights 20 titles and descriptions per query, so the per-text work is kept small: the
per-character normalization and each word's terms are cached, and a text in which no query term
can occur (a quick substring test, see `_needles`) is not segmented at all. Segmentation is cached
per jieba block (a run of word characters: marketplace texts repeat their phrases).
"""
import html
import re
import unicodedata
from functools import lru_cache

import jieba
import zhconv

from search.text import (
    ALNUM_RE,
    HAN_RE,
    HYPHEN_CODE_RE,
    ISBN_RE,
    LETTER_DIGIT_RE,
    clean,
    cut_block,
    isbn_forms,
    sub_words,
    term_of,
    to_simplified,
)
from search.vocabulary import vocabulary

SNIPPET_CHARS = 120
MAX_FRAGMENTS = 2
# Bounds of the caches: characters and words of the market's vocabulary, query term sets.
CHAR_CACHE_SIZE = 65536
WORD_CACHE_SIZE = 65536
NEEDLE_CACHE_SIZE = 1024
_LATIN_TERM = re.compile(r"^[a-z]+$")


class _CharTable(dict):
    """str.translate table: code point -> NFKC + lowercase of that one character, filled on use."""

    def __missing__(self, code: int) -> str:
        if len(self) >= CHAR_CACHE_SIZE:
            self.clear()
        piece = self[code] = unicodedata.normalize("NFKC", chr(code)).lower()
        return piece


_char_table = _CharTable()


def _normalized_with_offsets(text: str) -> tuple[str, list[int] | range]:
    """normalize(text) and, for each of its characters, the index of the original character."""
    normalized = text.translate(_char_table)
    if len(normalized) == len(text):
        # No character maps to an empty string, so equal lengths mean one character each.
        offsets: list[int] | range = range(len(text))
    else:
        offsets = []
        for index, char in enumerate(text):
            offsets.extend([index] * len(_char_table[ord(char)]))
    if HAN_RE.search(normalized):
        converted = to_simplified(normalized)  # cached by chunk: descriptions repeat their phrases
        # Phrase conversions that change length would shift offsets: convert character by character.
        normalized = converted if len(converted) == len(normalized) else "".join(
            zhconv.convert(ch, "zh-cn")[:1] or ch for ch in normalized
        )
    return normalized, offsets


@lru_cache(maxsize=NEEDLE_CACHE_SIZE)
def _needles(terms: frozenset[str]) -> tuple[str, ...]:
    """Strings one of which clean(text) contains whenever a word of the text can match a term.

    A word's term is clean(word) (a substring of clean(text)), or for a Latin word its Snowball
    stem, which keeps all but at most the last two letters of the stem as a prefix of the word
    (tests/search/test_highlight_paths.py checks this over a vocabulary); sub-words and
    the letter and digit parts of a word are substrings of it too.
    """
    return tuple(term[:max(1, len(term) - 2)] if _LATIN_TERM.match(term) else term for term in terms)


def _may_match_words(normalized: str, terms: frozenset[str]) -> bool:
    cleaned = clean(normalized)
    return any(needle in cleaned for needle in _needles(terms))


@lru_cache(maxsize=WORD_CACHE_SIZE)
def _word_terms(word: str) -> tuple[str | None, tuple, tuple]:
    """A segmented word's term, its sub-words with their offset in the word, and the terms of its
    letter and digit parts (iphone12 -> iphone, 12) with their offsets: what the word can match."""
    term = term_of(word)
    if term is None:
        return None, (), ()
    subs = []
    for sub in sub_words(term):
        position = word.find(sub)
        if position >= 0:
            subs.append((sub, position, position + len(sub)))
    parts = []
    if ALNUM_RE.match(word):
        cursor = 0
        for part in LETTER_DIGIT_RE.findall(word):
            position = word.find(part, cursor)
            cursor = position + len(part)
            part_term = term_of(part)
            if part_term is not None:
                parts.append((part_term, position, cursor))
    return term, tuple(subs), tuple(parts)


@lru_cache(maxsize=WORD_CACHE_SIZE)
def _kinds(term: str) -> frozenset[str]:
    """The concepts a vocabulary word names with the broader ones (降噪耳机: 耳机 too): the word is
    marked for a query for any of them, as the index finds it for them."""
    name = vocabulary().by_term.get(term)
    return frozenset(vocabulary().lineage(name)) if name else frozenset()


def _segments(normalized: str):
    """tokenizer().tokenize(normalized), block by block: jieba cuts each block of its
    `re_han_default` split on its own, so the concatenation is the same."""
    start = 0
    for block in jieba.re_han_default.split(normalized):
        if not block:
            continue
        for word in cut_block(block):
            end = start + len(word)
            yield word, start, end
            start = end


def _matched_spans(normalized: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    spans = []
    for match in ISBN_RE.finditer(normalized):
        if set(isbn_forms(match.group(1))) & terms:
            spans.append(match.span(1))
    for match in HYPHEN_CODE_RE.finditer(normalized):
        if match.group(0).replace("-", "") in terms:
            spans.append(match.span())
    if not _may_match_words(normalized, terms):
        return _merge(spans)
    for word, start, end in _segments(normalized):
        term, subs, parts = _word_terms(word)
        if term is None:
            continue
        if term in terms or _kinds(term) & terms:
            spans.append((start, end))
            continue
        for sub, sub_start, sub_end in subs:
            if sub in terms:
                spans.append((start + sub_start, start + sub_end))
        for part_term, part_start, part_end in parts:
            if part_term in terms:
                spans.append((start + part_start, start + part_end))
    return _merge(spans)


def _merge(spans):
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _mark(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    end = len(text) if end is None else end
    out, cursor = [], start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        out.append(html.escape(text[cursor:span_start]))
        out.append("<em>" + html.escape(text[span_start:span_end]) + "</em>")
        cursor = span_end
    out.append(html.escape(text[cursor:end]))
    return "".join(out)


def _original_spans(text: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    normalized, offsets = _normalized_with_offsets(text)
    spans = []
    for start, end in _matched_spans(normalized, terms):
        spans.append((offsets[start], offsets[end - 1] + 1))
    return _merge(spans)


def highlight_title(title: str, terms) -> list[str]:
    """[the whole title with its matched words marked], or [] when no word matched."""
    terms = frozenset(terms)
    spans = _original_spans(title or "", terms) if terms else []
    return [_mark(title, spans)] if spans else []


def highlight_description(description: str, terms, size: int = SNIPPET_CHARS) -> list[str]:
    """Up to two snippets of about `size` characters around the matched words, marked."""
    terms = frozenset(terms)
    text = description or ""
    spans = _original_spans(text, terms) if terms else []
    fragments, covered_until = [], -1
    for span_start, _span_end in spans:
        if span_start < covered_until:
            continue
        start = max(0, span_start - size // 3)
        end = min(len(text), start + size)
        fragment = _mark(text, spans, start, end)
        fragments.append(("…" if start > 0 else "") + fragment + ("…" if end < len(text) else ""))
        covered_until = end
        if len(fragments) == MAX_FRAGMENTS:
            break
    return fragments


def highlights(title: str, description: str, groups) -> dict[str, list[str]]:
    """{"title": [...], "description": [...]} for the query's OR-groups (search.analysis.query_groups)."""
    terms = frozenset(term for group in groups for term in group)
    if not terms:
        return {}
    found = {}
    title_marks = highlight_title(title, terms)
    if title_marks:
        found["title"] = title_marks
    description_marks = highlight_description(description, terms)
    if description_marks:
        found["description"] = description_marks
    return found
