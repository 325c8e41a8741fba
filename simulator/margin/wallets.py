"""A user's wallets: the spot account, one cross margin account and one isolated account per symbol.

Each wallet is an ordinary venue account (its own balances, orders and trades), opened on first
use and linked to the user's spot account, which is what an API key names. Moving funds between
wallets is an engine ``Transfer``, so wallets never hold money the books do not know about.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..venue import Venue

CROSS = ""  # the symbol key of the cross margin wallet


@dataclass(frozen=True, slots=True)
class WalletRef:
    """Which wallet: ``kind`` SPOT, CROSS or ISOLATED (with its symbol)."""

    kind: str
    symbol: str = ""

    @property
    def is_margin(self) -> bool:
        return self.kind != "SPOT"


SPOT = WalletRef("SPOT")
CROSS_MARGIN = WalletRef("CROSS")


class Wallets:
    """(owner, symbol) -> account, both ways."""

    def __init__(self, venue: Venue) -> None:
        self.venue = venue
        self._account: dict[tuple[int, str], int] = {}
        self._owner: dict[int, tuple[int, str]] = {}

    def find(self, owner: int, ref: WalletRef) -> int | None:
        """The wallet's account, or None if never opened (the spot wallet is the owner itself)."""
        if ref.kind == "SPOT":
            return owner
        return self._account.get((owner, ref.symbol if ref.kind == "ISOLATED" else CROSS))

    def open(self, owner: int, ref: WalletRef) -> int:
        found = self.find(owner, ref)
        if found is not None:
            return found
        key = (owner, ref.symbol if ref.kind == "ISOLATED" else CROSS)
        account = self.venue.create_account({}, permissions=self.venue.permissions(owner))
        self._account[key] = account
        self._owner[account] = key
        return account

    def owner_of(self, account: int) -> tuple[int, WalletRef] | None:
        """(owner, wallet) of a margin account, or None for any other account."""
        key = self._owner.get(account)
        if key is None:
            return None
        owner, symbol = key
        return owner, (WalletRef("ISOLATED", symbol) if symbol else CROSS_MARGIN)

    def isolated_symbols(self, owner: int) -> list[str]:
        return sorted(symbol for (o, symbol) in self._account if o == owner and symbol)

    def margin_accounts(self) -> list[int]:
        return sorted(self._owner)
