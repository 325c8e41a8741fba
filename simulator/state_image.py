"""A consistent image of the exchange's state, serialised or digested without stopping the exchange.

Pickling or digesting a large state is seconds of Python; doing it under the venue's lock stops
trading that long. Instead the process forks while the lock is held: the child is a copy-on-write
image of the whole heap taken in milliseconds, at a point between two changes. It serialises that
image and hands the bytes back through a pipe while the parent, its lock released, goes on trading
(the way Redis writes its snapshots). The child touches nothing shared: no logging, no stdio, no
atexit handlers (it leaves through ``os._exit``). Where ``fork`` is not available the work runs
in-process, under the lock.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
from collections.abc import Callable

_OK, _FAILED = b"\x00", b"\x01"
_PR_SET_PDEATHSIG = 1


class ImageFailed(RuntimeError):
    """The child could not produce the image (its error, as text)."""


class Image:
    """The bytes an image is turning into; ``result()`` waits for them (call it without the lock)."""

    def __init__(self, data: bytes | None = None, pid: int = 0, fd: int = -1) -> None:
        self._data, self._pid, self._fd = data, pid, fd

    def result(self) -> bytes:
        if self._data is not None:
            return self._data
        chunks = []
        try:
            while chunk := os.read(self._fd, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(self._fd)
            _, status = os.waitpid(self._pid, 0)
        out = b"".join(chunks)
        if os.waitstatus_to_exitcode(status) != 0 or not out.startswith(_OK):
            reason = out[1:].decode(errors="replace") if out.startswith(_FAILED) else f"exit status {status}"
            raise ImageFailed(f"the state image failed: {reason}")
        self._data = out[1:]
        return self._data


def _die_with(parent: int) -> None:
    """Ask the kernel to kill this child when the thread that forked it dies (Linux; that thread
    waits for the image): a server killed mid-snapshot must not leave a child holding its state
    directory's lock and its port."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the child just finishes its work
        return
    if os.getppid() != parent:  # the parent died before the request took hold
        os._exit(1)


def take(compute: Callable[[], bytes], fork: bool = True) -> Image:
    """Start ``compute`` on an image of the state as it is now. The caller holds the venue's lock
    (so that the image falls between two changes) and releases it before ``result()``."""
    if not fork or not hasattr(os, "fork"):
        return Image(compute())
    read_end, write_end = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        _child(read_end, write_end, compute, parent)
    os.close(write_end)
    return Image(pid=pid, fd=read_end)


def _child(read_end: int, write_end: int, compute: Callable[[], bytes], parent: int) -> None:
    status = 1
    try:
        _die_with(parent)
        os.close(read_end)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C of the server's terminal: the parent decides
        gc.disable()  # a collection would touch (and so copy) every page of the heap
        _write_all(write_end, _OK + compute())
        status = 0
    except BaseException as e:
        with contextlib.suppress(BaseException):
            _write_all(write_end, _FAILED + f"{type(e).__name__}: {e}".encode())
    finally:
        os._exit(status)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
