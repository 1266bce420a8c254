"""The one audit writer of the events app: every state change calls record() in its transaction."""
from events.models import EventAuditRecord


def record(*, organization_id, subject, subject_id, action, actor=None, event_id=None, from_state="", to_state="",
           reason="", detail=None) -> EventAuditRecord:
    return EventAuditRecord.objects.create(
        organization_id=organization_id, event_id=event_id, actor=actor if actor is not None and actor.pk else None,
        subject=subject, subject_id=subject_id, action=action, from_state=from_state or "", to_state=to_state or "",
        reason=reason or "", detail=detail or {},
    )
