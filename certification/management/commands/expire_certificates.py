from django.core.management.base import BaseCommand

from certification.services import expire_due_certificates


class Command(BaseCommand):
    help = "Expire certificates past their last valid day and suspend the listings that rely on them."

    def handle(self, *args, **options):
        count = expire_due_certificates()
        self.stdout.write(f"{count} certificate(s) expired.")
