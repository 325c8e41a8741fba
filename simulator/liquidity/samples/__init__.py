"""Small generated market data in Binance's exact file formats, shipped with the package.

One day of BTCUSDT (2024-01-15, when Binance's spot files still had millisecond times and no
header line), seeded and deterministic:

* ``BTCUSDT-aggTrades-2024-01-15.zip``: a few thousand aggregate trades, a random walk on the
  0.01 tick with sweeps (several rows of one taker at the same time and side, prices moving
  away), some trades below the 5 USDT minimum notional, quantities on the 0.00001 step;
* ``BTCUSDT-1m-2024-01-15.zip``: the day's 1440 one-minute klines computed from those trades the
  way Binance computes them (OHLC, volume, quote volume, trade count from the first/last trade
  ids, taker-buy volumes; a minute without trades is flat at the previous close).

Each zip holds one csv named like the zip, as data.binance.vision ships them. Nothing is
downloaded: ``python -c "from simulator.liquidity import samples; samples.main()"`` rewrites the
files (byte for byte the same).
"""

from __future__ import annotations

import math
import random
import sys
from datetime import UTC, datetime
from pathlib import Path

from ...clock import DAY_MS, MINUTE_MS
from ...market_data import AggTrade, Kline
from ...wire import parse_units
from ..datafiles import agg_trade_lines, kline_lines, write_csv

HERE = Path(__file__).resolve().parent
SYMBOL = "BTCUSDT"
DATE = "2024-01-15"
SEED = 20240115
DECIMALS = 8
TICK = parse_units("0.01", DECIMALS, "tick")  # USDT units per price tick
LOT = parse_units("0.00001", DECIMALS, "lot")  # BTC units per quantity lot
DAY_START = int(datetime.fromisoformat(DATE).replace(tzinfo=UTC).timestamp() * 1000)
AGG_TRADES_ZIP = HERE / f"{SYMBOL}-aggTrades-{DATE}.zip"
KLINES_ZIP = HERE / f"{SYMBOL}-1m-{DATE}.zip"


def agg_trades(
    seed: int = SEED,
    takers: int = 2600,
    start_price: str = "42650.00",
    day_start: int = DAY_START,
    first_agg_id: int = 2_967_450_000,
    first_trade_id: int = 3_370_120_000,
) -> list[AggTrade]:
    """A day of aggregate trades: ``takers`` taker orders at random times, each printing one to
    four rows (a sweep), on a random walk; prices in USDT units, quantities in BTC units."""
    rng = random.Random(seed)
    times = sorted(rng.randrange(1, DAY_MS) for _ in range(takers - 1))
    times = [rng.randrange(1, 1_000)] + times  # the day's first minute has a trade
    whole, _, cents = start_price.partition(".")
    mid = int(whole) * 100 + int(cents or 0)  # in ticks of 0.01
    rows: list[AggTrade] = []
    agg_id, trade_id = first_agg_id, first_trade_id
    for t in times:
        step = round(rng.gauss(0, 800))
        side_buy = step > 0 if step else rng.random() < 0.5
        mid = max(mid + step, 1_000_000)
        px = mid + (1 if side_buy else 0)
        levels = 1 + (rng.random() < 0.25) + (rng.random() < 0.1) + (rng.random() < 0.05)
        for j in range(levels):
            if rng.random() < 0.03:
                lots = rng.randint(1, 10)  # below the minimum notional
            else:
                lots = min(max(1, int(math.exp(rng.gauss(math.log(500), 1.3)))), 2_000_000)
            n_trades = 1 + (rng.random() < 0.3) + (rng.random() < 0.1)
            rows.append(
                AggTrade(
                    agg_id, px * TICK, lots * LOT, trade_id, trade_id + n_trades - 1, day_start + t, not side_buy, True
                )
            )
            agg_id += 1
            trade_id += n_trades
            if j + 1 < levels:
                px += rng.randint(1, 3) if side_buy else -rng.randint(1, 3)
        mid = px - (1 if side_buy else 0)
    return rows


def klines_of(
    rows: list[AggTrade], day_start: int = DAY_START, minutes: int = 1440, interval: int = MINUTE_MS
) -> list[Kline]:
    """Binance's klines of these trades: one per interval of the day, quiet ones flat at the previous close."""
    out: list[Kline] = []
    i = 0
    close = rows[0].price if rows else 0
    for m in range(minutes):
        ot = day_start + m * interval
        ct = ot + interval - 1
        j = i
        while j < len(rows) and rows[j].time <= ct:
            j += 1
        part = rows[i:j]
        i = j
        if not part:
            out.append(Kline(ot, close, close, close, close, 0, ct, 0, 0, 0, 0))
            continue
        prices = [r.price for r in part]
        quote = [r.price * r.qty // 10**DECIMALS for r in part]
        buys = [(r.qty, qv) for r, qv in zip(part, quote, strict=True) if not r.buyer_is_maker]
        close = prices[-1]
        out.append(
            Kline(
                ot,
                prices[0],
                max(prices),
                min(prices),
                close,
                sum(r.qty for r in part),
                ct,
                sum(quote),
                sum(r.last_trade_id - r.first_trade_id + 1 for r in part),
                sum(b for b, _ in buys),
                sum(q for _, q in buys),
            )
        )
    return out


def write(directory: Path = HERE) -> list[Path]:
    """Write both sample zips into ``directory``; returns their paths."""
    directory = Path(directory)
    trades = agg_trades()
    agg = directory / AGG_TRADES_ZIP.name
    kl = directory / KLINES_ZIP.name
    write_csv(agg, agg_trade_lines(trades, DECIMALS, DECIMALS), zip_member=agg.with_suffix(".csv").name)
    write_csv(kl, kline_lines(klines_of(trades), DECIMALS, DECIMALS), zip_member=kl.with_suffix(".csv").name)
    return [agg, kl]


def main() -> None:
    for path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(f"{path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
