"""The state directory on disk: journal segments of framed records, and snapshot files.

A record is ``length (u32) | crc32 (u32) | seq (u64) | payload``; a segment file holds the records
from one sequence number on and starts with a header naming the format version. A torn write (the
process killed mid-record) leaves an incomplete or mismatching frame at the end of the last
segment: reading stops there, says so, and ``cut`` truncates the file at the last complete record,
keeping the cut bytes beside it for inspection. Nothing after a bad frame is ever replayed. A bad
frame with good records after it (a flipped bit, a lost block) is not what a crash leaves: reading
finds those records by their sequence numbers and counts them, so recovery can refuse rather than
silently drop them.

Snapshots are written to a temporary name, synced, then renamed, so a snapshot file is either
complete or absent; its header carries the version, the sequence number it covers and a CRC.

Files hold API secrets (the venue must verify signatures after a restart): they are created
readable by their owner only.

One process owns a directory at a time: it holds an exclusive ``flock`` on the ``LOCK`` file inside
it (which names its PID) from before it reads anything until it closes. The operating system drops
the lock when the process dies, so a killed server never leaves a stale one.
"""

from __future__ import annotations

import fcntl
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1
SEGMENT_MAGIC = b"SANDEX-JOURNAL\x00\x01"
SNAPSHOT_MAGIC = b"SANDEX-SNAPSHOT\x01"
_FRAME = struct.Struct("<IIQ")  # payload length, crc32 of seq+payload, seq
_SNAP_HEADER = struct.Struct("<IQQI")  # version, seq, payload length, crc32 of payload
_VERSION = struct.Struct("<I")
FSYNC_POLICIES = ("every", "batched")
LOCK_NAME = "LOCK"


class JournalError(Exception):
    """The state directory cannot be used as it is (wrong version, unreadable snapshot)."""


class StateDirBusy(JournalError):
    """Another process owns the state directory; nothing in it was read or written."""


def _open_private(path: Path, flags: int) -> int:
    return os.open(path, flags, 0o600)


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def segment_name(first_seq: int) -> str:
    return f"journal-{first_seq:016d}.log"


def snapshot_name(seq: int) -> str:
    return f"snapshot-{seq:016d}.bin"


def _number(path: Path) -> int:
    return int(path.stem.split("-")[1])


def _covered(segments: list[Path], i: int, seq: int) -> bool:
    """Whether segment ``i`` holds only records up to ``seq`` (the next one starts at or before seq + 1)."""
    return i + 1 < len(segments) and _number(segments[i + 1]) <= seq + 1


# ---- writing ---------------------------------------------------------------------------------


