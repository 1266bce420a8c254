"""Text normalization and tokenization shared by every search backend.

Documents and queries go through the same steps, so that every backend agrees on what a word is:

1. `normalize`: NFKC (full-width -> half-width), lowercase, traditional -> simplified Chinese
   (zhconv, zh-cn, which also maps Taiwanese words such as 滑鼠 to 鼠标).
2. Identifiers are pulled out before segmentation and kept whole, in normalized forms:
   ISBN-10 and ISBN-13 (both forms indexed, the 13-digit form queried), hyphenated codes such as
   OE part numbers (hyphens removed), model numbers glued to their brand or not (华为P40 ->
   华为, p40, 华为p40; Mate 60 -> mate, 60, mate60).
3. jieba segments Chinese: documents in search mode (a long word also yields its dictionary
   sub-words, 笔记本电脑 -> 笔记本, 电脑), queries in precise mode. Market compounds in
   `userdict.txt` stay whole in both (电视柜 never yields 电视: a query for 电视 must not find a
   TV stand).
4. Latin words are stemmed with the Snowball English stemmer (phones -> phone); digits and
   mixed alphanumerics (p40, 256g) are kept as they are.
5. Queries only: a Chinese word that is no known word but sounds like a market word is corrected
   (pinyin slip, 手鸡 -> 手机: `correct_pinyin_slip`).

search.analysis reads these words with the product vocabulary (what a listing is, what it only
mentions, compounds, phrases) and makes a query's OR-groups. Tokens contain word characters only
(`\\w`), so every engine's own tokenizer keeps them whole.
"""
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import jieba
import snowballstemmer
import zhconv
from django.conf import settings
from stdnum import isbn

HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"^[a-z]+$")
ALNUM_RE = re.compile(r"^[a-z0-9]+$")
_NON_WORD = re.compile(r"[^\w]+")
_ENTRY_SPLIT = re.compile(r"[\s\-]+")
# ISBN-13 (978/979 prefix) or ISBN-10, digits optionally separated by hyphens or spaces.
ISBN_RE = re.compile(r"(?<![0-9a-z])(97[89](?:[- ]?\d){10}|\d(?:[- ]?\d){8}[- ]?[\dx])(?![0-9a-z])")
# Codes with hyphens (OE part numbers, model codes): at least one digit somewhere.
HYPHEN_CODE_RE = re.compile(r"(?<![0-9a-z-])[0-9a-z]+(?:-[0-9a-z]+)+(?![0-9a-z-])")
# A Chinese brand glued (or spaced) to a model: 华为P40, 小米 13.
_BRAND_MODEL = re.compile(r"([\u4e00-\u9fff]{2,4}) ?([a-z]+\d+[a-z0-9]*|\d+[a-z]*)")
# A Latin word followed by a number: mate 60, iphone 12 (a model split by a space).
_WORD_NUMBER = re.compile(r"(?<![0-9a-z])([a-z]{2,}) (\d{1,4}[a-z]{0,3})(?![0-9a-z])")
LETTER_DIGIT_RE = re.compile(r"[a-z]+|\d+")
_HAS_DIGIT = re.compile(r"\d")
# What `jieba.cut` segments: its runs (group 1), and the single word characters between them (the
# rest of what it yields there is whitespace and punctuation, no term).
_CUT_PIECE = re.compile(jieba.re_han_default.pattern + r"|\w")
# ASCII spaces and punctuation: no entry of zhconv's zh-cn table contains one, so its conversion
# never spans them and the chunks between them convert on their own (test_text.py checks the table).
_CONVERSION_BREAK = re.compile(r"([\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+)")

# Words that say nothing about the item ("isbn" is noise next to the number itself; a unit next to
# its number: 14寸 and 14 inch find "MacBook Pro 14").
STOPWORDS = frozenset({
    "的", "了", "和", "与", "及", "或", "是", "在", "有", "也", "都", "就", "而", "之",
    "a", "an", "and", "the", "or", "of", "for", "to", "in", "on", "with", "by", "at", "is", "are", "be", "isbn",
    "寸", "吋", "英寸", "码", "米", "厘米", "公分", "升", "匹", "斤", "公斤", "个", "件", "台",
    "inch", "inches", "cm", "mm", "kg", "size",
})

