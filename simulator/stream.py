"""The venue's one ordered stream of what changed: each change's engine events, in order.

Whatever reacts to the exchange (WebSocket streams, user data streams, a dashboard) listens here
instead of polling the state: a change is told once, after it is complete and journaled, with
every engine event it caused (orders accepted, filled, cancelled, expired, amended, stops
triggered, deposits, loans, transfers) in the order the engine produced them. A refused change
tells nothing (the engine's rejections are never told). Listeners run on the thread that made
the change, with the venue's lock held and the state just as the change left it: they must be
quick (hand the change to a queue) and must not change anything themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from engine import CommandRejected, Event, OrderRejected

log = logging.getLogger("sandex.stream")
_REJECTIONS = (CommandRejected, OrderRejected)  # a refused command changed nothing: nothing to tell


class BookBatch(NamedTuple):
    """The event rows of one engine batch (``Engine.apply_batch``: the replay's house orders), told
    as they are: a batch makes no event objects. Prices in ticks, quantities in lots (see
    ``engine.batch`` for the columns)."""

    market: str
    rows: np.ndarray


@dataclass(frozen=True, slots=True)
class Change:
    """One complete change."""

    seq: int  # 1, 2, ... in the order changes were applied since this process started
    time: int  # the change's time (ms since the epoch)
    source: str  # the journaled call it was ("venue.place", "liquidity.step", ...); "" outside one
    events: tuple[Event | BookBatch, ...]


Listener = Callable[[Change], None]


class EventStream:
    """Collects the events of the change running and tells the listeners once it is complete."""

    def __init__(self) -> None:
        self.seq = 0
        self._listeners: list[Listener] = []
        self._pending: list[Event | BookBatch] = []
        self._open = 0  # changes running (a change inside a change is part of the outer one)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every change from now on; returns what stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # ---- called by the venue and the journal ---------------------------------------------------

    @property
    def heard(self) -> bool:
        """Whether anything listens (a batch's rows are copied for the stream only then)."""
        return bool(self._listeners)

    def emit(self, events: list[Event] | list[BookBatch]) -> None:
        """Events of the change running; outside one (set-up), a change of their own."""
        if self._open:
            self._pending.extend(events)
            return
        told = tuple(e for e in events if type(e) not in _REJECTIONS)
        if told:
            self._tell(0, "", told)

    def begin(self) -> None:
        self._open += 1

    def end(self, time: int, source: str) -> None:
        """The outermost change finished (or was refused: then only what it did change, if
        anything, is told; the engine's rejections never are)."""
        self._open -= 1
        if self._open:
            return
        events = tuple(e for e in self._pending if type(e) not in _REJECTIONS)
        self._pending = []
        if events:
            self._tell(time, source, events)

    def discard(self) -> None:
        """Forget what the running change emitted (a change a broken invariant stopped halfway:
        what it did is not to be believed, and the journal does not keep it either)."""
        self._pending = []

    def _tell(self, time: int, source: str, events: tuple[Event | BookBatch, ...]) -> None:
        self.seq += 1
        change = Change(self.seq, time, source, events)
        for listener in tuple(self._listeners):
            try:
                listener(change)
            except Exception:  # a listener's bug must not undo or stop the exchange
                log.exception("a listener of the venue's stream failed on change %d", change.seq)


class Attachment:
    """A listener attached to a stream only while it wants something (``want``): detached, it costs
    a change nothing, and the stream is not ``heard`` for it, so an engine batch copies no rows."""

    def __init__(self, stream: EventStream, listener: Listener) -> None:
        self._stream, self._listener = stream, listener
        self._detach: Callable[[], None] | None = None

    def want(self, wanted: bool) -> None:
        if wanted and self._detach is None:
            self._detach = self._stream.subscribe(self._listener)
        elif not wanted and self._detach is not None:
            self._detach()
            self._detach = None
