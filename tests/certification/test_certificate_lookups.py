"""Certificate routes with ids that are not numbers, and certificates the caller may not see.

Issue 22, item 2: `POST certificates/abc/suspend/` (and revoke, reinstate, documents, history)
was a ValueError (500) for any signed-in user. Item 11: a hidden certificate's history was 403
to a non-member while a missing one was 404, which told them it exists.
"""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from certification import services
from certification.models import Certificate, CertificateStatus
from tests.helpers import assert_error_shape

ACTIONS = [("post", "suspend"), ("post", "revoke"), ("post", "reinstate"), ("get", "history"),
           ("get", "documents"), ("post", "documents")]


def call(client, method, path, verb=None):
    if verb == "documents" and method == "post":
        return client.post(path, {"title": "t", "file": SimpleUploadedFile("c.pdf", b"%PDF-1.4\n")}, format="multipart")
    if method == "post":
        return client.post(path, {"reason": "年度审核"}, format="json")
    return client.get(path)


class TestIdsThatAreNotNumbers:
    @pytest.mark.parametrize("bad_id", ["abc", "1.5", "-1", "1e3", "%20", "０１"])
    @pytest.mark.parametrize(("method", "verb"), ACTIONS)
    def test_every_certificate_action_is_404_in_the_error_shape(self, client_for, body_admin, method, verb, bad_id):
        response = call(client_for(body_admin), method, f"/api/v1/certificates/{bad_id}/{verb}/", verb)
        assert_error_shape(response, 404, "not_found")

    @pytest.mark.parametrize("bad_id", ["abc", "99999999999999999999999999"])
    def test_the_detail_is_404_too(self, api, client_for, staff, bad_id):
        assert_error_shape(api.get(f"/api/v1/certificates/{bad_id}/"), 404, "not_found")
        assert_error_shape(client_for(staff).get(f"/api/v1/certificates/{bad_id}/"), 404, "not_found")

    def test_a_number_too_large_for_the_database_is_404(self, client_for, body_admin):
        response = call(client_for(body_admin), "post", "/api/v1/certificates/99999999999999999999999/revoke/")
        assert_error_shape(response, 404, "not_found")

    @pytest.mark.parametrize("path", ["/api/v1/units/abc/", "/api/v1/units/abc/events/", "/api/v1/units/%20%20%20%20/",
                                      "/api/v1/units/ABCD-EFGH-JKLM/events/", "/api/v1/units/x!y/chain/"])
    def test_unit_routes_with_malformed_codes_are_404(self, client_for, reman_member, path):
        assert_error_shape(client_for(reman_member).get(path), 404, "not_found")


@pytest.fixture
def hidden(certificate, body_admin):
    """A certificate outside the public register (suspended): only issuer, holder and staff see it."""
    services.suspend_certificate(certificate, actor=body_admin, reason="监督审核")
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.SUSPENDED
    return certificate


class TestHiddenIsLikeMissing:
    @pytest.mark.parametrize(("method", "verb"), ACTIONS)
    def test_a_hidden_and_a_missing_certificate_answer_the_same_404(self, client_for, outsider, hidden, method, verb):
        client = client_for(outsider)
        missing_id = Certificate.objects.order_by("-pk").first().pk + 1000
        for pk in (hidden.pk, missing_id):
            response = call(client, method, f"/api/v1/certificates/{pk}/{verb}/", verb)
            assert_error_shape(response, 404, "not_found")
        hidden.refresh_from_db()
        assert hidden.status == CertificateStatus.SUSPENDED and not hidden.documents.exists()

    @pytest.mark.parametrize("verb", ["history", "documents"])
    def test_a_visible_certificate_s_internals_stay_403_for_outsiders(self, client_for, outsider, certificate, verb):
        # Its existence is public (the register): saying "not for you" reveals nothing.
        assert_error_shape(client_for(outsider).get(f"/api/v1/certificates/{certificate.pk}/{verb}/"), 403)

    @pytest.mark.parametrize("verb", ["history", "documents"])
    def test_issuer_holder_and_staff_still_read_a_hidden_certificate(self, client_for, hidden, body_member,
                                                                     reman_member, staff, verb):
        for allowed in (body_member, reman_member, staff):
            assert client_for(allowed).get(f"/api/v1/certificates/{hidden.pk}/{verb}/").status_code == 200

    def test_the_issuer_still_reinstates_a_hidden_certificate(self, client_for, hidden, body_admin):
        response = client_for(body_admin).post(f"/api/v1/certificates/{hidden.pk}/reinstate/", {}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "valid"

    def test_the_holder_sees_a_hidden_certificate_but_may_not_change_it(self, client_for, hidden, reman_admin):
        response = client_for(reman_admin).post(f"/api/v1/certificates/{hidden.pk}/reinstate/", {}, format="json")
        assert_error_shape(response, 403)

    def test_anonymous_callers_get_401_whether_or_not_it_exists(self, api, hidden):
        for pk in (hidden.pk, hidden.pk + 1000):
            assert_error_shape(api.get(f"/api/v1/certificates/{pk}/history/"), 401)
            assert_error_shape(api.post(f"/api/v1/certificates/{pk}/revoke/", {"reason": "x"}), 401)
