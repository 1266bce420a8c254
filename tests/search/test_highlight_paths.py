"""search.highlight's shortcuts (per-block segmentation, per-word terms, skipping texts no term can
occur in) mark exactly what the plain algorithm marks."""
import json
import re

import pytest
import snowballstemmer

from search import highlight
from search.analysis import query_groups
from search.text import ALNUM_RE, LETTER_DIGIT_RE, sub_words, term_of, tokenizer
from tests.contract.corpus import CORPUS_FILE, JUDGMENTS_FILE

SUFFIXES = ("", "s", "es", "ies", "ied", "ing", "ingly", "ed", "edly", "ly", "y", "ational", "tional", "ation",
            "ization", "izer", "fulness", "ousness", "iveness", "iviti", "biliti", "bility", "bly", "ogy", "lessli",
            "alize", "icate", "ical", "ful", "ness", "ative", "ement", "ence", "ance", "able", "ible", "sses", "eed")
EXCEPTIONS = ("dying", "lying", "tying", "skies", "skis", "idly", "gently", "ugly", "early", "only", "singly")


def _texts() -> list[str]:
    records = json.loads(CORPUS_FILE.read_text(encoding="utf-8"))
    return [text for record in records for text in (record["title"], record["description"])]


def _plain_spans(normalized: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    """The word part of highlight._matched_spans without any shortcut."""
    spans = []
    for word, start, end in tokenizer().tokenize(normalized):
        term = term_of(word)
        if term is None:
            continue
        if term in terms:
            spans.append((start, end))
            continue
        for sub in sub_words(term):
            position = word.find(sub)
            if sub in terms and position >= 0:
                spans.append((start + position, start + position + len(sub)))
        if ALNUM_RE.match(word):
            cursor = 0
            for part in LETTER_DIGIT_RE.findall(word):
                position = word.find(part, cursor)
                cursor = position + len(part)
                if term_of(part) in terms:
                    spans.append((start + position, start + cursor))
    return highlight._merge(spans)


def test_a_stem_keeps_all_but_its_last_two_letters_as_a_prefix_of_the_word():
    stemmer = snowballstemmer.stemmer("english")
    words = {w.lower() for text in _texts() for w in re.findall(r"[A-Za-z]{3,}", text)}
    words |= {"run", "happy", "possible", "general", "condition", "hop", "hope", "luxury", "agree", "sky"}
    for word in [w + suffix for w in words for suffix in SUFFIXES] + list(EXCEPTIONS):
        stem = stemmer.stemWord(word)
        assert word.startswith(stem[:max(1, len(stem) - 2)]), (word, stem)


def test_segmenting_block_by_block_is_segmenting_the_whole_text():
    for text in [*_texts(), "a--b c++ 3.5% v1.2 #tag 华为P40Pro\r\n手机\t ok&go _x_ 中文。English!", ""]:
        normalized, _offsets = highlight._normalized_with_offsets(text)
        assert list(highlight._segments(normalized)) == list(tokenizer().tokenize(normalized))


@pytest.mark.parametrize("q", ["run", "dying", "phones", "iphone 12", "华为 手机", "笔记本", "电视", "31200-RNA-A01",
                               "9787111544937", "ＬＡＰＴＯＰ", "手機", "可小刀"])
def test_the_shortcuts_mark_what_the_plain_algorithm_marks(q):
    terms = frozenset(term for group in query_groups(q) for term in group)
    texts = [*_texts(), "Running shoes, barely run", "Died twice, dying battery", "HUAWEI phone 华为手机壳"]
    for text in texts:
        normalized, _offsets = highlight._normalized_with_offsets(text)
        expected = _plain_spans(normalized, terms)
        assert highlight._merge([*highlight._matched_spans(normalized, terms), *expected]) == \
            highlight._matched_spans(normalized, terms), (q, text)


def test_a_text_no_term_can_occur_in_is_not_segmented(monkeypatch):
    def never(normalized):
        raise AssertionError(f"segmented {normalized!r}")

    monkeypatch.setattr(highlight, "_segments", never)
    assert highlight.highlights("九成新 沙发", "同城自提", query_groups("laptop")) == {}


def test_a_word_matched_through_its_stem_is_still_marked():
    assert highlight.highlights("Running shoes", "", query_groups("run")) == {"title": ["<em>Running</em> shoes"]}


def test_judged_queries_mark_the_corpus_as_the_plain_algorithm_does():
    judged = [entry["q"] for entry in json.loads(JUDGMENTS_FILE.read_text(encoding="utf-8"))]
    for q in judged:
        terms = frozenset(term for group in query_groups(q) for term in group)
        for text in _texts():
            normalized, _offsets = highlight._normalized_with_offsets(text)
            word_spans = _plain_spans(normalized, terms)
            assert highlight._merge([*highlight._matched_spans(normalized, terms), *word_spans]) == \
                highlight._matched_spans(normalized, terms), (q, text)
