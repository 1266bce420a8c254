"""Certificate issue, lifecycle and permissions through the API."""
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import OrganizationKind, Role, VerificationStatus
from certification import codes
from certification.models import Certificate, CertificateEvent, CertificateStatus
from notifications.models import Notification
from tests.certification.factories import CertificationBodyFactory, RemanufacturerFactory, issue
from tests.factories import member_of
from tests.helpers import assert_error_shape
from tests.listings.factories import category


def issue_payload(body, holder, **changes):
    today = timezone.localdate()
    payload = {
        "issuer": body.pk,
        "holder": holder.pk,
        "type": "product",
        "categories": [category("auto-parts").pk, category("machinery").pk],
        "brand": "博世",
        "model_range": "JFZ19 系列",
        "standard": "GB/T 28618-2012",
        "scope_zh": "汽车发电机再制造",
        "scope_en": "Remanufactured alternators",
        "issued_on": str(today),
        "valid_until": str(today + timedelta(days=365)),
    }
    payload.update(changes)
    return payload


class TestIssue:
    def test_issuer_admin_issues_a_numbered_certificate_with_an_audit_record(self, client_for, body, body_admin, reman):
        admin_of_holder = member_of(reman, Role.OWNER)
        response = client_for(body_admin).post("/api/v1/certificates/", issue_payload(body, reman), format="json")

        assert response.status_code == 201, response.content
        body_json = response.json()
        assert body_json["status"] == "valid"
        assert codes.is_certificate_number(body_json["number"])
        assert body_json["number"].startswith(f"RC{timezone.localdate().year}")
        certificate = Certificate.objects.get(pk=body_json["id"])
        assert list(certificate.events.values_list("from_status", "to_status", "actor")) == [("", "valid", body_admin.pk)]
        assert Notification.objects.filter(recipient=admin_of_holder, kind="certificate_issued").exists()

    def test_numbers_are_sequential_per_type_and_year(self, body_admin, body, reman):
        first = issue(body_admin, body, reman)
        second = issue(body_admin, body, reman)
        qms = issue(body_admin, body, reman, type="qms", categories=())
        assert int(second.number[6:12]) == int(first.number[6:12]) + 1
        assert qms.number.startswith("QM") and qms.type == "qms"

    @pytest.mark.parametrize("who", ["anonymous", "body_member", "holder_admin", "outsider", "staff"])
    def test_only_issuer_admins_issue(self, who, api, client_for, body, body_member, reman, reman_admin, outsider, staff):
        users = {"body_member": body_member, "holder_admin": reman_admin, "outsider": outsider, "staff": staff}
        client = api if who == "anonymous" else client_for(users[who])
        response = client.post("/api/v1/certificates/", issue_payload(body, reman), format="json")
        assert_error_shape(response, 401 if who == "anonymous" else 403)
        assert not Certificate.objects.exists()

    def test_an_unverified_certification_body_cannot_issue(self, client_for, reman):
        pending = CertificationBodyFactory(verification_status=VerificationStatus.PENDING)
        admin = member_of(pending, Role.ADMIN)
        response = client_for(admin).post("/api/v1/certificates/", issue_payload(pending, reman), format="json")
        assert_error_shape(response, 403, "organization_not_verified")

    def test_a_merchant_cannot_issue_certificates(self, client_for, merchant, merchant_admin, reman):
        response = client_for(merchant_admin).post("/api/v1/certificates/", issue_payload(merchant, reman), format="json")
        assert_error_shape(response, 403, "wrong_organization_kind")

    @pytest.mark.parametrize("holder_kind, status", [
        (OrganizationKind.MERCHANT, VerificationStatus.VERIFIED),
        (OrganizationKind.REMANUFACTURER, VerificationStatus.PENDING),
    ])
    def test_holder_must_be_a_verified_remanufacturer(self, client_for, body, body_admin, holder_kind, status):
        holder = RemanufacturerFactory(kind=holder_kind, verification_status=status)
        response = client_for(body_admin).post("/api/v1/certificates/", issue_payload(body, holder), format="json")
        body_json = assert_error_shape(response, 400, "holder_not_remanufacturer")
        assert body_json["errors"] == {"holder": [body_json["detail"]]}

    def test_dates_and_categories_are_checked(self, client_for, body, body_admin, reman):
        client = client_for(body_admin)
        today = timezone.localdate()
        backwards = issue_payload(body, reman, valid_until=str(today - timedelta(days=1)))
        assert_error_shape(client.post("/api/v1/certificates/", backwards, format="json"), 400)
        no_category = issue_payload(body, reman, categories=[])
        response = client.post("/api/v1/certificates/", no_category, format="json")
        assert "categories" in assert_error_shape(response, 400)["errors"]
        future = issue_payload(body, reman, issued_on=str(today + timedelta(days=3)))
        assert "issued_on" in assert_error_shape(client.post("/api/v1/certificates/", future, format="json"), 400)["errors"]


