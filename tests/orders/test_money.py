"""Money: Decimal yuan to integer fen without float, fees per seller kind, refunds shared in proportion."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders.money import from_fen, platform_fee, seller_part, to_fen

amounts = st.integers(min_value=1, max_value=999_999_999).map(from_fen)


def test_decimal_sums_convert_exactly():
    assert to_fen(Decimal("0.10") + Decimal("0.20")) == 30
    assert to_fen(Decimal("19.99") * 3) == 5997  # float: 19.99 * 3 * 100 == 5996.999999999999
    assert to_fen(Decimal("9999999.99")) == 999_999_999


def test_floats_and_fractions_of_a_fen_are_refused():
    with pytest.raises(TypeError):
        to_fen(0.3)
    with pytest.raises(ValueError):
        to_fen(Decimal("0.005"))


@given(amounts)
def test_fen_round_trip(amount):
    assert from_fen(to_fen(amount)) == amount


def test_fee_per_seller_kind(settings):
    settings.ORDERS_PLATFORM_FEE = {"merchant": Decimal("0.05"), "person": Decimal("0")}
    assert platform_fee(Decimal("199.90"), "merchant") == Decimal("10.00")  # 9.995 rounds half up
    assert platform_fee(Decimal("199.90"), "person") == Decimal("0.00")
    assert platform_fee(Decimal("199.90"), "school") == Decimal("0.00")  # not listed: no fee


@given(total=amounts, data=st.data())
def test_a_full_refund_takes_back_exactly_the_sellers_share(total, data):
    seller = data.draw(st.integers(min_value=0, max_value=to_fen(total)).map(from_fen))
    assert seller_part(total, seller_amount=seller, total=total) == seller


@given(total=amounts, data=st.data())
def test_the_sellers_part_of_a_refund_never_exceeds_the_refund_or_the_share(total, data):
    seller = data.draw(st.integers(min_value=0, max_value=to_fen(total)).map(from_fen))
    refund = data.draw(st.integers(min_value=1, max_value=to_fen(total)).map(from_fen))
    part = seller_part(refund, seller_amount=seller, total=total)
    assert Decimal("0") <= part <= min(refund, seller)
