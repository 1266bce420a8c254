"""Assertions and helpers shared by test packages."""
import threading

from django.db import connection


def assert_error_shape(response, status, type_=None):
    """Every error the API returns has the one shape."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail"}, body
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    if type_ is not None:
        assert body["type"] == type_, body
    return body


def run_together(*targets, timeout: float = 120) -> list[Exception]:
    """Run each callable in a thread of its own, all at once, and wait for them; returns the
    exceptions they raised. Each thread has its own database connection, closed when it ends
    (tests that use this need `django_db(transaction=True)`: the threads must see committed rows)."""
    errors: list[Exception] = []

    def run(target):
        try:
            target()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), f"a thread was still running after {timeout} s"
    return errors


def record_transaction_depth(monkeypatch, calls: list, module, name: str) -> None:
    """Wrap `module.name` so that each call appends (name, number of open atomic blocks) to `calls`:
    compared with the test's own depth, it shows whether work ran inside a service's transaction."""
    real = getattr(module, name)

    def run(*args, **kwargs):
        calls.append((name, len(connection.atomic_blocks)))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, run)
