"""The README's main job, ``sandex demo``, runs and shows what it promises."""

from __future__ import annotations

from simulator.cli import main


def test_demo_tours_every_order_type_and_measures(capsys) -> None:
    assert main(["demo", "--orders", "3000"]) == 0
    out = capsys.readouterr().out
    for expected in (
        "OrderRejected(reason=WOULD_TAKE",
        "reason=FOK",
        "reason=SELF_TRADE_PREVENTION",
        "OrderAmended(",
        "reason=CANCEL_ALL",
        "price=1.00",
        "3,000 random commands",
    ):
        assert expected in out
