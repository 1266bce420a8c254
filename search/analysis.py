"""What a listing's text says it is, and what a query asks for: search.text's words, read with the
product vocabulary (search.vocabulary).

A text is read clause by clause (a clause ends at punctuation), its words as search.text segments
them. In a listing:

- a mention under negation, or of something already gone, is dropped: 不含音箱, 相机已出, 镜头另售,
  "sofa not included", "without remote";
- a passing mention in the title (送手机壳, 适用iPhone 13, "for BMW N20", "charger included") is not
  what the listing is: it is indexed with the description;
- a compound's modifier is not indexed alone: 钢琴凳 is a 凳子 (a stool), not a 钢琴, 洗衣机罩 a 罩,
  "camera strap" a strap; the compound is indexed whole and its head says what it is;
- the description's mentions of other products than the listing's own kind (送原装充电器 in a phone,
  可投屏到电视 in a projector) are not indexed: the listing is not those things. Its own kind is the
  concept of its title's words, or of its category when the category is of one kind (phones);
- an English phrase of the vocabulary is one term (washing machine, coffee table); a word of it that
  names another product (tv in "tv stand") is not indexed alone.

A query is read the same way (without the listing rules), so both agree on compounds and phrases;
each of its words becomes an OR-group of the word, its concept's words and its synonyms.
"""
import re
from dataclasses import dataclass, field
from functools import lru_cache

from search.text import (
    _CUT_PIECE,
    ALNUM_RE,
    HAN_RE,
    LETTER_DIGIT_RE,
    _identifier_terms,
    _identifiers,
    _unique,
    correct_pinyin_slip,
    cut_block,
    isbn_forms,
    market_compounds,
    market_vocabulary,
    normalize,
    one_edit_variants,
    stem,
    sub_words,
    synonym_groups,
    synonym_phrases,
    term_of,
    tokenizer,
    user_dictionary,
)
from search.vocabulary import MAX_PHRASE_WORDS, vocabulary

# Clause breaks: punctuation (a period or colon only before a space or at the end: 13.5寸, 4G0.941.033).
_CLAUSE_BREAK = re.compile(r"[，,。;；!！?？、|\n\r\t【】\[\]()（）{}~～《》「」]+|[.:](?=\s|$)")
_LATIN = re.compile(r"^[a-z]+$")
# Identifiers written in pieces: 1K0 121 011, 06H 905 115 B, 4G0.941.033 (glued: 1k0121011).
_SPACED_CODE = re.compile(r"(?<![0-9a-z])[0-9a-z]{1,8}(?:[ .\-][0-9a-z]{1,8}){1,6}(?![0-9a-z])")
_CODE_SEPARATORS = re.compile(r"[ .\-]")
_DIGIT = re.compile(r"\d")
SPACED_CODE_MIN_LENGTH = 6
# A plus between words in a title, not between numbers (8+256G).
_BUNDLE_PLUS = re.compile(r"\s*\+\s*(?=[^\d\s+])")

# Cues, as index terms (English stemmed). A cue before a mention applies to the rest of its chunk (a
# run of text without spaces), or to the next chunk when it ends its own (and to the English words
# that follow); a cue after a mention applies to what comes before it in the same way.
NEGATION_BEFORE = frozenset({
    "不含", "不带", "不包括", "不包含", "没有", "不送", "不配", "不附", "无", "缺", "没带", "不包邮送",
    "without", "no", "exclud", "except", "不是", "并非", "非",
})
NEGATION_AFTER = frozenset({
    "已出", "已送", "已卖", "已售", "已出售", "另售", "另拍", "单独拍", "不送", "不带", "不含", "不包括", "不包含",
    "卖了", "出了", "卖掉", "出掉", "卖出", "已卖出", "送人", "已送人", "没了", "没有", "没有了", "不在了", "丢了",
    "不要了", "不出", "自留", "另购", "需另购", "不卖", "不在",
})
# Cues of two words (jieba splits them): (first, second).
NEGATION_BEFORE_PAIRS = frozenset({("不", "含"), ("不", "带"), ("不", "配"), ("不", "送"), ("没", "有"), ("不", "包括")})
NEGATION_AFTER_PAIRS = frozenset({
    ("已", "出"), ("已", "送"), ("已", "卖"), ("已经", "卖"), ("已经", "出"), ("已经", "送"), ("另", "售"),
    ("另", "拍"), ("不", "含"), ("不", "带"), ("not", "includ"), ("sold", "separ"), ("sell", "separ"),
    ("alreadi", "sold"), ("sold", "alreadi"), ("been", "sold"), ("not", "for"), ("sold", "out"),
})
PASSING_BEFORE = frozenset({
    "送", "赠", "赠送", "附送", "附赠", "附", "附带", "配", "带", "含", "加送", "外加", "再送", "适用", "适用于", "适配",
    "兼容", "用于", "可放", "可装", "投屏", "投屏到", "可投屏", "搭配", "配合", "可连", "送给", "另送",
    "可变", "可改", "可改成", "改成", "变成", "可当", "当作", "可做", "可作",  # 婴儿床 可变书桌: a crib
    "适合", "配套", "换新", "换了", "换过", "更换", "新换", "已换", "刚换",  # 换新电池: a new battery in it
    "for", "fit", "compat", "with", "includ",
})
PASSING_AFTER = frozenset({"includ", "另送", "赠品", "送的", "通用", "专用", "可用"})
ALL_CUES = NEGATION_BEFORE | NEGATION_AFTER | PASSING_BEFORE | PASSING_AFTER | frozenset(
    word for pair in NEGATION_BEFORE_PAIRS | NEGATION_AFTER_PAIRS for word in pair
)
# Stopwords that are cues: kept in a clause's words for the cue, never indexed.
CUE_STOPWORDS = frozenset({"for", "with"})
# Cues jieba may glue to the word they apply to (不带充电器).
GLUED_CUES = ("不带", "不含", "不送", "不配", "没有", "不包括", "不包含", "赠送", "附送", "适用于", "适用", "适配", "可变", "可改", "可当", "换新", "更换")

