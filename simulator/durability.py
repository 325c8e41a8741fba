"""Every change journaled before it is answered; snapshots; recovery; one digest of the whole state.

A change is a call of a ``@journaled`` method of a state holder (the venue, the margin desk, the
convert desk, the margin keeper): the outermost such call runs under the venue's lock with one
time stamped on it, and once it returns (or refuses) the call itself (holder, method, arguments,
time, outcome) becomes a journal record. Replaying the records in order through the same methods,
with the same times, rebuilds the same state, because every change is deterministic given its
arguments, its time and the state before it (the seeded random generators are state too). A
record whose replay ends differently from the original (a refusal where it had succeeded, say)
stops the recovery: a journal is never silently replayed wrong.

A snapshot is the holders' ``durable_fields`` pickled together; references between holders (and
to locks, clocks) are written as names and resolved to the live objects on load, so the running
application keeps its objects and only their contents change.
"""

from __future__ import annotations

import copyreg
import functools
import hashlib
import io
import logging
import operator
import pickle
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, TypeVar, cast, overload

from engine import InvariantViolation

from . import binance_errors as err
from . import records, state_image
from .journal import (
    Damage,
    JournalError,
    SegmentWriter,
    StateDir,
    cut,
    read_snapshot,
    segment_name,
    snapshot_name,
    write_snapshot,
)
from .refusals import Refused
from .stream import EventStream

if TYPE_CHECKING:
    from .venue import Market, Venue

log = logging.getLogger("sandex.durability")

_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))


class Recorder:
    """Marks the outermost change, pins its time, and hands the finished call to the journal.

    A journal that cannot be written (disk full, I/O error) stops the exchange taking changes: the
    change whose record failed is answered "execution status unknown" (it is in memory but would
    not survive a restart) and every later one is refused, while reads go on answering. A broken
    invariant (``InvariantViolation``: a bug, caught in the act) stops it the same way: the change
    it broke is answered as an internal error and not journaled, so a restart rebuilds the state
    from the journal without it."""

    def __init__(self, lock: threading.RLock, clock_now: Callable[[], int]) -> None:
        self.lock = lock
        self.clock_now = clock_now
        self.depth = 0
        self.pinned: int | None = None  # the running change's time, read by every ``now()`` inside it
        self.replay_time: int | None = None  # set while replaying a record
        self.sink: Callable[[bytes], None] | None = None  # the journal, when there is one
        self.failure: str | None = None  # why the exchange stopped taking changes (read-only until a restart)
        self.idle = 0  # inside a call that changes nothing, so is not journaled (``journaled``'s ``unless``)
        self.stream = EventStream()  # every change's events, told once the change is complete

    @property
    def in_change(self) -> bool:
        """Whether a journaled change (or a call known to change nothing) is running."""
        return bool(self.depth or self.idle)

    def record(
        self,
        at: int,
        holder: str,
        method: str,
        args: tuple[object, ...],
        kwargs: dict[str, object],
        outcome: str | None,
    ) -> bool:
        """Journal one finished call; False if the journal failed (from now on, changes are refused)."""
        if self.sink is None:
            return True
        try:
            self.sink(records.encode(at, holder, method, args, kwargs, outcome))
            return True
        except Exception as e:
            self.stop_changes(f"the journal cannot be written ({type(e).__name__}: {e})")
            return False

    def stop_changes(self, why: str) -> None:
        """From now on every change is refused (503, -1001) and reads go on answering."""
        if self.failure is None:
            self.failure = why
            log.critical("state: %s; the exchange is read-only until a restart", why)


def outcome_of(exc: BaseException) -> str:
    """What a refusal looked like, compared again on replay. A ``Refused`` is written as the Binance
    error it is answered with (``"ApiError:-2011"``), as every refusal was before the venue raised
    its own: journals of either age replay alike."""
    if isinstance(exc, Refused):
        exc = err.for_refusal(exc)
    return f"{type(exc).__name__}:{getattr(exc, 'code', '')}"


class Holder(Protocol):
    """A part of the state: changed by its ``@journaled`` methods, saved as its ``durable_fields``."""

    @property
    def journal_name(self) -> str: ...

    @property
    def durable_fields(self) -> tuple[str, ...]: ...

    @property
    def recorder(self) -> Recorder: ...