class SegmentWriter:
    """Appends framed records to one segment file.

    ``every``: each record is synced to disk before ``append`` returns (nothing acknowledged is
    lost even if the machine loses power; one disk flush per command). ``batched``: records reach
    the operating system at once (a killed process loses nothing) and a background thread syncs
    them every ``interval_ms`` (a power cut may lose the last interval)."""

    def __init__(self, path: Path, policy: str, interval_ms: int, settle_later: bool = False) -> None:
        """``settle_later``: a new segment's header and directory entry are made durable by
        ``settle()`` (a checkpoint does it after releasing the venue's lock), or before the first
        record is acknowledged, whichever comes first."""
        if policy not in FSYNC_POLICIES:
            raise ValueError(f"fsync policy must be one of {FSYNC_POLICIES}, got {policy!r}")
        self.path = path
        self.policy = policy
        new = not path.exists()
        self._fd = _open_private(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        self._settling = threading.Lock()
        self._unsettled = new
        if new:
            os.write(self._fd, SEGMENT_MAGIC + _VERSION.pack(FORMAT_VERSION))
            if not settle_later:
                self.settle()
        self._dirty = False
        self._sync_error: OSError | None = None  # a background sync that failed fails the next append
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None
        if policy == "batched":
            self._flusher = threading.Thread(
                target=self._flush_loop, args=(interval_ms / 1000,), name="sandex-journal-sync", daemon=True
            )
            self._flusher.start()

    def append(self, seq: int, payload: bytes) -> None:
        if self._sync_error is not None:
            raise self._sync_error
        head = struct.pack("<Q", seq)
        crc = zlib.crc32(payload, zlib.crc32(head))
        os.write(self._fd, _FRAME.pack(len(payload), crc, seq) + payload)
        if self.policy == "every":
            os.fdatasync(self._fd)
            if self._unsettled:
                self.settle()
        else:
            self._dirty = True

    def settle(self) -> None:
        """A new segment's header and its name in the directory on disk (once)."""
        with self._settling:
            if self._unsettled:
                os.fsync(self._fd)
                _sync_dir(self.path.parent)
                self._unsettled = False

    def sync(self) -> None:
        self._dirty = False
        os.fdatasync(self._fd)
        if self._unsettled:
            self.settle()

    def _flush_loop(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            if self._dirty:
                try:
                    self.sync()
                except OSError as e:
                    if not self._stop.is_set():  # (else closed under us at shutdown)
                        self._sync_error = e
                    return

    def close(self) -> None:
        self._stop.set()
        if self._flusher is not None:
            self._flusher.join(timeout=5)
        try:
            os.fsync(self._fd)
        finally:
            os.close(self._fd)


def write_snapshot(directory: Path, name: str, seq: int, payload: bytes) -> Path:
    """Write atomically: temporary file, fsync, rename, fsync of the directory."""
    path = directory / name
    tmp = directory / (name + ".tmp")
    fd = _open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        os.write(fd, SNAPSHOT_MAGIC + _SNAP_HEADER.pack(FORMAT_VERSION, seq, len(payload), zlib.crc32(payload)))
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _sync_dir(directory)
    return path


def read_snapshot(path: Path) -> tuple[int, bytes]:
    """(sequence number covered, payload); ``JournalError`` if incomplete, corrupt or of another version."""
    data = path.read_bytes()
    head = len(SNAPSHOT_MAGIC) + _SNAP_HEADER.size
    if len(data) < head or not data.startswith(SNAPSHOT_MAGIC):
        raise JournalError(f"{path.name}: not a sandex snapshot")
    version, seq, length, crc = _SNAP_HEADER.unpack_from(data, len(SNAPSHOT_MAGIC))
    if version != FORMAT_VERSION:
        raise JournalError(f"{path.name}: snapshot format {version}; this sandex reads format {FORMAT_VERSION}")
    payload = data[head:]
    if len(payload) != length or zlib.crc32(payload) != crc:
        raise JournalError(f"{path.name}: snapshot is damaged (length or checksum mismatch)")
    return seq, payload


# ---- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Damage:
    """Where a segment stops making sense: the bytes from ``offset`` on are not replayed."""

    segment: Path
    offset: int
    size: int  # bytes after the last complete record
    reason: str
    later: tuple[Path, ...] = ()  # segments after the damaged one: set aside, never replayed
    follows: int = 0  # good records found after the damage in this segment
    later_records: int = 0  # good records in the later segments

    @property
    def torn(self) -> bool:
        """Nothing good follows: what a process killed mid-write leaves, safe to cut."""
        return not self.follows and not self.later_records

    def __str__(self) -> str:
        text = f"{self.segment.name}: {self.reason} at byte {self.offset}; {self.size} bytes from there not replayed"
        if self.follows:
            text += f" ({self.follows} good records among them)"
        if self.later:
            text += f", nor {len(self.later)} later segment(s)"
            text += f" ({self.later_records} records)" if self.later_records else ""
        return text

    def refusal(self) -> str:
        """Why a start stops here, and the two ways on."""
        count = self.follows + self.later_records
        where = f" ({self.later_records} of them in {len(self.later)} later segment(s))" if self.later_records else ""
        return (
            f"{self.segment.name}: {self.reason} at byte {self.offset}; {count} records follow it{where}: "
            "refusing to start. Start with --cut-damaged-journal to drop everything from there on (the cut "
            "bytes are kept beside the segment), or restore the directory from a backup."
        )


def _frame_at(data: bytes, at: int) -> tuple[int, int] | None:
    """(seq, end) of a complete frame with a matching checksum starting at ``at``, else None."""
    if len(data) - at < _FRAME.size:
        return None
    length, crc, seq = _FRAME.unpack_from(data, at)
    body = at + _FRAME.size
    if len(data) - body < length:
        return None
    if zlib.crc32(memoryview(data)[body : body + length], zlib.crc32(struct.pack("<Q", seq))) != crc:
        return None
    return seq, body + length


def _seq_candidates(data: bytes, start: int, after_seq: int) -> list[int]:
    """Offsets from ``start`` on where a frame might begin: its sequence number field holds a number
    above ``after_seq`` and no higher than the bytes left could reach. One vectorised pass per
    alignment, so a large segment is searched in a fraction of a second."""
    highest = after_seq + (len(data) - start) // _FRAME.size + 1
    found = []
    for k in range(8):
        base = start + k + 8  # the sequence number of a frame at start + k
        count = (len(data) - base) // 8
        if count <= 0:
            continue
        values = np.frombuffer(data, dtype="<u8", count=count, offset=base)
        found.append(np.flatnonzero((values > after_seq) & (values <= highest)) * 8 + (start + k))
    return sorted(np.concatenate(found).tolist()) if found else []


def _good_records_from(data: bytes, start: int, after_seq: int) -> int:
    """How many good records (checksum right, sequence numbers rising above ``after_seq``) lie from
    byte ``start`` on. Found by their sequence numbers, not by walking lengths: a damaged length
    must not hide the good records after it."""
    count, seq, next_at = 0, after_seq, start
    for at in _seq_candidates(data, start, after_seq):
        if at < next_at:
            continue
        frame = _frame_at(data, at)
        if frame is not None and frame[0] > seq:
            (seq, next_at), count = frame, count + 1
    return count


def read_segment(path: Path) -> tuple[list[tuple[int, bytes]], Damage | None]:
    """Every complete record of a segment up to the first bad one, and where (and why) it stops
    early, if it does, with how many good records follow the damage."""
    data = path.read_bytes()
    start = len(SEGMENT_MAGIC) + _VERSION.size
    if len(data) < start:
        return [], Damage(path, 0, len(data), "incomplete segment header")
    if not data.startswith(SEGMENT_MAGIC):
        raise JournalError(f"{path.name}: not a sandex journal segment")
    (version,) = _VERSION.unpack_from(data, len(SEGMENT_MAGIC))
    if version != FORMAT_VERSION:
        raise JournalError(f"{path.name}: journal format {version}; this sandex reads format {FORMAT_VERSION}")
    records: list[tuple[int, bytes]] = []
    offset, end = start, len(data)
    while offset < end:
        reason = _frame_fault(data, offset, records[-1][0] if records else None)
        if reason is not None:
            last = records[-1][0] if records else _number(path) - 1
            return records, Damage(path, offset, end - offset, reason, follows=_good_records_from(data, offset, last))
        length, _, seq = _FRAME.unpack_from(data, offset)
        body = offset + _FRAME.size
        records.append((seq, data[body : body + length]))
        offset = body + length
    return records, None


def _frame_fault(data: bytes, offset: int, last_seq: int | None) -> str | None:
    """What is wrong with the frame at ``offset`` (None: a good record following ``last_seq``)."""
    end = len(data)
    if end - offset < _FRAME.size:
        return "truncated record header"
    length, crc, seq = _FRAME.unpack_from(data, offset)
    body = offset + _FRAME.size
    if end - body < length:
        return "truncated record"
    if zlib.crc32(memoryview(data)[body : body + length], zlib.crc32(struct.pack("<Q", seq))) != crc:
        return "checksum mismatch"
    if last_seq is not None and seq != last_seq + 1:
        return f"sequence jumps from {last_seq} to {seq}"
    return None


def good_records(path: Path) -> int:
    """How many good records a segment holds, damage or not (0 if it is not a segment at all)."""
    try:
        records, damage = read_segment(path)
    except JournalError:
        return 0
    return len(records) + (damage.follows if damage is not None else 0)


def cut(damage: Damage) -> Path:
    """Truncate a segment at its last complete record; the cut bytes go to ``<segment>.cut``, later
    segments are renamed ``<segment>.cut`` too."""
    for later in damage.later:
        later.rename(later.with_name(later.name + ".cut"))
    path = damage.segment
    with open(path, "rb") as f:
        f.seek(damage.offset)
        tail = f.read()
    kept = path.with_name(path.name + ".cut")
    fd = _open_private(kept, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        os.write(fd, tail)
        os.fsync(fd)
    finally:
        os.close(fd)
    if damage.offset == 0:  # not even a header: the segment never held a record
        path.unlink()
    else:
        os.truncate(path, damage.offset)
    _sync_dir(path.parent)
    return kept


# ---- the directory ---------------------------------------------------------------------------


class StateDir:
    """Which files a state directory holds, newest last, and who owns it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock_fd: int | None = None

    def lock(self, role: str = "serve") -> None:
        """Own the directory until ``unlock`` or this process ends; ``StateDirBusy`` (having
        changed nothing) if another process (or another opener in this one) owns it. ``role``
        is what the holder is, named to whoever finds it busy."""
        if self._lock_fd is not None:
            return
        fd = _open_private(self.path / LOCK_NAME, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 100, 0).decode(errors="replace").split()
            os.close(fd)
            raise StateDirBusy(self._busy(holder, role)) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {role}\n".encode(), 0)
        self._lock_fd = fd

    def unlock(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)  # a holder found later is never named after a process that is gone
        finally:
            os.close(fd)  # (closing drops the lock)

    @contextmanager
    def locked(self, role: str) -> Iterator[None]:
        self.lock(role)
        try:
            yield
        finally:
            self.unlock()

    def _busy(self, holder: list[str], role: str) -> str:
        who = (
            f"PID {holder[0]} (another sandex {holder[1]})"
            if len(holder) == 2 and holder[0].isdigit()
            else "another process"
        )
        hint = (
            "stop it first or use --state-dir DIR"
            if role == "serve"
            else "stop it first: only a directory nothing writes can be verified"
        )
        return f"the state directory {self.path} is in use by {who}; {hint}"

    def clear_leftovers(self) -> None:
        """Remove snapshots interrupted before their rename (only the directory's writer may)."""
        for stale in self.path.glob("*.tmp"):
            stale.unlink()

    def segments(self) -> list[Path]:
        return sorted(self.path.glob("journal-*.log"), key=_number)

    def snapshots(self) -> list[Path]:
        return sorted(self.path.glob("snapshot-*.bin"), key=_number)

    def is_empty(self) -> bool:
        return not self.segments() and not self.snapshots()

    def records_after(self, seq: int) -> Iterator[tuple[int, bytes] | Damage]:
        """Records with a sequence number above ``seq``, in order, then a ``Damage`` if one stops them."""
        segments = self.segments()
        for i, path in enumerate(segments):
            if _covered(segments, i, seq):
                continue
            records, damage = read_segment(path)
            for record in records:
                if record[0] > seq:
                    yield record
            if damage is not None:  # records after a damaged one cannot be trusted to follow on from it
                later = tuple(segments[i + 1 :])
                yield replace(damage, later=later, later_records=sum(good_records(p) for p in later))
                return

    def prune(self, keep_from_seq: int) -> None:
        """Drop snapshots older than the one at ``keep_from_seq`` and segments wholly before it."""
        for snap in self.snapshots():
            if _number(snap) < keep_from_seq:
                snap.unlink()
        segments = self.segments()
        for i, path in enumerate(segments):
            if _covered(segments, i, keep_from_seq):
                path.unlink()
