"""The backtest report on small hand-made results whose figures are worked out by hand below."""

from __future__ import annotations

import csv
import json
import math
from decimal import Decimal as D

import pytest

from client.backtest.report import compute_metrics, report_dict, round_trips, summary_table, write_report
from client.backtest.result import BacktestResult, Fill, Step

H = 3_600_000
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z


def fill(t: int, side: str, price: str, amount: str, order_id: int = 0, fee: str = "0") -> Fill:
    cost = D(price) * D(amount)
    return Fill(
        time=t,
        trade_id=t,
        order_id=order_id or t,
        side=side,
        price=D(price),
        amount=D(amount),
        cost=cost,
        fee=D(fee),
        fee_asset="USDT",
        fee_in_quote=D(fee),
        maker=False,
    )


def step(i: int, price: str, cash: str, position: str) -> Step:
    return Step(T0 + i * H, D(price), D(cash), D(position), D(cash) + D(position) * D(price))


def result(
    steps: list[Step], fills: list[Fill], timeframe: str = "1h", strategy: str = "buy_sell.py"
) -> BacktestResult:
    return BacktestResult(
        strategy=strategy,
        data="BTCUSDT-trades.zip",
        symbol="BTC/USDT",
        base="BTC",
        quote="USDT",
        timeframe=timeframe,
        start=T0,
        end=T0 + len(steps) * H,
        seed=7,
        params={"size": D("1"), "note": "<b>x</b>"},
        balances={"USDT": "1000"},
        steps=steps,
        fills=fills,
        orders=len(fills),
        client_calls=11,
        rows=99,
    )


def buy_then_sell(strategy: str = "buy_sell.py") -> BacktestResult:
    """Buy 1 at 100 (fee 0.1), the price dips to 90, sell 1 at 110 (fee 0.11), the price goes on to 120."""
    steps = [
        step(1, "100", "1000", "0"),
        step(2, "100", "899.9", "1"),
        step(3, "90", "899.9", "1"),
        step(4, "110", "1009.79", "0"),
        step(5, "120", "1009.79", "0"),
    ]
    fills = [fill(T0 + 2 * H - 1, "buy", "100", "1", fee="0.1"), fill(T0 + 4 * H - 1, "sell", "110", "1", fee="0.11")]
    return result(steps, fills, strategy=strategy)


def test_money_is_exact() -> None:
    m = compute_metrics(buy_then_sell())
    assert (m["initial_equity"], m["final_equity"], m["pnl"]) == ("1000", "1009.79", "9.79")
    assert (m["fees_paid"], m["volume"]) == ("0.21", "210")
    assert m["return_pct"] == 0.979
    assert (m["fills"], m["orders"], m["round_trips"], m["win_rate_pct"]) == (2, 2, 1, 100.0)
    assert (m["client_calls"], m["rows"], m["steps"]) == (11, 99, 5)


def test_drawdown_exposure_and_turnover() -> None:
    m = compute_metrics(buy_then_sell())
    assert m["max_drawdown_pct"] == 1.01  # from 1000 down to 989.9
    assert m["max_drawdown_duration_ms"] == 3 * H  # the peak at step 1, back above it at step 4
    assert m["exposure_pct"] == 40.0  # holding at steps 2 and 3 of 5
    assert m["turnover"] == pytest.approx(210 / (5009.38 / 5), rel=1e-5)
    equity = report_dict(buy_then_sell())["equity"]
    assert [row["drawdown_pct"] for row in equity] == [0.0, 0.01, 1.01, 0.0, 0.0]


def test_drawdown_not_recovered_lasts_to_the_end() -> None:
    steps = [step(1, "1", "100", "0"), step(2, "1", "120", "0"), step(3, "1", "90", "0"), step(4, "1", "108", "0")]
    m = compute_metrics(result(steps, []))
    assert m["max_drawdown_pct"] == 25.0  # 120 -> 90
    assert m["max_drawdown_duration_ms"] == 2 * H


def test_sharpe_and_sortino_by_hand() -> None:
    # returns +10 %, -10 %, +10 %; daily steps: 365 periods a year
    steps = [step(1, "1", "100", "0"), step(2, "1", "110", "0"), step(3, "1", "99", "0"), step(4, "1", "108.9", "0")]
    m = compute_metrics(result(steps, [], timeframe="1d"))
    r = [0.1, -0.1, 0.1]
    mean = sum(r) / 3
    std = math.sqrt(sum((x - mean) ** 2 for x in r) / 3)
    downside = math.sqrt(0.01 / 3)
    assert m["sharpe"] == pytest.approx(mean / std * math.sqrt(365), rel=1e-5)
    assert m["sortino"] == pytest.approx(mean / downside * math.sqrt(365), rel=1e-5)


def test_constant_equity_has_no_sharpe() -> None:
    steps = [step(i, "100", "1000", "0") for i in range(1, 6)]
    m = compute_metrics(result(steps, []))
    assert (m["sharpe"], m["sortino"], m["return_pct"], m["max_drawdown_pct"]) == (None, None, 0.0, 0.0)
    assert m["win_rate_pct"] is None and m["exposure_pct"] == 0.0
    one = compute_metrics(result(steps[:1], []))
    assert one["sharpe"] is None and one["sortino"] is None