_stemmer = snowballstemmer.stemmer("english")
_init_lock = threading.Lock()
_tokenizer = None


def _read_lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def normalize(text: str) -> str:
    """NFKC (full-width -> half-width), lowercase, traditional -> simplified Chinese."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).lower()
    if HAN_RE.search(text):
        text = to_simplified(text)
    return text


def to_simplified(text: str) -> str:
    """zhconv's zh-cn conversion of a normalized text, chunk by cached chunk."""
    return "".join(map(_to_simplified, _CONVERSION_BREAK.split(text)))


@lru_cache(maxsize=65536)  # listings repeat their phrases: convert each once
def _to_simplified(chunk: str) -> str:
    return zhconv.convert(chunk, "zh-cn")


@lru_cache(maxsize=65536)  # the stemmer dominates indexing time; the vocabulary is small
def stem(word: str) -> str:
    """Snowball English stem of a Latin word; other tokens are returned unchanged."""
    if _LATIN_WORD.match(word) and len(word) > 2:
        return _stemmer.stemWord(word)
    return word


def clean(token: str) -> str:
    """The token without anything but letters and digits (what every engine keeps as one word)."""
    return _NON_WORD.sub("", token).replace("_", "")



def tokenizer() -> jieba.Tokenizer:
    """One jieba tokenizer with the market user dictionary, loaded on first use."""
    global _tokenizer
    if _tokenizer is None:
        with _init_lock:
            if _tokenizer is None:
                jieba.setLogLevel(60)
                instance = jieba.Tokenizer()
                instance.initialize()
                # A high frequency makes jieba prefer the whole compound over its parts.
                for word in sorted(market_compounds()):
                    instance.add_word(word, freq=max(instance.suggest_freq(word, tune=False), 100000))
                _tokenizer = instance
    return _tokenizer


@lru_cache(maxsize=1)
def user_dictionary() -> frozenset[str]:
    """Market compounds that stay whole (电视柜, 鼠标垫, 95新, 可小刀), normalized."""
    words = set()
    for line in _read_lines(Path(settings.SEARCH_USER_DICTIONARY)):
        word = normalize(line.split()[0])
        if word:
            words.add(word)
    return frozenset(words)


@lru_cache(maxsize=1)
def market_compounds() -> frozenset[str]:
    """Words the tokenizer keeps whole and never splits into sub-words: the user dictionary and the
    Chinese words of the product vocabulary (search/vocabulary.txt) and of the synonyms (再制造)."""
    from search.vocabulary import vocabulary

    synonyms = {term for term in synonym_groups() if len(term) >= 2 and HAN_RE.search(term) and term.isalnum()}
    return user_dictionary() | vocabulary().words | synonyms


@lru_cache(maxsize=1)
def synonym_groups() -> dict[str, tuple[str, ...]]:
    """term -> all terms of its synonym line (itself included), as index terms (stemmed)."""
    table: dict[str, set[str]] = {}
    for line in _read_lines(Path(settings.SEARCH_SYNONYMS_FILE)):
        terms = []
        for entry in line.split(","):
            term = _single_term(entry)
            if term and term not in terms:
                terms.append(term)
        for term in terms:
            table.setdefault(term, set()).update(terms)
    return {term: tuple(sorted(group)) for term, group in table.items()}


def entry_words(entry: str) -> tuple[str, ...]:
    """A data file entry's words as index terms (normalized, cleaned, stemmed, stopwords left out),
    split on spaces and hyphens (mercedes-benz: merced, benz)."""
    words = (clean(word) for word in _ENTRY_SPLIT.split(normalize(entry).strip()))
    return tuple(stem(word) for word in words if word and word not in STOPWORDS)


def _single_term(entry: str) -> str:
    """A synonym entry as one index term; entries that are several words are joined (smart watch -> smartwatch)."""
    return "".join(entry_words(entry))


@lru_cache(maxsize=1)
def synonym_phrases() -> dict[tuple[str, ...], str]:
    """Synonym entries of several English words (li ning): their words -> the joined term."""
    phrases = {}
    for line in _read_lines(Path(settings.SEARCH_SYNONYMS_FILE)):
        for entry in line.split(","):
            words = entry_words(entry)
            if len(words) > 1 and not any(HAN_RE.search(word) for word in words):
                phrases[words] = "".join(words)
    return phrases