_H = TypeVar("_H", bound=Holder)
_P = ParamSpec("_P")
_R = TypeVar("_R")


@overload
def journaled(
    method: Callable[Concatenate[_H, _P], _R], *, unless: Callable[..., bool] | None = None
) -> Callable[Concatenate[_H, _P], _R]: ...


@overload
def journaled(
    method: None = None, *, unless: Callable[..., bool] | None = None
) -> Callable[[Callable[Concatenate[_H, _P], _R]], Callable[Concatenate[_H, _P], _R]]: ...


def journaled(
    method: Callable[Concatenate[_H, _P], _R] | None = None, *, unless: Callable[..., bool] | None = None
) -> Callable[..., object]:
    """Make ``method`` of a state holder (which has ``journal_name`` and ``recorder``) a journaled
    change. ``unless(self, *args, **kwargs)``, if given and true, says the call would change
    nothing: it then runs unjournaled (the keeper's idle passes, interest with no loans)."""
    if method is None:

        def decorate(method: Callable[Concatenate[_H, _P], _R]) -> Callable[Concatenate[_H, _P], _R]:
            return journaled(method, unless=unless)

        return decorate
    name = method.__name__

    def change(self: _H, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        rec: Recorder = self.recorder
        with rec.lock:
            if rec.depth:
                return method(self, *args, **kwargs)
            source = f"{self.journal_name}.{name}"
            if unless is not None and unless(self, *args, **kwargs):
                rec.idle += 1
                rec.stream.begin()
                try:
                    return method(self, *args, **kwargs)
                finally:
                    rec.idle -= 1
                    rec.stream.end(rec.clock_now(), source)
            if rec.failure is not None:
                raise err.INTERNAL
            at = rec.pinned = rec.replay_time if rec.replay_time is not None else rec.clock_now()
            rec.depth = 1
            rec.stream.begin()
            try:  # the stream is told once the change is journaled
                try:
                    result = method(self, *args, **kwargs)
                finally:
                    rec.depth = 0
                    rec.pinned = None
            except InvariantViolation as e:  # a bug, in the middle of a change: nothing after it is believed
                rec.stream.discard()
                rec.stop_changes(f"a broken invariant in {source}: {e}")
                raise err.INTERNAL from None
            except Exception as e:  # a refusal changed nothing: it stands even if its record fails
                rec.record(at, self.journal_name, name, args, kwargs, outcome_of(e))
                raise
            else:
                if not rec.record(at, self.journal_name, name, args, kwargs, None):
                    raise err.EXECUTION_UNKNOWN
                return result
            finally:
                rec.stream.end(at, source)

    functools.update_wrapper(change, method)
    return change


# ---- state in and out ------------------------------------------------------------------------


def _reduce_lock(lock: object) -> tuple[Callable[[], object], tuple[()]]:
    return (threading.RLock if isinstance(lock, _LOCK_TYPES[1]) else threading.Lock, ())


def _External(name: str) -> None:
    """Stands for a live holder in a pickle: written as its name, resolved on load (``_Loader``)."""
    raise pickle.UnpicklingError(f"{name}: a live object, loadable only into a running venue")


def _dispatch(holders: Mapping[str, object]) -> dict[type, Callable[[Any], str | tuple[Any, ...]]]:
    table = dict(copyreg.dispatch_table)
    for lock_type in _LOCK_TYPES:
        table[lock_type] = _reduce_lock
    names = {id(o): n for n, o in holders.items()}
    for obj in holders.values():
        table[type(obj)] = functools.partial(_by_name, names)
    return table


def _by_name(names: dict[int, str], obj: object) -> tuple[Callable[[str], None], tuple[str]]:
    name = names.get(id(obj))
    if name is None:
        raise pickle.PicklingError(f"a second {type(obj).__name__} in the state: only the live one can be saved")
    return (_External, (name,))


class _Loader(pickle.Unpickler):
    def __init__(self, data: bytes, live: Mapping[str, object]) -> None:
        super().__init__(io.BytesIO(data))
        self.live = live

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == "_External":
            return self.live.__getitem__
        return super().find_class(module, name)


def dump_state(holders: Mapping[str, Holder]) -> bytes:
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=5)
    pickler.dispatch_table = _dispatch(holders)
    pickler.dump({name: {f: getattr(obj, f) for f in obj.durable_fields} for name, obj in holders.items()})
    return buf.getvalue()


