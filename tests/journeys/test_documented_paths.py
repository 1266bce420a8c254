"""The paths README.md's API map gives must answer as written.

FAILS on purpose until fixed (see the journey report): the accounts and notifications routers add
a trailing slash to their extra actions, while the README (and the issue texts) write them without
one. A client following the docs gets a 301 with an empty body (production) or a RuntimeError
page with status 500 (DEBUG, APPEND_SLASH on a POST), neither in the error shape.
"""
import pytest

from tests.journeys.actors import platform_staff, register, register_organization

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method, path, expected", [
    ("post", "/api/v1/organizations/{org}/verify", 200),
    ("get", "/api/v1/organizations/{org}/members", 200),
    ("get", "/api/v1/organizations/{org}/verification-events", 200),
    ("get", "/api/v1/notifications/unread-count", 200),
    ("post", "/api/v1/notifications/mark-read", 200),
])
def test_paths_of_the_readme_answer_as_written(method, path, expected):
    staff = platform_staff()
    owner = register("owner.paths@example.com", display_name="店主")
    org = register_organization(owner, "merchant", "文档路径商店")
    who = staff if "verify" in path else owner
    response = getattr(who.client, method)(path.format(org=org["id"]), {}, format="json")
    assert response.status_code == expected, (response.status_code, response.get("Location"))
