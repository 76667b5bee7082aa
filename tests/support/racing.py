"""Workers racing: the same function run by several threads at once, each in its own app
context, released together, for tests of the outbox's never-twice guarantees."""

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def race(app, work: Callable[[], T], workers: int = 3, timeout: float = 60) -> list[T]:
    """What `work()` returned in each of `workers` threads started at the same moment; a
    thread's exception is raised here."""
    start = threading.Barrier(workers)
    results: list[T] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                start.wait(timeout=10)
                results.append(work())
        except Exception as exc:  # surfaced below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    if errors:
        raise errors[0]
    assert len(results) == workers, "a worker did not finish"
    return results
