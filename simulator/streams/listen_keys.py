"""Listen keys: the older way into a user data stream, still used by many deployed clients.

``POST /api/v3/userDataStream`` gives an account a key; a WebSocket on ``/ws/<key>`` (or a
``SUBSCRIBE`` to it) then receives the account's events. A key lives 60 minutes unless kept alive
(``PUT``), and an account has one key at a time (a second ``POST`` returns the same one, as
Binance does). Keys are a connection matter, not exchange state: they are not journaled, and a
restarted server forgets them, as a client whose connection dropped must expect.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

LIFETIME_S = 60 * 60
KEY_CHARS = 60  # Binance's keys are 60 alphanumeric characters


@dataclass(slots=True)
class _Key:
    account: int
    expires: float


class ListenKeys:
    """Keys by value, on the wall clock (a simulated clock may leap hours in a replay)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, _Key] = {}

    def create(self, account: int) -> str:
        """The account's key, made or kept alive."""
        with self._lock:
            self._drop_expired()
            for key, entry in self._keys.items():
                if entry.account == account:
                    entry.expires = self._clock() + LIFETIME_S
                    return key
            key = secrets.token_urlsafe(KEY_CHARS)[:KEY_CHARS].replace("-", "a").replace("_", "b")
            self._keys[key] = _Key(account, self._clock() + LIFETIME_S)
            return key

    def keep_alive(self, key: str, account: int) -> bool:
        with self._lock:
            entry = self._live(key)
            if entry is None or entry.account != account:
                return False
            entry.expires = self._clock() + LIFETIME_S
            return True

    def close(self, key: str, account: int) -> bool:
        with self._lock:
            entry = self._live(key)
            if entry is None or entry.account != account:
                return False
            del self._keys[key]
            return True

    def account_of(self, key: str) -> int | None:
        """The account a live key belongs to."""
        with self._lock:
            entry = self._live(key)
            return None if entry is None else entry.account

    def _live(self, key: str) -> _Key | None:
        entry = self._keys.get(key)
        if entry is not None and entry.expires <= self._clock():
            del self._keys[key]
            return None
        return entry

    def _drop_expired(self) -> None:
        now = self._clock()
        for key in [k for k, e in self._keys.items() if e.expires <= now]:
            del self._keys[key]
