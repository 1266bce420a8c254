from django.core.management.base import BaseCommand
from django.db import transaction

from marketplace.demo import demo_loaders


class Command(BaseCommand):
    help = "Create a small believable world of demo data (idempotent: safe to run again)."

    def handle(self, *args, **options):
        world: dict = {}
        for label, load in demo_loaders():
            with transaction.atomic():
                summary = load(world)
            self.stdout.write(f"{label}: {summary or 'ok'}")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Demo password for every demo account: demo-pass-2024"))