def post(client, certificate, verb, reason="工厂审核发现不符合项"):
    return client.post(f"/api/v1/certificates/{certificate.pk}/{verb}/", {"reason": reason}, format="json")


class TestLifecycle:
    def test_valid_suspended_valid_revoked_each_with_actor_and_reason(self, client_for, certificate, body_admin):
        client = client_for(body_admin)
        assert post(client, certificate, "suspend").json()["status"] == "suspended"
        assert post(client, certificate, "reinstate", "整改完成").json()["status"] == "valid"
        assert post(client, certificate, "revoke", "伪造检测报告").json()["status"] == "revoked"

        events = list(CertificateEvent.objects.filter(certificate=certificate).values_list("from_status", "to_status", "reason", "actor"))
        assert events == [
            ("", "valid", "Issued", body_admin.pk),
            ("valid", "suspended", "工厂审核发现不符合项", body_admin.pk),
            ("suspended", "valid", "整改完成", body_admin.pk),
            ("valid", "revoked", "伪造检测报告", body_admin.pk),
        ]

    @pytest.mark.parametrize("start, verb", [
        ("valid", "reinstate"), ("revoked", "suspend"), ("revoked", "reinstate"), ("revoked", "revoke"),
        ("expired", "reinstate"), ("suspended", "suspend"),
    ])
    def test_illegal_transitions_are_409(self, client_for, certificate, body_admin, start, verb):
        Certificate.objects.filter(pk=certificate.pk).update(status=start)
        response = post(client_for(body_admin), certificate, verb)
        assert_error_shape(response, 409, "invalid_transition")
        certificate.refresh_from_db()
        assert certificate.status == start

    def test_suspending_or_revoking_needs_a_reason(self, client_for, certificate, body_admin):
        response = post(client_for(body_admin), certificate, "suspend", reason="  ")
        body_json = assert_error_shape(response, 400)
        assert body_json["errors"] == {"reason": [body_json["detail"]]}
        certificate.refresh_from_db()
        assert certificate.status == "valid"

    def test_a_suspended_certificate_past_its_end_cannot_be_reinstated(self, client_for, certificate, body_admin):
        Certificate.objects.filter(pk=certificate.pk).update(
            status="suspended", valid_until=timezone.localdate() - timedelta(days=1)
        )
        assert_error_shape(post(client_for(body_admin), certificate, "reinstate"), 409, "certificate_out_of_date")

    @pytest.mark.parametrize("who", ["body_member", "holder_admin", "outsider", "staff"])
    @pytest.mark.parametrize("verb", ["suspend", "revoke"])
    def test_only_issuer_admins_change_a_certificate(self, who, verb, client_for, certificate, body_member, reman_admin,
                                                     outsider, staff):
        users = {"body_member": body_member, "holder_admin": reman_admin, "outsider": outsider, "staff": staff}
        assert_error_shape(post(client_for(users[who]), certificate, verb), 403)
        certificate.refresh_from_db()
        assert certificate.status == CertificateStatus.VALID

    def test_anonymous_cannot_change_a_certificate(self, api, certificate):
        assert_error_shape(post(api, certificate, "suspend"), 401)

    def test_admins_of_another_certification_body_cannot_change_it(self, client_for, certificate):
        other_admin = member_of(CertificationBodyFactory(), Role.OWNER)
        assert_error_shape(post(client_for(other_admin), certificate, "revoke"), 403)


class TestVisibility:
    @pytest.fixture
    def certificates(self, body_admin, body, reman):
        valid = issue(body_admin, body, reman)
        suspended = issue(body_admin, body, reman)
        Certificate.objects.filter(pk=suspended.pk).update(status="suspended")
        foreign = issue(body_admin, body, RemanufacturerFactory())
        Certificate.objects.filter(pk=foreign.pk).update(status="revoked")
        return valid, suspended, foreign

    def ids(self, response):
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    def test_public_sees_the_register_of_valid_certificates(self, api, certificates, django_assert_max_num_queries):
        valid, suspended, foreign = certificates
        with django_assert_max_num_queries(4):
            assert self.ids(api.get("/api/v1/certificates/")) == {valid.pk}
        assert_error_shape(api.get(f"/api/v1/certificates/{suspended.pk}/"), 404)

    def test_holder_members_see_all_of_theirs(self, client_for, certificates, reman_member, django_assert_max_num_queries):
        valid, suspended, foreign = certificates
        with django_assert_max_num_queries(5):
            assert self.ids(client_for(reman_member).get("/api/v1/certificates/")) == {valid.pk, suspended.pk}

    def test_issuer_members_see_everything_they_issued(self, client_for, certificates, body_member):
        assert self.ids(client_for(body_member).get("/api/v1/certificates/")) == {c.pk for c in certificates}

    def test_other_users_see_the_public_register_only(self, client_for, certificates, outsider, user):
        valid = certificates[0]
        assert self.ids(client_for(outsider).get("/api/v1/certificates/")) == {valid.pk}
        assert self.ids(client_for(user).get("/api/v1/certificates/")) == {valid.pk}

    def test_staff_see_all(self, client_for, certificates, staff):
        assert self.ids(client_for(staff).get("/api/v1/certificates/")) == {c.pk for c in certificates}

    def test_the_query_count_does_not_grow_with_the_list(self, client_for, body_admin, body, reman, staff,
                                                        django_assert_max_num_queries):
        for _ in range(15):
            issue(body_admin, body, reman)
        with django_assert_max_num_queries(4):
            assert len(self.ids(client_for(staff).get("/api/v1/certificates/"))) == 15

    def test_filters_by_status_and_holder(self, client_for, certificates, staff, reman):
        client = client_for(staff)
        assert self.ids(client.get("/api/v1/certificates/", {"status": "suspended"})) == {certificates[1].pk}
        assert self.ids(client.get("/api/v1/certificates/", {"holder": reman.pk})) == {certificates[0].pk, certificates[1].pk}

    def test_the_public_fields_name_no_contacts(self, api, certificates):
        row = api.get(f"/api/v1/certificates/{certificates[0].pk}/").json()
        assert set(row) == {"id", "number", "type", "status", "status_display", "issuer", "holder", "categories", "brand",
                            "model_range", "standard", "scope", "scope_zh", "scope_en", "issued_on", "valid_until"}
        assert set(row["holder"]) == {"id", "name", "city"}

    def test_a_valid_certificate_past_its_end_reads_expired_before_the_task_runs(self, api, certificates):
        Certificate.objects.filter(pk=certificates[0].pk).update(valid_until=timezone.localdate() - timedelta(days=1))
        assert api.get("/api/v1/certificates/").json()["results"][0]["status"] == "expired"


