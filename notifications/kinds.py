"""The registry of notification kinds.

Each app registers the kinds it sends, beside its own code:

    register("certificate_suspended",
             title=_("Certificate %(number)s suspended"),
             body=_("Your certificate %(number)s was suspended: %(reason)s"))

Titles and bodies are lazy translations with %(name)s placeholders filled from the context
passed to notify(); they are rendered in the recipient's language when the notification is made.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class NotificationKind:
    code: str
    title: str
    body: str
    email: bool = True  # whether this kind is e-mailed by default (users may still opt out)


_REGISTRY: dict[str, NotificationKind] = {}


def register(code: str, *, title, body, email: bool = True) -> NotificationKind:
    kind = NotificationKind(code=code, title=title, body=body, email=email)
    _REGISTRY[code] = kind
    return kind


def get_kind(code: str) -> NotificationKind:
    try:
        return _REGISTRY[code]
    except KeyError:
        raise LookupError(f"Unknown notification kind {code!r}: register it in notifications.kinds.") from None


def all_kinds() -> list[NotificationKind]:
    return sorted(_REGISTRY.values(), key=lambda kind: kind.code)
