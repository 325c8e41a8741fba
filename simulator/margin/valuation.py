"""What an amount of one asset is worth in another, from the venue's own books.

A market's mark is the mid of its best bid and ask, else its last trade price, else the reference
price it was configured with. An asset without a direct market to the reference asset is valued
through a bridge asset that has markets to both (ETH -> USDT -> BTC). Amounts are integer units;
assets round down and debts round up, so every rounding errs on the house's side.
"""

from __future__ import annotations

from engine import mul_div_ceil, mul_div_floor

from ..venue import Venue
from ..wire import parse_units

REFERENCE = "BTC"  # Binance states margin totals in BTC


class Valuation:
    """Marks and conversions over the venue's markets (call with the venue's lock held)."""

    def __init__(self, venue: Venue, reference: str = REFERENCE) -> None:
        self.venue = venue
        self.reference = reference if reference in venue.assets else next(iter(venue.assets))
        self.pairs: dict[tuple[str, str], tuple[str, bool]] = {}  # (a, b) -> (symbol, a is its base)
        for symbol, m in venue.markets.items():
            base, quote = m.spec.base.code, m.spec.quote.code
            self.pairs.setdefault((base, quote), (symbol, True))
            self.pairs.setdefault((quote, base), (symbol, False))

    def mark(self, symbol: str) -> int | None:
        """Quote units per whole base coin, or None when the market has no price at all."""
        _, bids, asks = self.venue.depth(symbol, 1)
        if bids and asks:
            return (bids[0][0] + asks[0][0]) // 2
        last = self.venue.last_price(symbol)
        if last:
            return last
        market = self.venue.markets[symbol]
        ref = market.config.reference_price
        return parse_units(ref, market.spec.quote.decimals, "reference_price") if ref else None

    def convert(self, amount: int, source: str, target: str, round_up: bool = False) -> int | None:
        """``amount`` units of ``source`` in units of ``target`` (None: no price path)."""
        if source == target or amount == 0:
            return amount
        hop = self._hop(source, target, amount, round_up)
        if hop is not None:
            return hop
        for a, bridge in self.pairs:
            if a == source and (bridge, target) in self.pairs:
                mid = self._hop(source, bridge, amount, round_up)
                if mid is not None:
                    return self._hop(bridge, target, mid, round_up)
        return None

    def value(self, amount: int, asset: str, round_up: bool = False) -> int | None:
        """In reference units (BTC satoshis by default)."""
        return self.convert(amount, asset, self.reference, round_up)

    def _hop(self, source: str, target: str, amount: int, round_up: bool) -> int | None:
        found = self.pairs.get((source, target))
        if found is None:
            return None
        symbol, source_is_base = found
        price = self.mark(symbol)
        if not price:
            return None
        spec = self.venue.markets[symbol].spec
        one_base = 10**spec.base.decimals
        muldiv = mul_div_ceil if round_up else mul_div_floor
        if source_is_base:  # base units -> quote units
            return muldiv(amount, price, one_base)
        return muldiv(amount, one_base, price)
