"""Certificate numbers and trace codes: formats and check characters.

Certificate number: prefix (RC product, QM quality management) + 4-digit year + 6-digit serial
+ one check character computed with ISO 7064 MOD 37,36 over everything before it, e.g.
RC2026000042 + check = "RC2026000042C". MOD 37,36 is the hybrid system ISO 7064 defines for
alphanumeric strings: it catches every single substitution and more than 99% of adjacent
transpositions (the pure MOD 37-2 would catch them all but needs a 37th symbol, '*').

Trace code: 11 random characters + 1 check character from a 32-letter alphabet without 0, O, 1
and I (nothing to misread on a label), printed in groups of 4 (e.g. "7KQM-4XH2-PC9W"). The check
character is Luhn mod N (N = 32), which also catches every single substitution and all but a
few in a thousand adjacent transpositions (tests/certification/test_codes.py measures both rates).
The random part (55 bits) makes codes impossible to enumerate.
"""
import re
import secrets

ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TRACE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
TRACE_CODE_LENGTH = 12
CERTIFICATE_PREFIXES = {"product": "RC", "qms": "QM"}

_CERTIFICATE_RE = re.compile(r"^(RC|QM)\d{10}[0-9A-Z]$")
_SEPARATORS = re.compile(r"[\s\-_.·]")


def iso7064_mod37_36_check(body: str) -> str:
    """ISO 7064 MOD 37,36 check character for an alphanumeric string (0-9, A-Z)."""
    modulus = 36
    product = modulus
    for char in body:
        total = (product + ALPHANUMERIC.index(char)) % modulus or modulus
        product = (total * 2) % (modulus + 1)
    return ALPHANUMERIC[(modulus + 1 - product) % modulus]


def luhn_mod_n_check(body: str, alphabet: str = TRACE_ALPHABET) -> str:
    """Luhn mod N check character (N = len(alphabet)), doubling from the rightmost character."""
    n = len(alphabet)
    total = 0
    for position, char in enumerate(reversed(body)):
        value = alphabet.index(char)
        if position % 2 == 0:
            value *= 2
            value = value // n + value % n
        total += value
    return alphabet[(n - total % n) % n]


def certificate_number(kind: str, year: int, serial: int) -> str:
    body = f"{CERTIFICATE_PREFIXES[kind]}{year:04d}{serial:06d}"
    return body + iso7064_mod37_36_check(body)


def is_certificate_number(value: str) -> bool:
    return bool(_CERTIFICATE_RE.match(value)) and iso7064_mod37_36_check(value[:-1]) == value[-1]


def new_trace_code() -> str:
    body = "".join(secrets.choice(TRACE_ALPHABET) for _ in range(TRACE_CODE_LENGTH - 1))
    return body + luhn_mod_n_check(body)


def is_trace_code(value: str) -> bool:
    return (
        len(value) == TRACE_CODE_LENGTH
        and all(char in TRACE_ALPHABET for char in value)
        and luhn_mod_n_check(value[:-1]) == value[-1]
    )


def format_trace_code(code: str) -> str:
    """Groups of 4 for printing: 7KQM4XH2PC9W -> 7KQM-4XH2-PC9W."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_code(value: str) -> str:
    """What a person typed or a scanner read, uppercased, without spaces and dashes."""
    return _SEPARATORS.sub("", value or "").upper()
