"""Text normalization and tokenization: the same words for documents and queries."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search import analysis, documents, text
from search.analysis import analyse_listing, query_groups, query_tokens
from search.text import (
    identifier_tokens,
    index_tokens,
    isbn_forms,
    normalize,
    segment_terms,
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
    assert {"人工", "智能", "人工智能"} <= set(index_tokens("人工智能"))
    assert query_tokens("人工智能") == ["人工智能"]


def test_a_vocabulary_word_stays_whole_and_says_what_the_listing_is():
    """笔记本电脑 is one term; the listing is a laptop, and a laptop is a 电脑 (search/vocabulary.txt)."""
    assert index_tokens("笔记本电脑") == ["笔记本电脑"]
    assert query_tokens("笔记本电脑") == ["笔记本电脑"]
    assert {"笔记本电脑", "电脑"} <= set(analyse_listing("笔记本电脑", "").concepts)


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


def test_a_query_word_is_an_or_group_of_itself_its_concept_and_its_synonyms():
    # Every word of a vocabulary line finds what the concept's name finds: listings say what they
    # are with the name (their category_tokens), so the name stands for the whole line.
    assert query_groups("TV") == [("tv", "电视")] and query_groups("television") == [("televis", "电视")]
    assert query_groups("電視") == query_groups("电视") == [("电视",)]
    assert set(query_groups("苹果")[0]) == {"苹果", "appl"}  # synonyms.txt: brands, gender, colours
    assert query_groups("zzz") == [("zzz",)]
    assert all(term == term.strip() and term for group in synonym_groups().values() for term in group)


def test_stopwords_and_punctuation_are_not_terms():
    assert query_tokens("的，！ the") == []


VOCABULARY = ["手机", "电视", "电视柜", "华为", "p40", "iPhone", "12", "Mate", "60", "九成新", "笔记本电脑",
              "鼠标", "鼠标垫", "watches", "Phones", "冰箱", "自行车", "978-7-111-54493-7", "06H-121-026-DD", "全新"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([word for word in VOCABULARY if word != "鼠标垫"]), min_size=1, max_size=6),
       st.sampled_from(["", " "]))
def test_every_query_term_of_a_text_is_an_index_term_of_a_listing_with_that_title(words, separator):
    # (Not an accessory: after a device in a title, 手机 鼠标垫, it is an extra, not what the listing is.)
    text = separator.join(words)
    listing = analyse_listing(text, "")
    assert set(query_tokens(text)) <= {*listing.title_terms, *listing.identifiers}


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_normalize_is_idempotent_and_tokens_are_word_characters(text):
    assert normalize(normalize(text)) == normalize(text)
    for token in index_tokens(text) + query_tokens(text):
        assert token and " " not in token and all(ch.isalnum() for ch in token), token


# Where cached chunking could go wrong: runs that touch (华为P40, 95新), codes with hyphens, full
# width and traditional text, line breaks, characters jieba's runs leave out (ext-A, U+9FD6, kana,
# accents) and punctuation zhconv converts (「」).
TRICKY = [
    "华为P40 九成新，自用", "华为 Mate 60 Pro 256G", "iPhone12 Pro Max 可小刀", "ＩＰｈｏｎｅ　１３　全新",
    "ISBN 978-7-111-54493-7 计算机", "OE号 06H-121-026-DD 水泵", "筆記型電腦 滑鼠 電視櫃", "「二手」《书》、九成新。",
    "小米13\r\n95新", "a_b+c#d&e.f%g-h", "\u3400\u9fd6\u9fa5 カメラ café", "𠀾發 後髮 乾", "the 的 and 了", "",
]


def whole_text_terms(normalized: str) -> list[str]:
    """The reference: cut the whole text at once and expand every word (what the index did before caching)."""
    terms = []
    for word in text.tokenizer().cut(normalized):
        term = text.term_of(word)
        if term is not None:
            terms.extend([*text.sub_words(term), term, *text._alnum_parts(term)])
    return list(dict.fromkeys(terms))


@pytest.mark.parametrize("raw", TRICKY)
def test_segmenting_run_by_run_gives_the_terms_of_segmenting_the_whole_text(raw):
    normalized = normalize(raw)
    assert segment_terms(normalized) == whole_text_terms(normalized)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*TRICKY, *VOCABULARY, " ", "，", "-", "。"]), max_size=8), st.text(max_size=12))
def test_segmenting_run_by_run_equals_segmenting_the_whole_text_on_any_mix(pieces, noise):
    normalized = normalize("".join(pieces) + noise)
    assert segment_terms(normalized) == whole_text_terms(normalized)


def test_no_conversion_entry_spans_a_chunk_break():
    """Why normalize may convert chunk by chunk: zhconv matches table entries only, and none has a break."""
    from zhconv import zhconv as tables

    entries = tables.getdict("zh-cn")
    assert not [entry for entry in entries if text._CONVERSION_BREAK.search(entry)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*TRICKY, "電視", "幹什麼", "「", "」", " ", ",", "."]), max_size=8), st.text(max_size=12))
def test_normalizing_chunk_by_chunk_equals_converting_the_whole_text(pieces, noise):
    import unicodedata

    import zhconv

    raw = "".join(pieces) + noise
    folded = unicodedata.normalize("NFKC", raw).lower()
    expected = zhconv.convert(folded, "zh-cn") if text.HAN_RE.search(folded) else folded
    assert normalize(raw) == expected


def test_cached_terms_are_handed_out_as_fresh_lists():
    first = identifier_tokens("华为P40")
    first.append("changed")
    index_tokens("华为P40").append("changed")
    assert identifier_tokens("华为P40") == ["华为p40"]
    assert "changed" not in index_tokens("华为P40")


def test_identifiers_and_index_terms_of_a_text_come_from_one_analysis():
    assert set(identifier_tokens("华为P40 ISBN 978-7-111-54493-7")) <= set(index_tokens("华为P40 ISBN 978-7-111-54493-7"))
    assert identifier_tokens("") == [] and index_tokens("") == []


@pytest.mark.parametrize("cached", [text.stem, text._to_simplified, text._word_terms, text._block_terms, text.cut_block,
                                    text._last_word, text._analyze, documents._code_terms, analysis.block_words,
                                    analysis.clause_words])
def test_every_cache_is_bounded(cached):
    """Memory must not grow with the corpus a rebuild reads."""
    assert cached.cache_info().maxsize is not None


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([*TRICKY, *VOCABULARY, "不含", "已出", "送", "适用", "not included", "for", "钢琴凳",
                                 "洗衣机罩", "1K0 121 011", "4G0.941.033", "运动鞋 女", "，", " "]), max_size=8),
       st.text(max_size=20))
def test_any_listing_text_reads_into_word_terms(pieces, noise):
    text = "".join(pieces) + noise
    listing = analyse_listing(text, noise + text)
    for term in [*listing.title_terms, *listing.body_terms, *listing.identifiers, *listing.concepts]:
        assert term and all(ch.isalnum() for ch in term), term
    for group in query_groups(text):
        assert group and all(term and all(ch.isalnum() for ch in term) for term in group), group


# --------------------------------------------------------------- what a title says a listing is --

@pytest.mark.parametrize(("title", "head"), [
    ("自行车头盔 骑行头盔 L码", "头盔"),  # an accessory word glued after a product is the head
    ("相机镜头 50mm", "镜头"),
])
def test_an_accessory_glued_after_a_product_is_what_the_listing_is(title, head):
    listing = analyse_listing(title, "")
    assert listing.accessory and head in listing.concepts
    assert not {"自行车", "相机"} & set(listing.concepts)


def test_a_product_of_another_kind_after_models_is_made_for_them():
    keyboard = analyse_listing("iPad Air 5 妙控键盘 黑色", "")
    assert keyboard.accessory and "平板" not in keyboard.concepts
    # Models and their own kind (AirPods are 耳机) make a device; so does a category of that kind.
    assert not analyse_listing("Apple AirPods Pro 2 降噪耳机", "").accessory
    assert not analyse_listing("Galaxy Tab S8 平板", "", ("平板",)).accessory


def test_what_follows_a_plus_comes_with_the_item_but_a_plus_model_is_a_model():
    bundle = analyse_listing("iPad Pro 11寸 M1 128G + 妙控键盘", "")
    assert not bundle.accessory and "平板" in bundle.concepts
    assert "plus" in analyse_listing("iPhone 14 Plus 128G", "").title_terms
    assert "256" in analyse_listing("小米13 8+256G", "").title_terms


@pytest.mark.parametrize(("q", "device"), [
    ("airpods", True), ("相机", True), ("laptop", True),
    ("手机壳", False), ("airpods 保护套", False), ("相机包", False), ("ipad 键盘", False),
    ("苹果", False), ("图书", False), ("xm4", False),
])
def test_a_query_asks_for_a_device_when_it_names_one_and_no_accessory(q, device):
    assert analysis.asks_for_a_device(query_groups(q)) is device


def test_a_description_names_what_a_vague_title_is_only_when_it_may_be_filed_there():
    printer = analyse_listing("兄弟 DCP-T426W 彩色喷墨 连供", "家用打作业，支持手机无线打印。", (), ("office-equipment",))
    assert "手机" not in printer.concepts
    phone = analyse_listing("自用闲置 低价出", "iPhone 12 128G 蓝色，送手机壳。", (), ("phones", "phones-tablets"))
    assert "手机" in phone.concepts


def test_a_bundle_is_every_item_it_names_and_an_accessory_only_before_its_plus():
    assert {"电磁炉", "电饭煲"} <= set(analyse_listing("搬家清仓 电磁炉+电饭煲 美的", "").concepts)


@pytest.mark.parametrize(("title", "body", "denied"), [
    ("电钻钻头套装 100件", "适用各种电钻，不含电钻。", "电钻"),
    ("空调外机支架 不锈钢", "拆下来的支架，不含空调，螺丝齐全。", "空调"),
])
def test_a_product_the_description_says_is_not_included_is_what_the_listing_is_for(title, body, denied):
    listing = analyse_listing(title, body)
    assert listing.accessory and denied not in listing.concepts


def test_a_model_of_another_brand_in_a_description_is_a_comparison():
    xiaomi = analyse_listing("小米12S Ultra 8+256 黑色", "拍照比我之前的iPhone 12好多了。")
    assert "iphon" not in xiaomi.body_terms
    assert "iphon" in analyse_listing("iPhone 13 蓝色", "iPhone 13 电池90").body_terms


@pytest.mark.parametrize(("q", "expected"), [
    ("冼衣机", "洗衣机"),  # one character off, the same initial sound (not 干衣机)
    ("投影议", "投影仪"),
    ("电饭包", "电饭煲"),  # a compound read as a 包 that sounds like a market word
])
def test_chinese_slips_are_read_as_the_market_word(q, expected):
    assert query_tokens(q) == [expected]


def test_real_words_and_abbreviations_are_left_alone_or_widened():
    assert query_tokens("洗衣粉") == ["洗衣粉"]
    assert "高等数学" in query_groups("高数")[0]


def test_an_unknown_english_word_one_edit_from_a_known_one_is_read_as_both():
    assert set(query_groups("macbok")[0]) >= {"macbok", "macbook"}


def test_a_ten_digit_code_that_is_no_isbn_is_kept_as_a_code():
    assert query_groups("90919-02252") == [("9091902252",)]
    assert query_groups("0-306-40615-2") == [("9780306406157",)]  # a real ISBN-10: its 13-digit form


def test_a_brand_before_a_slip_stays_and_the_rest_is_read_as_the_market_word():
    assert query_tokens("戴森吸成器")[-1] == "吸尘器"


def test_a_denied_device_leaves_its_accessory_as_the_item():
    listing = analyse_listing("戴森V10吸尘器 滤网 替换装", "全新两个，只是滤网不是吸尘器。")
    assert listing.accessory and "滤网" in listing.title_terms and "吸尘器" not in listing.concepts
