"""Units, their append-only hash chain, and its verification."""
from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import Role, VerificationStatus
from certification.chain import verify_chain
from certification.models import AppendOnlyError, RemanufacturedUnit, TraceEvent
from tests.certification.factories import FULL_CHAIN, RemanufacturerFactory, issue, make_unit
from tests.factories import member_of
from tests.helpers import assert_error_shape


def unit_payload(reman, certificate=None, **changes):
    payload = {
        "manufacturer": reman.pk,
        "certificate": certificate.pk if certificate else None,
        "category": certificate.categories.first().pk if certificate else 1,
        "product_name": "再制造起动机",
        "part_number": "QDJ1308",
        "batch": "B2026-02",
        "remanufactured_on": str(timezone.localdate()),
        "serial_number": "CORE-778",
    }
    payload.update(changes)
    return payload


def event_payload(kind, data, hours_ago=1):
    return {"kind": kind, "occurred_at": (timezone.now() - timedelta(hours=hours_ago)).isoformat(), "data": data,
            "note": "班组长复核"}


class TestUnits:
    def test_a_remanufacturer_member_registers_a_unit_with_a_trace_code(self, client_for, reman, reman_member, certificate):
        response = client_for(reman_member).post("/api/v1/units/", unit_payload(reman, certificate), format="json")
        assert response.status_code == 201, response.content
        code = response.json()["trace_code"]
        assert response.json()["trace_code_display"] == f"{code[:4]}-{code[4:8]}-{code[8:]}"
        assert RemanufacturedUnit.objects.get(trace_code=code).created_by == reman_member

    @pytest.mark.parametrize("who", ["body_admin", "outsider", "staff", "user"])
    def test_others_cannot_register_units_for_the_remanufacturer(self, who, client_for, reman, certificate, body_admin,
                                                                  outsider, staff, user):
        users = {"body_admin": body_admin, "outsider": outsider, "staff": staff, "user": user}
        response = client_for(users[who]).post("/api/v1/units/", unit_payload(reman, certificate), format="json")
        assert_error_shape(response, 403)

    def test_anonymous_is_401(self, api, reman, certificate):
        assert_error_shape(api.post("/api/v1/units/", unit_payload(reman, certificate), format="json"), 401)
        assert_error_shape(api.get("/api/v1/units/"), 401)

    def test_an_unverified_remanufacturer_cannot_register_units(self, client_for, certificate):
        pending = RemanufacturerFactory(verification_status=VerificationStatus.PENDING)
        member = member_of(pending)
        response = client_for(member).post("/api/v1/units/", unit_payload(pending, None, category=certificate.categories.first().pk),
                                           format="json")
        assert_error_shape(response, 403, "organization_not_verified")

    def test_the_certificate_must_be_the_remanufacturers_and_cover_the_category(self, client_for, reman, reman_member,
                                                                                  certificate, body_admin, body):
        foreign = issue(body_admin, body, RemanufacturerFactory())
        response = client_for(reman_member).post("/api/v1/units/", unit_payload(reman, foreign), format="json")
        assert "certificate" in assert_error_shape(response, 400)["errors"]
        from tests.listings.factories import category

        office = unit_payload(reman, certificate, category=category("office-equipment").pk)
        response = client_for(reman_member).post("/api/v1/units/", office, format="json")
        assert "certificate" in assert_error_shape(response, 400)["errors"]

    def test_members_list_their_units_and_nobody_elses(self, client_for, reman, reman_member, outsider, staff, certificate,
                                                       django_assert_max_num_queries):
        for _ in range(5):
            make_unit(reman_member, reman, certificate=certificate, events=FULL_CHAIN[:1])
        with django_assert_max_num_queries(4):
            assert client_for(reman_member).get("/api/v1/units/").json()["count"] == 5
        assert client_for(outsider).get("/api/v1/units/").json()["count"] == 0
        assert client_for(staff).get("/api/v1/units/").json()["count"] == 5
        code = RemanufacturedUnit.objects.first().trace_code
        assert_error_shape(client_for(outsider).get(f"/api/v1/units/{code}/"), 404)
        assert client_for(reman_member).get(f"/api/v1/units/{code.lower()}/").status_code == 200


