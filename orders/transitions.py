"""The state machines of orders and claims: marketplace.transitions.StateMachine, plus what their
audit rows hold (the actor, the role they acted in, the reason) and the time the state changed.

`move(obj, to_state, ...)` checks the machine's table (409 `invalid_transition`), sets the state,
`state_changed_at` and the extra `fields` the caller set on `obj`, saves exactly those, and writes
one audit row. The caller holds the row lock and the transaction.
"""
from dataclasses import dataclass

from django.utils import timezone

from marketplace.transitions import StateMachine


@dataclass(frozen=True)
class Machine(StateMachine):
    audit_model: type | None = None
    owner_field: str = ""  # the audit row's foreign key to the object

    def move(self, obj, to_state, *, actor, role, reason="", fields=()):
        now = timezone.now()
        changes = {"state_changed_at": now, **{name: getattr(obj, name) for name in fields}}
        changes.update(dict.fromkeys(_auto_now(obj), now))

        def audit(from_state):
            self.audit_model.objects.create(
                **{self.owner_field: obj}, actor=actor if getattr(actor, "pk", None) else None, actor_role=role,
                from_state=from_state, to_state=to_state, reason=str(reason or "")[:4000],
            )

        return self.apply(obj, to_state, audit=audit, changes=changes)


def _auto_now(obj):
    return [field.name for field in obj._meta.concrete_fields if getattr(field, "auto_now", False)]
