"""A broken invariant (a bug caught in the act) puts the exchange in a read-only state: the change
it broke and every later one are answered 503 / -1001 and not journaled, reads go on answering,
health and Binance's system status say why, and a restart rebuilds the state without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import InvariantViolation
from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.launcher import build, replay_state
from simulator.ratelimit import RateLimitConfig
from tests.harness import ApiClient

T0 = 1_700_000_000_000
ADMIN = "admin-token"
INTERNAL = {"code": -1001, "msg": "Internal error; unable to process your request. Please try again."}
BUY = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001", "price": "50000"}


def config(state_dir: Path) -> SimulatorConfig:
    return SimulatorConfig(
        state_dir=str(state_dir), liquidity=False, admin_token=ADMIN, rate_limits=RateLimitConfig(enabled=False)
    )


def test_a_broken_invariant_makes_the_exchange_read_only_until_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock(T0)
    sim = build(config(tmp_path), clock=clock)
    venue = sim.venue
    account = venue.create_account({"USDT": 10**12, "BTC": 10**9})
    issued = venue.issue_key(account)
    key, secret = issued.api_key, issued.secret or ""
    with ApiClient.in_process(sim.app, clock.now_ms, admin_token=ADMIN) as api:
        api.signed_ok("POST", "/api/v3/order", BUY, key=key, secret=secret)
        before = sim.app.services.fingerprint()
        seq = sim.durability.seq

        engine_apply = venue.engine.apply

        def broken(command: object) -> object:  # the bug: the engine finds its books disagreeing
            engine_apply(command)
            raise InvariantViolation("BTCUSDT: level 5000000 holds both sides")

        monkeypatch.setattr(venue.engine, "apply", broken)
        r = api.signed("POST", "/api/v3/order", BUY, key=key, secret=secret)
        assert (r.status_code, r.json()) == (503, INTERNAL)
        monkeypatch.undo()  # the engine is whole again, but what it did is not believed: still read-only
        r = api.signed("POST", "/api/v3/order", BUY, key=key, secret=secret)
        assert (r.status_code, r.json()) == (503, INTERNAL)
        r = api.signed("DELETE", "/api/v3/openOrders", {"symbol": "BTCUSDT"}, key=key, secret=secret)
        assert (r.status_code, r.json()) == (503, INTERNAL)
        assert sim.durability.seq == seq  # nothing of it journaled

        assert api.signed("GET", "/api/v3/account", key=key, secret=secret).status_code == 200  # reads answer
        assert api.public("/api/v3/depth", {"symbol": "BTCUSDT"}).status_code == 200
        health = api.admin_ok("GET", "/sandex/v1/health")
        assert health["status"] == "read-only"
        assert health["readOnlyReason"] == (
            "a broken invariant in venue.place: BTCUSDT: level 5000000 holds both sides"
        )
        assert api.public("/sapi/v1/system/status").json() == {"status": 1, "msg": "system maintenance"}
    sim.close()  # no last snapshot of a state not believed

    report, _ = replay_state(config(tmp_path))
    assert report.fingerprint == before  # the restart comes back to the state before the broken change
    sim = build(config(tmp_path), clock=clock)
    try:
        with ApiClient.in_process(sim.app, clock.now_ms, admin_token=ADMIN) as api:
            assert api.admin_ok("GET", "/sandex/v1/health")["status"] == "ok"
            assert api.public("/sapi/v1/system/status").json() == {"status": 0, "msg": "normal"}
            api.signed_ok("POST", "/api/v3/order", BUY, key=key, secret=secret)
    finally:
        sim.close()
