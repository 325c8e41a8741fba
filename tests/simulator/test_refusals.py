"""The venue's and the desks' refusals reach the wire through one table, character for character:
ccxt picks its exception class from Binance's exact message text, and journals compare the code."""

from __future__ import annotations

import orjson
import pytest

from engine import RejectReason
from simulator import binance_errors as err
from simulator.durability import outcome_of
from simulator.http.endpoint import error_response
from simulator.refusals import Refusal, Refused

# Every ``Refusal``: the detail its message names, and the status, code and text Binance's API answers.
# A new member fails here until it has a row in binance_errors' table and one here.
WIRE: dict[Refusal, tuple[tuple[str, ...], int, int, str]] = {
    Refusal.UNKNOWN_ASSET: (("XYZ",), 400, -1130, "Invalid data sent for a parameter. Unknown asset 'XYZ'."),
    Refusal.NO_SUCH_ORDER: ((), 400, -2013, "Order does not exist."),
    Refusal.CANCEL_RESTRICTED: ((), 400, -2011, "Order was not canceled due to cancel restrictions."),
    Refusal.NO_STATE_CHANGE: ((), 400, -2010, "The requested action would change no state; rejecting."),
    Refusal.NOT_MARGIN_PAIR: ((), 400, -3028, "Not a valid margin pair."),
    Refusal.NOT_MARGIN_ASSET: ((), 400, -3027, "Not a valid margin asset."),
    Refusal.ISOLATED_WITHOUT_SYMBOL: (
        (),
        400,
        -1102,
        "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
    ),
    Refusal.EXCEEDS_MAX_BORROWABLE: ((), 400, -3006, "Your borrow amount has exceed maximum borrow amount."),
    Refusal.WALLET_SHORT: ((), 400, -3041, "Account has insufficient balance for requested action."),
    Refusal.TRANSFER_EXCEEDS_MAX: ((), 400, -3020, "Transfer out amount exceeds max amount."),
    Refusal.SAME_WALLET: (
        (),
        400,
        -1130,
        "Invalid data sent for a parameter. The transfer's source and target are the same account.",
    ),
    Refusal.QUOTE_AMOUNTS: ((), 400, -1102, "Param 'fromAmount' or 'toAmount' must be sent, but both were empty/null!"),
    Refusal.UNKNOWN_VALID_TIME: (
        ("10s|30s|1m|2m",),
        400,
        -1100,
        "Illegal characters found in parameter 'validTime'; legal range is '10s|30s|1m|2m'.",
    ),
    Refusal.NO_CONVERT_PAIR: (
        ("BNB", "SOL"),
        400,
        -1130,
        "Invalid data sent for a parameter. No direct market between 'BNB' and 'SOL': this pair cannot be converted.",
    ),
    Refusal.NO_PRICE: (
        ("BTCUSDT",),
        400,
        -1130,
        "Invalid data sent for a parameter. BTCUSDT has no price yet (an empty book and no trade): "
        "this pair cannot be converted now.",
    ),
    Refusal.AMOUNT_OUT_OF_RANGE: (
        ("fromAmount", "0.00000001", "1000000"),
        400,
        -1130,
        "Invalid data sent for a parameter. Parameter 'fromAmount' must be between 0.00000001 and 1000000 "
        "for this conversion.",
    ),
    Refusal.INVENTORY_SHORT: (
        ("BTC",),
        400,
        -1000,
        "The convert desk's BTC inventory cannot cover this quote now; try a smaller amount.",
    ),
    Refusal.UNKNOWN_QUOTE: ((), 400, -1130, "Invalid data sent for a parameter. Unknown quoteId."),
    Refusal.QUOTE_USED: (
        (),
        400,
        -345231,
        "System failed to execute the quote, which has already been accepted. Please request for quote again.",
    ),
    Refusal.QUOTE_EXPIRED: (
        (),
        400,
        -345231,
        "System failed to execute the quote, which has expired. Please request for quote again.",
    ),
    Refusal.UNKNOWN_INTERVAL: ((), 400, -1120, "Invalid interval."),
    Refusal.BAD_TIME_ZONE: ((), 400, -1130, "Invalid data sent for a parameter. Parameter 'timeZone'."),
    Refusal.BAD_WINDOW_SIZE: ((), 400, -1130, "Invalid data sent for a parameter. Parameter 'windowSize'."),
}


