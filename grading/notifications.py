"""Notification kinds sent by the grading app."""
from django.utils.translation import gettext_lazy as _

from notifications.kinds import register

GRADE_MISMATCH = "grade_mismatch"

register(
    GRADE_MISMATCH,
    title=_("The inspected grade of “%(listing)s” differs from yours"),
    body=_(
        "You declared “%(listing)s” as grade %(declared)s, but %(agency)s inspected it as grade %(inspected)s "
        "under standard %(standard)s. Buyers see the inspected grade, and the listing shows that the two differ. "
        "Check your answers, or contact the agency if you disagree."
    ),
)
