"""The margin desk: wallets, borrowing and repaying against the house's lending pool, transfers,
margin orders with side effects, interest on the clock, and the histories Binance serves.

Loans, interest and balances live in the engine (``Borrow``, ``Repay``, ``ChargeInterest``,
``Transfer``); this desk decides what a user may do from the value of their wallet at the market
(``Valuation``) and the configured leverage, and keeps the records. Every method takes the venue's
lock, charges any interest that fell due first, and checks everything before the first command,
so a refused request changes nothing.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from engine import (
    Borrow,
    ChargeInterest,
    Command,
    CommandRejected,
    Event,
    InterestCharged,
    Leg,
    RejectReason,
    Repay,
    SetInterestRate,
    Side,
    Transfer,
    WriteOff,
    margin_level,
    max_borrow_value,
    max_withdraw_value,
)

from ..config import MarginConfig
from ..durability import Recorder, journaled
from ..orders import OrderRequest, Placement
from ..refusals import Refusal, Refused
from ..retention import TimedRow, row_time
from ..venue import Venue
from ..wire import parse_units
from .records import InterestRecord, LiquidationRecord, LoanRecord, MarginCall, TransferRecord
from .valuation import Valuation
from .wallets import CROSS_MARGIN, WalletRef, Wallets

SIDE_EFFECTS = ("NO_SIDE_EFFECT", "MARGIN_BUY", "AUTO_REPAY", "AUTO_BORROW_REPAY")
_BORROWS = ("MARGIN_BUY", "AUTO_BORROW_REPAY")
_REPAYS = ("AUTO_REPAY", "AUTO_BORROW_REPAY")


def ratio(text: str, what: str) -> int:
    """A decimal ratio ("1.1") over RATE_DENOM."""
    return parse_units(text, 8, what)


@dataclass(frozen=True, slots=True)
class AssetRow:
    asset: str
    free: int
    locked: int
    borrowed: int
    interest: int

    @property
    def net(self) -> int:
        return self.free + self.locked - self.borrowed - self.interest


@dataclass(frozen=True, slots=True)
class WalletView:
    """A margin wallet as ``margin/account`` and ``margin/isolated/account`` report it."""

    ref: WalletRef
    rows: tuple[AssetRow, ...]
    assets_value: int  # reference units (BTC)
    debt_value: int
    level: int | None  # over RATE_DENOM; None without debt
    liquidation_ratio: int
    margin_call_ratio: int
    leverage: int
    is_open: bool


@dataclass(frozen=True, slots=True)
class MarginPlacement:
    placement: Placement
    borrowed: int
    borrowed_asset: str


def _no_loans(desk: MarginDesk, *args: object, **kwargs: object) -> bool:
    return not desk.venue.loans()


class MarginDesk:
    """Margin wallets, loans and their histories; each ``@journaled`` method is one change."""

    journal_name = "margin"
    durable_fields = (
        "wallets",
        "pool",
        "insurance",
        "loans",
        "interest",
        "transfers",
        "liquidations",
        "margin_calls",
        "_next_tran_id",
        "_next_interest_id",
        "_auto_repay",
        "_repay_at_cancel",
    )

    def __init__(self, venue: Venue, config: MarginConfig) -> None:
        self.venue = venue
        self.config = config
        self.wallets = Wallets(venue)
        self.valuation = Valuation(venue)
        self.liquidation_ratio = {
            "CROSS": ratio(config.cross_liquidation, "cross_liquidation"),
            "ISOLATED": ratio(config.isolated_liquidation, "isolated_liquidation"),
        }
        self.call_ratio = {
            "CROSS": ratio(config.cross_margin_call, "cross_margin_call"),
            "ISOLATED": ratio(config.isolated_margin_call, "isolated_margin_call"),
        }
        self.transfer_ratio = ratio(config.transfer_out_level, "transfer_out_level")
        self.loans: list[LoanRecord] = []
        self.interest: list[InterestRecord] = []
        self.transfers: list[TransferRecord] = []
        self.liquidations: list[LiquidationRecord] = []
        self.margin_calls: list[MarginCall] = []
        self._next_tran_id = 100_000_001
        self._next_interest_id = 1
        self._auto_repay: dict[tuple[str, int], int] = {}  # (symbol, order id) -> proceeds already repaid
        self._repay_at_cancel: dict[tuple[str, int], tuple[str, int]] = {}  # (symbol, id) -> what it borrowed
        with venue.lock:
            decimals = {code: spec.decimals for code, spec in venue.assets.items()}
            self.pool = venue.create_account(
                {a: parse_units(config.lending_pool, d, "lending_pool") for a, d in decimals.items()},
                permissions=(),
                house=True,
            )
            self.insurance = venue.create_account(
                {a: parse_units(config.insurance_fund, d, "insurance_fund") for a, d in decimals.items()},
                permissions=(),
                house=True,
            )
            self._set_interest_rates(list(decimals))

    @journaled
    def _set_interest_rates(self, assets: list[str]) -> None:
        """The configured daily rates (part of a fresh state; a recovered one has its own)."""
        for asset in assets:
            rate = self.config.daily_interest_rates.get(asset, self.config.default_daily_interest_rate)
            self._apply(SetInterestRate(asset, parse_units(rate, 8, f"daily_interest_rates.{asset}")))

    # ---- engine commands ---------------------------------------------------------------------

    def _apply(self, command: Command) -> list[Event]:
        events = self.venue.apply(command)
        if events and isinstance(events[0], CommandRejected):
            raise Refused(events[0].reason)
        self._record_interest(events)
        return events

    def _record_interest(self, events: list[Event]) -> None:
        for e in events:
            if isinstance(e, InterestCharged):
                found = self.wallets.owner_of(e.account)
                if found is not None:
                    self._next_interest_id += 1
                    self.remember(
                        self.interest,
                        InterestRecord(
                            self._next_interest_id - 1,
                            found[0],
                            found[1],
                            e.asset,
                            e.amount,
                            e.principal,
                            e.daily_rate,
                            e.time,
                            e.on_borrow,
                        ),
                    )

    def remember(self, rows: list[TimedRow], row: TimedRow) -> None:
        """Add ``row`` to one of the desk's histories (oldest first), which keep what the venue's
        records retention says (``SimulatorConfig.retention_s`` and ``retention_orders``, over all
        accounts), trimmed at the row's time."""
        rows.append(row)
        self.venue.record_retention.trim(rows, row.time)

    @property
    def recorder(self) -> Recorder:
        return self.venue.recorder

    def _tran_id(self) -> int:
        self._next_tran_id += 1
        return self._next_tran_id - 1

    @journaled(unless=_no_loans)
    def catch_up(self, now: int) -> None:
        """Charge every hour of interest begun by ``now`` (the keeper calls this on the clock too)."""
        with self.venue.lock:
            self._apply(ChargeInterest(now))

    # ---- wallets and their value --------------------------------------------------------------

    def check_ref(self, ref: WalletRef) -> None:
        """Refuse an isolated wallet of a symbol that is not a margin pair."""
        if ref.kind == "ISOLATED":
            market = self.venue.markets.get(ref.symbol)
            if market is None or not market.config.margin:
                raise Refused(Refusal.NOT_MARGIN_PAIR)

    def wallet_assets(self, ref: WalletRef) -> list[str]:
        if ref.kind == "ISOLATED":
            spec = self.venue.markets[ref.symbol].spec
            return [spec.base.code, spec.quote.code]
        return list(self.venue.assets)

    def leverage(self, ref: WalletRef, asset: str) -> int:
        if ref.kind == "ISOLATED":
            return self.config.leverage.get(ref.symbol, self.config.isolated_leverage)
        return self.config.leverage.get(asset, self.config.cross_leverage)

    def value(self, account: int, ref: WalletRef, unit: str = "") -> tuple[int, int, tuple[AssetRow, ...]]:
        """(assets value, debt value, per-asset rows) of a wallet in units of ``unit`` (the
        reference asset by default; a limit on one asset is best figured in that asset, with no
        round trip through another)."""
        venue, val = self.venue, self.valuation
        loans = {loan.asset: loan for loan in venue.loans(account)}
        rows, assets, debt = [], 0, 0
        for asset in self.wallet_assets(ref):
            bal = venue.balance(account, asset)
            loan = loans.get(asset)
            row = AssetRow(asset, bal.free, bal.locked, loan.principal if loan else 0, loan.interest if loan else 0)
            rows.append(row)
            assets += val.convert(row.free + row.locked, asset, unit or val.reference) or 0
            owed = row.borrowed + row.interest
            if owed:
                owed_value = val.convert(owed, asset, unit or val.reference, round_up=True)
                if owed_value is None:  # a debt nobody can price is worth everything: nothing may leave
                    owed_value = 1 << 62
                debt += owed_value
        return assets, debt, tuple(rows)

    def view(self, owner: int, ref: WalletRef) -> WalletView:
        with self.venue.lock:
            self.check_ref(ref)
            self.catch_up(self.venue.now())
            account = self.wallets.find(owner, ref)
            kind = "ISOLATED" if ref.kind == "ISOLATED" else "CROSS"
            lev = self.leverage(ref, "")
            if account is None:
                rows = tuple(AssetRow(a, 0, 0, 0, 0) for a in self.wallet_assets(ref))
                return WalletView(
                    ref, rows, 0, 0, None, self.liquidation_ratio[kind], self.call_ratio[kind], lev, False
                )
            assets, debt, rows = self.value(account, ref)
            return WalletView(
                ref,
                rows,
                assets,
                debt,
                margin_level(assets, debt),
                self.liquidation_ratio[kind],
                self.call_ratio[kind],
                lev,
                True,
            )

    # ---- limits -------------------------------------------------------------------------------

    def max_borrowable(self, owner: int, asset: str, ref: WalletRef) -> tuple[int, int]:
        """(what may be borrowed now, the borrow limit) in units of ``asset``."""
        with self.venue.lock:
            self._check_asset(asset, ref)
            self.catch_up(self.venue.now())
            return self._max_borrowable(owner, asset, ref)

    def _max_borrowable(self, owner: int, asset: str, ref: WalletRef) -> tuple[int, int]:
        account = self.wallets.find(owner, ref)
        if account is None:
            return 0, 0
        assets, debt, _ = self.value(account, ref, asset)
        room = max_borrow_value(assets, debt, self.leverage(ref, asset))
        pool = self.venue.balance(self.pool, asset).free
        return min(room, pool), room

    def max_transferable(self, owner: int, asset: str, ref: WalletRef) -> int:
        with self.venue.lock:
            self._check_asset(asset, ref)
            self.catch_up(self.venue.now())
            return self._max_transferable(owner, asset, ref)

    def _max_transferable(self, owner: int, asset: str, ref: WalletRef) -> int:
        account = self.wallets.find(owner, ref)
        if account is None:
            return 0
        free = self.venue.balance(account, asset).free
        if not ref.is_margin:
            return free
        assets, debt, _ = self.value(account, ref, asset)
        return min(free, max_withdraw_value(assets, debt, self.transfer_ratio))

    def _check_asset(self, asset: str, ref: WalletRef) -> None:
        self.check_ref(ref)
        if asset not in self.venue.assets or (ref.kind == "ISOLATED" and asset not in self.wallet_assets(ref)):
            raise Refused(Refusal.NOT_MARGIN_ASSET)

    # ---- borrow, repay, transfer ----------------------------------------------------------------

    def _begin(self, asset: str, amount: int, *refs: WalletRef) -> int:
        """The checks every money movement starts with, then interest due so far; returns now.
        Call with the venue's lock held."""
        for ref in refs:
            self._check_asset(asset, ref)
        now = self.venue.now()
        self.catch_up(now)
        if amount <= 0:
            raise Refused(RejectReason.INVALID_AMOUNT)
        return now

    @journaled
    def borrow(self, owner: int, asset: str, amount: int, ref: WalletRef) -> LoanRecord:
        with self.venue.lock:
            now = self._begin(asset, amount, ref)
            _, limit = self._max_borrowable(owner, asset, ref)  # the pool's own limit is the engine's check
            if amount > limit:
                raise Refused(Refusal.EXCEEDS_MAX_BORROWABLE)
            account = self.wallets.open(owner, ref)
            self._apply(Borrow(account, asset, amount, self.pool, now))
            return self._loan_record(owner, ref, asset, "BORROW", amount, amount, 0, now, auto=False)

    @journaled
    def repay(self, owner: int, asset: str, amount: int, ref: WalletRef) -> LoanRecord:
        with self.venue.lock:
            now = self._begin(asset, amount, ref)
            account = self.wallets.find(owner, ref)
            loan = None if account is None else self.venue.loan(account, asset)
            if account is None or loan is None or amount > loan.liability:
                raise Refused(RejectReason.REPAY_EXCEEDS_LIABILITY)
            if self.venue.balance(account, asset).free < amount:
                raise Refused(Refusal.WALLET_SHORT)
            return self.apply_repay(owner, ref, account, asset, amount, now, auto=False)

    def apply_repay(
        self, owner: int, ref: WalletRef, account: int, asset: str, amount: int, now: int, auto: bool = True
    ) -> LoanRecord:
        """Repay (checked by the caller, interest caught up) and record how much of it was interest."""
        loan = self.venue.loan(account, asset)
        assert loan is not None  # (the caller checked it)
        interest = min(amount, loan.interest)
        self._apply(Repay(account, asset, amount, now))
        return self._loan_record(owner, ref, asset, "REPAY", amount, amount - interest, interest, now, auto)

    def _loan_record(
        self,
        owner: int,
        ref: WalletRef,
        asset: str,
        kind: str,
        amount: int,
        principal: int,
        interest: int,
        now: int,
        auto: bool,
    ) -> LoanRecord:
        rec = LoanRecord(self._tran_id(), owner, ref, asset, kind, amount, principal, interest, now, auto)
        self.remember(self.loans, rec)
        self.venue.touch(self.wallets.find(owner, ref) or owner, now)
        return rec

    @journaled
    def transfer(self, owner: int, asset: str, amount: int, source: WalletRef, target: WalletRef) -> TransferRecord:
        with self.venue.lock:
            if source == target:
                raise Refused(Refusal.SAME_WALLET)
            now = self._begin(asset, amount, source, target)
            src = self.wallets.find(owner, source)
            free = 0 if src is None else self.venue.balance(src, asset).free
            if src is None or free < amount:  # (no wallet: nothing to move, and amount > 0)
                raise Refused(Refusal.WALLET_SHORT)
            if source.is_margin and amount > self._max_transferable(owner, asset, source):
                raise Refused(Refusal.TRANSFER_EXCEEDS_MAX)
            dst = self.wallets.open(owner, target)
            self._apply(Transfer((Leg(src, dst, asset, amount),), now))
            self.venue.touch(src, now)
            self.venue.touch(dst, now)
            rec = TransferRecord(self._tran_id(), owner, asset, amount, source, target, now)
            self.remember(self.transfers, rec)
            return rec

    # ---- margin orders ------------------------------------------------------------------------

    @journaled
    def place(
        self, owner: int, ref: WalletRef, req: OrderRequest, side_effect: str, repay_at_cancel: bool = True
    ) -> MarginPlacement:
        """A margin order; MARGIN_BUY and AUTO_BORROW_REPAY first borrow what the order lacks (and,
        with ``repay_at_cancel``, pay it back if the order is cancelled), AUTO_REPAY and
        AUTO_BORROW_REPAY repay debt in the asset it receives as it fills."""
        with self.venue.lock:
            self.check_ref(ref)
            market = self.venue.market(req.symbol)
            if not market.config.margin or (ref.kind == "ISOLATED" and req.symbol != ref.symbol):
                raise Refused(Refusal.NOT_MARGIN_PAIR)
            now = self.venue.now()
            self.catch_up(now)
            account = self.wallets.find(owner, ref)
            if account is None:  # an empty wallet: nothing to trade with, nothing to borrow against
                raise Refused(RejectReason.INSUFFICIENT_BALANCE)
            lack, asset = 0, ""
            if side_effect in _BORROWS:
                asset, need = self.venue.requirement(account, req)
                lack = need - self.venue.balance(account, asset).free
                if lack > 0:
                    self._check_asset(asset, ref)
                    if lack > self._max_borrowable(owner, asset, ref)[1]:
                        raise Refused(Refusal.EXCEEDS_MAX_BORROWABLE)
                    self._apply(Borrow(account, asset, lack, self.pool, now))
                    self._loan_record(owner, ref, asset, "BORROW", lack, lack, 0, now, auto=True)
            placement = self.venue.place(account, req)
            key = (req.symbol, placement.order.order_id)
            if lack > 0 and repay_at_cancel:
                self._repay_at_cancel[key] = (asset, lack)
            if side_effect in _REPAYS:
                self._auto_repay[key] = 0
            self.settle_auto_repay(now)
            return MarginPlacement(placement, max(lack, 0), asset if lack > 0 else "")

    @journaled(unless=lambda desk, now: not (desk._auto_repay or desk._repay_at_cancel))
    def settle_auto_repay(self, now: int) -> None:
        """Repay debt from what AUTO_REPAY orders received since the last pass, and what a cancelled
        order borrowed (``autoRepayAtCancel``); called after every margin order and cancel."""
        for key, (asset, borrowed) in list(self._repay_at_cancel.items()):
            rec = self.venue.order_record(*key)
            if rec is not None and rec.is_open:
                continue
            del self._repay_at_cancel[key]
            if rec is None:
                continue
            found = self.wallets.owner_of(rec.account)
            if found is None:
                continue
            loan = self.venue.loan(rec.account, asset)
            if loan is not None and rec.status in ("CANCELED", "EXPIRED", "EXPIRED_IN_MATCH"):
                pay = min(borrowed, self.venue.balance(rec.account, asset).free, loan.liability)
                if pay > 0:
                    self.apply_repay(found[0], found[1], rec.account, asset, pay, now)
        for key, used in list(self._auto_repay.items()):
            symbol, order_id = key
            rec = self.venue.order_record(symbol, order_id)
            if rec is None:
                del self._auto_repay[key]
                continue
            spec = self.venue.markets[symbol].spec
            received_asset = spec.base.code if rec.side == Side.BUY else spec.quote.code
            proceeds = rec.executed_qty if rec.side == Side.BUY else rec.cummulative_quote_qty
            loan = self.venue.loan(rec.account, received_asset)
            found = self.wallets.owner_of(rec.account)
            if loan is not None and found is not None:
                free = self.venue.balance(rec.account, received_asset).free
                pay = min(proceeds - used, free, loan.liability)
                if pay > 0:
                    self.apply_repay(found[0], found[1], rec.account, received_asset, pay, now)
                    used += pay
            if rec.is_open:
                self._auto_repay[key] = used
            else:
                del self._auto_repay[key]

    # ---- bad debt -----------------------------------------------------------------------------

    def write_off(self, account: int, asset: str, now: int) -> None:
        self._apply(WriteOff(account, asset, self.insurance, now))

    # ---- histories ----------------------------------------------------------------------------

    def wallet_of(self, owner: int, ref: WalletRef) -> int | None:
        return self.wallets.find(owner, ref)

    def margin_wallet(self, owner: int, is_isolated: bool, symbol: str | None) -> WalletRef:
        if not is_isolated:
            return CROSS_MARGIN
        if not symbol:
            raise Refused(Refusal.ISOLATED_WITHOUT_SYMBOL)
        ref = WalletRef("ISOLATED", symbol)
        self.check_ref(ref)
        return ref


def window(
    items: list[TimedRow], start: int | None, end: int | None, key: Callable[[TimedRow], int] = row_time
) -> list[TimedRow]:
    """Items (sorted by time) within [start, end]."""
    lo = 0 if start is None else bisect_left(items, start, key=key)
    hi = len(items) if end is None else bisect_right(items, end, key=key)
    return items[lo:hi]
