"""Gunicorn settings for serving the API in production: `gunicorn -c gunicorn.conf.py marketplace.wsgi`.

Threaded workers keep connections alive between requests (a reverse proxy or an app reuses them),
which saves a TCP connection per request; the sync worker closes every connection. Each setting
can be overridden on the command line or through GUNICORN_* variables.
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))  # seconds an idle connection stays open
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))  # recycle workers: bounded memory
max_requests_jitter = 200
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
