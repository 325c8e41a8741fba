"""Binance's public market data files (data.binance.vision), read as a stream of exact integers.

Two kinds, each as ``.csv``, a ``.zip`` holding one csv (as Binance ships them) or ``.parquet``
with the same columns:

* **aggTrades**: agg trade id, price, quantity, first trade id, last trade id, transact time,
  is buyer maker, is best match;
* **klines**: open time, open, high, low, close, volume, close time, quote volume, trade count,
  taker buy base volume, taker buy quote volume, ignore.

A csv may start with a header line or not. Times are epoch milliseconds, or microseconds (Binance
writes spot files from 2025 on in microseconds); each time is recognised by its magnitude
(>= 10**14 is microseconds) and yielded in milliseconds, floored, since the simulator's clock
counts milliseconds. Prices and quantities are read as the exact decimal text they are written in
and become integer asset units with the market's decimals, the rules of ``simulator.wire
.parse_units``: digits, at most one dot, no sign or exponent, no more significant decimals than the
asset has. No float is involved anywhere, except for Parquet files that store floating-point
columns: such a value is taken as the shortest decimal that reads back as the same double (what
wrote it meant) and refused if that has too many decimals.

Reading streams: csv text is read in blocks of a few MB and parsed by a compiled loop into
int64 column chunks (``AggTradeChunk``, ``KlineChunk``); Parquet is read a record batch at a time.
``iter_agg_trades`` and ``iter_klines`` yield typed rows from the same chunks: the
``simulator.market_data`` records the API serves (``AggTrade``, ``Kline``). Rows must be in time
order; a malformed or out-of-order row raises ``ValueError`` naming the file and line
(``name.zip:member.csv:17: ...``; a Parquet file names the row).
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import IO, Any

import numpy as np
import numpy.typing as npt
from numba import njit

from ..binance_errors import ApiError
from ..market_data import AggTrade, Kline
from ..wire import float_text, format_units, format_units_at_most, parse_units, units_to_decimal

AGG_TRADES = "aggTrades"
KLINES = "klines"

AGG_TRADE_COLUMNS = (
    "agg_trade_id",
    "price",
    "quantity",
    "first_trade_id",
    "last_trade_id",
    "transact_time",
    "is_buyer_maker",
    "is_best_match",
)
KLINE_COLUMNS = (
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_volume",
    "count",
    "taker_buy_volume",
    "taker_buy_quote_volume",
    "ignore",
)

# column indexes of the chunks' int64 matrices
A_ID, A_PRICE, A_QTY, A_FIRST, A_LAST, A_TIME, A_BUYER_MAKER, A_BEST = range(8)
K_OPEN_TIME, K_OPEN, K_HIGH, K_LOW, K_CLOSE, K_VOLUME, K_CLOSE_TIME, K_QUOTE, K_COUNT, K_BUY, K_BUY_QUOTE = range(11)

MICROS_FROM = 10**14  # a time at or above this is in microseconds (as ms it would be after the year 5000)
NOT_A_TIME_FROM = 10**17  # and at or above this it is neither
BLOCK = 1 << 22  # csv bytes parsed per compiled call
CHUNK_ROWS = 1 << 16  # rows per chunk, at most
FILE_DECIMALS = 8  # Binance's files print at most this many decimals, whatever the asset has

I64Array = npt.NDArray[np.int64]
DataPath = str | os.PathLike[str]
DataPaths = DataPath | Sequence[DataPath]  # one data file, or several read in order

# field kinds of the compiled parser
_F_INT, _F_DEC, _F_BOOL, _F_ANY, _F_TIME = 0, 1, 2, 3, 4
# its error codes
_E_FIELDS, _E_INT, _E_DEC, _E_PRECISION, _E_BOOL, _E_TIME, _E_ORDER, _E_RANGE = range(1, 9)
_ERRORS = {
    _E_FIELDS: "expected {n} comma-separated fields",
    _E_INT: "not a whole number",
    _E_DEC: "not a decimal number (digits with at most one dot)",
    _E_PRECISION: "more decimals than the asset's {d}",
    _E_BOOL: "not a boolean (True/False)",
    _E_TIME: "not a time in ms or µs since the epoch",
    _E_ORDER: "time goes back (rows must be in time order)",
    _E_RANGE: "number too large",
}
_ALIASES = {  # other names a Parquet column may have (lower case)
    "agg_trade_id": ("a", "aggtradeid", "agg_id", "id"),
    "quantity": ("q", "qty", "amount"),
    "price": ("p",),
    "first_trade_id": ("f", "firsttradeid", "first_id"),
    "last_trade_id": ("l", "lasttradeid", "last_id"),
    "transact_time": ("t", "time", "timestamp", "transacttime"),
    "is_buyer_maker": ("m", "isbuyermaker", "buyer_is_maker"),
    "is_best_match": ("isbestmatch", "best_match"),
    "open_time": ("opentime",),
    "close_time": ("closetime",),
    "quote_volume": ("quote_asset_volume", "quotevolume"),
    "count": ("trades", "number_of_trades", "trade_count"),
    "taker_buy_volume": ("taker_buy_base_volume", "taker_buy_base_asset_volume", "takerbuybasevolume"),
    "taker_buy_quote_volume": ("taker_buy_quote_asset_volume", "takerbuyquotevolume"),
}


@dataclass(frozen=True, slots=True)
class AggTradeChunk:
    """Consecutive aggTrades rows as one int64 matrix (columns ``A_*``; booleans 0/1)."""

    data: np.ndarray

    def __len__(self) -> int:
        return len(self.data)

    @property
    def time(self) -> np.ndarray:
        return self.data[:, A_TIME]

    @property
    def price(self) -> np.ndarray:
        return self.data[:, A_PRICE]

    @property
    def qty(self) -> np.ndarray:
        return self.data[:, A_QTY]

    @property
    def buyer_is_maker(self) -> np.ndarray:
        return self.data[:, A_BUYER_MAKER]

    def rows(self) -> Iterator[AggTrade]:
        for r in self.data.tolist():
            yield AggTrade(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), bool(r[7]))


@dataclass(frozen=True, slots=True)
class KlineChunk:
    """Consecutive klines rows as one int64 matrix (columns ``K_*``; the ignored column dropped)."""

    data: np.ndarray

    def __len__(self) -> int:
        return len(self.data)

    def rows(self) -> Iterator[Kline]:
        for r in self.data.tolist():
            yield Kline(*r)


@dataclass(frozen=True)
class _Layout:
    kind: str
    columns: tuple[str, ...]
    fields: np.ndarray  # field kind per csv column
    keep: np.ndarray  # output column per csv column, -1 = dropped
    time_col: int  # output column whose order is checked
    width: int

    def decimals(self, price: int, qty: int) -> np.ndarray:
        """Decimals per csv column: quote decimals for prices and quote volumes, base for quantities."""
        if self.kind == AGG_TRADES:
            d = [0, price, qty, 0, 0, 0, 0, 0]
        else:
            d = [0, price, price, price, price, qty, 0, price, 0, qty, price, 0]
        return np.array(d, dtype=np.int64)


_LAYOUTS = {
    AGG_TRADES: _Layout(
        AGG_TRADES,
        AGG_TRADE_COLUMNS,
        np.array([_F_INT, _F_DEC, _F_DEC, _F_INT, _F_INT, _F_TIME, _F_BOOL, _F_BOOL], dtype=np.int64),
        np.arange(8, dtype=np.int64),
        A_TIME,
        8,
    ),
    KLINES: _Layout(
        KLINES,
        KLINE_COLUMNS,
        np.array(
            [_F_TIME, _F_DEC, _F_DEC, _F_DEC, _F_DEC, _F_DEC, _F_TIME, _F_DEC, _F_INT, _F_DEC, _F_DEC, _F_ANY],
            dtype=np.int64,
        ),
        np.array(list(range(11)) + [-1], dtype=np.int64),
        K_OPEN_TIME,
        11,
    ),
}

_POW10 = np.array([10**i for i in range(19)], dtype=np.int64)
_LIMIT = 1 << 62  # every parsed number stays below this (the engine's safe range)


# ---- the compiled csv loop ----------------------------------------------------------------------


@njit(cache=True, nogil=True)
def _parse_block(
    buf: npt.NDArray[np.uint8],
    n: int,
    fields: I64Array,
    keep: I64Array,
    decs: I64Array,
    pow10: I64Array,
    out: I64Array,
    max_rows: int,
    time_col: int,
    last_time: int,
) -> tuple[int, int, int, int, int, int, int]:
    """Parse whole lines of ``buf[:n]`` (which ends with a newline) into ``out`` rows.

    Returns (rows, bytes consumed, lines consumed, error, error line start, error column, last time).
    Blank lines are skipped. Stops after ``max_rows`` rows or at the first malformed line.
    """
    pos = 0
    rows = 0
    lines = 0
    ncols = fields.shape[0]
    while pos < n and rows < max_rows:
        start = pos
        if buf[pos] == 10 or (buf[pos] == 13 and pos + 1 < n and buf[pos + 1] == 10):
            pos += 1 if buf[pos] == 10 else 2
            lines += 1
            continue
        col = 0
        err = 0
        while True:
            kind = fields[col]
            value = 0
            if kind == _F_ANY:
                while pos < n and buf[pos] != 44 and buf[pos] != 10 and buf[pos] != 13:
                    pos += 1
            elif kind == _F_BOOL:
                f0 = pos
                while pos < n and buf[pos] != 44 and buf[pos] != 10 and buf[pos] != 13:
                    pos += 1
                ln = pos - f0
                c = buf[f0] | 32 if ln > 0 else 0
                if (
                    ln == 4
                    and c == 116
                    and (buf[f0 + 1] | 32) == 114
                    and (buf[f0 + 2] | 32) == 117
                    and (buf[f0 + 3] | 32) == 101
                ):
                    value = 1
                elif (
                    ln == 5
                    and c == 102
                    and (buf[f0 + 1] | 32) == 97
                    and (buf[f0 + 2] | 32) == 108
                    and (buf[f0 + 3] | 32) == 115
                    and (buf[f0 + 4] | 32) == 101
                ):
                    value = 0
                elif ln == 1 and (buf[f0] == 48 or buf[f0] == 49):
                    value = buf[f0] - 48
                else:
                    err = _E_BOOL
            else:
                d = decs[col]
                whole = 0
                nd = 0
                while pos < n and 48 <= buf[pos] <= 57:
                    if nd >= 18:
                        err = _E_RANGE
                    whole = whole * 10 + (buf[pos] - 48) if nd < 18 else whole
                    nd += 1
                    pos += 1
                frac = 0
                nf = 0
                dot = False
                if pos < n and buf[pos] == 46 and kind == _F_DEC:
                    dot = True
                    pos += 1
                    sig = 0  # fraction digits up to the last non-zero one
                    while pos < n and 48 <= buf[pos] <= 57:
                        nf += 1
                        if buf[pos] != 48:
                            sig = nf
                        pos += 1
                    # second pass over the significant digits, now that their count is known
                    if sig > d and err == 0:
                        err = _E_PRECISION
                    elif err == 0:
                        q = pos - nf
                        for j in range(sig):
                            frac = frac * 10 + (buf[q + j] - 48)
                        frac *= pow10[d - sig]
                if err == 0 and (
                    nd == 0 or (dot and nf == 0) or (pos < n and buf[pos] != 44 and buf[pos] != 10 and buf[pos] != 13)
                ):
                    err = _E_DEC if kind == _F_DEC else (_E_TIME if kind == _F_TIME else _E_INT)
                if err == 0:
                    if kind == _F_DEC:
                        if whole >= _LIMIT // pow10[d]:
                            err = _E_RANGE
                        else:
                            value = whole * pow10[d] + frac
                    else:
                        value = whole
                        if kind == _F_TIME:
                            if value >= NOT_A_TIME_FROM:
                                err = _E_TIME
                            elif value >= MICROS_FROM:
                                value //= 1000
                if err != 0:
                    while pos < n and buf[pos] != 44 and buf[pos] != 10 and buf[pos] != 13:
                        pos += 1
            if err != 0:
                return rows, start, lines, err, start, col, last_time
            k = keep[col]
            if k >= 0:
                out[rows, k] = value
            col += 1
            if pos < n and buf[pos] == 44:
                pos += 1
                if col >= ncols:
                    return rows, start, lines, _E_FIELDS, start, col, last_time
                continue
            break
        if col != ncols:
            return rows, start, lines, _E_FIELDS, start, col, last_time
        # end of line: \n or \r\n
        if pos < n and buf[pos] == 13:
            pos += 1
        if pos < n and buf[pos] == 10:
            pos += 1
        else:
            return rows, start, lines, _E_FIELDS, start, col, last_time
        t = out[rows, time_col]
        if t < last_time:
            return rows, start, lines, _E_ORDER, start, col, last_time
        last_time = t
        rows += 1
        lines += 1
    return rows, pos, lines, 0, 0, 0, last_time


# ---- sources ----------------------------------------------------------------------------------


def _open_text(path: Path) -> tuple[IO[bytes], str, zipfile.ZipFile | None]:
    """A binary stream of the csv text, the name errors use, and the zip to close after."""
    if path.suffix.lower() == ".zip":
        zf = zipfile.ZipFile(path)
        members = [m for m in zf.infolist() if not m.is_dir()]
        if len(members) != 1:
            zf.close()
            raise ValueError(f"{path}: expected one csv file in the zip, found {[m.filename for m in members]}")
        return zf.open(members[0]), f"{path}:{members[0].filename}", zf
    return open(path, "rb"), str(path), None


def _is_header(line: bytes) -> bool:
    first = line.split(b",", 1)[0].strip()
    return bool(first) and not first.isdigit()


def _csv_chunks(
    path: Path, layout: _Layout, price_decimals: int, qty_decimals: int, chunk_rows: int = CHUNK_ROWS
) -> Iterator[np.ndarray]:
    decs = layout.decimals(price_decimals, qty_decimals)
    if decs.max() > 18:
        raise ValueError("at most 18 decimals are supported")
    stream, name, zf = _open_text(path)
    try:
        line_no = 1  # of the first line in ``pending``
        pending = b""
        first = True
        last_time = -1
        eof = False
        while not eof or pending:
            if not eof:
                block = stream.read(BLOCK)
                if not block:
                    eof = True
                pending += block
            if first:
                if b"\n" not in pending and not eof:
                    continue
                first = False
                head, _, rest = pending.partition(b"\n")
                if _is_header(head):
                    n_fields = len(head.split(b","))
                    if n_fields != len(layout.columns):
                        raise ValueError(
                            f"{name}:1: the header has {n_fields} fields; a {layout.kind} file has "
                            f"{len(layout.columns)} ({', '.join(layout.columns)})"
                        )
                    pending, line_no = rest, 2
            cut = pending.rfind(b"\n") + 1
            if eof and cut < len(pending):
                pending += b"\n"
                cut = len(pending)
            if cut == 0:
                if eof:
                    break
                continue
            buf = np.frombuffer(pending, dtype=np.uint8, count=cut)
            pos = 0
            while pos < cut:
                out = np.empty((chunk_rows, layout.width), dtype=np.int64)
                rows, used, lines, err, at, col, last_time = _parse_block(
                    buf[pos:],
                    cut - pos,
                    layout.fields,
                    layout.keep,
                    decs,
                    _POW10,
                    out,
                    chunk_rows,
                    layout.time_col,
                    last_time,
                )
                if err:
                    raise _malformed(name, line_no + lines, pending[pos + at :], layout, err, col, decs)
                if rows:
                    yield out[:rows]
                pos += used
                line_no += lines
            pending = pending[cut:]
    finally:
        stream.close()
        if zf is not None:
            zf.close()


def _malformed(
    name: str, line_no: int, text: bytes, layout: _Layout, err: int, col: int, decs: np.ndarray
) -> ValueError:
    line = text.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", "replace")
    n = len(layout.columns)
    if err == _E_FIELDS:
        why = _ERRORS[err].format(n=n) + f", found {len(line.split(','))}"
    elif err == _E_ORDER:
        col = layout.time_col
        why = f"{layout.columns[col]} {line.split(',')[col]!r}: " + _ERRORS[err]
    else:
        field = line.split(",")[col] if col < len(line.split(",")) else ""
        why = f"{layout.columns[col]} {field!r}: " + _ERRORS[err].format(d=int(decs[col]))
    return ValueError(f"{name}:{line_no}: {why} in {line[:200]!r}")


# ---- Parquet ------------------------------------------------------------------------------------


def _pyarrow() -> tuple[ModuleType, ModuleType]:
    """pyarrow and pyarrow.parquet, imported when a Parquet file is met (an optional dependency)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("reading Parquet files needs pyarrow: pip install pyarrow") from e
    return pa, pq


