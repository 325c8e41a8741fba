"""Same commands, same events, same fingerprint; and the batch path agrees with the per-command one."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from engine import CancelAllOrders, CancelOrder, OrderFilled, PlaceOrder, encode_orders
from engine import _exchange as x
from engine import _kernel as k

from .exchange_fixtures import funded_engine, random_commands

FEES = [(0, 0), (100_000, 200_000), (1_000_000, 10_000_000)]


def run(commands: list) -> tuple[str, str]:
    e = funded_engine(50, FEES)
    h = hashlib.blake2b(digest_size=16)
    for c in commands:
        h.update(repr(e.apply(c)).encode())
    e.check_invariants()
    return e.fingerprint(), h.hexdigest()


@pytest.mark.slow
def test_a_seeded_100k_stream_gives_the_same_events_and_fingerprint_twice() -> None:
    commands = random_commands(seed=7, n=100_000, accounts=50)
    assert run(commands) == run(commands)


def test_different_streams_give_different_fingerprints() -> None:
    assert run(random_commands(1, 2_000, 50))[0] != run(random_commands(2, 2_000, 50))[0]


def as_row(c) -> tuple:
    if isinstance(c, PlaceOrder):
        return (
            x.X_PLACE,
            c.account,
            c.side,
            c.order_type,
            c.time_in_force,
            c.price,
            c.quantity,
            c.quote_quantity,
            c.stop_price,
            c.stp,
            0,
            c.time,
        )
    if isinstance(c, CancelOrder):
        return (x.X_CANCEL, c.account, 0, 0, 0, 0, 0, 0, 0, 0, c.order_id, c.time)
    assert isinstance(c, CancelAllOrders)
    return (x.X_CANCEL_ALL, c.account, 0, 0, 0, 0, 0, 0, 0, 0, 0, c.time)


def test_batch_replay_reaches_the_same_state_as_per_command_calls() -> None:
    """Stops are filed and triggered inside the batch exactly as through ``apply``."""
    commands = [c for c in random_commands(seed=3, n=20_000, accounts=20) if c.market == "AAABBB"]
    one = funded_engine(20, FEES)
    per_call_fills = sum(isinstance(e, OrderFilled) for c in commands for e in one.apply(c))
    batch = funded_engine(20, FEES)
    rows, fills = [0], [0]

    def sink(chunk: np.ndarray) -> None:
        rows[0] += len(chunk)
        fills[0] += int((chunk[:, k.E_KIND] == k.EV_FILL).sum())

    assert batch.apply_batch("AAABBB", encode_orders([as_row(c) for c in commands]), sink) == rows[0]
    batch.check_invariants()
    assert fills[0] == per_call_fills > 0
    assert batch.fingerprint() == one.fingerprint()
    assert len(batch.stop_orders("AAABBB")) == len(one.stop_orders("AAABBB"))
