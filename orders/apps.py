from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders and payments")

    def ready(self):
        from listings.rules import register_publish_rule
        from orders import notifications  # noqa: F401  (registers notification kinds)
        from orders.rules import seller_record_problems

        # Not enforced on what is on sale: the rule holds new listings back, it takes nothing off sale.
        register_publish_rule(seller_record_problems)
