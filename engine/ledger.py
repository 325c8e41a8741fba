"""Free and locked balances per (account, asset) in integer units; nothing goes negative.

One int64 row per account, so the compiled settlement reaches any balance by (row, column):
fee rates, a live flag, then (free, locked) per asset, then (open orders, open stop orders) per
market. Row 0 is the fee account. Account ids are small integers handed out by the caller
(the venue numbers its accounts 1, 2, 3 ...); rows grow on demand.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._exchange import A_LIVE, A_MAKER, A_TAKER, ASSET0, FEE_ACCOUNT
from .fees import DEFAULT_MAKER_RATE, DEFAULT_TAKER_RATE
from .specs import AssetSpec
from .units import INT64_SAFE

MAX_ACCOUNT_ID = (1 << 20) - 1  # rows are dense: a higher id would allocate every row below it


class Ledger:
    """Balances and per-market order counts of every account, plus the supply of each asset."""

    __slots__ = ("_asset_cap", "_market_cap", "_markets", "_relayout_hooks", "array", "assets", "supply")

    def __init__(self) -> None:
        self.assets: dict[str, tuple[int, AssetSpec]] = {}  # code -> (index, spec), listing order
        self.supply: list[int] = []  # per asset index: deposits minus withdrawals
        self._asset_cap = 8
        self._market_cap = 8
        self._markets = 0
        self._relayout_hooks: list[Callable[[], None]] = []
        self.array = np.zeros((16, self._width()), dtype=np.int64)
        self.array[FEE_ACCOUNT, A_LIVE] = 1

    # ---- layout ----

    def _width(self) -> int:
        return ASSET0 + 2 * self._asset_cap + 2 * self._market_cap

    def free_col(self, asset_index: int) -> int:
        """Column of the free balance; the locked balance is the next column."""
        return ASSET0 + 2 * asset_index

    def count_col(self, market_index: int) -> int:
        """Column of the open-order count; the open stop-order count is the next column."""
        return ASSET0 + 2 * self._asset_cap + 2 * market_index

    def on_relayout(self, hook: Callable[[], None]) -> None:
        """Call ``hook`` whenever column numbers change (markets keep theirs in their headers)."""
        self._relayout_hooks.append(hook)

    def _relayout(self, asset_cap: int, market_cap: int) -> None:
        old, old_assets, old_markets = self.array, self._asset_cap, self._market_cap
        self._asset_cap, self._market_cap = asset_cap, market_cap
        new = np.zeros((old.shape[0], self._width()), dtype=np.int64)
        new[:, :ASSET0] = old[:, :ASSET0]
        new[:, ASSET0 : ASSET0 + 2 * old_assets] = old[:, ASSET0 : ASSET0 + 2 * old_assets]
        c_old, c_new = ASSET0 + 2 * old_assets, self.count_col(0)
        new[:, c_new : c_new + 2 * old_markets] = old[:, c_old : c_old + 2 * old_markets]
        self.array = new
        for hook in self._relayout_hooks:
            hook()

    def add_asset(self, spec: AssetSpec) -> int:
        if len(self.assets) == self._asset_cap:
            self._relayout(self._asset_cap * 2, self._market_cap)
        index = len(self.assets)
        self.assets[spec.code] = (index, spec)
        self.supply.append(0)
        return index

    def add_market(self) -> int:
        if self._markets == self._market_cap:
            self._relayout(self._asset_cap, self._market_cap * 2)
        self._markets += 1
        return self._markets - 1

    # ---- accounts ----

    def is_live(self, account: int) -> bool:
        return 0 <= account < self.array.shape[0] and bool(self.array[account, A_LIVE])

    def open_account(self, account: int) -> None:
        """Make ``account`` live with the default fee rates (rows grow to reach it)."""
        rows = self.array.shape[0]
        if account >= rows:
            while rows <= account:
                rows *= 2
            grown = np.zeros((rows, self.array.shape[1]), dtype=np.int64)
            grown[: self.array.shape[0]] = self.array
            self.array = grown
        if not self.array[account, A_LIVE]:
            self.array[account, A_LIVE] = 1
            self.array[account, A_MAKER] = DEFAULT_MAKER_RATE
            self.array[account, A_TAKER] = DEFAULT_TAKER_RATE

    def accounts(self) -> list[int]:
        return [int(a) for a in np.flatnonzero(self.array[:, A_LIVE])]

    def rates(self, account: int) -> tuple[int, int]:
        return int(self.array[account, A_MAKER]), int(self.array[account, A_TAKER])

    def set_rates(self, account: int, maker: int, taker: int) -> None:
        self.array[account, A_MAKER] = maker
        self.array[account, A_TAKER] = taker

    # ---- balances ----

    def free(self, account: int, asset_index: int) -> int:
        if not self.is_live(account):
            return 0
        return int(self.array[account, self.free_col(asset_index)])

    def locked(self, account: int, asset_index: int) -> int:
        if not self.is_live(account):
            return 0
        return int(self.array[account, self.free_col(asset_index) + 1])

    def can_deposit(self, asset_index: int, amount: int) -> bool:
        return amount > 0 and self.supply[asset_index] + amount < INT64_SAFE

    def credit(self, account: int, asset_index: int, amount: int) -> int:
        """Add (or with a negative amount, remove) free balance; returns the new free balance."""
        col = self.free_col(asset_index)
        self.array[account, col] += amount
        self.supply[asset_index] += amount
        return int(self.array[account, col])

    def move_to_free(self, account: int, col: int, amount: int) -> None:
        """Release ``amount`` locked at ``col + 1`` back to free ``col``."""
        self.array[account, col] += amount
        self.array[account, col + 1] -= amount