def load_state(data: bytes, holders: Mapping[str, object]) -> dict[str, dict[str, object]]:
    """The saved contents of each holder (not yet applied)."""
    state: dict[str, dict[str, object]] = _Loader(data, holders).load()
    return state


def apply_state(state: dict[str, dict[str, object]], holders: Mapping[str, object]) -> None:
    """Holders the snapshot lacks (added to sandex after it was taken) keep their fresh contents."""
    if not set(state) <= set(holders):
        raise JournalError(f"the snapshot holds {sorted(state)}; this sandex keeps {sorted(holders)}")
    for name, fields_ in state.items():
        for attr, value in fields_.items():
            setattr(holders[name], attr, value)


_ATOMS = frozenset({int, str, bytes, bool, float, type(None)})
_SEQUENCES = frozenset({list, tuple, deque})
# an object's slots (one value, or a tuple of them) and its __dict__ (None: it has none)
_Fields = tuple[object, "dict[str, object] | None"]
_FIELDS: dict[type, Callable[[Any], _Fields]] = {}  # per class: its fields, read in one call


def _fields_of(kind: type) -> Callable[[Any], _Fields]:
    getter = _FIELDS.get(kind)
    if getter is None:
        names = [n for c in reversed(kind.__mro__) for n in getattr(c, "__slots__", ()) if n != "__weakref__"]
        slots = operator.attrgetter(*names) if names else (lambda obj: ())
        if names:
            getter = lambda obj: (slots(obj), getattr(obj, "__dict__", None))  # noqa: E731 - one per class
        elif hasattr(kind, "__dict__") and "__dict__" in dir(kind):
            getter = lambda obj: ((), obj.__dict__)  # noqa: E731 - one per class
        else:  # a built-in value type (array.array): its pickle is its content
            getter = lambda obj: ((pickle.dumps(obj, protocol=5),), None)  # noqa: E731 - one per class
        _FIELDS[kind] = getter
    return getter


def _category(kind: type) -> str:
    if kind in _ATOMS:
        return "atom"
    if issubclass(kind, Enum):
        return "enum"
    if kind in _SEQUENCES:
        return "seq"
    if issubclass(kind, dict):
        return "dict"
    if issubclass(kind, (set, frozenset)):
        return "set"
    return "object"


_CATEGORIES: dict[type, str] = {}


def _plain(value: object, live: dict[int, str]) -> object:
    """``value`` as built-in containers of atoms, identity left behind: dicts keep their order,
    sets are sorted, objects become (class name, their fields), live holders their name."""
    kind = type(value)
    category = _CATEGORIES.get(kind) or _CATEGORIES.setdefault(kind, _category(kind))
    if category == "atom":
        return value
    # (the category says what ``value`` is: the casts name it)
    if category == "enum":
        return cast(Enum, value)._value_
    if category == "seq":
        return [_plain(v, live) for v in cast("Iterable[object]", value)]
    if category == "dict":
        return [(_plain(k, live), _plain(v, live)) for k, v in cast("dict[object, object]", value).items()]
    if category == "set":
        return sorted((_plain(v, live) for v in cast("Iterable[object]", value)), key=repr)
    name = live.get(id(value))
    if name is not None:
        return ("live", name)
    if isinstance(value, _LOCK_TYPES):
        return "lock"
    if isinstance(value, random.Random):
        return value.getstate()
    if kind.__reduce__ is not object.__reduce__:  # an object that says how it is saved (key material)
        return (kind.__qualname__, _plain(value.__reduce__()[1], live))
    slots, attrs = _fields_of(kind)(value)
    if not isinstance(slots, tuple):
        slots = (slots,)
    return (kind.__qualname__, _plain(slots, live), None if attrs is None else _plain(attrs, live))


def fingerprint(holders: Mapping[str, Holder]) -> str:
    """A digest of every holder's durable fields (an engine contributes its own fingerprint): equal
    states give equal digests in any process, however their objects happen to be shared."""
    live = {id(o): n for n, o in holders.items()}
    h = hashlib.sha256()
    for name, obj in holders.items():
        for attr in obj.durable_fields:
            value = getattr(obj, attr)
            h.update(f"{name}.{attr}=".encode())
            if hasattr(value, "fingerprint") and callable(value.fingerprint):
                h.update(value.fingerprint().encode())
            else:
                h.update(repr(_plain(value, live)).encode())
    return h.hexdigest()


