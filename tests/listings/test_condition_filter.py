"""The listing list's `condition` filter: one condition level whatever standard graded the item."""
import pytest

from tests.helpers import assert_error_shape
from tests.listings.factories import active, category


def ids(api, query):
    response = api.get(f"/api/v1/listings/?{query}")
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.django_db
def test_a_condition_level_means_the_same_in_every_standard(api):
    premium_phone = active(category=category("phones"), attributes={"brand": "Apple", "model": "iPhone 12"}, grade_code="P")
    poor_book = active(category=category("novels"), attributes={}, grade_code="P")
    as_new_book = active(category=category("novels"), attributes={}, grade_code="AN")
    good_sofa = active(category=category("furniture"), grade_code="B")

    assert ids(api, "grade=P") == {premium_phone.pk, poor_book.pk}  # the standards' own codes mix scales
    assert ids(api, "condition=like_new") == {premium_phone.pk, as_new_book.pk}
    assert ids(api, "condition=fair") == {poor_book.pk}
    assert ids(api, "condition=good") == {good_sofa.pk}
    assert ids(api, "condition=for_parts") == set()


@pytest.mark.django_db
def test_an_unknown_condition_level_is_a_400(api):
    body = assert_error_shape(api.get("/api/v1/listings/?condition=P"), 400)
    assert "condition" in body["errors"]
