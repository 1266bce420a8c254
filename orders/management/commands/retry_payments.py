from django.core.management.base import BaseCommand

from orders.tasks import retry_payment_calls, retry_webhook_events


class Command(BaseCommand):
    help = "Process stored Stripe events that failed or were never processed, then resend refunds, reversals and payouts."

    def handle(self, *args, **options):
        self.stdout.write(f"Stripe events: {retry_webhook_events()}")
        self.stdout.write(f"Payment calls: {retry_payment_calls()}")
