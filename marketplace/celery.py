"""The Celery application.

Tasks run eagerly in-process unless CELERY_BROKER_URL is set (see settings), so the embedded
default needs no broker and the same code runs on Redis in production.
"""
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.worker_process_init.connect
def _load_search_dictionary(**kwargs):
    """Load jieba's dictionary (about a second) when a worker starts, not in the first indexing
    task, so that the first change after a deploy is searchable as soon as the others."""
    from search.text import tokenizer

    tokenizer()
