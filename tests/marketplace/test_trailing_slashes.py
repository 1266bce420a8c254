"""API paths answer with or without their trailing slash, POST bodies included."""
from tests.factories import OrganizationFactory, StaffFactory, UserFactory
from tests.helpers import assert_error_shape


def test_a_collection_answers_without_its_slash(api, db):
    assert api.get("/api/v1/organizations").status_code == 200


def test_an_endpoint_without_slash_answers_with_one(client_for, db):
    user = UserFactory()
    response = client_for(user).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["id"] == user.pk


def test_a_post_to_an_action_without_its_slash_keeps_its_body(client_for, db):
    org = OrganizationFactory(verification_status="pending")
    response = client_for(StaffFactory()).post(f"/api/v1/organizations/{org.pk}/reject", {"reason": "证照模糊"})
    assert response.status_code == 200, response.content
    assert response.json()["rejection_reason"] == "证照模糊"


def test_a_path_that_resolves_in_neither_form_is_still_404(api, db):
    assert_error_shape(api.get("/api/v1/organisations/"), 404, "not_found")
    assert_error_shape(api.get("/api/v1/organisations"), 404, "not_found")
