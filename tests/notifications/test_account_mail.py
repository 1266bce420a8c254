"""Account mails (notifications.mail): to an address, in its language, by a task after commit."""
import pytest
from django.core import mail
from django.db import transaction
from django.utils import translation

from notifications.mail import get_mail, send_after_commit


def test_an_account_mail_is_sent_after_commit_in_the_given_language(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send_after_commit("password_reset", to="lina@example.com", language="zh-hans", context={"url": "http://x/r"})
        assert mail.outbox == []
    assert len(callbacks) == 1
    [message] = mail.outbox
    assert (message.to, message.subject) == (["lina@example.com"], "重置您的密码")
    assert "http://x/r" in message.body
    assert translation.get_language() == "en"  # the worker's language is left as it was


def test_a_rolled_back_action_mails_nothing(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        send_after_commit("password_reset", to="lina@example.com", language="en", context={"url": "u"})
        raise RuntimeError("the action failed")
    assert mail.outbox == []


def test_an_unknown_mail_fails_in_the_request_not_later_in_a_worker(db):
    with pytest.raises(LookupError, match="Unknown account mail"):
        send_after_commit("no_such_mail", to="lina@example.com", language="en", context={})
    with pytest.raises(LookupError):
        get_mail("no_such_mail")
