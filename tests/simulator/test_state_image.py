"""Snapshots and digests taken on a forked image of the state: the same bytes and digests as
in-process, and the venue's lock held only while the image is taken."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from simulator import state_image
from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.durability import dump_state
from simulator.launcher import build


@pytest.fixture()
def sim(tmp_path):
    s = build(SimulatorConfig(state_dir=str(tmp_path / "state")), clock=ManualClock(1_700_000_000_000))
    s.liquidity.step()
    yield s
    s.close()


def test_an_image_gives_what_the_process_would() -> None:
    assert state_image.take(lambda: b"x" * 3_000_000).result() == b"x" * 3_000_000
    assert state_image.take(lambda: b"y", fork=False).result() == b"y"


def test_a_failing_image_says_why() -> None:
    def boom() -> bytes:
        raise ValueError("no image today")

    with pytest.raises(state_image.ImageFailed, match="ValueError: no image today"):
        state_image.take(boom).result()


def test_digest_and_saved_snapshot_match_the_live_state(sim) -> None:
    durability = sim.durability
    with sim.venue.lock:
        live = durability.fingerprint()
        dumped = dump_state(durability.holders)
    seq, digest = durability.digest()
    assert (seq, digest) == (durability.seq, live)
    snapshot_id, saved_digest = durability.save()
    assert saved_digest == live
    assert durability._saved[snapshot_id] == dumped


def test_a_checkpoint_holds_the_lock_only_to_take_the_image(sim, monkeypatch) -> None:
    """While the (slowed) serialisation runs in the image, the venue goes on taking changes."""
    slow_dump = sim.durability.dump

    def dump() -> bytes:
        time.sleep(1.0)
        return slow_dump()

    monkeypatch.setattr(sim.durability, "dump", dump)
    done = threading.Event()
    threading.Thread(target=lambda: (sim.durability.checkpoint(), done.set()), daemon=True).start()
    time.sleep(0.2)
    started = time.monotonic()
    with sim.venue.lock:
        waited = time.monotonic() - started
    assert not done.is_set() and waited < 0.5, waited
    assert done.wait(30)
    assert sim.durability.dir.snapshots()[-1].stem.endswith(f"{sim.durability.seq:016d}")


def test_without_fork_the_work_runs_in_process(tmp_path) -> None:
    config = SimulatorConfig(state_dir=str(tmp_path / "s"))
    sim = build(config, clock=ManualClock(1_700_000_000_000))
    sim.durability.settings = replace(sim.durability.settings, fork_images=False)
    try:
        with sim.venue.lock:
            live = sim.durability.fingerprint()
        assert sim.durability.digest()[1] == live
    finally:
        sim.close()


def test_an_image_dies_with_the_server(tmp_path) -> None:
    """A server killed while an image is being made leaves no child holding its lock or port."""
    import os
    import signal
    import subprocess
    import sys

    script = (
        "import os, sys, time\n"
        "from simulator import state_image\n"
        "image = state_image.take(lambda: (time.sleep(30), b'')[1])\n"
        "print(image._pid, flush=True)\n"
        "time.sleep(30)\n"
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        child = int(proc.stdout.readline())
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        with open(f"/proc/{child}/stat") as f:
            if f.read().split()[2] == "Z":  # a zombie: dead, waiting to be reaped by init
                return
        time.sleep(0.05)
    raise AssertionError(f"the image's process {child} outlived the server")


def test_after_a_restore_every_way_of_rebuilding_gives_the_restored_state(tmp_path) -> None:
    """The history before a restore is of a state that is gone: neither ``--from-start`` nor a
    fallback to an older snapshot may bring it back."""
    from simulator.launcher import replay_state

    config = SimulatorConfig(state_dir=str(tmp_path / "s"), liquidity_mode="static")
    sim = build(config, clock=ManualClock(1_699_963_200_000))
    saved, _ = sim.durability.save()
    sim.venue.deposit(sim.demo_account, "USDT", 10**8)
    sim.durability.restore(saved)
    sim.venue.deposit(sim.demo_account, "BTC", 10**8)
    with sim.venue.lock:
        live = sim.durability.fingerprint()
    sim.liquidity.stop()
    sim.durability.close_without_snapshot()
    assert replay_state(config)[0].fingerprint == live
    assert replay_state(config, from_start=True)[0].fingerprint == live
    assert len(sim.durability.dir.snapshots()) == 1