class TestHistoryAndDocuments:
    PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

    def upload(self, client, certificate, content=PDF, name="cert.pdf"):
        return client.post(
            f"/api/v1/certificates/{certificate.pk}/documents/",
            {"title": "证书扫描件", "file": SimpleUploadedFile(name, content)},
            format="multipart",
        )

    def test_issuer_admin_uploads_a_pdf_and_the_holder_reads_it(self, client_for, certificate, body_admin, reman_member):
        response = self.upload(client_for(body_admin), certificate)
        assert response.status_code == 201, response.content
        assert response.json()["kind"] == "pdf" and response.json()["size"] == len(self.PDF)
        listed = client_for(reman_member).get(f"/api/v1/certificates/{certificate.pk}/documents/")
        assert [row["title"] for row in listed.json()] == ["证书扫描件"]
        assert certificate.events.filter(reason__contains="证书扫描件").exists()

    def test_an_image_goes_through_the_image_pipeline(self, client_for, certificate, body_admin):
        import io

        from PIL import Image

        buffer = io.BytesIO()
        Image.new("RGB", (40, 30), "white").save(buffer, format="PNG")
        response = self.upload(client_for(body_admin), certificate, buffer.getvalue(), "scan.png")
        assert response.status_code == 201, response.content
        assert response.json()["kind"] == "image"

    def test_anything_else_is_refused(self, client_for, certificate, body_admin):
        response = self.upload(client_for(body_admin), certificate, b"MZ\x90\x00 not a pdf", "cert.pdf")
        assert "file" in assert_error_shape(response, 400)["errors"]

    def test_an_oversized_pdf_is_refused(self, client_for, certificate, body_admin, monkeypatch):
        monkeypatch.setattr("certification.services.documents.MAX_DOCUMENT_BYTES", 64)
        response = self.upload(client_for(body_admin), certificate, self.PDF + b"0" * 100)
        assert_error_shape(response, 400, "document_too_large")

    @pytest.mark.parametrize("who", ["holder_admin", "outsider", "staff", "body_member"])
    def test_only_issuer_admins_upload(self, who, client_for, certificate, reman_admin, outsider, staff, body_member):
        users = {"holder_admin": reman_admin, "outsider": outsider, "staff": staff, "body_member": body_member}
        assert_error_shape(self.upload(client_for(users[who]), certificate), 403)

    @pytest.mark.parametrize("path", ["history", "documents"])
    def test_internals_are_for_issuer_holder_and_staff(self, path, api, client_for, certificate, body_member,
                                                       reman_member, staff, outsider):
        url = f"/api/v1/certificates/{certificate.pk}/{path}/"
        assert_error_shape(api.get(url), 401)
        assert_error_shape(client_for(outsider).get(url), 403)
        for allowed in (body_member, reman_member, staff):
            assert client_for(allowed).get(url).status_code == 200

    def test_history_lists_actor_names_and_reasons(self, client_for, certificate, body_admin, reman_member):
        post(client_for(body_admin), certificate, "suspend", "年度监督审核未通过")
        rows = client_for(reman_member).get(f"/api/v1/certificates/{certificate.pk}/history/").json()
        assert [(row["from_status"], row["to_status"]) for row in rows] == [("", "valid"), ("valid", "suspended")]
        assert rows[1]["reason"] == "年度监督审核未通过" and rows[1]["actor"] == body_admin.public_name