# ---- the journal and snapshots of a running venue --------------------------------------------


_DIGEST_LEN = 64  # a sha256 in hex


class JournalDiverged(JournalError):
    """Replaying a record gave another outcome than the original call."""


@dataclass(frozen=True, slots=True)
class DurabilitySettings:
    state_dir: str | None = None  # None: in memory only
    fsync: str = "batched"  # "every" command, or "batched" every fsync_interval_ms
    fsync_interval_ms: int = 50
    snapshot_interval_s: float = 300.0  # a snapshot when this long has passed with changes since the last
    snapshot_every: int = 200_000  # ... or after this many journaled changes
    snapshot_keep: int = 2  # snapshots kept (with the journal since the oldest of them); 0: keep everything
    fingerprint_recovery: bool = False  # digest the recovered state at start (about 1 s per 50k orders kept)
    fork_images: bool = True  # serialise snapshots and digests in a forked image, not under the lock
    cut_damaged_journal: bool = False  # damage with good records after it: cut there (True) or refuse to start


@dataclass(slots=True)
class Recovery:
    """What a start found in the state directory."""

    snapshot_seq: int = 0
    replayed: int = 0
    seconds: float = 0.0
    damage: list[str] = field(default_factory=list)
    fresh: bool = True
    seq: int = 0  # the last change recovered
    fingerprint: str = ""  # of the state recovered, before anything else ran

    def __str__(self) -> str:
        if self.fresh:
            return "new state"
        text = (
            f"recovered change {self.seq} (snapshot {self.snapshot_seq} + {self.replayed} journaled changes) "
            f"in {self.seconds:.2f} s" + (f", fingerprint {self.fingerprint[:16]}" if self.fingerprint else "")
        )
        return text + "".join(f"; {d}" for d in self.damage)


