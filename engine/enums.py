"""Order vocabulary, spelled as Binance spells it.

The integer values are the codes the compiled kernel works with; names are the wire spelling,
so ``Side["BUY"]`` parses and ``Side.BUY.name`` prints.
"""

from __future__ import annotations

from enum import IntEnum


class Side(IntEnum):
    BUY = 0
    SELL = 1


class OrderType(IntEnum):
    LIMIT = 0
    MARKET = 1
    LIMIT_MAKER = 2
    STOP_LOSS = 3
    STOP_LOSS_LIMIT = 4
    TAKE_PROFIT = 5
    TAKE_PROFIT_LIMIT = 6


class TimeInForce(IntEnum):
    GTC = 0
    IOC = 1
    FOK = 2


class SelfTradePrevention(IntEnum):
    """What happens when a taker meets a resting order of the same owner (the taker's mode decides)."""

    NONE = 0
    EXPIRE_TAKER = 1
    EXPIRE_MAKER = 2
    EXPIRE_BOTH = 3
    DECREMENT = 4


class OrderStatus(IntEnum):
    NEW = 0
    PARTIALLY_FILLED = 1
    FILLED = 2
    CANCELED = 3
    EXPIRED = 4
    EXPIRED_IN_MATCH = 5
    REJECTED = 6


class MarketStatus(IntEnum):
    """A market takes new orders only while TRADING; cancels work in every status."""

    TRADING = 0
    HALT = 1
    BREAK = 2


class ExpireReason(IntEnum):
    """Why (part of) an order left the book without trading."""

    IOC = 1  # the unfilled remainder of an immediate-or-cancel order
    FOK = 2  # a fill-or-kill order that could not fill completely; nothing traded
    NO_LIQUIDITY = 3  # a market order ran out of book (or of quote budget for another whole lot)
    SELF_TRADE_PREVENTION = 4  # expired by the taker's self-trade-prevention mode
    REJECTED_ON_TRIGGER = 5  # a triggered stop order failed a check when it entered the book


class CancelReason(IntEnum):
    USER = 1
    CANCEL_ALL = 2
