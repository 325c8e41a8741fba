"""Risk on the clock: margin calls, forced liquidation, and the keeper that runs them.

A wallet whose margin level (assets / debt, valued at the market) falls below its liquidation ratio
is liquidated: its open orders are cancelled, then market orders sell what it holds for what it
owes, into the real book, and its debts are repaid from the proceeds. A debt still open when the
wallet has nothing left it can sell is written off: the insurance fund pays the pool what it can.
Every step is an ordinary venue command, so the ledger stays conserved with the insurance fund and
the pool in the sum. The keeper runs as one more source on the liquidity driver's clock.
"""

from __future__ import annotations

import logging

from engine import OrderType, SelfTradePrevention, Side, TimeInForce
from engine.margin import margin_level, margin_level_at_least
from engine.units import mul_div_ceil

from ..binance_errors import ApiError
from ..orders import OrderRequest
from ..venue import Venue
from .desk import MarginDesk
from .records import LiquidationRecord, MarginCall
from .wallets import WalletRef

log = logging.getLogger("sandex.margin")

SLIPPAGE_BPS = 500  # liquidation orders ask for 5 % more than the shortfall at the mark, to cover the walk
MAX_ROUNDS = 8  # sell/buy rounds per liquidation (a bridge asset takes two)


class Liquidator:
    def __init__(self, desk: MarginDesk) -> None:
        self.desk = desk
        self.venue = desk.venue
        self._called: set[int] = set()  # wallets below the margin call level, warned once per dip

    def check(self, now: int) -> None:
        """Warn or liquidate every margin wallet that owes something."""
        desk = self.desk
        for account in desk.wallets.margin_accounts():
            if not self.venue.engine.loans(account):
                self._called.discard(account)
                continue
            owner, ref = desk.wallets.owner_of(account)
            kind = "ISOLATED" if ref.kind == "ISOLATED" else "CROSS"
            assets, debt, _ = desk._value(account, ref)
            if not margin_level_at_least(assets, debt, desk.liquidation_ratio[kind]):
                self.liquidate(owner, ref, account, now)
            elif not margin_level_at_least(assets, debt, desk.call_ratio[kind]):
                if account not in self._called:
                    self._called.add(account)
                    desk.margin_calls.append(MarginCall(owner, ref, margin_level(assets, debt) or 0, now))
            else:
                self._called.discard(account)

    def liquidate(self, owner: int, ref: WalletRef, account: int, now: int) -> None:
        venue, engine = self.venue, self.venue.engine
        for rec in venue.open_orders(account, None):
            venue.cancel(account, rec.symbol, rec.order_id, None)
        for _ in range(MAX_ROUNDS):
            if not self._round(owner, ref, account, now):
                break
        for loan in engine.loans(account):  # repay from whatever the sales brought in
            pay = min(engine.balance(account, loan.asset).free, loan.liability)
            if pay:
                self.desk._apply_repay(owner, ref, account, loan.asset, pay, now)
        if engine.loans(account) and not self._sellable(account, ref):
            for loan in engine.loans(account):
                self.desk.write_off(account, loan.asset, now)
        venue.touch(account, now)

    def _round(self, owner: int, ref: WalletRef, account: int, now: int) -> bool:
        """Send one liquidation order toward the largest uncovered debt; False when none helps."""
        engine, val = self.venue.engine, self.desk.valuation
        shortfalls = []
        for loan in engine.loans(account):
            short = loan.liability - engine.balance(account, loan.asset).free
            if short > 0:
                shortfalls.append((val.value(short, loan.asset, round_up=True) or 0, loan.asset, short))
        for _, debt_asset, short in sorted(shortfalls, reverse=True):
            for held in self._sellable(account, ref):
                if held == debt_asset:
                    continue
                if self._trade_toward(owner, ref, account, held, debt_asset, short, now):
                    return True
        return False

    def _sellable(self, account: int, ref: WalletRef) -> list[str]:
        """Assets the wallet holds beyond what it owes of them, most valuable first."""
        engine, val = self.venue.engine, self.desk.valuation
        owed = {loan.asset: loan.liability for loan in engine.loans(account)}
        spare = []
        for asset in self.desk.wallet_assets(ref):
            extra = engine.balance(account, asset).free - owed.get(asset, 0)
            if extra > 0:
                spare.append((val.value(extra, asset) or 0, asset))
        return [asset for value, asset in sorted(spare, reverse=True) if value > 0]

    def _trade_toward(self, owner: int, ref: WalletRef, account: int, held: str, want: str, short: int,
                      now: int) -> bool:
        """One market order turning ``held`` into ``want`` (directly, or into a bridge asset first)."""
        venue = self.venue
        pair = self.desk.valuation._pair
        target = want
        if (held, want) not in pair:
            bridges = [b for (a, b) in pair if a == held and (b, want) in pair]
            if not bridges:
                return False
            target = bridges[0]
            short = self.desk.valuation.convert(short, want, target, round_up=True) or 0
        symbol, held_is_base = pair[(held, target)]
        spec = venue.markets[symbol].spec
        owed = next((loan.liability for loan in venue.engine.loans(account) if loan.asset == held), 0)
        spare = venue.engine.balance(account, held).free - owed
        short = mul_div_ceil(short, 10_000 + SLIPPAGE_BPS, 10_000)
        client_id = "autoclose-" + venue.new_client_id()[:16]  # Binance's prefix for liquidation orders
        if held_is_base:  # sell the base for the quote we want
            price = self.desk.valuation.mark(symbol) or 0
            if not price:
                return False
            step = spec.lot_size.step_size
            qty = min(mul_div_ceil(short, 10**spec.base.decimals, price), spare)
            qty = -(-qty // step) * step
            if qty > spare:
                qty = spare // step * step
            req = OrderRequest(symbol, Side.SELL, OrderType.MARKET, TimeInForce.GTC, qty, 0, 0, 0, client_id,
                               SelfTradePrevention.NONE, "FULL")
        else:  # buy the base we want with the quote we hold
            price = self.desk.valuation.mark(symbol) or 0
            budget = min(mul_div_ceil(short, price, 10**spec.base.decimals), spare) if price else spare
            req = OrderRequest(symbol, Side.BUY, OrderType.MARKET, TimeInForce.GTC, 0, 0, budget, 0, client_id,
                               SelfTradePrevention.NONE, "FULL")
        try:
            placement = venue.place(account, req)
        except ApiError as e:  # dust below the filters, an empty book: this asset cannot help now
            log.info("liquidation order %s %s refused: %s", symbol, req.side.name, e.msg)
            return False
        rec = placement.order
        if rec.executed_qty == 0:
            return False
        avg = rec.cummulative_quote_qty * 10**spec.base.decimals // rec.executed_qty
        self.desk.liquidations.append(LiquidationRecord(owner, ref, symbol, rec.order_id, rec.side.name, avg,
                                                        rec.orig_qty or rec.executed_qty, rec.executed_qty,
                                                        rec.cummulative_quote_qty, "GTC", now))
        return True


class MarginKeeper:
    """A driver source: charges interest as hours begin, settles AUTO_REPAY orders, and checks
    margin levels every ``check_interval_ms``."""

    def __init__(self, desk: MarginDesk, interval_ms: int) -> None:
        self.desk = desk
        self.liquidator = Liquidator(desk)
        self.interval_ms = interval_ms
        self._next = 0

    def start(self, venue: Venue, now: int) -> None:
        self._next = now + self.interval_ms

    def advance(self, venue: Venue, now: int) -> None:
        self.desk.catch_up(now)
        self.desk.settle_auto_repay(now)
        self.liquidator.check(now)
        self._next = now + self.interval_ms

    def next_due(self) -> int | None:
        return self._next
