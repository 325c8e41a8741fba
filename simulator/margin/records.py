"""What the margin desk remembers for Binance's history endpoints (amounts in asset units)."""

from __future__ import annotations

from dataclasses import dataclass

from .wallets import WalletRef


@dataclass(frozen=True, slots=True)
class LoanRecord:
    """One borrow or repay (``margin/borrow-repay`` GET)."""

    tran_id: int
    owner: int
    wallet: WalletRef
    asset: str
    kind: str  # BORROW | REPAY
    amount: int
    principal: int  # of this amount: the principal part (a repay pays interest first)
    interest: int
    time: int
    auto: bool = False  # made by an order's side effect or a liquidation, not asked for


@dataclass(frozen=True, slots=True)
class InterestRecord:
    """One hour's interest (``margin/interestHistory``)."""

    tx_id: int
    owner: int
    wallet: WalletRef
    asset: str
    amount: int
    principal: int
    daily_rate: int  # over RATE_DENOM
    time: int
    on_borrow: bool


@dataclass(frozen=True, slots=True)
class TransferRecord:
    tran_id: int
    owner: int
    asset: str
    amount: int
    source: WalletRef
    target: WalletRef
    time: int


@dataclass(frozen=True, slots=True)
class LiquidationRecord:
    """One order a forced liquidation sent to the book (``margin/forceLiquidationRec``)."""

    owner: int
    wallet: WalletRef
    symbol: str
    order_id: int
    side: str
    price: int  # the average price, quote units per whole base coin
    qty: int
    executed_qty: int
    cumulative_quote: int
    time_in_force: str
    time: int


@dataclass(frozen=True, slots=True)
class MarginCall:
    owner: int
    wallet: WalletRef
    level: int  # over RATE_DENOM
    time: int
