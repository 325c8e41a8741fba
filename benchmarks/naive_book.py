"""A simple pure-Python order book (SortedDict of deques), the yardstick for the engine figures.

It implements what the benchmark workloads use (GTC limits, market orders by quantity, cancels)
the way one would write it without thinking about speed, with lazy cancellation.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np
from sortedcontainers import SortedDict

from engine import batch as k


class NaiveBook:
    def __init__(self, on_fill: Callable[[list, int, int], None] | None = None) -> None:
        self.on_fill = on_fill  # (maker entry [id, qty, owner], quantity, price) after each trade
        self.bids: SortedDict = SortedDict()  # key: -price, so the best bid comes first
        self.asks: SortedDict = SortedDict()
        self.orders: dict[int, list] = {}
        self.next_id = 1
        self.next_trade = 1

    def place(self, side: int, otype: int, price: int, qty: int, owner: int = 0) -> int:
        """Match and rest one order; returns its event count. ``self.rested`` is what rested."""
        oid = self.next_id
        self.rested = 0
        self.next_id += 1
        events = 1
        book, key = (self.asks, 1) if side == k.BUY else (self.bids, -1)
        while qty and book:
            level_key, queue = book.peekitem(0)
            level_price = level_key * key
            if otype == k.LIMIT and (level_price > price if side == k.BUY else level_price < price):
                break
            while queue and qty:
                maker = queue[0]
                if maker[1] == 0:  # cancelled earlier
                    queue.popleft()
                    continue
                fill = min(qty, maker[1])
                maker[1] -= fill
                qty -= fill
                self.next_trade += 1
                events += 1
                if self.on_fill is not None:
                    self.on_fill(maker, fill, level_price)
                if maker[1] == 0:
                    queue.popleft()
                    del self.orders[maker[0]]
            if not queue:
                del book[level_key]
        if qty:
            if otype == k.LIMIT:
                own = self.bids if side == k.BUY else self.asks
                entry = [oid, qty, owner]
                self.rested = qty
                own.setdefault(-price if side == k.BUY else price, deque()).append(entry)
                self.orders[oid] = entry
            else:
                events += 1
        return events

    def cancel(self, oid: int) -> list | None:
        """Remove a resting order lazily; returns its entry as it was, if it rested."""
        entry = self.orders.pop(oid, None)
        if entry is not None:
            was = list(entry)
            entry[1] = 0
            return was
        return None

    def run(self, cmds: np.ndarray) -> int:
        events = 0
        for kind, side, otype, _tif, price, qty, _owner, _stp, _quote, oid in cmds.tolist():
            if kind == k.CMD_PLACE:
                events += self.place(side, otype, price, qty)
            else:
                self.cancel(oid)
                events += 1
        return events
