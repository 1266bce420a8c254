"""Offline payment: cash or a bank/WeChat transfer between buyer and seller at the hand-over.

No money passes through the platform, so nothing is held, released or taken as a fee. The seller
records the payment when the hand-over code is scanned (see services.hand_over); a refund is the
seller giving the money back in person, recorded when it is requested.
"""
from orders.gateways.base import PaymentGateway, PaymentStart, RefundResult
from orders.models import PaymentMethod


class OfflineGateway(PaymentGateway):
    method = PaymentMethod.OFFLINE
    holds_funds = False

    def start_payment(self, order) -> PaymentStart:
        return PaymentStart(reference="", client_secret=None)

    def cancel_payment(self, order) -> bool:
        return True

    def refund(self, order, refund) -> RefundResult:
        return RefundResult(reference="", settled=True)
