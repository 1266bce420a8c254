"""Text normalization and tokenization: the same words for documents and queries."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.text import (
    expand,
    identifier_tokens,
    index_tokens,
    isbn_forms,
    normalize,
    query_groups,
    query_tokens,
    synonym_groups,
    user_dictionary,
)


@pytest.mark.parametrize(("raw", "expected"), [
    ("ＩＰｈｏｎｅ　１３", "iphone 13"),
    ("華為手機", "华为手机"),
    ("滑鼠", "鼠标"),
    ("", ""),
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_documents_are_segmented_in_search_mode_and_queries_in_precise_mode():
    assert {"笔记本", "电脑", "笔记本电脑"} <= set(index_tokens("笔记本电脑"))
    assert query_tokens("笔记本电脑") == ["笔记本电脑"]


@pytest.mark.parametrize("compound", ["电视柜", "鼠标垫", "手机壳", "九成新", "95新", "可小刀"])
def test_market_compounds_stay_whole(compound):
    assert compound in user_dictionary()
    assert index_tokens(compound) == [compound]
    assert query_tokens(compound) == [compound]


def test_english_words_are_stemmed_and_codes_are_not():
    assert index_tokens("Running Shoes") == ["run", "shoe"]
    assert "256g" in index_tokens("iPhone 256G")


@pytest.mark.parametrize(("code", "forms"), [
    ("978-7-111-54493-7", ["9787111544937", "7111544935"]),
    ("7111544935", ["9787111544937", "7111544935"]),
    ("750636543X", ["9787506365437", "750636543x"]),
    ("9791032305690", ["9791032305690"]),  # 979 prefix: no ISBN-10
    ("9787111544930", []),                 # wrong check digit
    ("7111544936", []),
])
def test_isbn_forms(code, forms):
    assert isbn_forms(code) == forms


def test_identifiers_are_indexed_whole_and_normalized():
    assert {"06h121026dd"} <= set(index_tokens("OE号 06H-121-026-DD"))
    assert {"华为", "p40", "华为p40"} <= set(index_tokens("华为P40"))
    assert {"mate", "60", "mate60"} <= set(index_tokens("Mate 60 Pro"))
    assert identifier_tokens("ISBN 978-7-111-54493-7") == ["9787111544937", "7111544935"]


def test_a_query_keeps_an_identifier_whole_and_asks_for_the_13_digit_isbn():
    assert query_tokens("06h-121-026-dd 水泵") == ["06h121026dd", "水泵"]
    assert query_tokens("ISBN 7111544935") == ["9787111544937"]


def test_pinyin_slips_become_the_market_word_but_real_words_stay():
    assert query_tokens("手鸡") == ["手机"]
    assert query_tokens("收集") == ["收集"]  # a real word that sounds like 手机 is left alone


def test_synonyms_are_or_groups_of_index_terms():
    assert set(query_groups("电视")[0]) >= {"电视", "tv", "televis"}
    assert query_groups("TV") == query_groups("電視")
    assert expand(["zzz"]) == [("zzz",)]
    assert all(term == term.strip() and term for group in synonym_groups().values() for term in group)


def test_stopwords_and_punctuation_are_not_terms():
    assert query_tokens("的，！ the") == []


VOCABULARY = ["手机", "电视", "电视柜", "华为", "p40", "iPhone", "12", "Mate", "60", "九成新", "笔记本电脑",
              "鼠标", "鼠标垫", "watches", "Phones", "冰箱", "自行车", "978-7-111-54493-7", "06H-121-026-DD", "全新"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=6), st.sampled_from(["", " "]))
def test_every_query_term_of_a_text_is_an_index_term_of_the_same_text(words, separator):
    text = separator.join(words)
    assert set(query_tokens(text)) <= set(index_tokens(text))


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_normalize_is_idempotent_and_tokens_are_word_characters(text):
    assert normalize(normalize(text)) == normalize(text)
    for token in index_tokens(text) + query_tokens(text):
        assert token and " " not in token and all(ch.isalnum() for ch in token), token
