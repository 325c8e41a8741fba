"""An account opening the ledger cannot take (a balance past the asset's supply limit) is refused
whole: no key, fee rates, account or earlier deposit is left behind (found by the fuzzers)."""

from __future__ import annotations

import pytest

from .harness import ADMIN_TOKEN, FuzzSim

ADMIN = [("Authorization", f"Bearer {ADMIN_TOKEN}"), ("Content-Type", "application/json")]


@pytest.mark.parametrize(
    "balances", [b'{"USDT": "99999999999999999999"}', b'{"USDT": "1", "BTC": "99999999999999999999"}']
)
def test_refused_account_opening_leaves_nothing_behind(balances: bytes):
    sim = FuzzSim()
    try:
        accounts = sim.venue.account_ids()
        before = sim.services.fingerprint()
        answer = sim.call("POST", "/sandex/v1/accounts", b"", b'{"balances": ' + balances + b"}", ADMIN)
        assert (answer.status, answer.json()["code"]) == (400, -1130)
        assert sim.venue.account_ids() == accounts
        assert sim.services.fingerprint() == before
    finally:
        sim.close()
