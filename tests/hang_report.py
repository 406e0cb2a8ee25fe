"""A test whose teardown hangs (an event loop cancelling a task that never finishes) prints the pending
asyncio tasks and their stacks after `AFTER_S` seconds, before pytest-timeout fails it: the threads'
stacks alone only show the loop waiting."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

AFTER_S = 90.0


def _report(name: str) -> None:
    print(f"\n--- {name}: teardown still running after {AFTER_S:.0f} s; pending tasks:", file=sys.stderr)
    loops = [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop) and o.is_running()]
    for loop in loops:
        for task in list(asyncio.all_tasks(loop)):  # read from another thread: a diagnostic snapshot
            print(f"* {task!r}", file=sys.stderr)
            task.print_stack(limit=12, file=sys.stderr)


@contextmanager
def reporting_hangs(name: str) -> Iterator[None]:
    timer = threading.Timer(AFTER_S, _report, args=(name,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
