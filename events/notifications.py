"""Notification kinds sent by the events app."""
from django.utils.translation import gettext_lazy as _

from notifications.kinds import register

register(
    "event_cancelled",
    title=_("%(event)s is cancelled"),
    body=_("%(organization)s cancelled %(event)s (%(starts)s): %(reason)s"),
)
register(
    "stall_booked",
    title=_("Stall %(stall)s booked at %(event)s"),
    body=_("Your stall %(stall)s at %(event)s (%(starts)s) is confirmed. Show your pass %(code)s at the entrance."),
)
register(
    "stall_waitlisted",
    title=_("On the waitlist for %(event)s"),
    body=_("Every stall at %(event)s is taken; you are number %(position)s on the waitlist. "
           "We will tell you as soon as a stall is free for you."),
)
register(
    "stall_lottery_won",
    title=_("You won a stall at %(event)s"),
    body=_("The lottery for %(event)s gave you stall %(stall)s. Show your pass %(code)s at the entrance."),
)
register(
    "stall_offered",
    title=_("A stall is free for you at %(event)s"),
    body=_("Stall %(stall)s at %(event)s (%(starts)s) is yours if you confirm before %(deadline)s."),
)
register(
    "stall_offer_lapsed",
    title=_("Your stall offer at %(event)s lapsed"),
    body=_("You did not confirm stall %(stall)s at %(event)s in time; it went to the next person on the waitlist."),
)
register(
    "stall_booking_cancelled",
    title=_("Your stall booking at %(event)s was cancelled"),
    body=_("%(organization)s cancelled your stall booking at %(event)s: %(reason)s"),
)
register(
    "swap_ring_proposed",
    title=_("A book swap is waiting for your answer"),
    body=_("At %(event)s you would give “%(gives)s” and receive “%(receives)s” in a ring of %(size)s students. "
           "Confirm or decline it."),
)
register(
    "swap_ring_fixed",
    title=_("Your book swap is fixed"),
    body=_("Everyone confirmed: at %(event)s you give “%(gives)s” and receive “%(receives)s”."),
)
register(
    "swap_ring_dissolved",
    title=_("A book swap was called off"),
    body=_("%(reason)s Your books are back in the pool for the next matching at %(event)s."),
)
