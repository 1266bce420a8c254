import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from marketplace.tasks import ping


class Command(BaseCommand):
    help = "Send a task through CELERY_BROKER_URL to a running worker and wait for its answer."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=30)

    def handle(self, *args, timeout, **options):
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("CELERY_BROKER_URL is not set: tasks run eagerly, there is no broker to check.")
        token = uuid.uuid4().hex
        result = ping.delay(token)
        try:
            answer = result.get(timeout=timeout)
        except Exception as exc:
            raise CommandError(f"No answer from a worker within {timeout:g} s: {exc!r}") from exc
        if answer != token:
            raise CommandError(f"The worker answered {answer!r}, expected {token!r}.")
        self.stdout.write(self.style.SUCCESS(f"Task {result.id} crossed the broker to a worker and back."))
