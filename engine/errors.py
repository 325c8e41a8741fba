"""Business rejections (returned as values) and broken invariants (raised)."""

from __future__ import annotations

from enum import IntEnum


class RejectReason(IntEnum):
    """Why a command was refused; a refused command changes nothing.

    Precise enough for the HTTP layer to give Binance's exact error for each.
    """

    INVALID_QUANTITY = 1  # quantity not positive, or larger than the book can represent
    PRICE_OUT_OF_RANGE = 2  # limit price outside the book's [min, max] tick range
    UNKNOWN_ORDER = 3  # no open order with that id for this account
    WOULD_TAKE = 4  # LIMIT_MAKER (post-only) order would trade immediately
    INVALID_AMEND_QUANTITY = 5  # amend must reduce: 0 < new quantity < current quantity
    INVALID_ORDER_PARAMETERS = 6  # combination of type, time in force and amounts not allowed
    PRICE_FILTER = 7  # price or stop price below min, above max, or not a multiple of the tick
    LOT_SIZE = 8  # quantity below min, above max, or not a multiple of the step
    MARKET_LOT_SIZE = 9  # market order quantity outside the market-order quantity rules
    NOTIONAL = 10  # price x quantity below the minimum or above the maximum notional
    PERCENT_PRICE_BY_SIDE = 11  # price too far from the recent average price for its side
    MAX_NUM_ORDERS = 12  # the account has too many open orders in this market
    MAX_NUM_ALGO_ORDERS = 13  # the account has too many open stop orders in this market
    INSUFFICIENT_BALANCE = 14  # free balance below what the order would lock, or the withdrawal
    MARKET_CLOSED = 15  # market status is HALT or BREAK
    UNKNOWN_MARKET = 16  # no such symbol
    ORDER_TYPE_NOT_ALLOWED = 17  # the market does not allow this order type
    WOULD_TRIGGER_IMMEDIATELY = 18  # stop price already reached by the last trade price
    DUPLICATE_CLIENT_ORDER_ID = 19  # the venue's (it keeps client order ids): an open order has that id
    UNKNOWN_ACCOUNT = 20  # account id never funded (or not a valid account id)
    UNKNOWN_ASSET = 21  # asset code not listed
    INVALID_AMOUNT = 22  # deposit / withdrawal amount not positive, or beyond the int64-safe range
    ALREADY_LISTED = 23  # asset or market listed twice
    INVALID_FEE_RATE = 24  # fee rate outside [0, RATE_DENOM]
    INVALID_MARKET_STATUS = 25  # not one of TRADING, HALT, BREAK
    POOL_INSUFFICIENT = 26  # the lending pool cannot lend that much of the asset now
    REPAY_EXCEEDS_LIABILITY = 27  # a repayment larger than what is owed (principal plus interest)
    NO_LOAN = 28  # nothing of that asset is owed by that account
    INVALID_RATE = 29  # an interest rate outside [0, RATE_DENOM] a day


class InvariantViolation(AssertionError):
    """Internal state is inconsistent: a bug, never a user error."""