ITEM, PASSING, NEGATED = "item", "passing", "negated"


@dataclass(frozen=True)
class Word:
    term: str
    concept: str | None = None  # the vocabulary concept the word names (a compound: its head's)
    extras: tuple[str, ...] = ()  # more index terms of the word (sub-words, letter/digit parts, a compound's head)
    compound: bool = False  # a modifier and a head (钢琴凳): found by itself, not by its concept's words
    cue: bool = False  # a stopword kept only as a cue (for, with): never indexed
    variants: tuple[str, ...] = ()  # a compound with its head's other endings (钢琴凳子: 钢琴凳)
    # Worked out once per word (words are cached and shared; every clause asks): an English word;
    # English or a code (n20, 1k0), what an English cue reaches on from the word it names.
    latin: bool = field(init=False, repr=False, compare=False)
    ascii: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "latin", bool(_LATIN.match(self.term)))
        object.__setattr__(self, "ascii", bool(ALNUM_RE.match(self.term)))


@dataclass
class ListingText:
    """What a listing's title and description give the index."""

    title_terms: list[str] = field(default_factory=list)
    body_terms: list[str] = field(default_factory=list)
    concepts: list[str] = field(default_factory=list)  # what the title says the listing is, with the broader kinds
    identifiers: list[str] = field(default_factory=list)
    accessory: bool = False
    title_normalized: str = ""  # search.text.normalize(title)


# --------------------------------------------------------------------------------- words --

def _base_dictionary_word(term: str) -> bool:
    """A word of jieba's own dictionary (not one the market files added)."""
    return tokenizer().FREQ.get(term, 0) > 0 and term not in market_compounds()


def _ending_head(term: str) -> str | None:
    """The concept a word heads compounds of by the vocabulary's endings: an ending (罩, 凳, 支架) or
    a word of a concept with endings."""
    vocab = vocabulary()
    name = vocab.endings.get(term)
    if name is None:
        concept = vocab.concept(term)
        if concept is not None and concept.endings:
            name = concept.name
    return name


def _head_concept(term: str) -> str | None:
    """The concept a word heads compounds of: by its endings (`_ending_head`), or as an accessory's
    word (自行车头盔 is a helmet, 电饭煲内胆 an inner pot)."""
    name = _ending_head(term)
    if name is None:
        concept = vocabulary().concept(term)
        if concept is not None and vocabulary().is_accessory(concept.name):
            name = concept.name
    return name


def _is_product(name: str | None) -> bool:
    """Is this concept a kind of product (no model, no category name alone)?"""
    if not name:
        return False
    concept = vocabulary().concepts[name]
    return not concept.model and (not concept.categories or concept.typed)


def _may_modify(term: str) -> bool:
    """May this Chinese word be a compound's modifier (钢琴 in 钢琴凳)? A product that is no model, or a
    word that is neither a product nor a brand or other synonym (水族 in 水族灯), nor a cue (不带)."""
    if len(term) < 2 or not HAN_RE.search(term) or term in ALL_CUES:
        return False
    concept = vocabulary().concept(term)
    if concept is not None:
        return not concept.model
    return term not in synonym_groups() and term not in user_dictionary()


def _compound_ending(term: str) -> str | None:
    """The ending of a Chinese word that is a compound (耳机套: 套): not itself a vocabulary or
    dictionary word, and with something before the ending."""
    vocab = vocabulary()
    if len(term) < 2 or not HAN_RE.search(term) or term in vocab.by_term or _base_dictionary_word(term):
        return None
    for size in (3, 2, 1):
        ending = term[-size:]
        if len(term) > size and ending in vocab.endings:
            return ending
    return None


def _compound(modifier: str, head_word: str, head: str) -> Word:
    """钢琴 + 凳子: the compound 钢琴凳子, a 凳子, also spelt with the head's endings (钢琴凳)."""
    term = modifier + head_word
    variants = tuple(modifier + ending for ending in vocabulary().concepts[head].endings
                     if modifier + ending != term)
    return Word(term, head, extras=(head_word,), compound=True, variants=variants)


def _word(term: str) -> Word:
    vocab = vocabulary()
    concept = vocab.by_term.get(term)
    if concept is not None:
        return Word(term, concept)
    ending = _compound_ending(term)
    if ending is not None:
        return _compound(term[:-len(ending)], ending, vocab.endings[ending])
    return Word(term, None, extras=(*sub_words(term), *_alnum_parts(term)))


def _alnum_parts(term: str) -> list[str]:
    """iphone12 -> iphone, 12 (the whole stays too); plain words and numbers are not split."""
    if not ALNUM_RE.match(term):
        return []
    parts = LETTER_DIGIT_RE.findall(term)
    return [stem(p) for p in parts if p.isdigit() or len(p) > 1] if len(parts) > 1 else []


def _block_terms(block: str) -> list[str]:
    """The terms of a run's words; a word that starts with a cue of two characters or more is two
    terms (不带充电器: 不带, 充电器); stopwords that are cues (for, with) are kept."""
    terms = []
    for piece in cut_block(block):
        term = term_of(piece)
        if term is None:
            if piece in CUE_STOPWORDS:
                terms.append(piece)
            continue
        for cue in GLUED_CUES:
            if term.startswith(cue) and len(term) > len(cue):
                terms.extend((cue, term[len(cue):]))
                break
        else:
            terms.append(term)
    return terms


