"""One transition-plus-audit step for the state machines of orders and claims.

`move(obj, to_state, ...)` checks the machine's table, sets the state and the time it changed
(and any extra fields the caller set on `obj`), saves, and writes one audit row with the actor,
the role they acted in and the reason. The caller holds the row lock and the transaction.
"""
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.errors import Conflict


class Machine:
    def __init__(self, *, states, table, audit_model, owner_field, noun):
        self.states = states  # the TextChoices of the states
        self.table = table  # {from_state: frozenset of to_states}
        self.audit_model = audit_model
        self.owner_field = owner_field  # the audit row's foreign key to the object
        self.noun = noun  # lazily translated "order" / "claim", for messages

    def label(self, state) -> str:
        return str(self.states(state).label)

    def allows(self, from_state, to_state) -> bool:
        return to_state in self.table.get(from_state, frozenset())

    def refuse(self, obj, to_state) -> Conflict:
        return Conflict(
            _("A %(noun)s that is “%(current)s” cannot become “%(target)s”.")
            % {"noun": self.noun, "current": self.label(obj.state), "target": self.label(to_state)},
            code="invalid_transition",
        )

    def move(self, obj, to_state, *, actor, role, reason="", fields=()):
        """obj.state -> to_state with one audit row; 409 `invalid_transition` when the table says no."""
        if not self.allows(obj.state, to_state):
            raise self.refuse(obj, to_state)
        from_state = obj.state
        obj.state = to_state
        obj.state_changed_at = timezone.now()
        obj.save(update_fields=sorted({"state", "state_changed_at", *fields, *_auto_now(obj)}))
        self.audit_model.objects.create(
            **{self.owner_field: obj}, actor=actor if getattr(actor, "pk", None) else None, actor_role=role,
            from_state=from_state, to_state=to_state, reason=str(reason or "")[:4000],
        )
        return obj


def _auto_now(obj):
    return [field.name for field in obj._meta.concrete_fields if getattr(field, "auto_now", False)]
