"""One process owns a state directory, the port is taken before the directory is opened, and damage
in the middle of the journal stops the start instead of silently dropping the records after it.

In-process for the journal's reading, real ``sandex serve`` / ``sandex verify`` subprocesses for what
a user sees: the exit code, one line on stderr, and files nobody touched."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from simulator.clock import ManualClock
from simulator.journal import JournalError, StateDirBusy, read_segment
from simulator.launcher import StartRefused, build, replay_state, running_server
from tests import serve_process
from tests.integration.conftest import binance
from tests.simulator.test_durability import COIN, T0, config, crash

ROOT = Path(__file__).resolve().parents[2]
HEADER = 20  # segment magic and format version
ENV = {
    **os.environ,
    "SANDEX_ADMIN_TOKEN": "state-dir-admin",
    "SANDEX_DEMO_API_KEY": "state-dir-demo-key",
    "SANDEX_DEMO_API_SECRET": "state-dir-demo-secret",
}


def files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def frames(segment: Path) -> list[tuple[int, int, int]]:
    """(offset, seq, end) of each record, walked by hand: what the tests compare the journal's words with."""
    data = segment.read_bytes()
    found, at = [], HEADER
    while at < len(data):
        length, _, seq = struct.unpack_from("<IIQ", data, at)
        found.append((at, seq, at + 16 + length))
        at += 16 + length
    return found


def flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x20
    path.write_bytes(bytes(data))


def journal_of_deposits(state_dir: Path, deposits: int, **changes):
    """A directory whose last segment holds ``deposits`` deposits after the start's own records;
    the process that wrote it is gone. Returns that segment and the last sequence number."""
    sim = build(config(state_dir, **changes), clock=ManualClock(T0))
    for _ in range(deposits):
        sim.venue.deposit(sim.demo_account, "USDT", COIN)
    crash(sim)
    return sim.durability.dir.segments()[-1], sim.durability.seq


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "simulator.cli", *args],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_one_line_refusal(done: subprocess.CompletedProcess, *needles: str) -> str:
    assert done.returncode != 0, done
    line = done.stderr.strip()
    assert "\n" not in line and "Traceback" not in done.stderr, done.stderr
    assert line.startswith("sandex: "), line
    for needle in needles:
        assert needle in line, (needle, line)
    return line


# ---- one owner ---------------------------------------------------------------------------------


def test_a_second_opener_in_the_same_process_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    sim = build(config(tmp_path), clock=ManualClock(T0))
    sim.venue.deposit(sim.demo_account, "USDT", COIN)
    before = files(tmp_path)
    assert before["LOCK"] == f"{os.getpid()} serve\n".encode()
    with pytest.raises(StateDirBusy, match=f"in use by PID {os.getpid()} \\(another sandex serve\\)"):
        build(config(tmp_path), clock=ManualClock(T0))
    with pytest.raises(StateDirBusy, match="only a directory nothing writes can be verified"):
        replay_state(config(tmp_path))
    assert files(tmp_path) == before
    live = sim.app.services.fingerprint()
    crash(sim)  # the directory is free again, and holds all it acknowledged
    assert replay_state(config(tmp_path))[0].fingerprint == live
    assert files(tmp_path)["LOCK"] == b""  # let go: no one is named as holding it


def test_a_failed_start_lets_the_directory_go(tmp_path: Path) -> None:
    segment, _ = journal_of_deposits(tmp_path, 30)
    flip(segment, frames(segment)[5][0] + 20)
    with pytest.raises(JournalError):
        build(config(tmp_path), clock=ManualClock(T0))
    build(config(tmp_path, cut_damaged_journal=True), clock=ManualClock(T0)).close()