class TestEvents:
    def test_members_append_events_that_form_a_hash_chain(self, client_for, reman, reman_member, certificate):
        unit = make_unit(reman_member, reman, certificate=certificate, events=())
        client = client_for(reman_member)
        url = f"/api/v1/units/{unit.trace_code}/events/"
        for hours_ago, (kind, data) in zip(range(10, 0, -1), FULL_CHAIN, strict=False):
            response = client.post(url, event_payload(kind, data, hours_ago), format="json")
            assert response.status_code == 201, response.content
        events = client.get(url).json()
        assert [event["sequence"] for event in events] == [1, 2, 3, 4, 5]
        assert events[0]["prev_hash"] == "0" * 64
        assert all(later["prev_hash"] == earlier["hash"] for earlier, later in zip(events, events[1:], strict=False))
        unit.refresh_from_db()
        assert unit.head_hash == events[-1]["hash"]
        assert verify_chain(unit).ok

    @pytest.mark.parametrize("who", ["outsider", "staff", "body_admin"])
    def test_only_the_remanufacturers_members_append(self, who, client_for, unit, outsider, staff, body_admin):
        users = {"outsider": outsider, "staff": staff, "body_admin": body_admin}
        response = client_for(users[who]).post(
            f"/api/v1/units/{unit.trace_code}/events/", event_payload("cleaning", {"method": "喷砂"}), format="json"
        )
        assert response.status_code in (403, 404)
        assert TraceEvent.objects.filter(unit=unit).count() == len(FULL_CHAIN)

    def test_the_history_starts_with_the_core_intake(self, client_for, reman, reman_member, certificate):
        unit = make_unit(reman_member, reman, certificate=certificate, events=())
        response = client_for(reman_member).post(
            f"/api/v1/units/{unit.trace_code}/events/", event_payload("cleaning", {"method": "喷砂"}), format="json"
        )
        assert_error_shape(response, 409, "chain_order")

    def test_no_sale_before_a_passed_final_test(self, client_for, reman, reman_member, certificate):
        failed_test = [*FULL_CHAIN[:4], ("final_test", {"result": "fail", "measurements": {"output_a": 40}})]
        unit = make_unit(reman_member, reman, certificate=certificate, events=failed_test)
        response = client_for(reman_member).post(
            f"/api/v1/units/{unit.trace_code}/events/", event_payload("sale", {"channel": "marketplace"}), format="json"
        )
        assert_error_shape(response, 409, "final_test_missing")

    def test_event_data_is_validated_per_kind_and_unknown_keys_are_dropped(self, client_for, unit, reman_member):
        client = client_for(reman_member)
        url = f"/api/v1/units/{unit.trace_code}/events/"
        bad = client.post(url, event_payload("part_replacement", {"parts": []}), format="json")
        assert assert_error_shape(bad, 400)["errors"] == {"data.parts.non_field_errors": ["This list may not be empty."]}
        sale = client.post(url, event_payload("sale", {"channel": "marketplace", "buyer": "张三 13800138000"}), format="json")
        assert sale.status_code == 201, sale.content
        assert sale.json()["data"] == {"channel": "marketplace"}

    def test_events_cannot_be_in_the_future_or_out_of_order(self, client_for, unit, reman_member):
        client = client_for(reman_member)
        url = f"/api/v1/units/{unit.trace_code}/events/"
        assert "occurred_at" in assert_error_shape(
            client.post(url, event_payload("repair", {"description": "x"}, hours_ago=-2), format="json"), 400
        )["errors"]
        assert "occurred_at" in assert_error_shape(
            client.post(url, event_payload("repair", {"description": "x"}, hours_ago=24 * 30), format="json"), 400
        )["errors"]

    def test_the_api_offers_no_way_to_edit_or_delete_events(self, client_for, unit, reman_member):
        client = client_for(reman_member)
        url = f"/api/v1/units/{unit.trace_code}/events/"
        assert_error_shape(client.put(url, {}, format="json"), 405)
        assert_error_shape(client.delete(url), 405)
        assert_error_shape(client.delete(f"/api/v1/units/{unit.trace_code}/"), 405)


