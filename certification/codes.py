"""Certificate numbers and trace codes: formats and check characters (python-stdnum computes them).

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

from stdnum import luhn
from stdnum.iso7064 import mod_37_36

TRACE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
TRACE_CODE_LENGTH = 12
CERTIFICATE_PREFIXES = {"product": "RC", "qms": "QM"}

_CERTIFICATE_RE = re.compile(r"^(RC|QM)\d{10}[0-9A-Z]$")
_SEPARATORS = re.compile(r"[\s\-_.·]")


def certificate_number(kind: str, year: int, serial: int) -> str:
    body = f"{CERTIFICATE_PREFIXES[kind]}{year:04d}{serial:06d}"
    return body + mod_37_36.calc_check_digit(body)


def is_certificate_number(value: str) -> bool:
    return bool(_CERTIFICATE_RE.match(value)) and mod_37_36.is_valid(value)


def trace_check_character(body: str) -> str:
    """The Luhn mod 32 check character of the first 11 characters of a trace code."""
    return luhn.calc_check_digit(body, alphabet=TRACE_ALPHABET)


def new_trace_code() -> str:
    body = "".join(secrets.choice(TRACE_ALPHABET) for _ in range(TRACE_CODE_LENGTH - 1))
    return body + trace_check_character(body)


def is_trace_code(value: str) -> bool:
    return (
        len(value) == TRACE_CODE_LENGTH
        and all(char in TRACE_ALPHABET for char in value)
        and luhn.is_valid(value, alphabet=TRACE_ALPHABET)
    )


def format_trace_code(code: str) -> str:
    """Groups of 4 for printing: 7KQM4XH2PC9W -> 7KQM-4XH2-PC9W."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_code(value: str) -> str:
    """What a person typed or a scanner read, uppercased, without spaces and dashes."""
    return _SEPARATORS.sub("", value or "").upper()