@lru_cache(maxsize=65536)  # listings repeat their phrases: analyse each run once
def block_words(block: str) -> tuple[Word, ...]:
    """The words of one run of `jieba.re_han_default` (search.text.cut_block), with compounds found:
    a Chinese word glued to an ending or a head word right after it (洗衣机 罩, 鱼缸 灯, 空调 遥控器),
    read from the end, where Chinese puts the head (汽车 座椅 套 is a car's 座椅套, a cover)."""
    terms = _block_terms(block)
    vocab = vocabulary()
    out: list[Word] = []
    index = len(terms) - 1
    while index >= 0:
        term = terms[index]
        if term in CUE_STOPWORDS:
            out.append(Word(term, cue=True))
            index -= 1
            continue
        previous = terms[index - 1] if index > 0 else None
        if previous is not None and previous + term not in vocab.by_term and _may_modify(previous):
            head = _head_concept(term)
            modifier = vocab.by_term.get(previous)
            if head is not None and _ending_head(term) is None and not _is_product(modifier):
                head = None  # an accessory's word heads what a product glued before it is for, not 只是 滤网
            if head is not None and not (modifier and _same_kind(modifier, head)):
                # Products glued before the modifier modify too (空调 外机 支架: a bracket).
                start = index - 1
                while start > 0 and _is_product(vocab.by_term.get(terms[start - 1])) and _may_modify(terms[start - 1]):
                    start -= 1
                out.append(_compound("".join(terms[start:index]), term, head))
                index = start - 1
                continue
        out.append(_word(term))
        index -= 1
    return tuple(reversed(out))


# ------------------------------------------------------------------------------- clauses --

@dataclass(slots=True)
class _Chunk:
    words: tuple[Word, ...]
    spaced: bool  # only spaces (or hyphens) between it and the chunk before


def _chunks(clause: str) -> list[_Chunk]:
    chunks, end = [], 0
    for match in _CUT_PIECE.finditer(clause):
        start = match.start()
        words = block_words(match.group())
        if words:
            chunks.append(_Chunk(words, spaced=start == end or not clause[end:start].strip(" -")))
        end = match.end()
    return chunks


def _cue_at(flat: list[tuple[int, Word]], index: int, singles, pairs) -> int:
    """How many words the cue starting at flat position `index` takes (0: none)."""
    if index + 1 < len(flat) and (flat[index][1].term, flat[index + 1][1].term) in pairs:
        return 2
    return 1 if flat[index][1].term in singles else 0


def _scope(chunks: list[_Chunk], flat: list[tuple[int, Word]], start: int, step: int) -> list[int]:
    """Flat positions a cue at `start` (exclusive) reaches in direction `step`: the rest of its
    chunk; when nothing is left there, the next chunk, and the English words right after it."""
    chunk = flat[start][0]
    same = []
    index = start + step
    while 0 <= index < len(flat) and flat[index][0] == chunk:
        same.append(index)
        index += step
    if same:
        return same
    out, first_chunk = [], None
    while 0 <= index < len(flat):
        chunk_index = flat[index][0]
        if first_chunk is None:
            first_chunk = chunk_index
        elif chunk_index != first_chunk and not (
            all(w.ascii for w in chunks[first_chunk].words) and all(w.ascii for w in chunks[chunk_index].words)
        ):
            break
        out.append(index)
        index += step
    return out


def _cue_kind(before, after, pairs_before, pairs_after, role):
    """A kind of cue with the words any of its cues starts with."""
    starts = frozenset(before | after | {pair[0] for pair in pairs_before | pairs_after})
    return before, after, pairs_before, pairs_after, role, starts


_CUE_KINDS = (
    _cue_kind(NEGATION_BEFORE, NEGATION_AFTER, NEGATION_BEFORE_PAIRS, NEGATION_AFTER_PAIRS, NEGATED),
    _cue_kind(PASSING_BEFORE, PASSING_AFTER, frozenset(), frozenset(), PASSING),
)
_CUE_STARTS = frozenset().union(*(kind[-1] for kind in _CUE_KINDS))


def _roles(chunks: list[_Chunk], *, passing_cues: bool) -> tuple[list[tuple[int, Word]], list[str]]:
    """The clause's words in order (with their chunk) and the role of each: ITEM, PASSING or NEGATED
    (the cue words themselves are NEGATED: they are not indexed)."""
    flat = [(c, word) for c, chunk in enumerate(chunks) for word in chunk.words]
    roles = [ITEM] * len(flat)
    kinds = _CUE_KINDS if passing_cues else _CUE_KINDS[:1]
    if all(word.term not in _CUE_STARTS for _chunk, word in flat):
        return flat, roles  # no cue of any kind in the clause (most clauses)
    index = 0
    while index < len(flat):
        size = 0
        for before, after, pairs_before, pairs_after, role, starts in kinds:
            if flat[index][1].term not in starts:
                continue  # no cue of this kind starts here (most words)
            size_after = _cue_at(flat, index, after, pairs_after)
            size_before = _cue_at(flat, index, before, pairs_before)
            if not size_after and not size_before:
                continue
            size = max(size_after, size_before)
            last = index + size - 1
            # A cue that can go either way (不带) looks ahead when its chunk goes on after it.
            ahead = size_before and (not size_after or (last + 1 < len(flat) and flat[last + 1][0] == flat[last][0]))
            reached = _scope(chunks, flat, last, 1) if ahead else _scope(chunks, flat, index, -1)
            for position in reached:
                if roles[position] != NEGATED:
                    roles[position] = role
            for position in range(index, index + size):
                roles[position] = NEGATED
            break
        index += size or 1
    return flat, roles


def _clauses(normalized: str) -> list[str]:
    return [clause for clause in _CLAUSE_BREAK.split(normalized) if clause.strip()]


