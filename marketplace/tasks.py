from celery import shared_task


@shared_task
def ping(value: str = "pong") -> str:
    """Echo: proves that a task crosses the broker to a worker and back (see check_task_broker)."""
    return value
