import logging
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import transaction

logger = logging.getLogger("marketplace.tasks")


@shared_task
def ping(value: str = "pong") -> str:
    """Echo: proves that a task crosses the broker to a worker and back (see check_task_broker)."""
    return value


def _send(task, args) -> None:
    try:
        task.delay(*args)
    except Exception:
        logger.exception("Task %s%r failed to run or to be queued", task.name, args)


def run_after_commit(task, *args) -> None:
    """Run `task(*args)` on rows the caller has just written: call it after their atomic block.

    With a broker the task is sent once the transaction commits (a worker sees committed rows
    only). Eager (no broker, the embedded default) it runs now, in this process and on this
    connection, which sees the rows: after a request's own transaction has committed, or inside a
    caller's larger transaction (the demo loaders upload a photo and publish it in one; so do
    tests). Either way a failure is logged, never raised: the caller's writes are kept and the
    task's own sweep (see the task) catches up.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER:
        _send(task, args)
    else:
        transaction.on_commit(partial(_send, task, args))


def send_on_commit(task, *args) -> None:
    """Send `task(*args)` once the caller's transaction commits, eager or not: call it inside the
    atomic block, for work that must never follow a change that was rolled back (calls to Stripe).
    A failure is logged, never raised: the task's periodic retry finds the work from the database."""
    transaction.on_commit(partial(_send, task, args), robust=True)