class Durability:
    """The journal writer, periodic snapshots, recovery, and snapshots taken and restored on demand."""

    def __init__(self, recorder: Recorder, holders: Mapping[str, object], settings: DurabilitySettings) -> None:
        self.recorder = recorder
        # by journal name: what changes go to and what snapshots hold (every one a ``Holder``: the
        # caller's mapping of unrelated classes is typed by their join, object)
        self.holders = cast("Mapping[str, Holder]", holders)
        self.settings = settings
        self.dir = StateDir(Path(settings.state_dir)) if settings.state_dir else None
        self.seq = 0
        self._writer: SegmentWriter | None = None
        self._since_snapshot = 0
        self._last_snapshot = time.monotonic()
        self._saved: dict[str, bytes] = {}  # snapshots taken on demand, in memory
        self._next_saved = 1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._checkpointing = threading.Lock()  # one snapshot written at a time
        self.on_restore: list[Callable[[], None]] = []
        self.recovered = Recovery()  # what ``open`` found

    # ---- start and stop ----------------------------------------------------------------------

    def open(self) -> Recovery:
        """Own the state directory, recover what it holds (or save the fresh state as snapshot 0),
        then journal every change from here on. A start that fails lets the directory go again."""
        report = Recovery()
        with self.recorder.lock:
            if self.dir is not None:
                self.dir.lock("serve")
                try:
                    report = self._open_dir()
                except BaseException:
                    self.dir.unlock()
                    raise
        if self.dir is not None:
            self._thread = threading.Thread(target=self._snapshot_loop, name="sandex-snapshots", daemon=True)
            self._thread.start()
        return report

    def _open_dir(self) -> Recovery:
        report = Recovery()
        assert self.dir is not None
        self.dir.clear_leftovers()
        if self.dir.is_empty():
            write_snapshot(self.dir.path, snapshot_name(0), 0, self.dump())
        else:
            report = self.recover()
            if self.settings.fingerprint_recovery:
                report.fingerprint = self.fingerprint()
        self.recovered = report
        self._writer = self._segment_after(self.seq)
        self.recorder.sink = self._append
        return report

    def close_without_snapshot(self) -> None:
        """Close the journal as a crash would leave it (all written), for tests and benchmarks."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        with self.recorder.lock:
            self.recorder.sink = None
            writer, self._writer = self._writer, None
            try:
                if writer is not None:
                    writer.close()
            except OSError:
                if self.recorder.failure is None:  # (else reported when the journal failed)
                    raise
            finally:
                if self.dir is not None:
                    self.dir.unlock()

    def close(self) -> None:
        """A final snapshot (the next start replays nothing), then the journal is closed."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._writer is not None and self._since_snapshot:
            self.checkpoint()
        self.close_without_snapshot()

    # ---- journal -----------------------------------------------------------------------------

    def _segment_after(self, seq: int, settle_later: bool = False) -> SegmentWriter:
        assert self.dir is not None
        return SegmentWriter(
            self.dir.path / segment_name(seq + 1), self.settings.fsync, self.settings.fsync_interval_ms, settle_later
        )

    def _append(self, payload: bytes) -> None:
        self.seq += 1
        self._since_snapshot += 1
        assert self._writer is not None  # (the journal's sink only while a segment is open)
        self._writer.append(self.seq, payload)

    def replay(self, payload: bytes) -> None:
        at, target, method, args, kwargs, outcome = records.decode(payload)
        rec = self.recorder
        rec.replay_time = at
        try:
            getattr(self.holders[target], method)(*args, **kwargs)
            got = None
        except Exception as e:
            got = outcome_of(e)
        finally:
            rec.replay_time = None
        if got != outcome:
            raise JournalDiverged(
                f"record {self.seq + 1} ({target}.{method} at {at}) ended {got or 'ok'} on "
                f"replay; it ended {outcome or 'ok'} when it ran"
            )

    def recover(self, from_start: bool = False, repair: bool = True) -> Recovery:
        """Load the newest readable snapshot (the oldest kept, ``from_start``) and replay the journal
        after it; the caller owns the directory. A torn tail is cut (``repair``) or only reported;
        damage with good records after it stops a repairing recovery (``JournalError``) unless
        the settings say to cut there too."""
        started = time.perf_counter()
        report = Recovery(fresh=False)
        state = None
        assert self.dir is not None
        snapshots = self.dir.snapshots()
        for path in snapshots if from_start else reversed(snapshots):
            try:
                seq, payload = read_snapshot(path)
                state = load_state(payload, self.holders)
                break
            except JournalError as e:
                report.damage.append(str(e))
                log.error("state: %s; trying an older snapshot", e)
        if state is None:
            raise JournalError(f"{self.dir.path}: no readable snapshot ({'; '.join(report.damage) or 'none found'})")
        self.check_compatible(state)
        apply_state(state, self.holders)
        self.seq = report.snapshot_seq = seq
        for item in self.dir.records_after(seq):
            if isinstance(item, Damage):
                if not repair:
                    report.damage.append(str(item))
                elif item.torn or self.settings.cut_damaged_journal:
                    report.damage.append(f"{item}; cut there, the cut bytes kept in {cut(item).name}")
                else:
                    raise JournalError(item.refusal())
                log.error("journal: %s", report.damage[-1])
                break
            record_seq, payload = item
            if record_seq != self.seq + 1:
                raise JournalError(f"journal: record {self.seq + 1} is missing (the next found is {record_seq})")
            self.replay(payload)
            self.seq = record_seq
            report.replayed += 1
        report.seconds = time.perf_counter() - started
        report.seq = self.seq
        self._since_snapshot = report.replayed
        return report

    def check_compatible(self, state: dict[str, dict[str, object]]) -> None:
        """The saved state must list the same markets as this configuration."""
        saved = {s: m.spec for s, m in cast("dict[str, Market]", state["venue"]["markets"]).items()}
        live = {s: m.spec for s, m in cast("Venue", self.holders["venue"]).markets.items()}
        if saved != live:
            raise JournalError(
                f"the saved state lists markets {sorted(saved)} with their filters; this configuration "
                f"lists {sorted(live)}: start with the configuration the state was made with, "
                f"another state directory, or --ephemeral"
            )

    # ---- snapshots ---------------------------------------------------------------------------

    def dump(self) -> bytes:
        return dump_state(self.holders)

    def checkpoint(self) -> int:
        """Snapshot the state and start a new journal segment after it; older files are pruned. Not
        after a journal failure: the state then holds a change the journal never acknowledged."""
        if self.dir is None or self.recorder.failure is not None:
            return self.seq
        with self._checkpointing:
            return self._checkpoint()

    def _checkpoint(self) -> int:
        """``checkpoint`` with ``_checkpointing`` held (always taken before the venue's lock)."""
        with self.recorder.lock:  # held only to take the image (a fork) and switch segments
            image, seq = state_image.take(self.dump, self.settings.fork_images), self.seq
            old, new = self._writer, self._segment_after(seq, settle_later=True)
            self._writer = new
            self._since_snapshot = 0
            self._last_snapshot = time.monotonic()
        assert old is not None and self.dir is not None
        old.close()  # (no record goes to it any more) its last records synced
        new.settle()
        write_snapshot(self.dir.path, snapshot_name(seq), seq, image.result())
        snapshots, keep = self.dir.snapshots(), self.settings.snapshot_keep
        if keep and len(snapshots) > keep:  # older snapshots and the journal since them, in case this one goes bad
            self.dir.prune(int(snapshots[-keep].stem.split("-")[1]))
        return seq

    def _snapshot_loop(self) -> None:
        s = self.settings
        while not self._stop.wait(min(1.0, s.snapshot_interval_s)):
            due = self._since_snapshot >= s.snapshot_every or (
                self._since_snapshot and time.monotonic() - self._last_snapshot >= s.snapshot_interval_s
            )
            if due:
                try:
                    self.checkpoint()
                except Exception:  # the journal still holds everything; try again next time
                    log.exception("state: the periodic snapshot failed")

    def save(self) -> tuple[str, str]:
        """A snapshot to restore later (``restore``): kept in memory, and on disk with a state
        directory. Returns its id and the fingerprint of the state it holds."""
        with self.recorder.lock:
            image = state_image.take(lambda: self.fingerprint().encode() + self.dump(), self.settings.fork_images)
            snapshot_id = f"s{self._next_saved}"
            self._next_saved += 1
        data = image.result()
        digest, payload = data[:_DIGEST_LEN].decode(), data[_DIGEST_LEN:]
        self._saved[snapshot_id] = payload
        if self.dir is not None:
            saved = self.dir.path / "saved"
            saved.mkdir(exist_ok=True, mode=0o700)
            write_snapshot(saved, f"{snapshot_id}.bin", self.seq, payload)
        return snapshot_id, digest

    def saved(self) -> list[str]:
        return list(self._saved)

    def restore(self, snapshot_id: str) -> None:
        """Put the state back as it was when ``snapshot_id`` was saved; a checkpoint follows, so a
        restart comes back to the restored state plus what happens after it."""
        payload = self._saved.get(snapshot_id)
        if payload is None:
            raise KeyError(snapshot_id)
        with self._checkpointing, self.recorder.lock:
            state = load_state(payload, self.holders)
            self.check_compatible(state)
            apply_state(state, self.holders)
            for hook in self.on_restore:
                hook()
            if self.dir is not None and self.recorder.failure is None:
                # what the directory held before is the history of a state that is gone: a
                # recovery from an older snapshot would rebuild it, so only the new one is kept
                self.dir.prune(self._checkpoint())

    def load_saved(self) -> None:
        """Snapshots saved on disk by earlier runs become restorable again."""
        if self.dir is None or not (self.dir.path / "saved").is_dir():
            return
        for path in sorted((self.dir.path / "saved").glob("s*.bin"), key=lambda p: int(p.stem[1:])):
            try:
                _, payload = read_snapshot(path)
            except JournalError as e:
                log.error("state: saved snapshot %s", e)
                continue
            self._saved[path.stem] = payload
            self._next_saved = max(self._next_saved, int(path.stem[1:]) + 1)

    def fingerprint(self) -> str:
        """The state's digest, computed here (the caller holds the lock, or nothing else runs)."""
        return fingerprint(self.holders)

    def digest(self) -> tuple[int, str]:
        """(the last journaled change, the state's fingerprint) as of now, computed on an image of
        the state so that the exchange goes on meanwhile. Call it off the event loop."""
        with self.recorder.lock:
            seq, image = self.seq, state_image.take(lambda: self.fingerprint().encode(), self.settings.fork_images)
        return seq, image.result().decode()
