"""The row layout of ``Engine.apply_batch``: what batch-driven callers (historical replay) write
and read, named once here instead of repeated by each caller.

Command rows (int64, ``XW`` columns): kind, account, side, type, time in force, price, quantity,
quote amount, stop price, self-trade prevention, order id, time — in asset units, as
``encode_orders`` builds them. Event rows handed to the sink (``EVW`` columns) are the compiled
book's: kind, order id, other order id, price in ticks, lots, owner, other owner, remaining, maker
remaining, trade id, side, reason, then ``E_X1`` / ``E_X2`` (a fill's taker and maker fees).
"""

from __future__ import annotations

from ._exchange import (
    X_ACCT, X_AMEND, X_CANCEL, X_CANCEL_ALL, X_KIND, X_OID, X_PLACE, X_PRICE, X_QTY, X_QUOTE, X_SIDE, X_STOP,
    X_STP, X_TIF, X_TIME, X_TYPE, XW,
)
from ._kernel import (
    E_KIND, E_MREM, E_OID, E_OOWNER, E_OTHER, E_OWNER, E_PRICE, E_QTY, E_REASON, E_REM, E_SIDE, E_TID, E_X1, E_X2,
    EV_ACCEPTED, EV_AMENDED, EV_CANCELED, EV_EXPIRED, EV_FILL, EV_REJECTED, EVW,
)

__all__ = [
    "XW", "X_KIND", "X_ACCT", "X_SIDE", "X_TYPE", "X_TIF", "X_PRICE", "X_QTY", "X_QUOTE", "X_STOP", "X_STP", "X_OID",
    "X_TIME", "X_PLACE", "X_CANCEL", "X_CANCEL_ALL", "X_AMEND",
    "EVW", "E_KIND", "E_OID", "E_OTHER", "E_PRICE", "E_QTY", "E_OWNER", "E_OOWNER", "E_REM", "E_MREM", "E_TID",
    "E_SIDE", "E_REASON", "E_X1", "E_X2", "EV_ACCEPTED", "EV_FILL", "EV_CANCELED", "EV_EXPIRED", "EV_REJECTED",
    "EV_AMENDED",
]
