import random
import string

from hypothesis import given
from hypothesis import strategies as st
from stdnum.iso7064 import mod_37_36

from certification import codes

ALPHANUMERIC = string.digits + string.ascii_uppercase

CERT_BODY = st.tuples(st.sampled_from(["RC", "QM"]), st.integers(2000, 2099), st.integers(1, 999_999)).map(
    lambda t: f"{t[0]}{t[1]:04d}{t[2]:06d}"
)
TRACE_BODY = st.text(alphabet=codes.TRACE_ALPHABET, min_size=11, max_size=11)


def test_certificate_number_has_prefix_year_serial_and_check_character():
    number = codes.certificate_number("product", 2026, 42)
    assert number.startswith("RC2026000042") and len(number) == 13
    assert codes.is_certificate_number(number)
    assert codes.certificate_number("qms", 2026, 42).startswith("QM2026000042")


def test_iso7064_mod37_36_matches_the_published_example():
    # ISO 7064 MOD 37,36 check character of "A12425GABC1234002": "M" (worked example of the standard).
    assert mod_37_36.calc_check_digit("A12425GABC1234002") == "M"
    assert codes.is_certificate_number("RC2026000042" + mod_37_36.calc_check_digit("RC2026000042"))


@given(CERT_BODY, st.data())
def test_every_single_substitution_in_a_certificate_number_is_caught(body, data):
    number = body + mod_37_36.calc_check_digit(body)
    position = data.draw(st.integers(2, len(number) - 1))
    replacement = data.draw(st.sampled_from(ALPHANUMERIC[:10] if position < len(number) - 1 else ALPHANUMERIC))
    typo = number[:position] + replacement + number[position + 1 :]
    assert codes.is_certificate_number(typo) == (typo == number)


def transposition_detection_rate(valid_codes, is_valid, first=0):
    caught = total = 0
    for code in valid_codes:
        for position in range(first, len(code) - 1):
            swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
            if swapped != code:
                total += 1
                caught += not is_valid(swapped)
    return caught / total


def test_nearly_every_adjacent_transposition_in_a_certificate_number_is_caught():
    rng = random.Random(7064)
    numbers = [codes.certificate_number("product", rng.randint(2000, 2099), rng.randint(1, 999_999)) for _ in range(3000)]
    assert transposition_detection_rate(numbers, codes.is_certificate_number, first=2) > 0.99


def test_trace_codes_are_valid_unambiguous_and_distinct():
    generated = {codes.new_trace_code() for _ in range(200)}
    assert len(generated) == 200
    for code in generated:
        assert codes.is_trace_code(code)
        assert not set(code) & set("0O1I")


@given(TRACE_BODY, st.data())
def test_trace_code_check_character_catches_every_substitution(body, data):
    code = body + codes.trace_check_character(body)
    position = data.draw(st.integers(0, len(code) - 1))
    replacement = data.draw(st.sampled_from(codes.TRACE_ALPHABET))
    typo = code[:position] + replacement + code[position + 1 :]
    assert codes.is_trace_code(typo) == (typo == code)


def test_nearly_every_adjacent_transposition_in_a_trace_code_is_caught():
    rng = random.Random(44728)
    bodies = ["".join(rng.choice(codes.TRACE_ALPHABET) for _ in range(11)) for _ in range(3000)]
    trace_codes = [body + codes.trace_check_character(body) for body in bodies]
    assert transposition_detection_rate(trace_codes, codes.is_trace_code) > 0.99


def test_printed_trace_codes_are_grouped_by_four_and_read_back():
    code = codes.new_trace_code()
    printed = codes.format_trace_code(code)
    assert printed.count("-") == 2 and all(len(group) == 4 for group in printed.split("-"))
    assert codes.normalize_code(f" {printed.lower()} ") == code
