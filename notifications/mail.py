"""Account mails: messages to an e-mail address rather than notifications of a user.

Some mails cannot be notifications: the address may have no account yet (confirming a sign-up),
and a mail that holds a one-time link must neither stay in the in-app list nor be turned off
(a password reset). Like notification kinds they are registered beside the code that sends them,

    register_mail("password_reset", subject=_("Reset your password"), body=_("... %(url)s ..."))

rendered in the recipient's language, and sent by a task after the caller's transaction
commits, so a rollback sends nothing and a slow or failing mail server never holds up a request.
"""
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction


@dataclass(frozen=True)
class AccountMail:
    code: str
    subject: str
    body: str


_REGISTRY: dict[str, AccountMail] = {}


def register_mail(code: str, *, subject, body) -> AccountMail:
    mail = AccountMail(code=code, subject=subject, body=body)
    _REGISTRY[code] = mail
    return mail


def get_mail(code: str) -> AccountMail:
    try:
        return _REGISTRY[code]
    except KeyError:
        raise LookupError(f"Unknown account mail {code!r}: register it with notifications.mail.register_mail.") from None


def render(code: str, context: dict) -> tuple[str, str]:
    """(subject, body) of the mail in the active language."""
    mail = get_mail(code)
    # A header cannot hold line breaks.
    subject = " ".join((str(mail.subject) % context).split())
    return subject, str(mail.body) % context


def send_after_commit(code: str, *, to: str, language: str | None, context: dict) -> None:
    """Mail `to` once the caller's transaction commits; `context` fills the %(name)s placeholders."""
    get_mail(code)  # an unknown code fails here, in the request, not later in a worker
    from notifications.tasks import send_account_mail

    language = language or settings.LANGUAGE_CODE
    context = {key: str(value) for key, value in context.items()}
    # robust: the action has committed; a broker or mail failure is logged, not raised at the user.
    transaction.on_commit(lambda: send_account_mail.delay(code, to, language, context), robust=True)
