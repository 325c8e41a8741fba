"""Runs the liquidity sources on the venue's clock.

In ``serve`` a background thread wakes every few milliseconds and lets each source do what is
due; tests call ``step()`` themselves after moving a ``ManualClock``. Sources run with the venue's
lock held, between requests, so every request still sees one consistent state.
"""

from __future__ import annotations

import logging
import threading

from ..venue import Venue
from .source import LiquiditySource

log = logging.getLogger("sandex.liquidity")


class LiquidityDriver:
    def __init__(self, venue: Venue, sources: list[LiquiditySource], tick_ms: int = 10) -> None:
        self.venue = venue
        self.sources = list(sources)
        self.tick_ms = tick_ms
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0

    def start(self) -> None:
        """Open the sources' accounts and first quotes (before the server answers anyone)."""
        with self.venue.lock:
            now = self.venue.now()
            for source in self.sources:
                source.start(self.venue, now)

    def step(self) -> None:
        """Let every source do what is due at the venue's current time."""
        with self.venue.lock:
            if self.venue.read_only is not None:
                return  # the exchange takes no changes (read-only until a restart): nothing to try
            now = self.venue.now()
            for source in self.sources:
                due = source.next_due()
                if due is not None and due <= now:
                    source.advance(self.venue, now)

    def run_in_background(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="sandex-liquidity", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_ms / 1000):
            try:
                self.step()
            except Exception:  # a source's bug must not stop the exchange; it is logged and counted
                self.failures += 1
                log.exception("a liquidity source failed")
