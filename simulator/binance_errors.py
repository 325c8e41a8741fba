"""The one table from refusals and request faults to Binance's (HTTP status, code, msg).

ccxt picks its exception class from the exact message text first and the code second, so every
text here is Binance's own, character for character. The HTTP edge (the request pipeline,
``auth``, ``wire``, ``ratelimit``, armed faults) raises an ``ApiError``; the venue and its desks
raise ``refusals.Refused`` (a ``Refusal`` or an engine ``RejectReason``), which the edge answers as
``for_refusal`` says. Either is rendered as ``{"code": ..., "msg": ...}`` with its status; nothing
else leaves.
"""

from __future__ import annotations

from engine import RejectReason

from .refusals import Refusal, Refused


class ApiError(Exception):
    """A request refused with Binance's status, code and message (safe to show the client)."""

    __slots__ = ("code", "data", "headers", "msg", "status")

    def __init__(
        self, status: int, code: int, msg: str, headers: dict[str, str] | None = None, data: object = None
    ) -> None:
        super().__init__(f"{status} {code} {msg}")
        self.status, self.code, self.msg, self.headers, self.data = status, code, msg, headers, data

    def copy(self) -> ApiError:
        return ApiError(self.status, self.code, self.msg, self.headers, self.data)

    def body(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "msg": self.msg}
        if self.data is not None:
            out["data"] = self.data
        return out


# ---- request faults (11xx) -------------------------------------------------------------------


def illegal_chars(param: str, legal: str) -> ApiError:
    return ApiError(400, -1100, f"Illegal characters found in parameter '{param}'; legal range is '{legal}'.")


def duplicate_param(param: str) -> ApiError:
    return ApiError(400, -1101, f"Duplicate values for a parameter detected. Parameter '{param}'.")


def too_many_params(expected: int, received: int) -> ApiError:
    return ApiError(400, -1101, f"Too many parameters; expected '{expected}' and received '{received}'.")


def mandatory(param: str) -> ApiError:
    return ApiError(400, -1102, f"Mandatory parameter '{param}' was not sent, was empty/null, or malformed.")


def one_of(a: str, b: str) -> ApiError:
    return ApiError(400, -1102, f"Param '{a}' or '{b}' must be sent, but both were empty/null!")


def unread(read: int, sent: int) -> ApiError:
    return ApiError(400, -1104, f"Not all sent parameters were read; read '{read}' parameter(s) but was sent '{sent}'.")


def empty_param(param: str) -> ApiError:
    return ApiError(400, -1105, f"Parameter '{param}' was empty.")


def not_required(param: str) -> ApiError:
    return ApiError(400, -1106, f"Parameter '{param}' sent when not required.")


def too_precise(param: str) -> ApiError:
    return ApiError(400, -1111, f"Parameter '{param}' has too much precision.")


def invalid_value(param: str) -> ApiError:
    return ApiError(400, -1130, f"Invalid data sent for a parameter. Parameter '{param}'.")


def window_too_long(hours: int) -> ApiError:
    return ApiError(400, -1127, f"More than {hours} hours between startTime and endTime.")


BAD_COMBO = ApiError(400, -1128, "Combination of optional parameters invalid.")
UNSUPPORTED_COMBO = ApiError(400, -1014, "Unsupported order combination.")
INVALID_TIF = ApiError(400, -1115, "Invalid timeInForce.")
INVALID_TYPE = ApiError(400, -1116, "Invalid orderType.")
INVALID_SIDE = ApiError(400, -1117, "Invalid side.")
UNKNOWN_LISTEN_KEY = ApiError(400, -1125, "This listenKey does not exist.")
EMPTY_NEW_CLIENT_ID = ApiError(400, -1118, "New client order ID was empty.")
EMPTY_ORIG_CLIENT_ID = ApiError(400, -1119, "Original client order ID was empty.")
BAD_INTERVAL = ApiError(400, -1120, "Invalid interval.")
BAD_SYMBOL = ApiError(400, -1121, "Invalid symbol.")
BAD_RECV_WINDOW = ApiError(400, -1131, "recvWindow must be less than 60000")
INVALID_CANCEL_RESTRICTIONS = ApiError(
    400, -1145, "cancelRestrictions has to be either ONLY_NEW or ONLY_PARTIALLY_FILLED."
)
DUPLICATE_SYMBOLS = ApiError(400, -1151, "Symbol is present multiple times in the list.")
UNKNOWN = ApiError(400, -1000, "An unknown error occurred while processing the request.")
NOT_FOUND = ApiError(404, -1000, "Not found.")  # a path Binance does not have
OVERLOADED = ApiError(
    503, -1008, "Server is currently overloaded with other requests. Please try again in a few minutes."
)
METHOD_NOT_ALLOWED = ApiError(405, -1000, "Method not allowed.")
UNSUPPORTED = ApiError(400, -1020, "This operation is not supported.")
# Binance: a 5XX means the execution status is unknown
INTERNAL = ApiError(503, -1001, "Internal error; unable to process your request. Please try again.")
EXECUTION_UNKNOWN = ApiError(
    503, -1007, "Timeout waiting for response from backend server. Send status unknown; execution status unknown."
)

