"""Unified social credit codes (GB 32100-2015) and mainland mobile numbers."""
import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc

from accounts.validators import (
    CREDIT_CODE_ALPHABET,
    credit_code_check_character,
    normalize_credit_code,
    normalize_phone,
    validate_credit_code,
    validate_phone,
)

# Published codes of real companies; each one checked against the algorithm, not copied from our code.
KNOWN_VALID_CODES = [
    "91350100M000100Y43",  # the worked example of GB 32100-2015
    "91440300708461136T",  # Shenzhen Tencent Computer Systems Co., Ltd.
    "914403001922038216",  # Huawei Technologies Co., Ltd.
    "91110108551385082Q",  # Beijing Xiaomi Technology Co., Ltd.
    "91110000600037341L",
]


@pytest.mark.parametrize("code", KNOWN_VALID_CODES)
def test_known_valid_credit_codes_pass(code):
    validate_credit_code(code)


def test_lowercase_and_spaces_are_normalized():
    assert normalize_credit_code(" 91440300708461136t ") == "91440300708461136T"
    validate_credit_code("91440300708461136t")


@pytest.mark.parametrize(
    ("code", "error_code"),
    [
        ("91440300708461136", "credit_code_length"),
        ("91440300708461136TT", "credit_code_length"),
        ("", "credit_code_length"),
        ("9144030070846113IT", "credit_code_characters"),  # I is not in the alphabet
        ("91440300708461O36T", "credit_code_characters"),
        ("9144030070846S136T", "credit_code_characters"),
        ("914403007V8461136T", "credit_code_characters"),
        ("Z1440300708461136T", "credit_code_characters"),
        ("9144A300708461136T", "credit_code_characters"),  # the region code is six digits
        ("91440300708461136-", "credit_code_characters"),
        ("91440300708461136A", "credit_code_check"),
        ("91440300708461163T", "credit_code_check"),  # two digits swapped
    ],
)
def test_invalid_credit_codes_are_refused_with_a_reason(code, error_code):
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code(code)
    assert excinfo.value.code == error_code


def test_check_character_of_the_standards_example():
    assert credit_code_check_character("91350100M000100Y4") == "3"


def test_letters_in_front_are_valid_though_stdnum_wants_digits_there():
    # GB 32100 registration authorities and entity types include letters (N2: a rural collective).
    body = "N2440101MF4000001"
    code = body + credit_code_check_character(body)
    validate_credit_code(code)
    assert not uscc.is_valid(code)


body17 = st.tuples(
    st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=2, max_size=2),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=9, max_size=9),
).map("".join)


@given(body17)
def test_every_body_with_its_check_character_is_valid(body):
    validate_credit_code(body + credit_code_check_character(body))


@given(body17, st.integers(min_value=0, max_value=16), st.sampled_from(CREDIT_CODE_ALPHABET))
def test_changing_one_character_is_caught_by_the_check(body, position, replacement):
    code = body + credit_code_check_character(body)
    altered = code[:position] + replacement + code[position + 1:]
    if altered == code or (position in range(2, 8) and not replacement.isdigit()):
        return
    with pytest.raises(ValidationError):
        validate_credit_code(altered)


@pytest.mark.parametrize(
    "spelling",
    ["13800138000", "138 0013 8000", "138-0013-8000", "+8613800138000", "+86 138 0013 8000", "008613800138000",
     "(+86) 138-0013-8000"],
)
def test_phone_spellings_normalize_to_e164(spelling):
    assert normalize_phone(spelling) == "+8613800138000"
    validate_phone(spelling)


@pytest.mark.parametrize("bad", ["12800138000", "1380013800", "138001380000", "020-12345678", "+1 415 555 0100", "abc"])
def test_non_mainland_mobile_numbers_are_refused(bad):
    with pytest.raises(ValidationError):
        validate_phone(bad)


@given(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_phone_normalization_is_idempotent(second_digit, rest):
    normalized = normalize_phone(f"1{second_digit}{rest}")
    assert normalized == f"+861{second_digit}{rest}"
    assert normalize_phone(normalized) == normalized
