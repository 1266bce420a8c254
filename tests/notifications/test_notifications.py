"""notify(): stored in the caller's transaction, e-mailed after commit in the recipient's language;
and the API through which each user reads only their own notifications."""
from smtplib import SMTPException

import pytest
from django.core import mail
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from notifications import kinds, services
from notifications.models import Notification, NotificationPreference
from notifications.tasks import send_notification_email
from tests.factories import StaffFactory, UserFactory
from tests.helpers import assert_error_shape

VERIFIED = "organization_verified"
CONTEXT = {"organization": "粤再生", "kind": "Remanufacturer"}


@pytest.fixture
def quiet_kind(monkeypatch):
    """A kind that is not e-mailed unless the user asks for it (registered for this test only)."""
    kind = kinds.NotificationKind(code="test_digest", title=_("Digest"), body=_("Your digest"), email=False)
    monkeypatch.setitem(kinds._REGISTRY, kind.code, kind)
    return kind


# notify() -----------------------------------------------------------------------------------------

def test_notify_stores_now_and_mails_after_commit(db, django_capture_on_commit_callbacks):
    user = UserFactory(language="en")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = services.notify(user, VERIFIED, CONTEXT)
        assert mail.outbox == []  # nothing leaves before the transaction commits

    assert notification.recipient == user
    assert notification.title == "粤再生 is verified"
    assert notification.data == CONTEXT
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert mail.outbox[0].subject == "粤再生 is verified"
    assert "Remanufacturer" in mail.outbox[0].body
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_a_rolled_back_transaction_leaves_no_notification_and_no_mail(db, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.notify(user, VERIFIED, CONTEXT)
        raise RuntimeError("the action failed after notifying")

    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_a_chinese_speaker_gets_chinese_text(db, django_capture_on_commit_callbacks):
    user = UserFactory(language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.notify(user, VERIFIED, {"organization": "粤再生", "kind": _("Remanufacturer")})

    assert notification.title == "粤再生 已通过认证"
    assert "再制造企业" in notification.body  # lazy context values are rendered in the recipient's language
    assert mail.outbox[0].subject == "粤再生 已通过认证"


def test_per_kind_opt_out_keeps_the_notification_but_sends_no_mail(db, django_capture_on_commit_callbacks):
    user = UserFactory()
    services.set_email_preference(user, VERIFIED, False)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(user, VERIFIED, CONTEXT)
        services.notify(user, "organization_rejected", {"organization": "粤再生", "reason": "x"})

    assert Notification.objects.filter(recipient=user).count() == 2
    assert [message.subject for message in mail.outbox] == ["粤再生 was not verified"]


def test_a_kind_off_by_default_is_mailed_only_after_opting_in(db, django_capture_on_commit_callbacks, quiet_kind):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(user, quiet_kind.code)
    assert mail.outbox == []

    services.set_email_preference(user, quiet_kind.code, True)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(user, quiet_kind.code)
    assert [message.subject for message in mail.outbox] == ["Digest"]


def test_a_user_without_email_is_notified_in_app_only(db, django_capture_on_commit_callbacks):
    user = UserFactory(email=None, phone="+8613800138000")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.notify(user, VERIFIED, CONTEXT)
    assert callbacks == []
    assert Notification.objects.filter(recipient=user).exists()


def test_an_unknown_kind_is_a_programming_error(db):
    with pytest.raises(LookupError, match="register it"):
        services.notify(UserFactory(), "no_such_kind")
    with pytest.raises(LookupError):
        services.set_email_preference(UserFactory(), "no_such_kind", False)


def test_the_mail_task_sends_at_most_once(db):
    notification = services.notify(UserFactory(), VERIFIED, CONTEXT)
    assert send_notification_email(notification.pk) is True
    assert send_notification_email(notification.pk) is False
    assert send_notification_email(987654) is False
    assert len(mail.outbox) == 1


def test_line_breaks_in_a_title_do_not_break_the_mail_header(db):
    notification = services.notify(UserFactory(), VERIFIED, {"organization": "粤再生\n再制造", "kind": "x"})
    send_notification_email(notification.pk)
    assert mail.outbox[0].subject == "粤再生 再制造 is verified"


def test_a_mail_outage_does_not_fail_the_committed_action(db, django_capture_on_commit_callbacks, monkeypatch):
    def smtp_down(*args, **kwargs):
        raise SMTPException("mail server unreachable")

    monkeypatch.setattr("notifications.tasks.send_mail", smtp_down)
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        notification = services.notify(user, VERIFIED, CONTEXT)

    notification.refresh_from_db()
    assert notification.emailed_at is None  # still unsent, so a later retry can send it


# API ----------------------------------------------------------------------------------------------

@pytest.fixture
def inbox(db):
    """A user with three notifications (one read) and another user with one."""
    owner, stranger = UserFactory(), UserFactory()
    notes = [services.notify(owner, VERIFIED, {"organization": f"机构{n}", "kind": "x"}) for n in range(3)]
    services.mark_read(owner, [notes[0].pk])
    foreign = services.notify(stranger, VERIFIED, CONTEXT)
    return {"owner": owner, "stranger": stranger, "notes": notes, "foreign": foreign}


def test_anonymous_gets_401_everywhere(api, inbox):
    note = inbox["notes"][0]
    for response in (
        api.get("/api/v1/notifications/"),
        api.get(f"/api/v1/notifications/{note.pk}/"),
        api.get("/api/v1/notifications/unread-count/"),
        api.post("/api/v1/notifications/mark-read/", {}),
        api.post(f"/api/v1/notifications/{note.pk}/read/"),
        api.get("/api/v1/notifications/preferences/"),
        api.put("/api/v1/notifications/preferences/", {"kind": VERIFIED, "email_enabled": False}),
    ):
        assert_error_shape(response, 401, "not_authenticated")


def test_the_list_shows_only_the_own_notifications_newest_first(client_for, inbox):
    body = client_for(inbox["owner"]).get("/api/v1/notifications/").json()
    assert [row["id"] for row in body["results"]] == [note.pk for note in reversed(inbox["notes"])]
    assert [row["is_read"] for row in body["results"]] == [False, False, True]
    assert inbox["foreign"].pk not in {row["id"] for row in body["results"]}


def test_the_list_pages_with_a_cursor_without_gaps(client_for, inbox):
    client = client_for(inbox["owner"])
    first = client.get("/api/v1/notifications/?page_size=2").json()
    second = client.get(first["next"]).json()
    seen = [row["id"] for row in first["results"] + second["results"]]
    assert sorted(seen) == sorted(note.pk for note in inbox["notes"])
    assert second["next"] is None


def test_the_list_filters_by_kind(client_for, inbox):
    services.notify(inbox["owner"], "organization_rejected", {"organization": "x", "reason": "y"})
    rows = client_for(inbox["owner"]).get("/api/v1/notifications/?kind=organization_rejected").json()["results"]
    assert [row["kind"] for row in rows] == ["organization_rejected"]


def test_notification_list_query_budget(client_for, inbox, django_assert_max_num_queries):
    for n in range(20):
        services.notify(inbox["owner"], VERIFIED, {"organization": f"更多{n}", "kind": "x"})
    client = client_for(inbox["owner"])
    with django_assert_max_num_queries(1):  # a cursor page needs no count
        response = client.get("/api/v1/notifications/")
    assert len(response.json()["results"]) == 20


@pytest.mark.parametrize("who", ["stranger", "staff"])
def test_nobody_else_reads_or_marks_a_notification(client_for, inbox, who):
    reader = StaffFactory() if who == "staff" else inbox["stranger"]
    note = inbox["notes"][1]
    client = client_for(reader)
    assert_error_shape(client.get(f"/api/v1/notifications/{note.pk}/"), 404)
    assert_error_shape(client.post(f"/api/v1/notifications/{note.pk}/read/"), 404)
    client.post("/api/v1/notifications/mark-read/", {"ids": [note.pk]})
    note.refresh_from_db()
    assert note.read_at is None


def test_the_recipient_reads_one_notification(client_for, inbox):
    note = inbox["notes"][1]
    client = client_for(inbox["owner"])
    assert client.get(f"/api/v1/notifications/{note.pk}/").json()["title"] == "机构1 is verified"
    response = client.post(f"/api/v1/notifications/{note.pk}/read/")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 1}


def test_unread_count_and_mark_read(client_for, inbox):
    client = client_for(inbox["owner"])
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}

    response = client.post("/api/v1/notifications/mark-read/", {"ids": [inbox["notes"][1].pk, inbox["foreign"].pk]})
    assert response.json() == {"unread": 1}
    inbox["foreign"].refresh_from_db()
    assert inbox["foreign"].read_at is None

    assert client.post("/api/v1/notifications/mark-read/", {}).json() == {"unread": 0}
    assert client_for(inbox["stranger"]).get("/api/v1/notifications/unread-count/").json() == {"unread": 1}