class TestAppendOnly:
    def test_the_orm_refuses_to_change_or_delete_an_event(self, unit):
        event = TraceEvent.objects.filter(unit=unit).first()
        event.data = {"source": "伪造"}
        with pytest.raises(AppendOnlyError):
            event.save()
        with pytest.raises(AppendOnlyError):
            event.delete()
        with pytest.raises(AppendOnlyError):
            TraceEvent.objects.filter(unit=unit).update(note="x")
        with pytest.raises(AppendOnlyError):
            TraceEvent.objects.filter(unit=unit).delete()
        with pytest.raises(Exception):  # noqa: B017  (PROTECT: a unit with a history cannot be deleted)
            unit.delete()
        assert verify_chain(unit).ok

    def test_the_admin_is_read_only(self, unit, staff):
        request = RequestFactory().get("/admin/")
        request.user = staff
        for model in (TraceEvent, RemanufacturedUnit):
            model_admin = site._registry[model]
            assert not model_admin.has_change_permission(request, None)
            assert not model_admin.has_delete_permission(request, None)
            assert not model_admin.has_add_permission(request)

    def test_staff_read_the_chain_in_the_admin_but_cannot_post_changes(self, client, unit):
        from tests.factories import StaffFactory

        client.force_login(StaffFactory(is_superuser=True))
        event = TraceEvent.objects.filter(unit=unit).first()
        page = client.get(f"/admin/certification/traceevent/{event.pk}/change/")
        assert page.status_code == 200 and event.hash in page.content.decode()
        assert client.get(f"/admin/certification/remanufacturedunit/{unit.pk}/change/").status_code == 200
        assert client.post(f"/admin/certification/traceevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
        assert TraceEvent.objects.filter(pk=event.pk).exists()

    @pytest.mark.postgres
    def test_postgresql_refuses_raw_updates_and_deletes(self, unit):
        table = TraceEvent._meta.db_table
        for statement in (f"UPDATE {table} SET note = 'x' WHERE unit_id = %s", f"DELETE FROM {table} WHERE unit_id = %s"):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, [unit.pk])
        assert TraceEvent.objects.filter(unit=unit).count() == len(FULL_CHAIN)


def tamper(sql, params):
    """Change rows behind the ORM's back, as an attacker with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The attacker first switches our trigger off (the test's transaction undoes it).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TraceEvent._meta.db_table} DISABLE TRIGGER certification_traceevent_append_only")
        cursor.execute(sql, params)


class TestVerification:
    def test_an_untouched_chain_verifies(self, unit, api):
        report = verify_chain(unit)
        assert (report.ok, report.length, report.first_bad_event) == (True, len(FULL_CHAIN), None)
        response = api.get(f"/api/v1/units/{unit.trace_code}/chain/")
        assert response.json() == {"trace_code": unit.trace_code, "ok": True, "length": 5, "first_bad_event": None,
                                   "head_hash": unit.head_hash}

    def test_a_row_changed_with_raw_sql_is_detected(self, unit, api):
        table = TraceEvent._meta.db_table
        tamper(f"UPDATE {table} SET data = %s WHERE unit_id = %s AND sequence = 3",
               ['{"method": "未清洗"}', unit.pk])
        report = verify_chain(unit)
        assert (report.ok, report.first_bad_event) == (False, 3)
        assert api.get(f"/api/v1/units/{unit.trace_code}/chain/").json()["first_bad_event"] == 3

    def test_a_rehashed_row_still_breaks_the_link_to_the_next(self, unit):
        """Recomputing the tampered event's own hash is not enough: the next event points at the old one."""
        from certification.chain import event_hash

        table = TraceEvent._meta.db_table
        event = TraceEvent.objects.get(unit=unit, sequence=2)
        event.note = "改过的备注"
        tamper(f"UPDATE {table} SET note = %s, hash = %s WHERE id = %s", [event.note, event_hash(event, unit.trace_code), event.pk])
        assert verify_chain(unit).first_bad_event == 3

    def test_a_deleted_row_is_detected(self, unit):
        tamper(f"DELETE FROM {TraceEvent._meta.db_table} WHERE unit_id = %s AND sequence = 2", [unit.pk])
        assert verify_chain(unit).first_bad_event == 2

    def test_events_cut_off_the_end_are_detected(self, unit):
        tamper(f"DELETE FROM {TraceEvent._meta.db_table} WHERE unit_id = %s AND sequence = 5", [unit.pk])
        report = verify_chain(unit)
        assert (report.ok, report.length, report.first_bad_event) == (False, 4, 5)

    def test_the_operator_cannot_be_swapped_silently(self, unit, reman):
        other = member_of(reman, Role.MEMBER)
        tamper(f"UPDATE {TraceEvent._meta.db_table} SET operator_id = %s WHERE unit_id = %s AND sequence = 1",
               [other.pk, unit.pk])
        assert verify_chain(unit).first_bad_event == 1

    def test_unknown_codes_are_404_on_the_chain_endpoint(self, api, db):
        assert_error_shape(api.get("/api/v1/units/ABCD-EFGH-JKLM/chain/"), 404, "not_found")
