"""Category attributes: schemas from the seeding migration, custom formats, normalization."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from listings.attributes import normalize_isbn, validate_attributes
from marketplace.errors import DomainError
from tests.listings.factories import category

pytestmark = pytest.mark.django_db


def schema(slug):
    return category(slug).attribute_schema


@pytest.mark.parametrize(
    ("given_isbn", "isbn13"),
    [
        ("9787111213826", "9787111213826"),
        ("978-7-111-21382-6", "9787111213826"),
        ("7111213823", "9787111213826"),  # ISBN-10 of the same book
        ("0-306-40615-2", "9780306406157"),
        ("080442957X", "9780804429573"),  # check digit X
        ("080442957x", "9780804429573"),
    ],
)
def test_valid_isbns_are_stored_as_isbn13(given_isbn, isbn13):
    assert validate_attributes(schema("textbooks"), {"isbn": given_isbn}) == {"isbn": isbn13}


@pytest.mark.parametrize("bad", ["9787111213827", "7111213822", "12345", "978711121382X", "abcdefghij", "9797111213826"])
def test_isbns_with_a_wrong_check_digit_or_shape_are_refused(bad):
    with pytest.raises(DomainError) as caught:
        validate_attributes(schema("textbooks"), {"isbn": bad})
    assert caught.value.field == "attributes.isbn"
    assert "ISBN" in caught.value.message


def test_textbooks_need_an_isbn_but_novels_do_not():
    with pytest.raises(DomainError) as caught:
        validate_attributes(schema("textbooks"), {"author": "同济大学数学系"})
    assert caught.value.field == "attributes.isbn"
    assert validate_attributes(schema("novels"), {"author": "余华"}) == {"author": "余华"}


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_isbn10_maps_to_a_valid_isbn13(body):
    check = sum((10 - i) * int(c) for i, c in enumerate(body))
    digit = (11 - check % 11) % 11
    isbn10 = body + ("X" if digit == 10 else str(digit))
    isbn13 = normalize_isbn(isbn10)
    assert isbn13 is not None and isbn13.startswith("978") and isbn13[3:12] == body
    assert normalize_isbn(isbn13) == isbn13


@given(st.text(alphabet="0123456789", min_size=13, max_size=13))
def test_a_random_13_digit_string_is_valid_only_with_the_right_check_digit(digits):
    total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(digits[:12]))
    expected = digits.startswith(("978", "979")) and str((10 - total % 10) % 10) == digits[12]
    assert (normalize_isbn(digits) is not None) == expected


def test_phone_attributes_with_imei_last4():
    attrs = {"brand": "Apple", "model": "iPhone 13", "storage_gb": 128, "imei_last4": "0427"}
    assert validate_attributes(schema("phones"), attrs) == attrs


@pytest.mark.parametrize("bad", ["427", "04270", "04a7", "353918050427123"])
def test_imei_last4_must_be_exactly_four_digits(bad):
    with pytest.raises(DomainError) as caught:
        validate_attributes(schema("phones"), {"brand": "Apple", "model": "iPhone 13", "imei_last4": bad})
    assert caught.value.field == "attributes.imei_last4"


def test_phone_needs_brand_and_model_and_a_known_storage_size():
    with pytest.raises(DomainError) as caught:
        validate_attributes(schema("phones"), {"brand": "华为"})
    assert caught.value.field == "attributes.model"
    with pytest.raises(DomainError) as caught:
        validate_attributes(schema("phones"), {"brand": "华为", "model": "Mate 40", "storage_gb": 100})
    assert caught.value.field == "attributes.storage_gb"


def test_unknown_fields_are_refused_and_named():
    with pytest.raises(DomainError) as caught:
        validate_attributes(schema("phones"), {"brand": "小米", "model": "13", "owner_phone": "13800138000"})
    assert caught.value.field == "attributes.owner_phone"
    assert "owner_phone" in caught.value.message


def test_oe_part_numbers_are_normalized_and_checked():
    assert validate_attributes(schema("auto-parts"), {"oe_number": " 06h 121 026 dd "}) == {"oe_number": "06H 121 026 DD"}
    with pytest.raises(DomainError) as caught:
        validate_attributes(schema("auto-parts"), {"oe_number": "!!"})
    assert caught.value.field == "attributes.oe_number"
    with pytest.raises(DomainError):
        validate_attributes(schema("auto-parts"), {"brand": "博世"})


@pytest.mark.parametrize("size", ["M", "XXL", "均码", "170/88A", "42", "38.5"])
def test_apparel_sizes(size):
    assert validate_attributes(schema("apparel"), {"size": size}) == {"size": size}


@pytest.mark.parametrize("size", ["huge", "", "170-88"])
def test_apparel_size_nonsense_is_refused(size):
    with pytest.raises(DomainError) as caught:
        validate_attributes(schema("apparel"), {"size": size})
    assert caught.value.field == "attributes.size"


def test_attributes_must_be_an_object():
    with pytest.raises(DomainError):
        validate_attributes(schema("furniture"), ["实木"])
