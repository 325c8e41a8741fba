"""Every refusal raised is a new object: a shared one would chain each raise's frames onto its
one traceback and keep them alive for good (memory that grows with every refused order)."""

from __future__ import annotations

from engine import RejectReason
from simulator import binance_errors as err


def _depth(e: BaseException) -> int:
    n, tb = 0, e.__traceback__
    while tb is not None:
        n, tb = n + 1, tb.tb_next
    return n


def test_a_refusal_raised_a_thousand_times_keeps_one_raises_frames() -> None:
    def refuse(kind: str) -> None:
        raise (err.NO_SUCH_ORDER if kind == "constant" else err.for_reject(RejectReason.INSUFFICIENT_BALANCE))

    for kind in ("constant", "rejection"):
        caught = []
        for _ in range(1000):
            try:
                refuse(kind)
            except err.ApiError as e:
                caught.append(e)
        assert _depth(caught[-1]) == _depth(caught[0]) <= 3
        assert caught[0] is not caught[1]


def test_the_copies_say_what_the_table_says() -> None:
    assert (err.BAD_SYMBOL.status, err.BAD_SYMBOL.code, err.BAD_SYMBOL.msg) == (400, -1121, "Invalid symbol.")
    assert err.for_reject(RejectReason.WOULD_TAKE).body() == {
        "code": -2010,
        "msg": "Order would immediately match and take.",
    }
    try:
        err.NO_SUCH_ERROR  # noqa: B018 - a name the table lacks is an AttributeError as usual
    except AttributeError as e:
        assert "NO_SUCH_ERROR" in str(e)
    else:
        raise AssertionError("an unknown name was answered")