@pytest.mark.parametrize("reason", list(Refusal), ids=lambda r: r.name)
def test_every_refusal_has_one_row_with_binances_exact_answer(reason: Refusal) -> None:
    assert reason in WIRE, f"{reason.name}: add its row to binance_errors' table and its answer here"
    detail, status, code, msg = WIRE[reason]
    answer = err.for_refusal(Refused(reason, *detail))
    assert (answer.status, answer.code, answer.msg, answer.headers, answer.data) == (status, code, msg, None, None)


def test_the_engines_reasons_the_venue_raises_answer_as_its_old_refusals_did() -> None:
    """The venue finds some of the engine's reasons first (an unknown market or account, a duplicate
    client order id, an amend that does not reduce, a cancel of no open order): raised as the
    engine's reason, they answer what the venue's own constants answered."""
    same = {
        RejectReason.UNKNOWN_MARKET: err.BAD_SYMBOL,
        RejectReason.UNKNOWN_ACCOUNT: err.REJECTED_KEY,
        RejectReason.DUPLICATE_CLIENT_ORDER_ID: err.DUPLICATE_ORDER,
        RejectReason.UNKNOWN_ORDER: err.UNKNOWN_ORDER_CANCEL,
        RejectReason.INVALID_AMEND_QUANTITY: err.AMEND_INCREASE,
    }
    for reason, old in same.items():
        assert err.for_refusal(Refused(reason)).body() == old.body() == {"code": old.code, "msg": old.msg}
    for reason in RejectReason:  # and every engine reason answers as for_reject says
        assert err.for_refusal(Refused(reason)).body() == err.for_reject(reason).body()


def test_a_refusal_raised_without_the_detail_its_message_names_is_not_answered() -> None:
    with pytest.raises(IndexError):  # a bug, answered as one: never a message with "{}" in it
        err.for_refusal(Refused(Refusal.NO_CONVERT_PAIR, "BNB"))


def test_each_answer_is_a_new_object() -> None:
    refused = Refused(Refusal.NO_SUCH_ORDER)
    assert err.for_refusal(refused) is not err.for_refusal(refused)


def test_the_edge_renders_a_refusal_as_the_error_it_maps_to() -> None:
    refused = Refused(Refusal.UNKNOWN_ASSET, "XYZ")
    mapped = err.for_refusal(refused)
    got, want = error_response(refused, {"X-Test": "1"}), error_response(mapped, {"X-Test": "1"})
    assert (got.status_code, got.body, got.headers["x-test"]) == (want.status_code, want.body, "1")
    assert orjson.loads(got.body) == {"code": -1130, "msg": "Invalid data sent for a parameter. Unknown asset 'XYZ'."}


@pytest.mark.parametrize(
    "refused",
    [Refused(RejectReason.UNKNOWN_ORDER), Refused(Refusal.NO_SUCH_ORDER), Refused(Refusal.UNKNOWN_ASSET, "XYZ")],
    ids=str,
)
def test_a_refusal_is_journaled_as_the_binance_error_it_answers_with(refused: Refused) -> None:
    """Journals written when the venue raised ``ApiError``s hold ``"ApiError:<code>"``: a
    ``Refused`` must read the same, or they would no longer replay."""
    mapped = err.for_refusal(refused)
    assert outcome_of(refused) == outcome_of(mapped) == f"ApiError:{mapped.code}"


def test_a_refusal_says_its_reason_and_detail() -> None:
    assert str(Refused(Refusal.NO_CONVERT_PAIR, "BNB", "SOL")) == "NO_CONVERT_PAIR (BNB, SOL)"
    assert str(Refused(RejectReason.MARKET_CLOSED)) == "MARKET_CLOSED"
    assert Refused(RejectReason.MARKET_CLOSED).reason is RejectReason.MARKET_CLOSED
