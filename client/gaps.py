"""What ccxt's binance lacks, filled with ccxt's own calls so live and simulator run the same code.

- ``create_orders``: ccxt's binance batches only futures orders; here every request is sent with
  ``create_order``, in order, and a refused request does not stop the rest: its place in the
  result holds the ccxt exception it raised (as ``asyncio.gather(..., return_exceptions=True)``).
- ``fetch_cross_borrow_rates``: ccxt raises NotSupported for binance; Binance's
  ``GET /sapi/v1/margin/crossMarginData`` (a ccxt implicit method) lists every asset's daily rate.
"""

from __future__ import annotations

from typing import Any

import ccxt

DAY_MS = 86_400_000


OrderArgs = tuple[str, str, str, float, float | None, dict[str, Any]]  # symbol, type, side, amount, price, params


def order_args(request: dict[str, Any]) -> OrderArgs:
    """A ccxt order request (symbol, type, side, amount, price, params) as create_order's arguments."""
    try:
        return (
            request["symbol"],
            request["type"],
            request["side"],
            request["amount"],
            request.get("price"),
            request.get("params") or {},
        )
    except (KeyError, TypeError) as e:
        raise ccxt.ArgumentsRequired(f"an order request needs symbol, type, side and amount; got {request!r}") from e


def uses_cross_margin_data(exchange: ccxt.Exchange) -> bool:
    return bool(exchange.id == "binance" or not exchange.has.get("fetchCrossBorrowRates"))


def cross_rates(exchange: ccxt.Exchange, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """crossMarginData rows -> ccxt's CrossBorrowRates structure, keyed by currency code."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        code = exchange.safe_currency_code(row.get("coin"))
        out[code] = {
            "currency": code,
            "rate": exchange.safe_number(row, "dailyInterest"),
            "period": DAY_MS,
            "timestamp": None,
            "datetime": None,
            "info": row,
        }
    return out