@lru_cache(maxsize=1)
def market_vocabulary() -> frozenset[str]:
    """Words a buyer is likely to mean: the user dictionary, synonyms and market_words.txt."""
    words = set(market_compounds())
    words.update(term for term in synonym_groups() if HAN_RE.search(term))
    words.update(normalize(line.split()[0]) for line in _read_lines(Path(settings.SEARCH_MARKET_WORDS)))
    return frozenset(words)


@lru_cache(maxsize=1)
def _pinyin_index() -> dict[str, str]:
    """pinyin (toneless, joined) -> the one market word that sounds like it; ambiguous sounds left out."""
    from pypinyin import lazy_pinyin

    by_sound: dict[str, set[str]] = {}
    for word in market_vocabulary():
        if HAN_RE.search(word) and len(word) >= 2:
            by_sound.setdefault("".join(lazy_pinyin(word)), set()).add(word)
    return {sound: next(iter(words)) for sound, words in by_sound.items() if len(words) == 1}


def _is_known_word(word: str) -> bool:
    return word in market_vocabulary() or tokenizer().FREQ.get(word, 0) > 0


def correct_pinyin_slip(word: str) -> str:
    """手鸡 -> 手机: a Chinese word that is no known word but sounds exactly like a market word."""
    if len(word) < 2 or not HAN_RE.search(word) or _is_known_word(word):
        return word
    from pypinyin import lazy_pinyin

    return _pinyin_index().get("".join(lazy_pinyin(word)), word)


# ---------------------------------------------------------------- identifiers --

def isbn_forms(candidate: str) -> list[str]:
    """Valid ISBN in any form -> [isbn13] or [isbn13, isbn10]; [] when the check digit fails.

    ISBN-13 must carry the 978 or 979 prefix; only a 978 one has an ISBN-10 form."""
    return list(_isbn_forms(candidate.lower().replace("-", "").replace(" ", "")))


@lru_cache(maxsize=16384)  # a book's ISBN is read from its attributes and again from its body text
def _isbn_forms(code: str) -> tuple[str, ...]:
    # python-stdnum would read nine digits as an ISBN-10 missing its leading zero: not here.
    if len(code) not in (10, 13) or not isbn.is_valid(code):
        return ()
    if len(code) == 10:
        return (isbn.to_isbn13(code), code)
    if code.startswith("978"):
        return (code, isbn.to_isbn10(code).lower())
    return (code,)


def _identifiers(normalized: str, *, strip_codes: bool = False) -> tuple[list[str], str]:
    """Identifier terms found in normalized text, and the text with ISBNs (and codes) taken out."""
    found: list[str] = []

    def take_isbn(match):
        forms = isbn_forms(match.group(1))
        if not forms:
            return match.group(0)
        found.extend(forms)
        return " "

    def take_code(match):
        code = match.group(0)
        if not any(ch.isdigit() for ch in code):
            return code
        found.append(code.replace("-", ""))
        return " " if strip_codes else code

    # Most texts have no ISBN (no digit) or no code (no hyphen): skip the scan of what cannot match.
    rest = ISBN_RE.sub(take_isbn, normalized) if _HAS_DIGIT.search(normalized) else normalized
    if "-" in rest:
        rest = HYPHEN_CODE_RE.sub(take_code, rest)
    return found, rest


def identifier_tokens(text: str) -> list[str]:
    """ISBNs (both forms), hyphenated codes without hyphens and brand+model glued, from raw text."""
    if not text:
        return []
    return list(_analyze(text)[1])


def _identifier_terms(found: list[str], rest: str) -> list[str]:
    """`_identifiers`' terms plus the models found in the rest of the text (华为p40, mate60)."""
    terms = list(found)
    for brand, model in _BRAND_MODEL.findall(rest):
        word = _last_word(brand)
        if len(word) >= 2:
            terms.append(word + model)
    terms.extend(a + b for a, b in _WORD_NUMBER.findall(rest))
    return _unique(clean(token) for token in terms)


@lru_cache(maxsize=16384)
def _last_word(brand: str) -> str:
    """The last word of the Chinese run before a model (新款华为 -> 华为), so the brand glues to it."""
    words = tokenizer().lcut(brand, HMM=False)
    return words[-1] if words else ""


