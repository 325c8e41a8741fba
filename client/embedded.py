"""The embedded target: one in-process simulator per process, started on first use.

It is a real uvicorn server on 127.0.0.1 (an ephemeral port, a background thread), so calls go
through ccxt and HTTP exactly as they would to ``sandex serve``; it stops when the process exits.
Any credential used against it is registered the first time it is seen, as an account funded with
the simulator's demo balances, so ``Credential.from_env`` works in CI with placeholder keys.

The simulator (FastAPI, uvicorn, the numba engine) is imported on first use only, so a client aimed
at a URL, the testnet or live never loads it.
"""

from __future__ import annotations

import atexit
import os
import threading
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.launcher import RunningServer, SimulatorConfig

CONFIG_ENV = "SANDEX_CONFIG"  # a TOML file for the embedded simulator (markets, liquidity, balances...)

_lock = threading.Lock()
_server: RunningServer | None = None
_stop: AbstractContextManager[RunningServer] | None = None
_config: SimulatorConfig | None = None
_starts = 0  # how many simulators this process has started: tells a restart on the same port apart


def configure(config: SimulatorConfig | None) -> None:
    """Use ``config`` for the embedded simulator (before its first use; None: defaults or SANDEX_CONFIG)."""
    global _config
    with _lock:
        if _server is not None:
            raise RuntimeError("the embedded simulator is already running; configure it before the first call")
        _config = config


def running_server(config: SimulatorConfig, port: int = 0) -> AbstractContextManager[RunningServer]:
    """``simulator.launcher.running_server``, imported only now (the simulator's first use)."""
    from simulator.launcher import running_server as start

    return start(config, port=port)


def server() -> RunningServer:
    """The running embedded simulator, started now if need be."""
    global _server, _stop, _starts
    with _lock:
        if _server is None:
            config = _config
            if config is None:
                from simulator.launcher import SimulatorConfig

                path = os.environ.get(CONFIG_ENV)
                config = SimulatorConfig.from_toml(path) if path else SimulatorConfig()
            context = running_server(config)
            _server = context.__enter__()
            _stop = context
            _starts += 1
            atexit.register(stop)
        return _server


def identity() -> tuple[int, str]:
    """Which simulator is running (started now if need be): (its start number, its URL)."""
    url = server().url
    return _starts, url


def stop() -> None:
    """Stop the embedded simulator (at exit, or by hand); the next call starts a fresh one."""
    global _server, _stop
    with _lock:
        context, _server, _stop = _stop, None, None
    if context is not None:
        context.__exit__(None, None, None)


def url_for(api_key: str, secret: str) -> str:
    """The embedded simulator's URL, with this key registered there."""
    srv = server()
    if api_key:
        srv.simulator.ensure_account(api_key, secret)
    return srv.url
