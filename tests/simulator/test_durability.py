"""The journal and snapshots: every change comes back after a restart, exactly (fingerprints), a
damaged tail is cut and reported, a replay that ends otherwise than the original stops, and the
admin API saves and restores the whole state."""

from __future__ import annotations

import os
import warnings
from dataclasses import replace
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette's notice about httpx, not about this code
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from engine import OrderType, SelfTradePrevention, Side, TimeInForce
from simulator import records
from simulator.binance_errors import ApiError
from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.durability import JournalDiverged
from simulator.journal import JournalError, read_segment
from simulator.launcher import build, replay_state
from simulator.margin import CROSS_MARGIN, WalletRef
from simulator.orders import OrderRequest
from simulator.ratelimit import RateLimitConfig
from simulator.refusals import Refused

T0 = 1_699_963_200_000
HOUR = 3_600_000
COIN = 10**8
ADMIN = "a" * 32


def config(state_dir: Path, **changes) -> SimulatorConfig:
    return SimulatorConfig(
        state_dir=str(state_dir),
        liquidity_mode="static",
        admin_token=ADMIN,
        fingerprint_recovery=True,
        demo_api_key="demo-key",
        demo_api_secret="demo-secret",
        rate_limits=RateLimitConfig(enabled=False),
        **changes,
    )


def limit(symbol: str, side: Side, qty: int, price: int, client_id: str | None = None) -> OrderRequest:
    return OrderRequest(
        symbol, side, OrderType.LIMIT, TimeInForce.GTC, qty, price, 0, 0, client_id, SelfTradePrevention.NONE, "FULL"
    )


def market(symbol: str, side: Side, qty: int) -> OrderRequest:
    return OrderRequest(
        symbol, side, OrderType.MARKET, TimeInForce.GTC, qty, 0, 0, 0, None, SelfTradePrevention.NONE, "FULL"
    )


def _values(records: list) -> list[tuple]:
    return [tuple(getattr(r, name) for name in r.__slots__) for r in records]


def trade_a_day(sim, clock: ManualClock) -> tuple[int, int]:
    """Spot, margin, convert and admin changes over a few simulated hours; returns the two traders'
    accounts (the first trades spot and margin, the second converts)."""
    venue, services = sim.venue, sim.app.services
    admin = TestClient(sim.app)
    made = admin.post(
        "/sandex/v1/accounts",
        headers={"Authorization": f"Bearer {ADMIN}"},
        json={"balances": {"USDT": "50000", "BTC": "1"}},
    ).json()
    alice = made["accountId"]
    bob = venue.create_account({"USDT": 20_000 * COIN, "BTC": COIN})
    keep = venue.place(alice, limit("BTCUSDT", Side.BUY, 10_000_000, 80_000 * COIN, "keep-me"))
    gone = venue.place(alice, limit("BTCUSDT", Side.SELL, 5_000_000, 99_000 * COIN))
    venue.place(bob, market("BTCUSDT", Side.BUY, 1_000_000))
    venue.amend(alice, "BTCUSDT", keep.order.order_id, None, 6_000_000, "kept")
    clock.advance(60_000)
    venue.cancel(alice, "BTCUSDT", gone.order.order_id, None)
    with pytest.raises(Refused):  # refused changes are journaled too, and refused again on replay
        venue.cancel(alice, "BTCUSDT", gone.order.order_id, None)
    desk, keeper = services.margin, services.keeper
    desk.transfer(alice, "USDT", 10_000 * COIN, WalletRef("SPOT"), CROSS_MARGIN)
    desk.borrow(alice, "USDT", 5_000 * COIN, CROSS_MARGIN)
    desk.place(alice, CROSS_MARGIN, market("BTCUSDT", Side.BUY, 2_000_000), "MARGIN_BUY")
    clock.advance(2 * HOUR)
    keeper.keep(venue.now())  # interest as the hours begin
    desk.repay(alice, "USDT", 1_000 * COIN, CROSS_MARGIN)
    quote = services.convert.quote(bob, "USDT", "BTC", from_amount=1_000 * COIN)
    services.convert.accept(bob, quote.quote_id)
    venue.deposit(bob, "ETH", 3 * COIN)
    venue.revoke_key(made["apiKey"])
    venue.issue_key(alice)
    clock.advance(HOUR)
    return alice, bob