def test_mark_read_refuses_bad_ids(client_for, inbox):
    client = client_for(inbox["owner"])
    assert_error_shape(client.post("/api/v1/notifications/mark-read/", {"ids": [0]}), 400, "validation_error")
    assert_error_shape(client.post("/api/v1/notifications/mark-read/", {"ids": list(range(1, 502))}), 400)


def test_preferences_list_every_kind_with_its_default(client_for, user, quiet_kind):
    rows = client_for(user).get("/api/v1/notifications/preferences/").json()
    by_kind = {row["kind"]: row["email_enabled"] for row in rows}
    assert set(by_kind) == {kind.code for kind in kinds.all_kinds()}
    assert by_kind[VERIFIED] is True
    assert by_kind[quiet_kind.code] is False


def test_put_preference_changes_only_the_own_setting(client_for, user, other_user):
    response = client_for(user).put("/api/v1/notifications/preferences/", {"kind": VERIFIED, "email_enabled": False})
    assert response.status_code == 200, response.content
    assert {row["kind"]: row["email_enabled"] for row in response.json()}[VERIFIED] is False
    assert NotificationPreference.objects.get(user=user, kind=VERIFIED).email_enabled is False
    assert not NotificationPreference.objects.filter(user=other_user).exists()
    assert services.email_enabled(other_user, VERIFIED) is True


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"kind": "no_such_kind", "email_enabled": False}, "kind"), ({"kind": VERIFIED}, "email_enabled")],
)
def test_put_preference_refuses_bad_input(client_for, user, payload, field):
    body = assert_error_shape(client_for(user).put("/api/v1/notifications/preferences/", payload), 400)
    assert field in body["errors"]
