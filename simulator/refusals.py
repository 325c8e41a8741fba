"""Why the venue and its desks refuse a change or a query, in the domain's words.

The venue, the desks (margin, convert) and the histories raise ``Refused``; a refused change
leaves the state as it was. Only the HTTP edge turns a refusal into Binance's status, code and
message, through the one table in ``simulator/binance_errors.py`` (``for_refusal``), so the
domain never spells a Binance code and callers inside the simulator (liquidity sources, the
margin keeper) branch on a reason, not on a number or a message text.

A reason the engine also has (an unknown market or account, a duplicate client order id, an
amount the ledger cannot take, an amend that does not reduce, ...) is raised as the engine's
``RejectReason``, even where the venue finds it before the engine would: one reason, one name,
one row. ``Refusal`` names the rest, the reasons only the venue and the desks know.
"""

from __future__ import annotations

from enum import Enum, auto

from engine import RejectReason


class Refusal(Enum):
    """A reason the engine has no name for. Members whose message names something (an asset, a
    pair, a range) are raised with that detail: ``Refused(Refusal.UNKNOWN_ASSET, "XYZ")``."""

    # ---- the venue: markets, assets, orders
    UNKNOWN_ASSET = auto()  # (asset) an asset no market lists, named (the engine's UNKNOWN_ASSET is not)
    NO_SUCH_ORDER = auto()  # a query or an amend names no order it can act on (a cancel's is UNKNOWN_ORDER)
    CANCEL_RESTRICTED = auto()  # the order is not in the status ``cancelRestrictions`` allows cancelling
    NO_STATE_CHANGE = auto()  # an amend to the quantity the order already has
    # ---- the margin desk
    NOT_MARGIN_PAIR = auto()  # an isolated wallet or a margin order on a market without margin
    NOT_MARGIN_ASSET = auto()  # an asset the wallet cannot hold (unlisted, or outside an isolated pair)
    ISOLATED_WITHOUT_SYMBOL = auto()  # an isolated wallet named without its symbol
    EXCEEDS_MAX_BORROWABLE = auto()  # more than the wallet's value and the leverage allow borrowing
    WALLET_SHORT = auto()  # the wallet holds less than a transfer or a repayment takes from it
    TRANSFER_EXCEEDS_MAX = auto()  # moving that much out of a margin wallet would leave its debt uncovered
    SAME_WALLET = auto()  # a transfer whose source and target are one wallet
    # ---- the convert desk
    QUOTE_AMOUNTS = auto()  # a quote names both amounts or neither: exactly one says its size
    UNKNOWN_VALID_TIME = auto()  # (the valid times) a quote's lifetime that is not offered
    NO_CONVERT_PAIR = auto()  # (from, to) no market trades the two assets directly
    NO_PRICE = auto()  # (symbol) the market has no price yet: an empty book and no trade
    AMOUNT_OUT_OF_RANGE = auto()  # (parameter, least, most) a quote's amount outside what one may name
    INVENTORY_SHORT = auto()  # (asset) the house inventory cannot deliver the quote now
    UNKNOWN_QUOTE = auto()  # no quote of the account's by that id (never made, or long forgotten)
    QUOTE_USED = auto()  # the quote was accepted once already
    QUOTE_EXPIRED = auto()  # the quote's valid time is over
    # ---- market-data queries
    UNKNOWN_INTERVAL = auto()  # a kline interval Binance does not have (case matters: 1m is not 1M)
    BAD_TIME_ZONE = auto()  # a time zone that is not an offset from -12:00 to +14:00
    BAD_WINDOW_SIZE = auto()  # a rolling window outside 1m..59m, 1h..23h, 1d..7d


class Refused(Exception):
    """A change or a query refused, with why (``reason``) and what its message names (``detail``).

    Raised anew each time (never a shared instance, whose traceback would grow with every raise);
    the HTTP edge answers it as ``binance_errors.for_refusal(refused)``."""

    __slots__ = ("detail", "reason")

    def __init__(self, reason: Refusal | RejectReason, *detail: str) -> None:
        super().__init__(reason, *detail)
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason.name} ({', '.join(self.detail)})" if self.detail else self.reason.name