def _join_phrases(chunks: list[_Chunk], flat: list[tuple[int, Word]], roles: list[str]) -> tuple[list[Word], list[str]]:
    """The clause's words in order with their roles, English phrases of the vocabulary joined and
    English compounds found (a product word before a head word: "camera strap")."""
    vocab = vocabulary()
    words = [word for _chunk, word in flat]
    latin = [word.latin for word in words]
    # May this word join the one before (both English, only spaces between)?
    joinable = [
        latin[index] and index > 0 and latin[index - 1] and (flat[index - 1][0] == chunk or chunks[chunk].spaced)
        for index, (chunk, _word) in enumerate(flat)
    ]
    if not any(joinable):
        return words, roles  # no English word follows another: no phrase and no English compound
    out_words, out_roles = [], []
    index = 0
    while index < len(words):
        word = words[index]
        if latin[index]:
            joined = _phrase_at(words, joinable, index)
            if joined is not None:
                size, term = joined
                name = vocab.by_term.get(term)
                kept = tuple(w.term for w in words[index:index + size] if name is None or not _names_other(w, name))
                out_words.append(Word(term, name, extras=kept))
                out_roles.append(_strongest(roles[index:index + size]))
                index += size
                continue
            following = words[index + 1] if index + 1 < len(words) else None
            if (following is not None and joinable[index + 1] and word.concept
                    and not vocab.is_model(word.concept) and following.concept
                    and vocab.concepts[following.concept].endings
                    and not vocab.related(word.concept, following.concept)):
                out_words.append(Word(word.term + following.term, following.concept, extras=(following.term,),
                                      compound=True))
                out_roles.append(_strongest(roles[index:index + 2]))
                index += 2
                continue
        out_words.append(word)
        out_roles.append(roles[index])
        index += 1
    return out_words, out_roles


@lru_cache(maxsize=1)
def _phrases() -> dict[tuple[str, ...], str]:
    """English entries of several words, of the vocabulary and of the synonyms: words -> term."""
    return {**synonym_phrases(), **vocabulary().phrases}


def _phrase_at(words: list[Word], joinable: list[bool], index: int) -> tuple[int, str] | None:
    if index + 1 >= len(words) or not joinable[index + 1]:
        return None  # no English word right after it: no phrase starts here
    phrases = _phrases()
    for size in range(min(MAX_PHRASE_WORDS, len(words) - index), 1, -1):
        if all(joinable[index + k] for k in range(1, size)):
            key = tuple(w.term for w in words[index:index + size])
            if key in phrases:
                return size, phrases[key]
    return None


def _names_other(word: Word, name: str) -> bool:
    """A word of a phrase that names another product than the phrase (tv in tv stand)."""
    return word.concept is not None and not vocabulary().related(word.concept, name)


def _strongest(roles: list[str]) -> str:
    return NEGATED if NEGATED in roles else PASSING if PASSING in roles else ITEM


def read_words(normalized: str, *, cues: bool, passing_cues: bool = False) -> list[tuple[Word, str]]:
    """The words of a normalized text with their roles, clause by clause."""
    out = []
    for clause in _clauses(normalized) if cues else [normalized]:
        out.extend(clause_words(clause, cues, passing_cues))
    return out


@lru_cache(maxsize=65536)  # listings repeat their clauses (九成新, 需自提, 可小刀): read each once
def clause_words(clause: str, cues: bool, passing_cues: bool) -> tuple[tuple[Word, str], ...]:
    """The words of one clause with their roles (see read_words)."""
    chunks = _chunks(clause)
    if cues:
        flat, roles = _roles(chunks, passing_cues=passing_cues)
    else:
        flat = [(c, word) for c, chunk in enumerate(chunks) for word in chunk.words]
        roles = [ITEM] * len(flat)
    words, word_roles = _join_phrases(chunks, flat, roles)
    return tuple((word, role) for word, role in zip(words, word_roles, strict=True) if not word.cue)


# ------------------------------------------------------------------------------ listings --

def spaced_codes(normalized: str) -> list[tuple[str, tuple[str, ...]]]:
    """Identifiers written in pieces (1k0 121 011, 4g0.941.033): (glued, pieces), from the first piece
    with a digit on (LED 4G0.941.033 is 4g0941033), for two pieces or more with a digit and six
    characters or more."""
    out = []
    if not _DIGIT.search(normalized):
        return out
    for match in _SPACED_CODE.finditer(normalized):
        pieces = _CODE_SEPARATORS.split(match.group())
        while pieces and not _DIGIT.search(pieces[0]):
            pieces.pop(0)
        glued = "".join(pieces)
        if sum(1 for piece in pieces if _DIGIT.search(piece)) >= 2 and len(glued) >= SPACED_CODE_MIN_LENGTH:
            out.append((glued, tuple(pieces)))
    return out


def _with_extras_passing(words: list[tuple[Word, str]]) -> list[tuple[Word, str]]:
    """A title's head is its first product word that is no model (iPhone 13 手机壳: 手机壳). A later
    product of the other sort, accessory or device, is an extra, not what the listing is: a device
    an accessory fits (骑行头盔 山地车通用), an accessory that comes with a device (PS5 游戏机 手柄).
    Models stay (AirPods Pro 保护套 is found by airpods, below the AirPods)."""
    vocab = vocabulary()
    head = next((word.concept for word, role in words
                 if role == ITEM and word.concept and not vocab.is_model(word.concept)), None)
    if head is None:
        return words
    out = []
    for word, role in words:
        if (role == ITEM and word.concept and not vocab.is_model(word.concept) and not vocab.related(word.concept, head)
                and vocab.is_accessory(word.concept) != vocab.is_accessory(head)):
            role = PASSING
        out.append((word, role))
    return out


def _kinds(words: list[Word]) -> list[str]:
    """The concepts the words name and every broader one."""
    vocab = vocabulary()
    return _unique(name for word in words if word.concept for name in vocab.lineage(word.concept))