# --------------------------------------------------------------- segmentation --

def _unique(tokens) -> list[str]:
    """The non-empty tokens, each once, in order (dict keys keep order and dedupe in C)."""
    out = dict.fromkeys(tokens)
    out.pop("", None)
    out.pop(None, None)
    return list(out)


def term_of(word: str) -> str | None:
    """A segmented word as an index term, or None for spaces, punctuation and stopwords."""
    word = clean(word)
    if not word or word in STOPWORDS:
        return None
    return stem(word)


def sub_words(word: str) -> list[str]:
    """Dictionary sub-words of a long Chinese word (jieba's search mode), unless it is a market compound."""
    compounds = market_compounds()
    if len(word) <= 2 or word in compounds or not HAN_RE.search(word):
        return []
    freq = tokenizer().FREQ
    out = []
    for size in (2, 3):
        if len(word) > size:
            out.extend(word[i:i + size] for i in range(len(word) - size + 1) if freq.get(word[i:i + size], 0) > 0)
    return [w for w in out if w not in user_dictionary()]


def _alnum_parts(word: str) -> list[str]:
    """iphone12 -> iphone, 12 (the whole stays too); plain words and numbers are not split."""
    if not ALNUM_RE.match(word):
        return []
    parts = LETTER_DIGIT_RE.findall(word)
    return [stem(p) for p in parts if p.isdigit() or len(p) > 1] if len(parts) > 1 else []


@lru_cache(maxsize=65536)
def _word_terms(word: str) -> tuple[str, ...]:
    """Index terms of one segmented word: its dictionary sub-words, itself, its letter/digit parts."""
    term = term_of(word)
    if term is None:
        return ()
    return (*sub_words(term), term, *_alnum_parts(term))


@lru_cache(maxsize=16384)  # listings repeat their phrases (九成新, 可小刀, brand + model): segment each once
def cut_block(block: str) -> tuple[str, ...]:
    """`tokenizer().cut(block)` for one piece of `jieba.re_han_default.split(text)`: jieba cuts each
    piece on its own, so cutting a text piece by piece gives the words of cutting it whole."""
    return tuple(tokenizer().cut(block))


@lru_cache(maxsize=65536)
def _block_terms(block: str) -> tuple[str, ...]:
    """Index terms of one run of `jieba.re_han_default` (jieba segments each run on its own)."""
    return tuple(_unique(term for word in cut_block(block) for term in _word_terms(word)))


def segment_terms(normalized: str) -> list[str]:
    """Index terms of normalized text in search mode: those of every word `jieba.cut` yields for it.

    `cut` splits its input into runs of `re_han_default` and segments each run on its own, so the
    terms are gathered run by run, each run's cached: the same as cutting the whole text. Between
    runs `cut` yields whitespace whole and every other character alone.
    """
    tokens: list[str] = []
    for match in _CUT_PIECE.finditer(normalized):
        run = match.group(1)
        tokens.extend(_block_terms(run) if run else _word_terms(match.group()))
    return _unique(tokens)


@lru_cache(maxsize=8192)
def _analyze(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(index terms, identifier terms) of a raw text, from one pass: a document asks for both of its title."""
    found, rest = _identifiers(normalize(text))
    identifiers = _identifier_terms(found, rest)
    tokens = segment_terms(rest)
    tokens.extend(found)
    tokens.extend(identifiers)
    return tuple(_unique(tokens)), tuple(identifiers)


def index_tokens(text: str) -> list[str]:
    """Terms to index for a document field (search mode, identifiers in every normalized form)."""
    if not text:
        return []
    return list(_analyze(text)[0])


def latin_words(text: str) -> list[str]:
    """Unstemmed Latin words of four letters or more in a query: the typo-tolerant (trigram) part."""
    return [w for w in re.findall(r"[a-z]+", normalize(text)) if len(w) >= 4]


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def one_edit_variants(word: str) -> set[str]:
    """Every string one edit from a word of letters: a letter deleted, inserted, replaced, or two
    neighbours swapped (Damerau-Levenshtein distance 1)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deleted = {a + b[1:] for a, b in splits if b}
    swapped = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaced = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserted = {a + c + b for a, b in splits for c in _LETTERS}
    return (deleted | swapped | replaced | inserted) - {word}
