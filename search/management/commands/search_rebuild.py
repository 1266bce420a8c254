"""manage.py search_rebuild: rebuild the search index of the configured backend from the database.

Elasticsearch: loads a new versioned index, swaps the alias in one request and deletes the old
index (searches keep working throughout). Database backend: replaces its tables in one
transaction. Either way it heals whatever index updates were lost while the backend was down, and
documents are built in one process per core while the backend writes the previous batches.
"""
import os
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from search import service
from search.backends.base import SearchUnavailable
from search.rebuild import active_count


class Command(BaseCommand):
    help = _("Rebuild the search index from the database (zero downtime on Elasticsearch).")

    def add_arguments(self, parser):
        parser.add_argument(
            "--workers", type=int, default=os.cpu_count() or 1,
            help=_("Processes that build documents (default: one per core; 1 builds them in this process)."),
        )
        parser.add_argument("--batch-size", type=int, default=500, help=_("Listings per batch."))
        parser.add_argument("--no-progress", action="store_true", help=_("Do not show a progress bar."))

    def handle(self, *args, workers, batch_size, no_progress, **options):
        backend = service.get_backend()
        total = active_count()
        bar = tqdm(total=total, unit="listing", disable=no_progress or None, file=self.stderr._out)

        def progress(done: int) -> None:
            bar.update(done - bar.n)

        started = time.perf_counter()
        try:
            count = service.rebuild(progress=progress, workers=workers, batch_size=batch_size)
        except SearchUnavailable as error:
            raise CommandError(_("The search backend is unavailable: %(error)s") % {"error": error}) from error
        finally:
            bar.close()
        elapsed = time.perf_counter() - started
        rate = count / elapsed if elapsed > 0 else 0.0
        self.stdout.write(self.style.SUCCESS(
            _("Indexed %(count)d listings with the %(backend)s backend in %(seconds).1f s (%(rate).0f/s).")
            % {"count": count, "backend": backend.name, "seconds": elapsed, "rate": rate}
        ))
