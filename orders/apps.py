from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders and payments")

    def ready(self):
        from listings import eligibility, stock
        from orders import notifications  # noqa: F401  (registers notification kinds)
        from orders.rules import seller_record_problems
        from orders.services import held_units

        # Unpaid checkouts hold units: a seller cannot lower the quantity below them.
        stock.register_holder(held_units)

        # A publishing rule: it holds new listings back, it takes nothing off sale.
        eligibility.register("seller_record", source=eligibility.PUBLISHING, check=seller_record_problems,
                             codes=("seller_record_held",))
