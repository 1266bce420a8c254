"""Payment gateways by method: `gateway_for(order)` and `gateway(method)`."""
from orders.gateways.base import PaymentGateway, PaymentStart, PaymentUnavailable, RefundResult
from orders.models import PaymentMethod

__all__ = ["PaymentGateway", "PaymentStart", "PaymentUnavailable", "RefundResult", "gateway", "gateway_for"]


def gateway(method: str) -> PaymentGateway:
    if method == PaymentMethod.STRIPE:
        from orders.gateways.stripe import StripeGateway

        return StripeGateway()
    if method == PaymentMethod.OFFLINE:
        from orders.gateways.offline import OfflineGateway

        return OfflineGateway()
    raise ValueError(f"unknown payment method {method!r}")


def gateway_for(order) -> PaymentGateway:
    return gateway(order.payment_method)
