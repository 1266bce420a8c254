"""manage.py search_drain: retry every index update that failed, oldest first, with a progress bar.

What the periodic task `search.drain_pending_updates` does a batch at a time under Celery beat,
for deployments without a beat (cron) and for operators after an outage of the search engine.
Updates that fail again stay in the outbox and the command exits with an error.
"""
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from search import tasks


class Command(BaseCommand):
    help = _("Retry the index updates that failed (the pending-index outbox), oldest first.")

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help=_("Retry at most this many updates."))
        parser.add_argument("--no-progress", action="store_true", help=_("Do not show a progress bar."))

    def handle(self, *args, limit, no_progress, **options):
        waiting = tasks.waiting_updates().count()
        total = min(waiting, limit) if limit else waiting
        if not total:
            self.stdout.write(_("No index update is waiting."))
            return
        bar = tqdm(total=total, unit="update", disable=no_progress or None, file=self.stderr._out)
        try:
            result = tasks.drain_pending_updates(limit=total, progress=lambda: bar.update(1))
        finally:
            bar.close()
        if result["failed"]:
            raise CommandError(
                _("%(failed)d of %(total)d index updates failed again and stay pending; is the search engine up?")
                % {"failed": result["failed"], "total": total}
            )
        self.stdout.write(self.style.SUCCESS(
            _("Applied %(applied)d of %(total)d pending index updates.") % {"applied": result["applied"], "total": total}
        ))