def is_accessory(concepts: list[str]) -> bool:
    """A title naming an accessory and no device but models (iPhone 13 手机壳, AirPods Pro 保护套)."""
    vocab = vocabulary()
    named = [name for name in concepts if name in vocab.concepts]
    accessories = [name for name in named if vocab.is_accessory(name)]
    if not accessories:
        return False
    return not any(not vocab.is_accessory(name) and not vocab.is_model(name)
                   and not any(name in vocab.lineage(other) for other in accessories) for name in named)


def made_for_models(concepts: list[str], category_concepts: tuple[str, ...] = ()) -> bool:
    """Words naming models and then a product of another kind: a thing made for those models,
    as an accessory is (iPad Air 妙控键盘 is a keyboard for an iPad; PS5 散热底座). Not when the
    product is what the listing's category holds (Galaxy Tab 平板 among tablets), nor for a model
    the vocabulary gives no kind."""
    vocab = vocabulary()
    named = [name for name in concepts if name in vocab.concepts]
    models = [name for name in named if vocab.is_model(name)]
    head = next((name for name in named if not vocab.is_model(name)), None)
    if not models or head is None or any(len(vocab.lineage(model)) < 2 for model in models):
        return False
    concept = vocab.concepts[head]
    if concept.categories and not concept.typed:
        return False
    return not any(_same_kind(head, other) for other in (*models, *category_concepts))


def _may_be_filed_in(concept: str, category_slugs: tuple[str, ...]) -> bool:
    """Could a product of this concept be filed in one of these categories? (A printer's description
    that says 支持手机打印 does not make it a phone.) Yes when the vocabulary files it nowhere."""
    if not category_slugs:
        return True
    vocab = vocabulary()
    filed = {slug for name in vocab.lineage(concept) for slug in vocab.concepts[name].categories}
    return not filed or bool(filed & set(category_slugs))


def names_other_kind(concepts: list[str], kinds: tuple[str, ...], category_slugs: tuple[str, ...] = ()) -> bool:
    """Does a title name a product that may be filed in its category, none of one kind with these
    (a category's kind: AirPods filed among phones; the Turbo of a Redmi Note is no turbocharger)?"""
    vocab = vocabulary()
    products = [name for name in concepts if name in vocab.concepts
                and (not vocab.concepts[name].categories or vocab.concepts[name].typed)
                and _may_be_filed_in(name, category_slugs)]
    return bool(products) and not any(_same_kind(name, kind) for name in products for kind in kinds)


def _same_kind(a: str, b: str) -> bool:
    """Are two concepts kinds of one product (AirPods and 降噪耳机: both 耳机)? Sharing a category
    (数码) is not enough."""
    vocab = vocabulary()
    shared = set(vocab.lineage(a)) & set(vocab.lineage(b))
    return any(not vocab.concepts[name].categories or vocab.concepts[name].typed for name in shared)


@dataclass(frozen=True)
class _TitleReading:
    """What `analyse_listing` takes from a title (with its category's concepts): the same for every
    listing with that title, so it is worked out once (half the titles of a corpus repeat)."""

    normalized: str
    title_terms: tuple[str, ...]
    identifiers: tuple[str, ...]
    concepts: tuple[str, ...]
    accessory: bool
    kinds: frozenset[str]
    passing: tuple[Word, ...]


@lru_cache(maxsize=16384)
def _read_title(title: str, category_concepts: tuple[str, ...]) -> _TitleReading:
    vocab = vocabulary()
    normalized = normalize(title)
    found, rest = _identifiers(normalized)
    identifiers = [*_identifier_terms(found, rest), *(glued for glued, _pieces in spaced_codes(rest))]
    title_words = _with_extras_passing(read_words(rest, cues=True, passing_cues=True))
    items = [word for word, role in title_words if role == ITEM]
    passing = [word for word, role in title_words if role == PASSING]
    head_words = [word for word in items if word.concept]
    # A bundle (iPad Pro + 妙控键盘, 电磁炉+电饭煲; 8+256G is none) is every item it names; whether it
    # is an accessory is read before the plus (an iPad with its keyboard is no keyboard for an iPad).
    first = _BUNDLE_PLUS.split(rest, maxsplit=1)
    if len(first) > 1:
        lead = [word.concept for word, role in _with_extras_passing(read_words(first[0], cues=True, passing_cues=True))
                if role == ITEM and word.concept]
    else:
        lead = [word.concept for word in head_words]
    accessory = is_accessory(lead) or made_for_models(lead, category_concepts)
    own_kinds = _kinds(head_words)
    # What the listing is, for queries: an accessory is not the device its models name (AirPods Pro
    # 保护套 is no 耳机); a model says its brand (MacBook: 苹果).
    named = [word for word in head_words if not (accessory and vocab.is_model(word.concept))]
    brands = [] if accessory else [brand for word in head_words for brand in vocab.concepts[word.concept].brands]
    # Its own kinds, without the broad ones of categories (家用电器 holds both 投影仪 and 电视).
    # A category's kind only when the title names none or one of that kind (a laptop bag filed among
    # computers is a bag: its 适合MacBook is a passing mention).
    named_kinds = _own_kinds(own_kinds)
    if named_kinds and not any(_same_kind(kind, c) for kind in named_kinds for c in category_concepts):
        category_concepts = ()
    kinds = _own_kinds([*own_kinds, *(n for c in category_concepts for n in vocab.lineage(c))])
    title_terms = []
    for word in items:
        title_terms.append(word.term)
        title_terms.extend(word.variants)
        title_terms.extend(word.extras)
    return _TitleReading(
        normalized=normalized,
        title_terms=tuple(_unique([*title_terms, *found, *identifiers])),
        identifiers=tuple(identifiers),
        concepts=tuple(_unique([*_kinds(named), *brands])),
        accessory=accessory,
        kinds=kinds,
        passing=tuple(passing),
    )


