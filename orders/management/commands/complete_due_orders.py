from django.core.management.base import BaseCommand

from orders.services import complete_due_orders


class Command(BaseCommand):
    help = "Complete orders handed over ORDERS_AUTO_COMPLETE_DAYS ago without an open claim (and pay the seller out)."

    def handle(self, *args, **options):
        self.stdout.write(f"{complete_due_orders()} order(s) completed.")
