from django.core.management.base import BaseCommand

from listings.services import expire_due_listings


class Command(BaseCommand):
    help = "Expire active listings whose time online (LISTING_TTL_DAYS, default 60) has run out."

    def handle(self, *args, **options):
        count = expire_due_listings()
        self.stdout.write(f"{count} listing(s) expired.")