def _own_kinds(names) -> frozenset[str]:
    """The concepts that say what a listing is: not the broad ones of categories, unless typed."""
    vocab = vocabulary()
    return frozenset(name for name in names if not vocab.concepts[name].categories or vocab.concepts[name].typed)


def _mention_terms(words, kinds: frozenset[str], fits_devices: bool = False,
                   brands: frozenset[str] = frozenset()) -> list[str]:
    """The index terms of a listing's body words (and its title's passing ones), without the words
    of another product than the listing's own kinds, nor models of other brands than the title's
    (比我之前的iPhone好 in a Xiaomi listing); but an accessory keeps the devices and models it fits
    (手机壳 适用iPhone 13 is found by "iphone 13 手机壳")."""
    vocab = vocabulary()
    terms = []
    for word in words:
        for term in (word.term, *word.variants, *word.extras):
            concept = word.concept if term == word.term else vocab.by_term.get(term) or vocab.endings.get(term)
            if (concept and kinds and not any(vocab.related(concept, kind) for kind in kinds)
                    and not (fits_devices and not vocab.is_accessory(concept))):
                continue  # another product than the listing's own kind: a passing mention
            if concept and brands and vocab.is_model(concept) and not brands & set(vocab.concepts[concept].brands):
                continue  # another brand's model: a comparison, not the item
            terms.append(term)
    return terms


@lru_cache(maxsize=1)
def _brand_names() -> frozenset[str]:
    """The brands models are of (`by:` in the vocabulary), as their index terms (苹果, 小米)."""
    return frozenset(brand for concept in vocabulary().concepts.values() for brand in concept.brands)


def _title_brands(title_terms) -> frozenset[str]:
    """The brands a title names (xiaomi, 小米: 小米), through the synonyms."""
    brands, groups = _brand_names(), synonym_groups()
    return frozenset(name for term in title_terms for name in (term, *groups.get(term, ())) if name in brands)


