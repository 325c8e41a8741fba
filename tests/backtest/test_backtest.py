"""Backtests over the shipped sample day: reproducible to the byte, fills that history could have
given (at prices it traded through, in queue turn, no more than it traded), an equity curve that
is the account marked at each step, fees on the schedule, and the examples running as backtests."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import pytest

from client.backtest.report import write_report
from client.backtest.runner import BacktestSettings, run_backtest
from client.backtest.strategy import StrategyError
from simulator.launcher import sample_data
from simulator.liquidity import datafiles as df

ROOT = Path(__file__).resolve().parents[2]
STRATEGIES = Path(__file__).resolve().parent / "strategies"
EXAMPLES = ROOT / "examples"
BOTH_SIDES = {"USDT": "10000", "BTC": "0.5"}
FEE_RATE = Decimal("0.001")  # the default schedule: maker and taker alike
MIN_NOTIONAL, LOT = Decimal("5"), Decimal("0.00001")  # BTCUSDT's NOTIONAL and LOT_SIZE filters


@pytest.fixture(scope="module")
def passive():
    return run_backtest(BacktestSettings(str(STRATEGIES / "passive_ladder.py"), balances=BOTH_SIDES))


@pytest.fixture(scope="module")
def history() -> dict[int, list[tuple[Decimal, Decimal]]]:
    """The sample's rows by time: (price, quantity)."""
    rows: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    for r in df.iter_agg_trades(sample_data(), 8, 8):
        rows[r.time].append((Decimal(r.price).scaleb(-8), Decimal(r.qty).scaleb(-8)))
    return rows


def printable(price: Decimal, qty: Decimal) -> Decimal:
    """What a row of history can fill: its quantity, or (the replay's one documented exception) the
    market's minimum order when the row is under it (5 USDT; an order cannot be smaller)."""
    if qty * price >= MIN_NOTIONAL:
        return qty
    return (MIN_NOTIONAL / price).quantize(LOT, rounding=ROUND_CEILING)


@pytest.mark.slow
def test_a_backtest_report_is_reproducible_byte_for_byte(tmp_path: Path) -> None:
    day = 1_705_276_800_000  # the sample day (2024-01-15 UTC); six hours of it hold several crossings
    settings = BacktestSettings(str(EXAMPLES / "ma_crossover.py"), start=day, end=day + 6 * 3_600_000)
    result = run_backtest(settings)
    assert len(result.fills) >= 2 and result.error is None
    first = write_report(result, tmp_path / "a", plots=False)["json"].read_bytes()
    second = write_report(run_backtest(settings), tmp_path / "b", plots=False)["json"].read_bytes()
    assert first == second and b'"fills"' in first


def test_every_fill_is_history_crossing_the_order_and_never_more_than_it_traded(passive, history) -> None:
    assert len(passive.fills) > 50 and passive.error is None
    taken: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for fill in passive.fills:
        assert fill.maker  # resting orders away from the market: only history's takers reach them
        rows = history[fill.time]
        crossing = [(p, q) for p, q in rows if (p <= fill.price if fill.side == "buy" else p >= fill.price)]
        assert crossing, f"no trade of the data at {fill.time} went through {fill.price}"
        taken[fill.time, fill.side] += fill.amount
        assert taken[fill.time, fill.side] <= sum(printable(p, q) for p, q in crossing)  # nothing history did not have


def test_a_limit_order_waits_its_turn_behind_an_earlier_one_at_its_price() -> None:
    result = run_backtest(BacktestSettings(str(STRATEGIES / "queue_pair.py")))
    first, second = sorted({f.order_id for f in result.fills})
    fills = sorted(result.fills, key=lambda f: f.trade_id)
    first_done = sum(f.amount for f in fills if f.order_id == first)
    assert first_done == Decimal("0.02")
    last_of_first = max(f.trade_id for f in fills if f.order_id == first)
    assert all(f.trade_id > last_of_first for f in fills if f.order_id == second)


def test_the_equity_curve_is_cash_and_position_marked_at_each_step(passive) -> None:
    cash, position = Decimal(BOTH_SIDES["USDT"]), Decimal(BOTH_SIDES["BTC"])
    fills = iter(sorted(passive.fills, key=lambda f: f.trade_id))
    pending = next(fills, None)
    for step in passive.steps:
        while pending is not None and pending.time < step.time:  # rebuild the account from its fills
            sign = 1 if pending.side == "buy" else -1
            position += sign * pending.amount
            cash -= sign * pending.cost
            if pending.fee_asset == "BTC":
                position -= pending.fee
            else:
                cash -= pending.fee
            pending = next(fills, None)
        assert (step.cash, step.position) == (cash, position)
        assert step.equity == step.cash + step.position * step.price
    assert pending is None
    assert passive.steps[0].equity == Decimal("10000") + Decimal("0.5") * passive.steps[0].price


def test_fees_follow_the_schedule(passive) -> None:
    for fill in passive.fills:
        received = fill.amount if fill.side == "buy" else fill.cost
        expected = (received * FEE_RATE).quantize(Decimal("1e-8"), rounding=ROUND_CEILING)
        assert (fill.fee, fill.fee_asset) == (expected, "BTC" if fill.side == "buy" else "USDT")
        assert fill.fee_in_quote == (fill.fee * fill.price if fill.side == "buy" else fill.fee)


def test_a_window_of_the_data_is_replayed_alone() -> None:
    start, end = 1_705_294_800_000, 1_705_298_400_000  # 05:00 to 06:00 UTC
    result = run_backtest(BacktestSettings(str(EXAMPLES / "market_maker.py"), start=start, end=end))
    assert start <= result.start < start + 300_000 and result.end == end  # from the first minute that traded
    assert len(result.steps) == (end - result.start) // 60_000 + 1
    assert all(start <= f.time < end for f in result.fills)


def test_a_strategy_that_raises_stops_the_run_with_its_error() -> None:
    result = run_backtest(BacktestSettings(str(STRATEGIES / "raises.py")))
    assert result.error == "RuntimeError: the strategy's own bug"
    assert len(result.steps) == 4  # the start and three candles


def test_a_file_without_the_protocol_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nothing.py"
    path.write_text("x = 1\n")
    with pytest.raises(StrategyError, match="Strategy class"):
        run_backtest(BacktestSettings(str(path)))
    with pytest.raises(StrategyError, match="unknown parameter"):
        run_backtest(BacktestSettings(str(EXAMPLES / "ma_crossover.py"), params={"fastest": 3}))


@pytest.mark.slow
@pytest.mark.parametrize("example", ["ma_crossover.py", "market_maker.py"])
def test_the_examples_run_as_backtests_from_the_command_line(tmp_path: Path, example: str) -> None:
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "simulator.cli", "backtest", str(EXAMPLES / example), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "BTC/USDT" in done.stdout and "sharpe" in done.stdout
    for name in ("report.json", "equity.csv", "fills.csv", "equity.png", "report.html"):
        assert (out / name).stat().st_size > 0, name