def test_empty_result() -> None:
    m = compute_metrics(result([], []))
    assert m["initial_equity"] == "0" and m["pnl"] == "0" and m["return_pct"] is None and m["steps"] == 0


def test_round_trips_fifo_with_partial_close_and_short() -> None:
    fills = [
        fill(1, "buy", "100", "1"),
        fill(2, "buy", "110", "2"),
        fill(3, "sell", "120", "1.5"),  # closes the first lot and 0.5 of the second
        fill(4, "sell", "130", "2.5"),  # closes the other 1.5 of the second lot, opens a short of 1
        fill(5, "buy", "125", "0.4"),  # closes 0.4 of the short
        fill(6, "buy", "135", "0.3", order_id=60),  # one order in two fills: one round trip
        fill(7, "buy", "137", "0.3", order_id=60),
    ]
    trips = round_trips(result([], fills))
    assert [(t["open_time"], t["close_time"], t["side"], t["amount"]) for t in trips] == [
        (1, 3, "long", "1.5"),
        (2, 4, "long", "1.5"),
        (4, 5, "short", "0.4"),
        (4, 7, "short", "0.6"),
    ]
    assert D(trips[0]["entry_price"]).quantize(D("0.000001")) == D("103.333333")  # (100 * 1 + 110 * 0.5) / 1.5
    assert [t["exit_price"] for t in trips] == ["120", "130", "125", "136"]
    assert [t["entry_price"] for t in trips[1:]] == ["110", "130", "130"]
    assert [t["pnl"] for t in trips] == ["25", "30", "2", "-3.6"]
    assert compute_metrics(result([], fills))["win_rate_pct"] == 75.0


def test_open_lots_are_not_round_trips() -> None:
    assert round_trips(result([], [fill(1, "sell", "100", "1"), fill(2, "sell", "90", "1")])) == []


def test_report_json_is_byte_identical(tmp_path) -> None:
    a = write_report(buy_then_sell(), tmp_path / "a", plots=False)
    b = write_report(buy_then_sell(), tmp_path / "b", plots=False)
    assert set(a) == {"json", "equity_csv", "fills_csv", "round_trips_csv"}
    text = a["json"].read_bytes()
    assert text == b["json"].read_bytes() and text.endswith(b"}\n")
    report = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in report.json"))
    assert report["run"]["params"] == {"size": "1", "note": "<b>x</b>"}
    assert report["fills"][0]["price"] == "100" and report["fills"][0]["maker"] is False
    assert str(tmp_path) not in text.decode()


def test_csv_files(tmp_path) -> None:
    r = buy_then_sell()
    paths = write_report(r, tmp_path, plots=False)
    with paths["equity_csv"].open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["time", "datetime", "price", "cash", "position", "equity", "drawdown_pct"]
    assert [(int(x["time"]), D(x["price"]), D(x["equity"])) for x in rows] == [
        (s.time, s.price, s.equity) for s in r.steps
    ]
    assert rows[0]["datetime"] == "2024-01-01T01:00:00.000Z"
    with paths["fills_csv"].open(newline="") as f:
        fills = list(csv.DictReader(f))
    assert len(fills) == 2 and fills[1]["side"] == "sell" and "datetime" in fills[1] and "fee_in_quote" in fills[1]
    with paths["round_trips_csv"].open(newline="") as f:
        assert [x["pnl"] for x in csv.DictReader(f)] == ["10"]


def test_plots(tmp_path) -> None:
    import matplotlib

    backend = matplotlib.get_backend()
    paths = write_report(buy_then_sell("evil<script>alert(1)</script>.py"), tmp_path)
    assert matplotlib.get_backend() == backend
    png = paths["png"].read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    page = paths["html"].read_text()
    assert "plotly" in page
    assert "evil&lt;script&gt;alert(1)&lt;/script&gt;.py" in page and "<script>alert" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page  # the params too


def test_html_tables_are_capped(tmp_path) -> None:
    fills = [fill(T0 + i, "buy" if i % 2 == 0 else "sell", "100", "1") for i in range(600)]
    paths = write_report(result([step(1, "100", "1000", "0")], fills), tmp_path)
    page = paths["html"].read_text()
    assert "100 more in fills.csv" in page and "more in round_trips.csv" not in page


def test_empty_result_still_writes_every_file(tmp_path) -> None:
    paths = write_report(result([], []), tmp_path)
    assert all(p.exists() for p in paths.values()) and len(paths) == 6


def test_summary_table() -> None:
    text = summary_table(buy_then_sell())
    assert "BTC/USDT" in text and "+0.979 %" in text and "9.79 USDT" in text
    assert "2024-01-01T00:00:00Z" in text and "\x1b" not in text
    widths = {len(line) for line in text.splitlines()}
    assert len(widths) == 1  # a box: every line as wide
