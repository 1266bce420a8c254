"""Validators for Chinese identifiers: mobile numbers and unified social credit codes.

The credit code's check character is python-stdnum's (`stdnum.cn.uscc`); its format is checked
here because stdnum's is narrower than GB 32100-2015: it wants eight digits in front, where the
standard lets the registration authority and entity type be letters too (N2..., Y1...).

Phone numbers are mainland mobile numbers only, checked by their shape (1, then 3-9, then nine
digits), not with `phonenumbers`: the number is a login name, never dialled here, and the
library judges numbers by its table of allocated blocks (9.0.43 refuses every number beginning
140-144, 154, 160 or 179, for example), which would turn away real numbers of any block opened
after the pinned release; the spellings we accept (+86, 0086, spaces, dashes, brackets) take a
few lines.
"""
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc

# GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z); the 18th is a check character.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def credit_code_check_character(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a credit code."""
    if len(first17) != 17:
        raise ValueError("a credit code's check character is computed over its first 17 characters")
    return uscc.calc_check_digit(first17)


def normalize_credit_code(value: str) -> str:
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> None:
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(_("A unified social credit code has 18 characters."), code="credit_code_length")
    if not _CREDIT_CODE_RE.match(code):
        raise ValidationError(
            _("A unified social credit code uses digits and capital letters except I, O, S, V and Z."),
            code="credit_code_characters",
        )
    if credit_code_check_character(code[:17]) != code[17]:
        raise ValidationError(_("The check character of this credit code is wrong: please check for typos."), code="credit_code_check")


_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(value: str) -> str:
    """Mainland mobile numbers as +86 followed by 11 digits; spaces, dashes and 0086 are dropped."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return f"+86{digits}" if _PHONE_RE.match(digits) else digits


def validate_phone(value: str) -> None:
    if not re.match(r"^\+861[3-9]\d{9}$", normalize_phone(value)):
        raise ValidationError(_("Enter a mainland China mobile number, e.g. 13800138000."), code="phone")
