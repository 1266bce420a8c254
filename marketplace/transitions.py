"""One state change with its audit row, written the same way in every app.

    with transaction.atomic():
        obj = lock(Model.objects, pk)                     # 404 NotFound if another request deleted it
        MACHINE.apply(obj, target, changes={...},         # 409 `invalid_transition` unless the table allows it
                      audit=lambda from_state: Event.objects.create(...),
                      notify=lambda obj: ...)

`apply` checks the table, sets the state and the other changed fields, saves exactly those
fields, writes the one audit row and then notifies (signals, notices), in that order, inside
the caller's transaction: if anything raises, nothing of it is kept. Used by organization
verification (accounts.services), certificate status (certification.services.certificates) and
the listing lifecycle (listings.lifecycle).
"""
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from marketplace.errors import Conflict, NotFound


def lock(queryset, pk, *, of=()):
    """The row `pk` of `queryset` (a manager or queryset), locked until the transaction ends.

    A row that another request deleted meanwhile is a NotFound (404), never a DoesNotExist
    (500). `of` limits the lock to some tables of a query with outer joins (PostgreSQL cannot
    lock their nullable side), e.g. `of=("self",)`.
    """
    queryset = queryset.all()
    try:
        return queryset.select_for_update(of=of).get(pk=pk)
    except queryset.model.DoesNotExist:
        raise NotFound(
            _("%(thing)s no longer exists.") % {"thing": capfirst(queryset.model._meta.verbose_name)}
        ) from None


@dataclass(frozen=True)
class StateMachine:
    """A state field, the moves its table allows and the sentence that refuses the others.

    `refusal` is a lazily translated message with `%(current)s` and `%(target)s` (the labels of
    `choices`, a TextChoices class).
    """

    field: str
    choices: type
    moves: Mapping[str, Collection[str]]
    refusal: str

    def label(self, state) -> str:
        return str(self.choices(state).label)

    def allows(self, current, target) -> bool:
        return target in self.moves.get(current, ())

    def refuse(self, current, target) -> Conflict:
        return Conflict(
            str(self.refusal) % {"current": self.label(current), "target": self.label(target)},
            code="invalid_transition",
        )

    def check(self, current, target) -> None:
        if not self.allows(current, target):
            raise self.refuse(current, target)

    def apply(
        self, obj, target, *, audit: Callable[[str], object], changes: Mapping[str, object] | None = None,
        notify: Callable[[object], None] | None = None, checked: bool = True,
    ):
        """Move the locked `obj` to `target` and return it: check the table (unless the caller
        already decided, `checked=False`), set the state and `changes`, save exactly those
        fields, write the audit row with `audit(from_state)`, then `notify(obj)`."""
        current = getattr(obj, self.field)
        if checked:
            self.check(current, target)
        setattr(obj, self.field, target)
        for name, value in (changes or {}).items():
            setattr(obj, name, value)
        obj.save(update_fields=sorted({self.field, *(changes or {})}))
        audit(current)
        if notify is not None:
            notify(obj)
        return obj
