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

from engine import (
    OrderType,
    RejectReason,
    SelfTradePrevention,
    Side,
    TimeInForce,
    margin_level,
    margin_level_at_least,
    mul_div_ceil,
)

from ..durability import Recorder, journaled
from ..orders import OrderRequest
from ..refusals import Refused
from ..venue import Venue
from .desk import MarginDesk
from .records import LiquidationRecord, MarginCall
from .wallets import WalletRef

log = logging.getLogger("sandex.margin")

SLIPPAGE_BPS = 500  # liquidation orders ask for 5 % more than the shortfall at the mark, to cover the walk
MAX_ROUNDS = 8  # sell/buy rounds per liquidation (a bridge asset takes two)
TRADED, STUCK, EXHAUSTED = "traded", "stuck", "exhausted"


class Liquidator:
    def __init__(self, desk: MarginDesk) -> None:
        self.desk = desk
        self.venue = desk.venue
        self._called: set[int] = set()  # wallets below the margin call level, warned once per dip

    def check(self, now: int) -> None:
        """Warn or liquidate every margin wallet that owes something."""
        desk = self.desk
        indebted = {loan.account for loan in self.venue.loans()}  # one pass over the loans
        self._called &= indebted
        for account in sorted(indebted):
            found = desk.wallets.owner_of(account)
            if found is None:  # a loan outside the margin wallets is not this desk's to police
                continue
            owner, ref = found
            kind = "ISOLATED" if ref.kind == "ISOLATED" else "CROSS"
            assets, debt, _ = desk.value(account, ref)
            if not margin_level_at_least(assets, debt, desk.liquidation_ratio[kind]):
                self.liquidate(owner, ref, account, now)
            elif not margin_level_at_least(assets, debt, desk.call_ratio[kind]):
                if account not in self._called:
                    self._called.add(account)
                    desk.remember(desk.margin_calls, MarginCall(owner, ref, margin_level(assets, debt) or 0, now))
            else:
                self._called.discard(account)

    def liquidate(self, owner: int, ref: WalletRef, account: int, now: int) -> None:
        venue = self.venue
        for rec in venue.open_orders(account, None):
            venue.cancel(account, rec.symbol, rec.order_id, None)
        outcome = TRADED
        for _ in range(MAX_ROUNDS):
            outcome = self._round(owner, ref, account, now)
            if outcome != TRADED:
                break
        for loan in venue.loans(account):  # repay from whatever the sales brought in
            pay = min(venue.balance(account, loan.asset).free, loan.liability)
            if pay:
                self.desk.apply_repay(owner, ref, account, loan.asset, pay, now)
        if outcome == EXHAUSTED:  # nothing left worth an order: the rest is bad debt
            for loan in venue.loans(account):
                self.desk.write_off(account, loan.asset, now)
        venue.touch(account, now)

    def _round(self, owner: int, ref: WalletRef, account: int, now: int) -> str:
        """Send one liquidation order toward the largest uncovered debt: TRADED, or why not (STUCK:
        something could still be sold but the book took none; EXHAUSTED: only dust is left)."""
        venue, val = self.venue, self.desk.valuation
        shortfalls = []
        for loan in venue.loans(account):
            short = loan.liability - venue.balance(account, loan.asset).free
            if short > 0:
                shortfalls.append((val.value(short, loan.asset, round_up=True) or 0, loan.asset, short))
        outcome = EXHAUSTED
        for _, debt_asset, short in sorted(shortfalls, reverse=True):
            for held in self._sellable(account, ref):
                if held != debt_asset:
                    result = self._trade_toward(owner, ref, account, held, debt_asset, short, now)
                    if result == TRADED:
                        return TRADED
                    if result == STUCK:
                        outcome = STUCK
        return outcome if shortfalls else TRADED

    def _sellable(self, account: int, ref: WalletRef) -> list[str]:
        """Assets the wallet holds beyond what it owes of them, most valuable first."""
        venue, val = self.venue, self.desk.valuation
        owed = {loan.asset: loan.liability for loan in venue.loans(account)}
        spare = []
        for asset in self.desk.wallet_assets(ref):
            extra = venue.balance(account, asset).free - owed.get(asset, 0)
            if extra > 0:
                spare.append((val.value(extra, asset) or 0, asset))
        return [asset for value, asset in sorted(spare, reverse=True) if value > 0]

    def _trade_toward(
        self, owner: int, ref: WalletRef, account: int, held: str, want: str, short: int, now: int
    ) -> str:
        """One market order turning ``held`` into ``want`` (directly, or into a bridge asset first)."""
        venue, val = self.venue, self.desk.valuation
        target = want
        if (held, want) not in val.pairs:
            bridges = [b for (a, b) in val.pairs if a == held and (b, want) in val.pairs]
            if not bridges:
                return EXHAUSTED  # nothing trades it toward the debt
            target = bridges[0]
            short = val.convert(short, want, target, round_up=True) or 0
        symbol, held_is_base = val.pairs[(held, target)]
        spec = venue.markets[symbol].spec
        price = val.mark(symbol)
        if not price:
            return STUCK
        owed = next((loan.liability for loan in venue.loans(account) if loan.asset == held), 0)
        spare = venue.balance(account, held).free - owed
        short = mul_div_ceil(short, 10_000 + SLIPPAGE_BPS, 10_000)
        client_id = "autoclose-" + venue.new_client_id()[:16]  # Binance's prefix for liquidation orders
        if held_is_base:  # sell the base for the quote owed: enough lots to cover the shortfall, or all
            step = spec.lot_size.step_size
            qty = min(-(-mul_div_ceil(short, 10**spec.base.decimals, price) // step) * step, spare // step * step)
            req = OrderRequest(
                symbol,
                Side.SELL,
                OrderType.MARKET,
                TimeInForce.GTC,
                qty,
                0,
                0,
                0,
                client_id,
                SelfTradePrevention.NONE,
                "FULL",
            )
        else:  # buy the base owed with the quote held
            qty = min(mul_div_ceil(short, price, 10**spec.base.decimals), spare)
            req = OrderRequest(
                symbol,
                Side.BUY,
                OrderType.MARKET,
                TimeInForce.GTC,
                0,
                0,
                qty,
                0,
                client_id,
                SelfTradePrevention.NONE,
                "FULL",
            )
        if qty <= 0:
            return EXHAUSTED
        try:
            placement = venue.place(account, req)
        except Refused as e:  # below the filters (dust), or a closed market (try again later)
            log.info("liquidation order %s %s refused: %s", symbol, req.side.name, e)
            return STUCK if e.reason is RejectReason.MARKET_CLOSED else EXHAUSTED
        rec = placement.order
        if rec.executed_qty == 0:
            return STUCK  # an empty book
        avg = rec.cummulative_quote_qty * 10**spec.base.decimals // rec.executed_qty
        self.desk.remember(
            self.desk.liquidations,
            LiquidationRecord(
                owner,
                ref,
                symbol,
                rec.order_id,
                rec.side.name,
                avg,
                rec.orig_qty or rec.executed_qty,
                rec.executed_qty,
                rec.cummulative_quote_qty,
                "GTC",
                now,
            ),
        )
        return TRADED


def _idle(keeper: MarginKeeper, now: int) -> bool:
    """Nothing owed, nothing to settle, nobody warned: a pass would change nothing."""
    desk = keeper.desk
    return not (desk.venue.loans() or desk._auto_repay or desk._repay_at_cancel or keeper.liquidator._called)


class MarginKeeper:
    """A driver source: charges interest as hours begin, settles AUTO_REPAY orders, and checks
    margin levels every ``check_interval_ms``. Its passes are journaled changes (``keep``)."""

    journal_name = "keeper"
    durable_fields = ("liquidator",)

    def __init__(self, desk: MarginDesk, interval_ms: int) -> None:
        self.desk = desk
        self.liquidator = Liquidator(desk)
        self.interval_ms = interval_ms
        self._next = 0

    def start(self, venue: Venue, now: int) -> None:
        self._next = now + self.interval_ms

    @property
    def recorder(self) -> Recorder:
        return self.desk.venue.recorder

    def advance(self, venue: Venue, now: int) -> None:
        self.keep(now)
        self._next = now + self.interval_ms

    @journaled(unless=_idle)
    def keep(self, now: int) -> None:
        self.desk.catch_up(now)
        self.desk.settle_auto_repay(now)
        self.liquidator.check(now)

    def next_due(self) -> int | None:
        return self._next