@pytest.mark.slow
def test_a_second_serve_is_refused_while_the_first_keeps_its_directory(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    first = serve_process.start("--state-dir", str(state_dir), "--static", env=ENV)
    try:
        ex = binance(first.url, first.key, first.secret)
        kept = ex.create_order("BTC/USDT", "limit", "buy", 0.001, 80000)
        gone = ex.create_order("BTC/USDT", "limit", "buy", 0.002, 80500)
        before = files(state_dir)
        second = cli("serve", "--state-dir", str(state_dir), "--static", "--port", str(serve_process.free_port()))
        assert_one_line_refusal(
            second,
            f"the state directory {state_dir} is in use by PID {first.proc.pid} (another sandex serve)",
            "--state-dir DIR",
        )
        assert "Ctrl-C" not in second.stdout, second.stdout
        verify = cli("verify", str(state_dir))
        assert verify.returncode == 1 and verify.stdout == ""
        assert_one_line_refusal(verify, f"in use by PID {first.proc.pid} (another sandex serve)")
        assert files(state_dir) == before  # names and bytes: neither attempt touched the first's files
        # the first goes on trading, and what it acknowledged survives a kill -9
        ex.cancel_order(gone["id"], "BTC/USDT")
        later = ex.create_order("BTC/USDT", "limit", "sell", 0.003, 99000)
    finally:
        serve_process.kill(first)
    again = serve_process.start("--state-dir", str(state_dir), "--static", env=ENV)
    try:
        assert "recovered change" in again.banner, again.banner
        ex = binance(again.url, again.key, again.secret)
        status = {o: ex.fetch_order(o, "BTC/USDT")["status"] for o in (kept["id"], gone["id"], later["id"])}
        assert status == {kept["id"]: "open", gone["id"]: "canceled", later["id"]: "open"}
    finally:
        serve_process.stop(again)


@pytest.mark.slow
def test_a_port_in_use_stops_the_start_before_the_state_directory_is_made(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = cli("serve", "--state-dir", str(tmp_path / "new"), "--port", str(port))
        assert_one_line_refusal(done, f"127.0.0.1:{port} is in use (another sandex serve?); use --port N")
        admin = cli(
            "serve",
            "--state-dir",
            str(tmp_path / "new"),
            "--port",
            "0",
            "--admin-host",
            "127.0.0.1",
            "--admin-port",
            str(port),
        )
        assert_one_line_refusal(admin, f"127.0.0.1:{port} is in use", "--admin-port N")
    assert not (tmp_path / "new").exists()


def test_running_server_takes_its_port_before_the_state_directory_too(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(StartRefused, match=f"127.0.0.1:{port} is in use"):
            with running_server(config(tmp_path / "new"), ManualClock(T0), port=port):
                pass
    assert not (tmp_path / "new").exists()
    with running_server(config(tmp_path / "new"), ManualClock(T0)) as server:
        assert server.url.startswith("http://127.0.0.1:")
    assert (tmp_path / "new" / "LOCK").exists()


# ---- damage in the middle of the journal -------------------------------------------------------


def test_a_flipped_byte_mid_journal_refuses_the_start_naming_where_and_how_much(tmp_path: Path) -> None:
    segment, last = journal_of_deposits(tmp_path, 60)
    records = frames(segment)
    assert len(records) > 60 and records[-1][1] == last
    hit = 12
    offset, seq, end = records[hit]
    flip(segment, (offset + 16 + end) // 2)  # inside the payload of an early record
    before = files(tmp_path)
    with pytest.raises(JournalError) as refused:
        build(config(tmp_path), clock=ManualClock(T0))
    follow = len(records) - hit - 1
    assert str(refused.value).startswith(
        f"{segment.name}: checksum mismatch at byte {offset}; {follow} records follow it: refusing to start. "
        "Start with --cut-damaged-journal"
    )
    assert files(tmp_path) == before  # refused: nothing cut, nothing renamed
    report, _ = replay_state(config(tmp_path))  # a read-only replay reports it and stops there
    assert report.seq == seq - 1
    assert report.damage == [
        f"{segment.name}: checksum mismatch at byte {offset}; {segment.stat().st_size - offset} "
        f"bytes from there not replayed ({follow} good records among them)"
    ]


def test_the_cut_flag_starts_from_the_damage_and_keeps_the_cut_bytes(tmp_path: Path) -> None:
    segment, _ = journal_of_deposits(tmp_path, 40)
    offset, seq, end = frames(segment)[10]
    flip(segment, end - 1)
    tail = segment.read_bytes()[offset:]
    sim = build(config(tmp_path, cut_damaged_journal=True), clock=ManualClock(T0))
    assert sim.recovery.seq == seq - 1
    assert "cut there" in sim.recovery.damage[0] and "good records among them" in sim.recovery.damage[0]
    assert segment.with_name(segment.name + ".cut").read_bytes() == tail
    assert segment.stat().st_size == offset
    sim.venue.deposit(sim.demo_account, "USDT", COIN)  # the journal goes on from the cut
    live = sim.app.services.fingerprint()
    crash(sim)
    again = build(config(tmp_path), clock=ManualClock(T0))
    assert again.recovery.fingerprint == live and not again.recovery.damage


def test_a_lost_block_hides_no_good_record_after_it(tmp_path: Path) -> None:
    """Zeros over several records (their lengths gone too): the records after are still found."""
    segment, _ = journal_of_deposits(tmp_path, 50)
    records = frames(segment)
    start, stop = records[8][0] + 3, records[13][0] + 5  # records 8 to 13 damaged
    data = bytearray(segment.read_bytes())
    data[start:stop] = bytes(stop - start)
    segment.write_bytes(bytes(data))
    with pytest.raises(JournalError, match=f"at byte {records[8][0]}; {len(records) - 14} records follow it"):
        build(config(tmp_path), clock=ManualClock(T0))


def test_records_in_a_later_segment_count_as_following_the_damage(tmp_path: Path) -> None:
    sim = build(config(tmp_path, snapshot_keep=0), clock=ManualClock(T0))
    for _ in range(20):
        sim.venue.deposit(sim.demo_account, "USDT", COIN)
    sim.durability.checkpoint()
    for _ in range(7):
        sim.venue.deposit(sim.demo_account, "USDT", COIN)
    crash(sim)
    first, _later = sim.durability.dir.segments()
    flip(sim.durability.dir.snapshots()[-1], 100)  # the newest snapshot is unreadable: replay from the one before
    records = frames(first)
    flip(first, records[3][2] - 1)
    with pytest.raises(JournalError) as refused:
        build(config(tmp_path, snapshot_keep=0), clock=ManualClock(T0))
    assert (
        f"{first.name}: checksum mismatch at byte {records[3][0]}; {len(records) - 4 + 7} records follow it "
        "(7 of them in 1 later segment(s)): refusing to start"
    ) in str(refused.value)


def test_a_damaged_last_record_is_a_torn_tail_cut_as_before(tmp_path: Path) -> None:
    segment, last = journal_of_deposits(tmp_path, 10)
    offset, _seq, end = frames(segment)[-1]
    flip(segment, end - 2)
    sim = build(config(tmp_path), clock=ManualClock(T0))
    assert sim.recovery.seq == last - 1
    assert sim.recovery.damage == [
        f"{segment.name}: checksum mismatch at byte {offset}; {end - offset} bytes from "
        f"there not replayed; cut there, the cut bytes kept in {segment.name}.cut"
    ]
    assert read_segment(segment)[1] is None
    sim.close()


@pytest.mark.slow
def test_the_command_line_on_a_damaged_journal(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    segment, _ = journal_of_deposits(state_dir, 30)
    assert cli("verify", str(state_dir)).returncode == 0  # whole
    offset, _, end = frames(segment)[4]
    flip(segment, end - 3)
    verify = cli("verify", str(state_dir))
    assert verify.returncode == 2, verify
    damage = json.loads(verify.stdout)["damage"]
    assert len(damage) == 1 and damage[0].startswith(f"{segment.name}: checksum mismatch at byte {offset};")
    serve = cli("serve", "--state-dir", str(state_dir), "--port", "0")
    assert_one_line_refusal(
        serve, f"{segment.name}: checksum mismatch at byte {offset};", "records follow it", "--cut-damaged-journal"
    )
    assert not segment.with_name(segment.name + ".cut").exists()
    serving = serve_process.start("--state-dir", str(state_dir), "--cut-damaged-journal", env=ENV)
    try:
        assert "cut there" in serving.banner, serving.banner
    finally:
        serve_process.stop(serving)
    assert segment.with_name(segment.name + ".cut").exists()
    assert cli("verify", str(state_dir)).returncode == 0  # cut, then a clean stop: whole again


@pytest.mark.slow
def test_verify_exits_non_zero_on_a_torn_tail_too(tmp_path: Path) -> None:
    segment, _ = journal_of_deposits(tmp_path, 5)
    os.truncate(segment, segment.stat().st_size - 3)
    verify = cli("verify", str(tmp_path))
    assert verify.returncode == 2 and "truncated record" in json.loads(verify.stdout)["damage"][0]


@pytest.mark.slow
def test_other_markets_are_one_line_not_a_traceback(tmp_path: Path) -> None:
    build(config(tmp_path), clock=ManualClock(T0)).close()
    other = tmp_path / "only-btc.toml"
    other.write_text(
        '[demo_balances]\nUSDT = "1"\n[[markets]]\nsymbol = "BTCUSDT"\nbase = "BTC"\nquote = "USDT"\n'
        'tick_size = "0.01"\n'
        'step_size = "0.00001"\nmin_qty = "0.00001"\nmax_qty = "9000"\nmarket_max_qty = "100"\n'
        'min_notional = "5"\n'
    )
    done = cli("serve", "--state-dir", str(tmp_path), "--config", str(other), "--port", "0")
    assert_one_line_refusal(done, "the saved state lists markets", "--ephemeral")


def test_settings_carry_the_cut_flag() -> None:
    assert replace(config(Path("x")), cut_damaged_journal=True).durability().cut_damaged_journal
    assert not config(Path("x")).durability().cut_damaged_journal


@pytest.mark.slow
def test_verify_of_a_missing_directory_says_so_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = cli("verify", str(missing))
    assert result.returncode == 2 and "is not a state directory" in result.stderr
    assert not missing.exists()
