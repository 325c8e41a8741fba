"""The deterministic liquidity sources as part of the exchange's state, changed by journaled steps.

Synthetic markets and the static book decide everything from their seeded generators, their own
state and the venue's, so the journal records "this source started", "advance to t" and "move
this reference price" instead of every quote they place, and a recovery rebuilds them exactly: a
restart continues the same seeded path with the same quotes resting, opens no new house account
(so any number of restarts adds no supply) and leaves no orphaned order. A live mirror (its input
is the network) and a historical replay (in memory only) stay outside: the venue journals their
orders one by one and a restart starts them afresh.
"""

from __future__ import annotations

import copy
from typing import Protocol, TypeGuard

from ..durability import Recorder, journaled
from ..venue import Venue
from .source import LiquiditySource


class DeterministicSource(LiquiditySource, Protocol):
    def config_key(self) -> object:
        """What the source was configured with: a saved source is kept only if it matches."""
        ...

    def house_accounts(self) -> list[int]:
        """Every account the source trades from (its orders are retired if it is stopped)."""
        ...


class ReferencePriced(DeterministicSource, Protocol):
    """A source whose markets follow reference prices the admin API can move (the synthetic markets)."""

    @property
    def symbols(self) -> list[str]: ...

    def set_reference(self, symbol: str, price: int) -> None: ...

    def reference(self, symbol: str) -> int: ...

    def quote_updates(self, symbol: str | None = None) -> int: ...


def _reference_priced(source: DeterministicSource) -> TypeGuard[ReferencePriced]:
    return hasattr(source, "set_reference")


class JournaledLiquidity:
    """The deterministic sources by name: to the liquidity driver, one source."""

    journal_name = "liquidity"
    durable_fields = ("sources",)

    def __init__(self, venue: Venue) -> None:
        self.venue = venue
        self.sources: dict[str, DeterministicSource] = {}

    @property
    def recorder(self) -> Recorder:
        return self.venue.recorder

    # ---- configuration -----------------------------------------------------------------------

    def reconcile(self, wanted: dict[str, DeterministicSource]) -> None:
        """After a start or a recovery: keep each saved source the configuration still asks for (as
        configured), stop the others (their quotes are cancelled), start the new ones."""
        for name, source in list(self.sources.items()):
            if name not in wanted or wanted[name].config_key() != source.config_key():
                self.remove(name)
        for name, blueprint in wanted.items():
            if name not in self.sources:
                self.add(name, blueprint)

    @journaled
    def add(self, name: str, blueprint: DeterministicSource) -> None:
        """Start a copy of ``blueprint`` (the journal keeps the blueprint as it was configured)."""
        if name in self.sources:
            raise ValueError(f"liquidity source {name!r} is already running")
        source = copy.deepcopy(blueprint)
        source.start(self.venue, self.venue.now())
        self.sources[name] = source

    @journaled
    def remove(self, name: str) -> None:
        source = self.sources.pop(name)
        self.venue.retire_house_orders_of(tuple(source.house_accounts()))

    def house_accounts(self) -> tuple[int, ...]:
        return tuple(a for source in self.sources.values() for a in source.house_accounts())

    # ---- LiquiditySource ---------------------------------------------------------------------

    def start(self, venue: Venue, now: int) -> None:
        """Nothing: the sources were started (or recovered) by ``reconcile``."""

    def advance(self, venue: Venue, now: int) -> None:
        self.step(now)

    @journaled
    def step(self, now: int) -> None:
        """Let every source do what is due at ``now``, in the order they were started (the driver
        calls it only when ``next_due`` says something is)."""
        for source in self.sources.values():
            due = source.next_due()
            if due is not None and due <= now:
                source.advance(self.venue, now)

    def next_due(self) -> int | None:
        dues = [d for d in (s.next_due() for s in self.sources.values()) if d is not None]
        return min(dues, default=None)

    # ---- the synthetic markets' controls (the admin API) -------------------------------------

    def _movable(self, symbol: str) -> ReferencePriced:
        for source in self.sources.values():
            if _reference_priced(source) and symbol in source.symbols:
                return source
        raise ValueError(f"{symbol}: not a synthetic market (started: {self.symbols})")

    @property
    def symbols(self) -> list[str]:
        """The markets whose reference price can be moved."""
        return [s for source in self.sources.values() if _reference_priced(source) for s in source.symbols]

    @journaled
    def set_reference(self, symbol: str, price: int) -> None:
        self._movable(symbol).set_reference(symbol, price)

    def reference(self, symbol: str) -> int:
        return self._movable(symbol).reference(symbol)

    def quote_updates(self, symbol: str) -> int:
        return self._movable(symbol).quote_updates(symbol)
