"""A small process-wide cache for data that is expensive to load and cheap to version (a web request reads the
same check-in history and activity list several times; so does every request after it).

Each entry is kept with the *version* it was built from, a tuple from one aggregate query (row count, latest id
or timestamp…). A write changes the version, so the next read rebuilds: never stale, only faster.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")


class VersionedCache:
    def __init__(self, size: int = 16) -> None:
        self._entries: OrderedDict[Hashable, tuple[Hashable, object]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: Hashable, build: Callable[[], T]) -> T:
        """The value for ``key`` built at ``version``; ``build()`` runs when there is none or it is older."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] == version:
                self._entries.move_to_end(key)
                return found[1]  # type: ignore[return-value]
        value = build()  # outside the lock: a slow build must not stall other requests
        with self._lock:
            self._entries[key] = (version, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value


# --- a read-only scope: one request that only reads asks each version question once ---------------------------

_SCOPE: ContextVar[dict | None] = ContextVar("gluteguard_read_scope", default=None)


@contextmanager
def read_only_scope() -> Iterator[None]:
    """Within this block nothing is written, so a version (or the profile) read once stays true: callers that
    only read (the web app's GET requests) wrap their work in it. Outside it every call asks the database."""
    token = _SCOPE.set({})
    try:
        yield
    finally:
        _SCOPE.reset(token)


def scoped(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per read-only scope (every time outside one)."""
    memo = _SCOPE.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[return-value]


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while a burst of plain, acyclic objects is built (years of check-ins and
    activities read at once): it would scan them again and again and free nothing. Only speed changes; the
    collector runs as before afterwards (and stays off if something else had turned it off)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
