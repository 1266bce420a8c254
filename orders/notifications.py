"""Notification kinds sent by the orders app."""
from django.utils.translation import gettext_lazy as _

from notifications.kinds import register

register(
    "order_placed",
    title=_("New order for “%(title)s”"),
    body=_("A buyer ordered “%(title)s” (¥%(total)s, order %(order)s), paying by: %(method)s."),
)
register(
    "order_paid",
    title=_("Order %(order)s is paid"),
    body=_("The buyer paid ¥%(total)s for “%(title)s”. The platform holds the money until the buyer confirms "
           "receipt. Arrange the hand-over and scan the buyer's code there."),
)
register(
    "order_payment_failed",
    title=_("Your payment for “%(title)s” did not go through"),
    body=_("The payment for order %(order)s failed: %(error)s You can try again while the item is reserved for you."),
    email=False,
)
register(
    "order_expired",
    title=_("Your order for “%(title)s” expired"),
    body=_("Order %(order)s was not paid in time, so the item went back on sale."),
)
register(
    "order_cancelled",
    title=_("Order %(order)s was cancelled"),
    body=_("The order for “%(title)s” was cancelled: %(reason)s"),
)
register(
    "order_handed_over",
    title=_("You received “%(title)s”"),
    body=_("The seller recorded the hand-over of order %(order)s. Confirm receipt once you checked the item, or "
           "open a grade claim if it is not as described; without either the order completes after %(days)s days."),
)
register(
    "order_completed",
    title=_("Order %(order)s is completed"),
    body=_("The order for “%(title)s” (¥%(total)s) is completed."),
)
register(
    "order_payout_sent",
    title=_("Payout for order %(order)s sent"),
    body=_("¥%(amount)s for “%(title)s” was transferred to your organization's Stripe account."),
)
register(
    "order_refund_requested",
    title=_("A refund for “%(title)s” is on its way"),
    body=_("¥%(amount)s of order %(order)s is being refunded to the way you paid: %(reason)s"),
)
register(
    "order_refund_due_offline",
    title=_("The seller owes you ¥%(amount)s for “%(title)s”"),
    body=_("Order %(order)s was paid in person, so the seller pays ¥%(amount)s back in person (%(reason)s). "
           "Confirm in the order once you have the money."),
)
register(
    "order_refunded",
    title=_("Order %(order)s is refunded"),
    body=_("¥%(amount)s of the order for “%(title)s” was refunded."),
)
register(
    "order_late_payment_refunded",
    title=_("Your late payment for “%(title)s” is refunded"),
    body=_("Order %(order)s had already ended when your payment arrived, so all of it is refunded."),
)
register(
    "order_disputed",
    title=_("Card dispute on order %(order)s"),
    body=_("The buyer's bank opened a dispute (%(reason)s) on ¥%(amount)s of order %(order)s “%(title)s”. "
           "The order is frozen; answer the dispute in the Stripe dashboard."),
)
register(
    "order_dispute_closed",
    title=_("Card dispute on order %(order)s closed"),
    body=_("The dispute on order %(order)s “%(title)s” ended: %(status)s."),
)
register(
    "order_payment_mismatch",
    title=_("Payment for order %(order)s does not match"),
    body=_("Stripe reported ¥%(received)s for order %(order)s “%(title)s”, which costs ¥%(total)s. "
           "The order was left unpaid: check it in the Stripe dashboard."),
)
register(
    "stripe_event_failing",
    title=_("A Stripe event keeps failing"),
    body=_("Stripe event %(event)s (%(type)s) failed again and will be retried: %(error)s"),
)
register(
    "payouts_enabled",
    title=_("%(organization)s can receive payouts"),
    body=_("Stripe finished onboarding %(organization)s: payments held for your completed orders are transferred now."),
)
register(
    "review_received",
    title=_("New review for “%(title)s”"),
    body=_("The buyer of order %(order)s rated you %(rating)s of 5."),
)
register(
    "claim_opened",
    title=_("Grade claim on order %(order)s"),
    body=_("The buyer of “%(title)s” says the item is not as graded. Answer within %(days)s days with your "
           "view; an inspection agency or platform staff then decides."),
)
register(
    "claim_answered",
    title=_("The seller answered your claim on order %(order)s"),
    body=_("The seller of “%(title)s” answered your grade claim; it now waits for a decision."),
)
register(
    "claim_decided",
    title=_("Grade claim on order %(order)s decided: %(decision)s"),
    body=_("The claim on “%(title)s” was decided: %(decision)s. Reasons: %(reason)s"),
)
register(
    "claim_withdrawn",
    title=_("Grade claim on order %(order)s withdrawn"),
    body=_("The buyer of “%(title)s” withdrew their grade claim."),
)
