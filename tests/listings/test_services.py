"""Properties of the small rules in listings.services."""
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from listings.services import round_coordinate


@given(st.floats(min_value=-180, max_value=180, allow_nan=False, allow_infinity=False))
def test_a_coordinate_is_kept_to_about_one_kilometre(value):
    rounded = round_coordinate(value)
    assert rounded.as_tuple().exponent == -2
    assert abs(rounded - Decimal(repr(value))) <= Decimal("0.005")


def test_no_coordinate_stays_none():
    assert round_coordinate(None) is None
