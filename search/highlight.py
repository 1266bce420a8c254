"""Highlights: the matched words of a title or description wrapped in <em>..</em>.

The text is segmented the same way as it was indexed (search.text), so a word is marked when its
term is one of the query's terms (synonyms included), whatever its case, width or script in the
original. Everything that is not a mark is HTML-escaped: clients may render highlights as HTML.
Backends share this so that they mark the same words.
"""
import html
import unicodedata

import zhconv

from search.text import (
    ALNUM_RE,
    HAN_RE,
    HYPHEN_CODE_RE,
    ISBN_RE,
    LETTER_DIGIT_RE,
    isbn_forms,
    sub_words,
    term_of,
    tokenizer,
)

SNIPPET_CHARS = 120
MAX_FRAGMENTS = 2


def _normalized_with_offsets(text: str) -> tuple[str, list[int]]:
    """normalize(text) and, for each of its characters, the index of the original character."""
    pieces, offsets = [], []
    for index, char in enumerate(text):
        piece = unicodedata.normalize("NFKC", char).lower()
        pieces.append(piece)
        offsets.extend([index] * len(piece))
    normalized = "".join(pieces)
    if HAN_RE.search(normalized):
        converted = zhconv.convert(normalized, "zh-cn")
        # Phrase conversions that change length would shift offsets: convert character by character.
        normalized = converted if len(converted) == len(normalized) else "".join(
            zhconv.convert(ch, "zh-cn")[:1] or ch for ch in normalized
        )
    return normalized, offsets


def _matched_spans(normalized: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    spans = []
    for match in ISBN_RE.finditer(normalized):
        if set(isbn_forms(match.group(1))) & terms:
            spans.append(match.span(1))
    for match in HYPHEN_CODE_RE.finditer(normalized):
        if match.group(0).replace("-", "") in terms:
            spans.append(match.span())
    for word, start, end in tokenizer().tokenize(normalized):
        term = term_of(word)
        if term is None:
            continue
        if term in terms:
            spans.append((start, end))
            continue
        for sub in sub_words(term):
            if sub in terms:
                position = word.find(sub)
                if position >= 0:
                    spans.append((start + position, start + position + len(sub)))
        if ALNUM_RE.match(word):
            cursor = 0
            for part in LETTER_DIGIT_RE.findall(word):
                position = word.find(part, cursor)
                cursor = position + len(part)
                if term_of(part) in terms:
                    spans.append((start + position, start + cursor))
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
    """{"title": [...], "description": [...]} for the query's OR-groups (search.text.query_groups)."""
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