def crash(sim) -> None:
    """The process is gone: the journal left as a kill leaves it, the directory free for the next."""
    sim.liquidity.stop()
    sim.durability.close_without_snapshot()


def assert_no_day_traded(sim, bob: int) -> None:
    """None of ``trade_a_day``'s loans, transfers or conversions are in the state."""
    services = sim.app.services
    assert not services.margin.loans and not services.margin.transfers
    assert not services.convert.history(bob, 0, 2**62, 10)[0]


def test_a_restart_rebuilds_exactly_the_state_it_stopped_in(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = build(config(tmp_path), clock=clock)
    alice, _ = trade_a_day(sim, clock)
    before = sim.app.services.fingerprint()
    orders = _values(sim.venue.all_orders(alice, "BTCUSDT", None, None, None, 100))
    crash(sim)  # no clean stop: what the journal holds is all there is
    report, services = replay_state(config(tmp_path))
    assert report.fingerprint == before
    assert report.replayed == sim.durability.seq > 10
    assert _values(services.venue.all_orders(alice, "BTCUSDT", None, None, None, 100)) == orders
    again = build(config(tmp_path), clock=ManualClock(clock.now_ms()))
    assert again.recovery.fingerprint == before and not again.recovery.damage
    assert again.venue.order(alice, "BTCUSDT", None, "kept").orig_qty == 6_000_000
    assert again.demo_key == "demo-key" and again.demo_account == sim.demo_account


def test_a_clean_stop_leaves_a_snapshot_and_nothing_to_replay(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = build(config(tmp_path), clock=clock)
    trade_a_day(sim, clock)
    before = sim.app.services.fingerprint()
    sim.close()
    again = build(config(tmp_path), clock=ManualClock(clock.now_ms()))
    assert again.recovery.replayed == 0 and again.recovery.fingerprint == before
    again.close()
    oldest, newest = replay_state(config(tmp_path), from_start=True)[0], replay_state(config(tmp_path))[0]
    assert oldest.fingerprint == newest.fingerprint


def test_a_generated_demo_key_survives_the_restart(tmp_path: Path) -> None:
    cfg = replace(config(tmp_path), demo_api_key="", demo_api_secret="")
    os.environ.pop("SANDEX_DEMO_API_KEY", None)
    first = build(cfg, clock=ManualClock(T0))
    first.close()
    again = build(cfg, clock=ManualClock(T0 + 1000))
    assert (again.demo_key, again.demo_secret) == (first.demo_key, first.demo_secret)


def test_periodic_snapshots_prune_old_files_and_recover_the_same(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = build(config(tmp_path, snapshot_every=5), clock=clock)
    trade_a_day(sim, clock)
    sim.durability.checkpoint()
    sim.venue.deposit(sim.demo_account, "BTC", COIN)
    assert len(sim.durability.dir.snapshots()) == 2  # the newest and one before it
    crash(sim)
    assert replay_state(config(tmp_path))[0].fingerprint == sim.app.services.fingerprint()


@pytest.mark.parametrize("cut_at", [1, 7, 16, 30, -1])
def test_a_torn_last_record_is_cut_reported_and_kept_aside(tmp_path: Path, cut_at: int) -> None:
    clock = ManualClock(T0)
    sim = build(config(tmp_path), clock=clock)
    trade_a_day(sim, clock)
    before_last = sim.app.services.fingerprint()
    sim.venue.deposit(sim.demo_account, "USDT", 7 * COIN)  # the record about to be torn
    segment = sim.durability.dir.segments()[-1]
    records, damage = read_segment(segment)
    assert damage is None
    crash(sim)
    size = segment.stat().st_size
    last = len(records[-1][1]) + 16
    os.truncate(segment, size - last + (cut_at % last))
    again = build(config(tmp_path), clock=ManualClock(clock.now_ms()))
    assert again.recovery.fingerprint == before_last
    assert len(again.recovery.damage) == 1 and "truncated" in again.recovery.damage[0]
    assert segment.with_name(segment.name + ".cut").exists()
    assert read_segment(segment)[1] is None  # cut at the last complete record
    again.venue.deposit(again.demo_account, "USDT", COIN)  # and the journal goes on from there
    crash(again)
    assert replay_state(config(tmp_path))[0].fingerprint == again.app.services.fingerprint()


def test_a_corrupt_record_stops_the_replay_there(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = build(config(tmp_path), clock=clock)
    trade_a_day(sim, clock)
    crash(sim)
    segment = sim.durability.dir.segments()[-1]
    data = bytearray(segment.read_bytes())
    data[-3] ^= 0xFF
    segment.write_bytes(bytes(data))
    report, _ = replay_state(config(tmp_path))
    assert "checksum mismatch" in report.damage[0]
    assert report.seq == sim.durability.seq - 1


def test_a_replay_that_ends_otherwise_than_the_original_stops_the_start(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = build(config(tmp_path), clock=clock)
    sim.venue.deposit(sim.demo_account, "USDT", COIN)
    # forge a record claiming this deposit was refused when it ran
    durability = sim.durability
    at, target, method, args, kwargs, _ = records.decode(read_segment(durability.dir.segments()[-1])[0][-1][1])
    durability._append(records.encode(at, target, method, args, kwargs, "ApiError:-1013"))
    crash(sim)
    with pytest.raises(JournalDiverged, match="deposit"):
        replay_state(config(tmp_path))


def test_refusals_journaled_as_binance_errors_replay(tmp_path: Path) -> None:
    """The venue and the desks raise ``Refused``; the journal writes and compares a refusal as the
    Binance error it is answered with (``"ApiError:-2011"``), as it did when they raised those
    errors themselves: records of either age replay, and a different code still stops the replay."""
    clock = ManualClock(T0)
    sim = build(config(tmp_path), clock=clock)
    account, durability = sim.demo_account, sim.durability
    calls = [  # holder, method, arguments, the outcome an earlier sandex wrote
        ("venue", "cancel", (account, "BTCUSDT", 12345, None), "ApiError:-2011"),
        ("venue", "amend", (account, "BTCUSDT", 12345, None, 1, None), "ApiError:-2013"),
        ("venue", "deposit", (account, "XYZ", COIN), "ApiError:-1130"),
        ("venue", "place", (10**6, limit("BTCUSDT", Side.BUY, COIN, 90_000 * COIN)), "ApiError:-2015"),
        ("margin", "borrow", (account, "USDT", 0, CROSS_MARGIN), "ApiError:-1130"),
        ("convert", "accept", (account, "no-such-quote"), "ApiError:-1130"),
    ]
    holders = {"venue": sim.venue, "margin": sim.app.services.margin, "convert": sim.app.services.convert}
    for holder, method, args, outcome in calls:
        with pytest.raises(Refused):
            getattr(holders[holder], method)(*args)
        written = records.decode(read_segment(durability.dir.segments()[-1])[0][-1][1])
        assert written[1:3] == (holder, method) and written[-1] == outcome
    for holder, method, args, outcome in calls:  # the records as an earlier sandex wrote them
        durability._append(records.encode(clock.now_ms(), holder, method, args, {}, outcome))
    sim.venue.deposit(account, "USDT", COIN)  # a change after them: the replay must get past them all
    kept = sim.app.services.fingerprint()
    crash(sim)
    assert replay_state(config(tmp_path))[0].fingerprint == kept

    at = clock.now_ms()  # the same directory again, with a record that claims another code
    sim = build(config(tmp_path), clock=ManualClock(at))
    sim.durability._append(
        records.encode(at, "venue", "cancel", (account, "BTCUSDT", 12345, None), {}, "ApiError:-2013")
    )
    crash(sim)
    with pytest.raises(JournalDiverged, match="cancel"):
        replay_state(config(tmp_path))


def test_a_state_of_other_markets_is_refused_with_a_way_out(tmp_path: Path) -> None:
    build(config(tmp_path), clock=ManualClock(T0)).close()
    other = config(tmp_path, markets=(SimulatorConfig().markets[0],), demo_balances={"USDT": "1"})
    with pytest.raises(JournalError, match="--ephemeral"):
        build(other, clock=ManualClock(T0))


def test_the_admin_api_saves_and_restores_the_whole_state(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = build(config(tmp_path), clock=clock)
    admin = TestClient(sim.app)
    auth = {"Authorization": f"Bearer {ADMIN}"}
    saved = admin.post("/sandex/v1/snapshots", headers=auth).json()
    _, bob = trade_a_day(sim, clock)
    assert sim.app.services.convert.history(bob, 0, 2**62, 10)[0]
    assert sim.app.services.fingerprint() != saved["fingerprint"]
    restored = admin.post(f"/sandex/v1/snapshots/{saved['snapshotId']}/restore", headers=auth)
    assert restored.status_code == 200, restored.text
    # the saved state, then the liquidity starting afresh (its old quotes retired, new ones placed)
    assert_no_day_traded(sim, bob)
    assert sim.venue.depth("BTCUSDT", 5)[1], "the static book is back"
    assert admin.get("/sandex/v1/snapshots", headers=auth).json() == {"snapshots": [saved["snapshotId"]]}
    assert admin.post("/sandex/v1/snapshots/nope/restore", headers=auth).status_code == 404
    assert admin.post("/sandex/v1/snapshots", headers={}).status_code == 401
    # a restart comes back to the restored state, and the saved snapshot is still there
    after = sim.app.services.fingerprint()
    crash(sim)
    again = build(config(tmp_path), clock=ManualClock(clock.now_ms()))
    assert again.recovery.fingerprint == after
    assert again.durability.saved() == [saved["snapshotId"]]


def test_in_memory_state_saves_and_restores_too() -> None:
    clock = ManualClock(T0)
    sim = build(replace(config(Path("unused")), state_dir=""), clock=clock)
    snapshot, _ = sim.durability.save()
    _, bob = trade_a_day(sim, clock)
    sim.durability.restore(snapshot)
    sim.liquidity.stop()
    assert sim.durability.dir is None
    assert_no_day_traded(sim, bob)
    assert sim.venue.depth("BTCUSDT", 5)[1], "the static book is back"


def test_replay_keeps_its_state_in_memory() -> None:
    with pytest.raises(ValueError, match="replay"):
        SimulatorConfig(state_dir="x", replay="some.csv")


def test_state_files_are_private(tmp_path: Path) -> None:
    sim = build(config(tmp_path / "state"), clock=ManualClock(T0))
    sim.close()
    for path in (tmp_path / "state").iterdir():
        assert path.stat().st_mode & 0o077 == 0, path


def test_a_journal_that_cannot_be_written_stops_changes_but_not_reads(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sim = build(config(tmp_path), clock=clock)
    admin = TestClient(sim.app)
    auth = {"Authorization": f"Bearer {ADMIN}"}
    account = sim.venue.create_account({"USDT": 1_000 * COIN})
    kept = sim.app.services.fingerprint()
    full = os.open("/dev/full", os.O_WRONLY)  # every write fails with "no space left on device"
    try:
        os.dup2(full, sim.durability._writer._fd)
    finally:
        os.close(full)
    answer = admin.post(f"/sandex/v1/accounts/{account}/deposit", headers=auth, json={"asset": "USDT", "amount": "5"})
    assert (answer.status_code, answer.json()["code"]) == (503, -1007)  # applied here, lost on restart: unknown
    for _ in range(2):
        answer = admin.post(
            f"/sandex/v1/accounts/{account}/deposit", headers=auth, json={"asset": "USDT", "amount": "5"}
        )
        assert (answer.status_code, answer.json()["code"]) == (503, -1001)
        with pytest.raises(ApiError) as refused:
            sim.venue.place(account, limit("BTCUSDT", Side.BUY, 1_000_000, 50_000 * COIN))
        assert refused.value.code == -1001
    assert sim.venue.balances(account)[0]["USDT"].free == 1_005 * COIN  # reads still answer
    state = admin.get("/sandex/v1/state", headers=auth).json()
    assert state["journalFailure"] == "the journal cannot be written (OSError: [Errno 28] No space left on device)"
    sim.durability.close_without_snapshot()
    assert replay_state(config(tmp_path))[0].fingerprint == kept  # the journal holds what it acknowledged