def _parquet_columns(names: list[str], layout: _Layout, name: str) -> list[str | None]:
    """The Parquet column for each csv column: by name (or a known alias), else by position."""
    lower = {c.lower(): c for c in names}
    picked: list[str | None] = []
    for col in layout.columns:
        found = next((lower[a] for a in (col, *_ALIASES.get(col, ())) if a in lower), None)
        picked.append(found)
    required = [c for c, p in zip(layout.columns, picked, strict=True) if p is None and c != "ignore"]
    if not required:
        return picked
    n = len(layout.columns)
    if len(names) in (n, n - 1):  # unnamed columns (e.g. "0".."11"): take them in order
        return list(names) + [None] * (n - len(names))
    raise ValueError(f"{name}: no column for {required}; a {layout.kind} file has {', '.join(layout.columns)}")


def _convert_column(arr: Any, kind: int, decimals: int, name: str, col: str, row0: int) -> np.ndarray:
    """One Arrow column as int64 values by the csv rules (exact decimals, ms times, 0/1 booleans)."""
    pa, _ = _pyarrow()
    t = arr.type
    n = len(arr)
    if arr.null_count:
        bad = int(np.flatnonzero(np.asarray(arr.is_null()))[0])
        raise ValueError(f"{name}: row {row0 + bad + 1}: {col} is missing")
    if kind == _F_ANY:
        return np.zeros(n, dtype=np.int64)
    if kind == _F_BOOL:
        if pa.types.is_boolean(t):
            return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=np.int64)
        if pa.types.is_integer(t):
            v: np.ndarray = arr.to_numpy(zero_copy_only=False).astype(np.int64)
            if ((v != 0) & (v != 1)).any():
                bad = int(np.flatnonzero((v != 0) & (v != 1))[0])
                raise ValueError(f"{name}: row {row0 + bad + 1}: {col} {v[bad]!r}: not a boolean (True/False)")
            return v
        out = np.empty(n, dtype=np.int64)
        for i, s in enumerate(arr.to_pylist()):
            low = str(s).lower()
            if low not in ("true", "false", "1", "0"):
                raise ValueError(f"{name}: row {row0 + i + 1}: {col} {s!r}: not a boolean (True/False)")
            out[i] = low in ("true", "1")
        return out
    if pa.types.is_timestamp(t):
        v = arr.cast(pa.int64()).to_numpy(zero_copy_only=False).astype(np.int64)
        return {"s": v * 1000, "ms": v, "us": v // 1000, "ns": v // 1_000_000}[t.unit]
    if kind in (_F_INT, _F_TIME):
        if pa.types.is_integer(t):
            v = arr.to_numpy(zero_copy_only=False).astype(np.int64)
        else:
            v = np.empty(n, dtype=np.int64)
            for i, s in enumerate(arr.to_pylist()):
                v[i] = _whole(s, name, row0 + i, col)
        if (v < 0).any():
            bad = int(np.flatnonzero(v < 0)[0])
            raise ValueError(f"{name}: row {row0 + bad + 1}: {col} {v[bad]}: not a whole number")
        if kind == _F_TIME:
            if (v >= NOT_A_TIME_FROM).any():
                bad = int(np.flatnonzero(v >= NOT_A_TIME_FROM)[0])
                raise ValueError(
                    f"{name}: row {row0 + bad + 1}: {col} {v[bad]}: not a time in ms or µs since the epoch"
                )
            v = np.where(v >= MICROS_FROM, v // 1000, v)
        return v
    # decimals
    if pa.types.is_floating(t):
        return _floats_to_units(arr.to_numpy(zero_copy_only=False).astype(np.float64), decimals, name, col, row0)
    if pa.types.is_integer(t):
        v = arr.to_numpy(zero_copy_only=False).astype(np.int64)
        if (v < 0).any() or (v >= _LIMIT // 10**decimals).any():
            bad = int(np.flatnonzero((v < 0) | (v >= _LIMIT // 10**decimals))[0])
            raise ValueError(f"{name}: row {row0 + bad + 1}: {col} {v[bad]}: out of range")
        scale: int = 10**decimals
        return v * scale
    out = np.empty(n, dtype=np.int64)
    for i, s in enumerate(arr.to_pylist()):
        text = format(s, "f") if isinstance(s, Decimal) else str(s)
        out[i] = _units(text, decimals, name, f"row {row0 + i + 1}", col)
    return out


def _whole(s: object, name: str, i: int, col: str) -> int:
    text = str(s)
    if not text.isdigit() or len(text) > 18:
        raise ValueError(f"{name}: row {i + 1}: {col} {s!r}: not a whole number")
    return int(text)


def _units(text: str, decimals: int, name: str, where: str, col: str) -> int:
    try:
        value = parse_units(text, decimals, col)
    except ApiError:
        if "." in text and len(text.split(".")[1].rstrip("0")) > decimals and text.replace(".", "", 1).isdigit():
            why = f"more decimals than the asset's {decimals}"
        else:
            why = "not a decimal number (digits with at most one dot)"
        raise ValueError(f"{name}: {where}: {col} {text!r}: {why}") from None
    if value >= _LIMIT:
        raise ValueError(f"{name}: {where}: {col} {text!r}: number too large")
    return value


def _floats_to_units(v: np.ndarray, decimals: int, name: str, col: str, row0: int) -> np.ndarray:
    """Doubles -> units, exactly: u = round(v * 10**d) is accepted only if u / 10**d is the same double
    (then v is that decimal as written); anything else has more decimals than the asset."""
    scale = float(10**decimals)
    u = np.rint(v * scale)
    ok = np.isfinite(v) & (v >= 0) & (u < 2.0**53) & (u / scale == v)
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        x = float(v[bad])
        text = float_text(x) if np.isfinite(x) else repr(x)
        _units(text, decimals, name, f"row {row0 + bad + 1}", col)  # raises with the reason
        raise ValueError(f"{name}: row {row0 + bad + 1}: {col} {text!r}: not exact at {decimals} decimals")
    return u.astype(np.int64)


def _parquet_chunks(
    path: Path, layout: _Layout, price_decimals: int, qty_decimals: int, chunk_rows: int = CHUNK_ROWS
) -> Iterator[np.ndarray]:
    _, pq = _pyarrow()
    name = str(path)
    pf = pq.ParquetFile(path)
    cols = _parquet_columns(pf.schema_arrow.names, layout, name)
    decs = layout.decimals(price_decimals, qty_decimals)
    wanted = [c for c in cols if c is not None]
    row0 = 0
    last_time = -1
    for batch in pf.iter_batches(batch_size=chunk_rows, columns=wanted):
        out = np.empty((batch.num_rows, layout.width), dtype=np.int64)
        for j, (col, kind) in enumerate(zip(cols, layout.fields.tolist(), strict=True)):
            k = int(layout.keep[j])
            if col is None or k < 0:
                continue
            out[:, k] = _convert_column(batch.column(col), kind, int(decs[j]), name, layout.columns[j], row0)
        t = out[:, layout.time_col]
        prev = np.concatenate(([last_time], t[:-1]))
        if (t < prev).any():
            bad = int(np.flatnonzero(t < prev)[0])
            raise ValueError(f"{name}: row {row0 + bad + 1}: time goes back (rows must be in time order)")
        if len(t):
            last_time = int(t[-1])
        row0 += batch.num_rows
        if batch.num_rows:
            yield out


# ---- public entry points ------------------------------------------------------------------------


def detect_kind(path: DataPath) -> str:
    """``aggTrades`` or ``klines``: from the file name (Binance's ``SYMBOL-aggTrades-DATE`` and
    ``SYMBOL-1m-DATE``), else from the number of columns of the first row."""
    p = Path(path)
    stem = p.name.lower()
    if "aggtrade" in stem:
        return AGG_TRADES
    if "kline" in stem:
        return KLINES
    if p.suffix.lower() == ".parquet":
        _, pq = _pyarrow()
        n = len(pq.ParquetFile(p).schema_arrow.names)
    else:
        stream, name, zf = _open_text(p)
        try:
            first = b""
            while not first.strip():
                first = stream.readline()
                if not first:
                    raise ValueError(f"{name}: empty file")
        finally:
            stream.close()
            if zf is not None:
                zf.close()
        n = len(first.split(b","))
    if n == len(AGG_TRADE_COLUMNS):
        return AGG_TRADES
    if n in (len(KLINE_COLUMNS), len(KLINE_COLUMNS) - 1):
        return KLINES
    raise ValueError(
        f"{path}: {n} columns: neither aggTrades ({len(AGG_TRADE_COLUMNS)}) nor klines ({len(KLINE_COLUMNS)})"
    )


def _paths(paths: DataPaths) -> list[Path]:
    if isinstance(paths, (str, os.PathLike)):
        return [Path(paths)]
    return [Path(p) for p in paths]


def _chunks(
    paths: DataPaths, kind: str, price_decimals: int, qty_decimals: int, chunk_rows: int
) -> Iterator[np.ndarray]:
    layout = _LAYOUTS[kind]
    last_time = -1
    for path in _paths(paths):
        read = _parquet_chunks if path.suffix.lower() == ".parquet" else _csv_chunks
        for data in read(path, layout, price_decimals, qty_decimals, chunk_rows):
            if data[0, layout.time_col] < last_time:
                raise ValueError(
                    f"{path}: starts at {int(data[0, layout.time_col])}, before the end of the file "
                    f"before it ({last_time}); give the files in time order"
                )
            last_time = int(data[-1, layout.time_col])
            yield data


def agg_trade_chunks(
    paths: DataPaths, price_decimals: int = 8, qty_decimals: int = 8, chunk_rows: int = CHUNK_ROWS
) -> Iterator[AggTradeChunk]:
    """aggTrades of one file (or several, in order) as column chunks of at most ``chunk_rows`` rows."""
    for data in _chunks(paths, AGG_TRADES, price_decimals, qty_decimals, chunk_rows):
        yield AggTradeChunk(data)


def kline_chunks(
    paths: DataPaths, price_decimals: int = 8, qty_decimals: int = 8, chunk_rows: int = CHUNK_ROWS
) -> Iterator[KlineChunk]:
    """klines of one file (or several, in order) as column chunks of at most ``chunk_rows`` rows."""
    for data in _chunks(paths, KLINES, price_decimals, qty_decimals, chunk_rows):
        yield KlineChunk(data)


def chunks_between(
    paths: DataPaths,
    kind: str,
    price_decimals: int = 8,
    qty_decimals: int = 8,
    start: int | None = None,
    end: int | None = None,
) -> Iterator[AggTradeChunk | KlineChunk]:
    """The chunks of ``kind`` holding only rows with ``start <= time < end`` (ms; a kline's time is
    its open time; either bound optional): a replay of part of a file."""
    chunk_type, column = (AggTradeChunk, A_TIME) if kind == AGG_TRADES else (KlineChunk, K_OPEN_TIME)
    for data in _chunks(paths, kind, price_decimals, qty_decimals, CHUNK_ROWS):
        t = data[:, column]
        keep = np.ones(len(t), dtype=bool)
        if start is not None:
            keep &= t >= start
        if end is not None:
            keep &= t < end
        if keep.any():
            yield chunk_type(data if keep.all() else data[keep])
        if end is not None and len(t) and t[-1] >= end:
            return


def iter_agg_trades(paths: DataPaths, price_decimals: int = 8, qty_decimals: int = 8) -> Iterator[AggTrade]:
    """aggTrades rows, in time order, read a block at a time."""
    for chunk in agg_trade_chunks(paths, price_decimals, qty_decimals):
        yield from chunk.rows()


def iter_klines(paths: DataPaths, price_decimals: int = 8, qty_decimals: int = 8) -> Iterator[Kline]:
    """klines rows, in time order, read a block at a time."""
    for chunk in kline_chunks(paths, price_decimals, qty_decimals):
        yield from chunk.rows()


# ---- writing (samples, tests, benchmarks) -------------------------------------------------------


def agg_trade_lines(
    rows: Iterable[AggTrade], price_decimals: int = 8, qty_decimals: int = 8, micros: bool = False
) -> Iterator[str]:
    """Rows as Binance writes them: ``id,price,qty,first,last,time,True|False,True|False``
    (prices and quantities with 8 decimals as Binance prints them, or the asset's if fewer)."""

    def price(units: int) -> str:
        return format_units_at_most(units, price_decimals, FILE_DECIMALS)

    def qty(units: int) -> str:
        return format_units_at_most(units, qty_decimals, FILE_DECIMALS)

    for r in rows:
        t = r.time * 1000 if micros else r.time
        yield (
            f"{r.id},{price(r.price)},{qty(r.qty)},{r.first_trade_id},"
            f"{r.last_trade_id},{t},{r.buyer_is_maker},{r.best_match}"
        )


def kline_lines(
    rows: Iterable[Kline], price_decimals: int = 8, qty_decimals: int = 8, micros: bool = False
) -> Iterator[str]:
    """Rows as Binance writes them (12 columns, the last one ``0``)."""

    def price(units: int) -> str:
        return format_units_at_most(units, price_decimals, FILE_DECIMALS)

    def qty(units: int) -> str:
        return format_units_at_most(units, qty_decimals, FILE_DECIMALS)

    for r in rows:
        ot, ct = (r.open_time * 1000, r.close_time * 1000 + 999) if micros else (r.open_time, r.close_time)
        p = [price(v) for v in (r.open, r.high, r.low, r.close)]
        yield (
            f"{ot},{','.join(p)},{qty(r.volume)},{ct},{price(r.quote_volume)},{r.count},"
            f"{qty(r.taker_buy_volume)},{price(r.taker_buy_quote_volume)},0"
        )


def write_csv(
    path: DataPath, lines: Iterable[str], header: Sequence[str] | None = None, zip_member: str | None = None
) -> Path:
    """Write csv lines (``\\n`` endings, as Binance's files); into a zip holding one member named
    ``zip_member`` when given (deterministic: fixed member date, deflate)."""
    path = Path(path)
    text = io.StringIO()
    if header is not None:
        text.write(",".join(header) + "\n")
    for line in lines:
        text.write(line)
        text.write("\n")
    data = text.getvalue().encode()
    if zip_member is None:
        path.write_bytes(data)
    else:
        info = zipfile.ZipInfo(zip_member, date_time=(2024, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr(info, data, compresslevel=9)
    return path


def write_parquet(
    path: DataPath,
    rows: Sequence[AggTrade] | Sequence[Kline],
    price_decimals: int = 8,
    qty_decimals: int = 8,
    as_text: bool = True,
) -> Path:
    """Rows as Parquet with Binance's column names: decimal columns as text (exact), or as doubles
    (``as_text=False``, how pandas would store them); needs pyarrow."""
    pa, pq = _pyarrow()
    listed: Sequence[AggTrade | Kline] = list(rows)
    kind = AGG_TRADES if listed and isinstance(listed[0], AggTrade) else KLINES
    layout = _LAYOUTS[kind]
    decs = layout.decimals(price_decimals, qty_decimals)
    arrays = {}
    for j, col in enumerate(layout.columns):
        k = int(layout.keep[j])
        f = int(layout.fields[j])
        values = [r[k] for r in listed] if k >= 0 else [0] * len(listed)
        if f == _F_DEC:
            d = int(decs[j])
            arrays[col] = (
                pa.array([format_units(v, d) for v in values], pa.string())
                if as_text
                else pa.array([float(units_to_decimal(v, d)) for v in values], pa.float64())
            )
        elif f == _F_BOOL:
            arrays[col] = pa.array([bool(v) for v in values], pa.bool_())
        else:
            arrays[col] = pa.array(values, pa.int64())
    pq.write_table(pa.table(arrays), path)
    return Path(path)
