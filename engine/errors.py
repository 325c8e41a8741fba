"""Business rejections (returned as values) and broken invariants (raised)."""

from __future__ import annotations

from enum import IntEnum


class RejectReason(IntEnum):
    """Why a command was refused; a refused command changes nothing."""

    INVALID_QUANTITY = 1  # quantity not positive, or larger than the book can represent
    PRICE_OUT_OF_RANGE = 2  # limit price outside the market's [min, max] tick range
    UNKNOWN_ORDER = 3  # no open order with that id in this market
    WOULD_TAKE = 4  # LIMIT_MAKER (post-only) order would trade immediately
    INVALID_AMEND_QUANTITY = 5  # amend must reduce: 0 < new quantity < current quantity
    INVALID_ORDER_PARAMETERS = 6  # combination of type, time in force and amounts not allowed


class InvariantViolation(AssertionError):
    """Internal state is inconsistent: a bug, never a user error."""