# ---- the WebSocket API's envelope and sessions (simulator/http/ws_api.py) -------------------------
# Binance's WebSocket API answers a request it cannot read with -1135 (INVALID_JSON), naming the
# field it could not use ("Invalid 'id' in JSON request; expected ..."), and a method it does not
# have with -1020; its user data subscriptions refuse with -2035, -2036, -2042 and -1191.
INVALID_JSON = ApiError(400, -1135, "Invalid JSON Request")
INVALID_ID = ApiError(
    400, -1135, "Invalid 'id' in JSON request; expected an integer, a string matching '^[a-zA-Z0-9-_]{1,36}$', or null."
)
SUBSCRIPTION_ACTIVE = ApiError(400, -2035, "User Data Stream subscription already active.")
SUBSCRIPTION_INACTIVE = ApiError(400, -2036, "User Data Stream subscription not active.")
MAX_SUBSCRIPTION_IDS = ApiError(400, -2042, "Maximum subscription ID reached for this connection.")


def invalid_json_field(name: str, expected: str) -> ApiError:
    return ApiError(400, -1135, f"Invalid '{name}' in JSON request; expected {expected}.")


def too_many_subscriptions(limit: int) -> ApiError:
    return ApiError(
        400, -1191, f"Too many subscriptions. Connection may create up to '{limit}' subscriptions at a time."
    )


def too_many_connections(limit: int, interval: str) -> ApiError:
    return ApiError(429, -1034, f"Too many connection attempts from IP; current limit is {limit} per '{interval}'.")


# ---- authentication (10xx, 20xx) ---------------------------------------------------------------

