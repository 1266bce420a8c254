"""The Celery application.

Tasks run eagerly in-process unless CELERY_BROKER_URL is set (see settings), so the embedded
default needs no broker and the same code runs on Redis in production.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
