from django.core.management.base import BaseCommand

from orders.services import expire_reservations


class Command(BaseCommand):
    help = "Expire unpaid orders whose reservation ended (ORDERS_RESERVATION_MINUTES, ORDERS_OFFLINE_RESERVATION_HOURS)."

    def handle(self, *args, **options):
        self.stdout.write(f"{expire_reservations()} order(s) expired.")
