"""Commands: what a caller asks the engine to do (frozen, slotted, imperative).

Amounts are asset units: prices in quote units per whole base coin, quantities in base units,
quote amounts in quote units. ``time`` is the caller's clock in milliseconds (the engine has
none); it dates trades for the average price the price filters use.
"""

from __future__ import annotations

from dataclasses import dataclass

from .enums import MarketStatus, OrderType, SelfTradePrevention, Side, TimeInForce
from .specs import AssetSpec, MarketSpec


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """A new order. MARKET orders give ``quantity`` or ``quote_quantity``; stop types a ``stop_price``."""

    market: str
    account: int
    side: Side
    order_type: OrderType
    quantity: int = 0
    price: int = 0
    quote_quantity: int = 0
    stop_price: int = 0
    time_in_force: TimeInForce = TimeInForce.GTC
    stp: SelfTradePrevention = SelfTradePrevention.NONE
    time: int = 0


@dataclass(frozen=True, slots=True)
class CancelOrder:
    """Cancel one open order (resting or waiting stop) by its ``order_id`` (client order ids are the
    venue's: it names orders to the engine by id)."""

    market: str
    account: int
    order_id: int = 0
    time: int = 0


@dataclass(frozen=True, slots=True)
class CancelAllOrders:
    """Cancel every open order of the account in the market: stops first, then resting, oldest first."""

    market: str
    account: int
    time: int = 0


@dataclass(frozen=True, slots=True)
class AmendOrder:
    """Reduce a resting order's quantity keeping its queue priority (Binance amend keepPriority)."""

    market: str
    account: int
    new_quantity: int
    order_id: int = 0
    time: int = 0


@dataclass(frozen=True, slots=True)
class Deposit:
    account: int
    asset: str
    amount: int
    time: int = 0


@dataclass(frozen=True, slots=True)
class Withdraw:
    """Take free balance out of the books (locked balance cannot be withdrawn)."""

    account: int
    asset: str
    amount: int
    time: int = 0


@dataclass(frozen=True, slots=True)
class Leg:
    """One movement of free balance from one account to another."""

    from_account: int
    to_account: int
    asset: str
    amount: int


@dataclass(frozen=True, slots=True)
class Transfer:
    """Move free balances between accounts, all legs or none (a conversion is two legs; a wallet
    transfer one). The receiving account is opened if new; nothing is created or destroyed."""

    legs: tuple[Leg, ...]
    time: int = 0


@dataclass(frozen=True, slots=True)
class Borrow:
    """Lend ``amount`` from the ``pool`` account's free balance to ``account``; the first hour's
    interest is charged at once (Binance's rule), later hours by ``ChargeInterest``."""

    account: int
    asset: str
    amount: int
    pool: int
    time: int = 0


@dataclass(frozen=True, slots=True)
class Repay:
    """Pay back up to the liability from free balance: interest first, then principal."""

    account: int
    asset: str
    amount: int
    time: int = 0


@dataclass(frozen=True, slots=True)
class ChargeInterest:
    """Charge every hour begun by ``time`` and not yet charged, on every loan (or one account's)."""

    time: int
    account: int | None = None


@dataclass(frozen=True, slots=True)
class WriteOff:
    """Close a liability the borrower cannot pay (after a liquidation): ``payer`` covers what it
    can from its free balance, the pool loses the rest."""

    account: int
    asset: str
    payer: int
    time: int = 0


@dataclass(frozen=True, slots=True)
class SetInterestRate:
    """An asset's daily interest rate over ``units.RATE_DENOM`` (hourly = daily / 24)."""

    asset: str
    daily_rate: int


@dataclass(frozen=True, slots=True)
class ListAsset:
    spec: AssetSpec


@dataclass(frozen=True, slots=True)
class ListMarket:
    """Open a market; its base and quote assets are listed along with it when new."""

    spec: MarketSpec


@dataclass(frozen=True, slots=True)
class SetMarketStatus:
    market: str
    status: MarketStatus


@dataclass(frozen=True, slots=True)
class SetFeeRates:
    """An account's maker and taker commission, as integers over ``units.RATE_DENOM``."""

    account: int
    maker_rate: int
    taker_rate: int


Command = (
    PlaceOrder
    | CancelOrder
    | CancelAllOrders
    | AmendOrder
    | Deposit
    | Withdraw
    | Transfer
    | Borrow
    | Repay
    | ChargeInterest
    | WriteOff
    | SetInterestRate
    | ListAsset
    | ListMarket
    | SetMarketStatus
    | SetFeeRates
)
