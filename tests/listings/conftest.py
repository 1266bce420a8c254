import pytest

from tests.listings.factories import category


@pytest.fixture
def furniture_payload(db):
    return {
        "category": category("furniture").pk,
        "title": "宜家书柜 九成新",
        "description": "自用两年，搬家转让，可小刀",
        "price": "280.00",
        "negotiable": True,
        "handover_options": ["pickup", "delivery"],
        "city": "广州市",
        "district": "天河区",
        "latitude": 23.1291234,
        "longitude": 113.3276543,
        "attributes": {"material": "刨花板", "width_cm": 80},
    }