UNAUTHORIZED = ApiError(401, -1002, "You are not authorized to execute this request.")
TIMESTAMP_OUTSIDE = ApiError(400, -1021, "Timestamp for this request is outside of the recvWindow.")
TIMESTAMP_AHEAD = ApiError(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
BAD_SIGNATURE = ApiError(400, -1022, "Signature for this request is not valid.")
BAD_KEY_FORMAT = ApiError(401, -2014, "API-key format invalid.")
REJECTED_KEY = ApiError(401, -2015, "Invalid API-key, IP, or permissions for action.")

# ---- orders (20xx) ----------------------------------------------------------------------------

UNKNOWN_ORDER_CANCEL = ApiError(400, -2011, "Unknown order sent.")
NO_SUCH_ORDER = ApiError(400, -2013, "Order does not exist.")
DUPLICATE_ORDER = ApiError(400, -2010, "Duplicate order sent.")
CANCEL_RESTRICTED = ApiError(400, -2011, "Order was not canceled due to cancel restrictions.")
AMEND_INCREASE = ApiError(400, -2010, "Order amend (quantity increase) is not supported.")
NO_STATE_CHANGE = ApiError(400, -2010, "The requested action would change no state; rejecting.")
QUOTE_QTY_NOT_ALLOWED = ApiError(400, -2010, "Quote order qty market orders are not support for this symbol.")

_TYPE_NOT_SUPPORTED = {
    "MARKET": "Market orders are not supported for this symbol.",
    "STOP_LOSS": "Stop loss orders are not supported for this symbol.",
    "STOP_LOSS_LIMIT": "Stop loss limit orders are not supported for this symbol.",
    "TAKE_PROFIT": "Take profit orders are not supported for this symbol.",
    "TAKE_PROFIT_LIMIT": "Take profit limit orders are not supported for this symbol.",
}


def type_not_supported(order_type: str) -> ApiError:
    msg = _TYPE_NOT_SUPPORTED.get(order_type)
    return ApiError(400, -2010, msg) if msg else REFUSALS["UNSUPPORTED_COMBO"].copy()


def _filter(name: str) -> ApiError:
    return ApiError(400, -1013, f"Filter failure: {name}")


_REJECTS: dict[RejectReason, ApiError] = {
    RejectReason.INVALID_QUANTITY: ApiError(400, -1013, "Invalid quantity."),
    RejectReason.PRICE_OUT_OF_RANGE: _filter("PRICE_FILTER"),
    RejectReason.UNKNOWN_ORDER: UNKNOWN_ORDER_CANCEL,
    RejectReason.WOULD_TAKE: ApiError(400, -2010, "Order would immediately match and take."),
    RejectReason.INVALID_AMEND_QUANTITY: AMEND_INCREASE,
    RejectReason.INVALID_ORDER_PARAMETERS: UNSUPPORTED_COMBO,
    RejectReason.PRICE_FILTER: _filter("PRICE_FILTER"),
    RejectReason.LOT_SIZE: _filter("LOT_SIZE"),
    RejectReason.MARKET_LOT_SIZE: _filter("MARKET_LOT_SIZE"),
    RejectReason.NOTIONAL: _filter("NOTIONAL"),
    RejectReason.PERCENT_PRICE_BY_SIDE: _filter("PERCENT_PRICE_BY_SIDE"),
    RejectReason.MAX_NUM_ORDERS: _filter("MAX_NUM_ORDERS"),
    RejectReason.MAX_NUM_ALGO_ORDERS: _filter("MAX_NUM_ALGO_ORDERS"),
    RejectReason.INSUFFICIENT_BALANCE: ApiError(400, -2010, "Account has insufficient balance for requested action."),
    RejectReason.MARKET_CLOSED: ApiError(400, -1013, "Market is closed."),
    RejectReason.UNKNOWN_MARKET: BAD_SYMBOL,
    RejectReason.ORDER_TYPE_NOT_ALLOWED: UNSUPPORTED_COMBO,
    RejectReason.WOULD_TRIGGER_IMMEDIATELY: ApiError(400, -2010, "Order would trigger immediately."),
    RejectReason.DUPLICATE_CLIENT_ORDER_ID: DUPLICATE_ORDER,
    RejectReason.UNKNOWN_ACCOUNT: REJECTED_KEY,
    RejectReason.UNKNOWN_ASSET: ApiError(400, -1130, "Invalid data sent for a parameter. Unknown asset."),
    RejectReason.INVALID_AMOUNT: ApiError(400, -1130, "Invalid data sent for a parameter. Invalid amount."),
    RejectReason.ALREADY_LISTED: ApiError(400, -1130, "Invalid data sent for a parameter. Already listed."),
    RejectReason.INVALID_FEE_RATE: ApiError(400, -1130, "Invalid data sent for a parameter. Invalid fee rate."),
    RejectReason.INVALID_MARKET_STATUS: ApiError(400, -1130, "Invalid data sent for a parameter. Invalid status."),
    RejectReason.POOL_INSUFFICIENT: ApiError(400, -3045, "The system does not have enough asset now."),
    RejectReason.REPAY_EXCEEDS_LIABILITY: ApiError(400, -3015, "Repayment amount exceeds borrow amount."),
    RejectReason.NO_LOAN: ApiError(400, -3015, "Repayment amount exceeds borrow amount."),
    RejectReason.INVALID_RATE: ApiError(400, -1130, "Invalid data sent for a parameter. Invalid rate."),
}


# ---- margin (-3xxx, -11xxx) -------------------------------------------------------------------------
# ccxt maps Binance's margin codes to exception classes only for Binance's production hostname;
# against any other URL a -3xxx code is a plain ExchangeError. Where a message alone decides the
# class (ccxt matches exact texts before codes), the message is chosen for the class Binance users
# get: a margin "balance not enough" keeps its code -3041 but says Binance's insufficient-balance
# text, so ccxt raises InsufficientFunds against sandex as against Binance.
MARGIN_BALANCE_NOT_ENOUGH = ApiError(400, -3041, "Account has insufficient balance for requested action.")
EXCEEDS_MAX_BORROWABLE = ApiError(400, -3006, "Your borrow amount has exceed maximum borrow amount.")
NOT_MARGIN_ASSET = ApiError(400, -3027, "Not a valid margin asset.")
NOT_MARGIN_PAIR = ApiError(400, -3028, "Not a valid margin pair.")
TRANSFER_OUT_REFUSED = ApiError(400, -3020, "Transfer out amount exceeds max amount.")
ISOLATED_NOT_OPEN = ApiError(400, -11001, "Isolated margin account does not exist.")
SAME_WALLET = ApiError(
    400, -1130, "Invalid data sent for a parameter. The transfer's source and target are the same account."
)


def for_reject(reason: RejectReason) -> ApiError:
    """Binance's answer to an engine rejection (every ``RejectReason`` has one)."""
    return _REJECTS[reason].copy()


# ---- the venue's and the desks' refusals (simulator/refusals.py) ---------------------------------
# Every ``Refusal`` has one row; a ``{}`` in a message is filled with the refusal's detail, in order.
_CONVERT_FAILED = "System failed to execute the quote, which has {}. Please request for quote again."
_REFUSALS: dict[Refusal, ApiError] = {
    Refusal.UNKNOWN_ASSET: ApiError(400, -1130, "Invalid data sent for a parameter. Unknown asset '{}'."),
    Refusal.NO_SUCH_ORDER: NO_SUCH_ORDER,
    Refusal.CANCEL_RESTRICTED: CANCEL_RESTRICTED,
    Refusal.NO_STATE_CHANGE: NO_STATE_CHANGE,
    Refusal.NOT_MARGIN_PAIR: NOT_MARGIN_PAIR,
    Refusal.NOT_MARGIN_ASSET: NOT_MARGIN_ASSET,
    Refusal.ISOLATED_WITHOUT_SYMBOL: mandatory("symbol"),
    Refusal.EXCEEDS_MAX_BORROWABLE: EXCEEDS_MAX_BORROWABLE,
    Refusal.WALLET_SHORT: MARGIN_BALANCE_NOT_ENOUGH,
    Refusal.TRANSFER_EXCEEDS_MAX: TRANSFER_OUT_REFUSED,
    Refusal.SAME_WALLET: SAME_WALLET,
    Refusal.QUOTE_AMOUNTS: one_of("fromAmount", "toAmount"),
    Refusal.UNKNOWN_VALID_TIME: illegal_chars("validTime", "{}"),
    Refusal.NO_CONVERT_PAIR: ApiError(
        400,
        -1130,
        "Invalid data sent for a parameter. No direct market between '{}' and '{}': this pair cannot be converted.",
    ),
    Refusal.NO_PRICE: ApiError(
        400,
        -1130,
        "Invalid data sent for a parameter. {} has no price yet (an empty book and no trade): "
        "this pair cannot be converted now.",
    ),
    Refusal.AMOUNT_OUT_OF_RANGE: ApiError(
        400,
        -1130,
        "Invalid data sent for a parameter. Parameter '{}' must be between {} and {} for this conversion.",
    ),
    Refusal.INVENTORY_SHORT: ApiError(
        400, -1000, "The convert desk's {} inventory cannot cover this quote now; try a smaller amount."
    ),
    Refusal.UNKNOWN_QUOTE: ApiError(400, -1130, "Invalid data sent for a parameter. Unknown quoteId."),
    # Binance Convert's documented expiry answer (code 345231, "TIME_OUT", in Binance's convert docs);
    # the same family for a quote accepted once already (Binance documents no separate text for it).
    Refusal.QUOTE_USED: ApiError(400, -345231, _CONVERT_FAILED.format("already been accepted")),
    Refusal.QUOTE_EXPIRED: ApiError(400, -345231, _CONVERT_FAILED.format("expired")),
    Refusal.UNKNOWN_INTERVAL: BAD_INTERVAL,
    Refusal.BAD_TIME_ZONE: invalid_value("timeZone"),
    Refusal.BAD_WINDOW_SIZE: invalid_value("windowSize"),
}


def for_refusal(refused: Refused) -> ApiError:
    """Binance's answer to the venue's or a desk's refusal (every ``Refusal`` has one)."""
    reason = refused.reason
    if isinstance(reason, RejectReason):
        return for_reject(reason)
    row = _REFUSALS[reason]  # (a detail missing from a raise is an IndexError here, not a "{}" sent)
    return ApiError(row.status, row.code, row.msg.format(*refused.detail), row.headers, row.data)


def as_api_error(exc: ApiError | Refused) -> ApiError:
    """What a refusal is answered with, whoever refused (an ``ApiError`` is its own answer)."""
    return for_refusal(exc) if isinstance(exc, Refused) else exc


# ---- rate limits (-1003, -1015) ------------------------------------------------------------------


def weight_exceeded(limit: int, interval: str, retry_after: int) -> ApiError:
    return ApiError(
        429,
        -1003,
        f"Too much request weight used; current limit is {limit} request weight per {interval}. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
        {"Retry-After": str(retry_after)},
    )


def banned(until_ms: int, retry_after: int) -> ApiError:
    return ApiError(
        418,
        -1003,
        f"Way too much request weight used; IP banned until {until_ms}. "
        "Please use WebSocket Streams for live updates to avoid bans.",
        {"Retry-After": str(retry_after)},
    )


def orders_exceeded(limit: int, interval: str, retry_after: int) -> ApiError:
    return ApiError(
        429,
        -1015,
        f"Too many new orders; current limit is {limit} orders per {interval}.",
        {"Retry-After": str(retry_after)},
    )


# ---- every refusal raised is a new object ------------------------------------------------------
# Raising one shared exception object again and again would chain every raise's frames onto its
# one traceback, and keep them (and their locals) alive for good. So the refusals above are not
# module attributes: ``err.BAD_SYMBOL`` makes a new copy each time it is read (PEP 562).
REFUSALS: dict[str, ApiError] = {  # every one by name (read a copy as ``binance_errors.NAME``)
    name: value for name, value in globals().items() if isinstance(value, ApiError)
}
for _name in REFUSALS:
    del globals()[_name]


def __getattr__(name: str) -> ApiError:
    shared = REFUSALS.get(name)
    if shared is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return shared.copy()
