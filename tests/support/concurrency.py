"""Run the same call from many threads released at one instant, as racing clients would."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def at_once(count: int, call: Callable[[int], T]) -> list[T | str]:
    """`call(i)` for i in range(count), all released together by a barrier.

    A call that raises yields the exception's class name instead of a result: a crash is
    exactly what these tests look for. Each thread closes its own database connection.
    """
    barrier = threading.Barrier(count)

    def one(i: int) -> T | str:
        barrier.wait()
        try:
            return call(i)
        except Exception as exc:  # reported, not raised: the caller asserts on results
            return type(exc).__name__
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))