@lru_cache(maxsize=65536)  # descriptions repeat their clauses (九成新, 可小刀) within a kind of listing
def _body_clause_terms(clause: str, kinds: frozenset[str], fits_devices: bool = False,
                       brands: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """`_mention_terms` of one clause of a body (its negated words left out)."""
    words = (word for word, role in clause_words(clause, True, False) if role != NEGATED)
    return tuple(_mention_terms(words, kinds, fits_devices, brands))


def analyse_listing(title: str, body: str, category_concepts: tuple[str, ...] = (),
                    category_slugs: tuple[str, ...] = ()) -> ListingText:
    """The index terms of a listing's title and body (body: description and attributes).

    `category_concepts`: the concepts of the listing's category when it is of one kind (phones): its
    kind when the title names none. `category_slugs`: its category and those above it.
    """
    vocab = vocabulary()
    title_reading = _read_title(title, category_concepts)
    result = ListingText(
        title_terms=list(title_reading.title_terms), concepts=list(title_reading.concepts),
        identifiers=list(title_reading.identifiers), accessory=title_reading.accessory,
        title_normalized=title_reading.normalized,
    )
    kinds = title_reading.kinds

    body_found, body_rest = _identifiers(normalize(body))
    clauses = _clauses(body_rest)
    if not kinds:
        # A title that names nothing (自用闲置 低价出): the first product its description names is it.
        body_words = (word for clause in clauses for word, role in clause_words(clause, True, False) if role != NEGATED)
        first = next((word for word in body_words if word.concept and not vocab.is_accessory(word.concept)
                      and _may_be_filed_in(word.concept, category_slugs)), None)
        if first is not None:
            kinds = _own_kinds(vocab.lineage(first.concept))
            result.concepts = _unique([*result.concepts, *vocab.lineage(first.concept),
                                       *vocab.concepts[first.concept].brands])
    # The body is read clause by clause, each clause's terms cached (read_words reads the same clauses).
    fits_devices = title_reading.accessory
    brands = frozenset() if fits_devices else _title_brands(title_reading.title_terms)
    body_terms = _mention_terms(title_reading.passing, kinds, fits_devices, brands)
    for clause in clauses:
        body_terms.extend(_body_clause_terms(clause, kinds, fits_devices, brands))
    result.body_terms = _unique([*body_terms, *body_found, *(glued for glued, _pieces in spaced_codes(body_rest))])
    if not result.accessory and clauses:
        _deny_excluded_products(result, clauses, title_reading.passing)
    return result


def _deny_excluded_products(result: ListingText, clauses: list[str], passing: tuple[Word, ...]) -> None:
    """A title's product that the description says is not included (电钻钻头套装 ... 不含电钻;
    空调外机支架 ... 不含空调) is no item but what the listing is for: it is left out of what the
    listing is, which is an accessory, and the title's accessories read as extras are the item
    (戴森V10吸尘器 滤网 ... 不是吸尘器: a filter)."""
    vocab = vocabulary()
    negated = {word.concept for clause in clauses for word, role in clause_words(clause, True, False)
               if role == NEGATED and word.concept and _is_product(word.concept)}
    if not negated:
        return
    denied = {name for name in result.concepts if name in vocab.concepts and _is_product(name)
              and any(vocab.related(name, other) for other in negated)}
    if denied:
        items = [word for word in passing if word.concept and vocab.is_accessory(word.concept)]
        result.concepts = _unique([*(name for name in result.concepts if name not in denied),
                                   *(name for word in items for name in vocab.lineage(word.concept))])
        result.title_terms = _unique([*result.title_terms, *(term for word in items
                                                             for term in (word.term, *word.variants, *word.extras))])
        result.accessory = True


# ------------------------------------------------------------------------------- queries --

# Words buyers add that say nothing a listing must say (二手 iPhone: every listing is second-hand):
# left out of a query that has other words.
QUERY_NOISE = frozenset({
    "二手", "闲置", "转让", "出售", "急售", "急出", "低价", "便宜", "自用", "个人", "正品", "求", "出", "好货",
    "全新", "九成新", "八成新", "95新", "99新", "9成新", "几乎全新", "成色好",  # a wish the condition filter answers
    "use", "second", "hand", "secondhand", "preown", "cheap", "sale",
})


def query_words(text: str) -> list[Word]:
    """The words of a query (no listing rules), identifiers first, pinyin slips corrected, market
    noise (二手, 闲置, used) left out when other words remain."""
    found, rest = _identifiers(normalize(text), strip_codes=True)
    # A queried ISBN-10 is looked up by its 13-digit form (both forms are indexed).
    words = [Word(token) for token in found if not (len(token) == 10 and token[:9].isdigit() and isbn_forms(token))]
    rest = _HAN_RUN.sub(lambda match: _one_character_slip(match.group()), rest)
    words.extend(_spaced_compounds(_correct_slips([word for word, _role in read_words(rest, cues=False)])))
    seen, out = set(), []
    for word in words:
        if word.term not in seen:
            seen.add(word.term)
            out.append(word)
    meaningful = [word for word in out if word.term not in QUERY_NOISE]
    return meaningful or out


_HAN_RUN = re.compile(r"(?<![\u4e00-\u9fff])[\u4e00-\u9fff]{3,6}(?![\u4e00-\u9fff])")  # a whole run


@lru_cache(maxsize=4096)
def _one_character_slip(run: str) -> str:
    """A run of Chinese that is no word and that jieba can only cut into single characters here and
    there (冼衣机: 冼 衣 机), read as the one market word it is one character away from (洗衣机).
    A word of the dictionary (洗衣粉) or one with another sound-alike reading is left alone."""
    if tokenizer().FREQ.get(run, 0) > 0 or run in vocabulary().by_term or correct_pinyin_slip(run) != run:
        return run
    pieces = tokenizer().lcut(run, HMM=False)
    if all(len(piece) >= 2 for piece in pieces):
        return run
    lead = pieces[0]
    if len(lead) >= 2 and len(run) - len(lead) >= 3:
        rest = _one_character_slip(run[len(lead):])  # 戴森吸成器: the brand, then 吸尘器
        if rest != run[len(lead):]:
            return lead + rest
    index = _one_character_index()
    found = {(i, word) for i in range(len(run)) for word in index.get(run[:i] + "?" + run[i + 1:], ())}
    if len(found) > 1:
        # Several words one character away (洗衣机, 干衣机): the one whose character starts with the
        # same sound (冼 xian, 洗 xi).
        from pypinyin import Style, pinyin

        def initial(ch: str) -> str:
            return pinyin(ch, style=Style.INITIALS, strict=False)[0][0] or ch

        found = {(i, word) for i, word in found if initial(word[i]) == initial(run[i])}
    return next(iter(found))[1] if len(found) == 1 else run


@lru_cache(maxsize=1)
def _one_character_index() -> dict[str, frozenset[str]]:
    """Market words of three to six Chinese characters by each pattern with one character unknown."""
    index: dict[str, set[str]] = {}
    for word in market_vocabulary():
        if 3 <= len(word) <= 6 and all(HAN_RE.match(ch) for ch in word):
            for i in range(len(word)):
                index.setdefault(word[:i] + "?" + word[i + 1:], set()).add(word)
    return {pattern: frozenset(words) for pattern, words in index.items()}


def _spaced_compounds(words: list[Word]) -> list[Word]:
    """A query's Chinese word and a head word after it, spaced (钢琴 凳子, 手机 壳), as the compound a
    listing glues them into (钢琴凳子 / 钢琴凳, 手机壳)."""
    out: list[Word] = []
    for word in words:
        previous = out[-1] if out else None
        if (previous is not None and not previous.compound and not word.compound and _chinese(previous.term)
                and _chinese(word.term) and _may_modify(previous.term)
                and previous.term + word.term not in vocabulary().by_term):
            head = _head_concept(word.term)
            if head is not None:
                out[-1] = _compound(previous.term, word.term, head)
                continue
        joined = previous.term + word.term if previous is not None else None
        if joined is not None and joined in vocabulary().by_term and _chinese(joined) and not previous.compound:
            out[-1] = _word(joined)  # 手机 壳 -> 手机壳, a word of its own
            continue
        out.append(word)
    return out


def _correct_slips(words: list[Word]) -> list[Word]:
    """Pinyin slips: an unknown Chinese word read as the market word that sounds like it (手鸡 -> 手机);
    two Chinese words in a row, not both products, tried as one word (收 鸡 -> 手机, 洗衣 几 -> 洗衣机)."""
    out: list[Word] = []
    index = 0
    while index < len(words):
        word = words[index]
        following = words[index + 1] if index + 1 < len(words) else None
        if (following is not None and _chinese(word.term) and _chinese(following.term)
                and len(word.term) + len(following.term) <= 4 and not (word.concept and following.concept)):
            joined = correct_pinyin_slip(word.term + following.term)
            if joined != word.term + following.term:
                out.append(_word(joined))
                index += 2
                continue
        if word.concept is None or word.compound:  # 电饭包 reads as a 包 but sounds like 电饭煲
            corrected = correct_pinyin_slip(word.term)
            if corrected != word.term:
                word = _word(corrected)
        out.append(word)
        index += 1
    return out


def _chinese(term: str) -> bool:
    return all(HAN_RE.match(ch) for ch in term)


def alternatives(word: Word) -> tuple[str, ...]:
    """A query word's OR-group: the word, its concept's name and its synonyms (a compound: itself).

    A listing whose title says any word of a concept has the concept's name in what it is
    (`category_tokens`), so the name alone finds them all: 笔电, laptop and 手提电脑 find each other
    through 笔记本电脑, without asking the engine for every word of the line (seven terms made the
    PostgreSQL rank of `laptop` 2.5 times as slow)."""
    terms = [word.term, *word.variants]
    if word.concept and not word.compound:
        terms.append(word.concept)
    terms.extend(synonym_groups().get(word.term, ()))
    return tuple(sorted(set(terms)))


def query_groups(text: str) -> list[tuple[str, ...]]:
    """What every backend matches a query with: one OR-group per query word; a listing must match
    every group (a later retry may relax that, see the backends). A word of an identifier written in
    pieces (06H 905 115 B) also matches the glued identifier."""
    words = query_words(text)
    groups = [alternatives(word) for word in words]
    # An unknown English word one edit from a known one is read as both (macbok: macbook too, even
    # when a seller wrote macbok as well).
    for index, word in typo_candidates(text, groups):
        if not is_known(word):
            correction = known_correction(word)
            if correction:
                groups[index] = tuple(sorted({*groups[index], *correction}))
    for glued, pieces in spaced_codes(_identifiers(normalize(text), strip_codes=True)[1]):
        # A word is one piece or several (jieba keeps 06k.145 together).
        runs = {"".join(pieces[i:j]) for i in range(len(pieces)) for j in range(i + 1, len(pieces) + 1)}
        for index, word in enumerate(words):
            if word.term in runs and word.term != glued:
                groups[index] = tuple(sorted({*groups[index], glued}))
    return groups


def asks_for_a_device(groups) -> bool:
    """Does a query (its OR-groups, `query_groups`) name a product that is no accessory, and no
    accessory (airpods, 相机, laptop; not 手机壳, "airpods case", 相机包, "ipad 键盘")? Its accessories
    are then left out while its words find a device: a case is a clear mistake among the AirPods,
    and stays findable by its own name. A query of brands, categories or unknown words only asks
    for no product in particular."""
    vocab = vocabulary()
    named = [next((vocab.by_term[term] for term in group if term in vocab.by_term), None) for group in groups]
    named = [name for name in named if name]
    if made_for_models(named):
        return False  # ipad 键盘: a keyboard for an iPad
    product = False
    for name in named:
        if vocab.is_accessory(name):
            return False
        concept = vocab.concepts[name]
        product = product or not concept.categories or concept.typed
    return product


# --------------------------------------------------------------------------- relaxations --

@dataclass(frozen=True)
class Relaxation:
    """A looser way to match a query: every group when `required` is None; else at least one of the
    `required` groups and at least `minimum` groups in all, the listings matching more groups first."""

    groups: tuple[tuple[str, ...], ...]
    required: tuple[int, ...] | None = None
    minimum: int = 1


def relaxations(text: str, groups: list[tuple[str, ...]], found: list[bool]) -> list[Relaxation]:
    """How to search again when no listing matches every word of a query (`groups`, its OR-groups;
    `found[i]`: some listing holds a term of group i), in the order to try them. Only a query that
    names a kind of product (or a model) is relaxed, and never down to a brand or a number alone:

    1. without the words no listing holds at all (a description the seller never used: 便携式),
       unless they are codes (x3 in "Mate X3" is the model asked for);
    2. listings that match one of its product words, widened to the broader kinds (单反 -> 相机: a
       Canon EOS camera for 佳能 单反), the most words first. The kind asked for decides ("MacBook
       电脑包" is a bag); its models only when it names no kind.
    """
    vocab = vocabulary()
    words = query_words(text)
    if len(words) != len(groups):
        return []
    kinds, models = [], []
    for index, word in enumerate(words):
        if word.concept:
            (models if vocab.is_model(word.concept) and not word.compound else kinds).append(index)
    if not kinds and not models:
        return []
    plans = []
    absent = [index for index, present in enumerate(found) if not present]
    if absent and not any(any(ch.isdigit() for ch in words[index].term) for index in absent):
        kept = [index for index in range(len(groups)) if index not in absent]
        if any(index in kept for index in kinds + models):
            plans.append(Relaxation(tuple(groups[index] for index in kept)))
    widened = list(groups)
    for index in kinds + models:
        word = words[index]
        concept = vocab.concepts[word.concept]
        broader = [word.concept] if word.compound else [
            parent for parent in concept.parents
            if not vocab.concepts[parent].categories or vocab.concepts[parent].typed
        ]
        widened[index] = tuple(sorted({*groups[index], *broader}))
    plans.append(Relaxation(tuple(widened), required=tuple(kinds or models), minimum=1))
    return plans


# ------------------------------------------------------------------------------- typos --

TYPO_MIN_LETTERS = 5


def typo_candidates(text: str, groups) -> list[tuple[int, str]]:
    """(group index, word) of each English word of five letters or more in a query: the words whose
    typos are forgiven (one edit) when a query finds nothing."""
    out = []
    for word in dict.fromkeys(re.findall(r"[a-z]+", normalize(text))):
        if len(word) >= TYPO_MIN_LETTERS:
            index = next((i for i, group in enumerate(groups) if stem(word) in group), None)
            if index is not None:
                out.append((index, word))
    return out


def is_known(word: str) -> bool:
    """Is this English word (stemmed) a word of the vocabulary or of the synonyms? A known word
    that matches nothing is not a typo (switch, when no Switch is on sale)."""
    term = stem(word)
    return term in vocabulary().by_term or term in synonym_groups()


def known_correction(word: str) -> tuple[str, ...]:
    """The OR-group of the vocabulary or synonym word one edit away from `word` (samsnug -> samsung,
    三星), or () when there is none or several."""
    known = set(vocabulary().by_term) | set(synonym_groups())
    found = sorted({stem(variant) for variant in one_edit_variants(word)} & known)
    if len(found) != 1:
        return ()
    return alternatives(_word(found[0]))


def query_tokens(text: str) -> list[str]:
    """The index term of each query word (what its group is named by)."""
    return [word.term for word in query_words(text)]
