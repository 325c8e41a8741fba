"""The simulator's public entry points: ``serve(config)`` and ``running_server(config)``.

The only module other packages import: the client starts an embedded simulator through it, tests
and benchmarks start real uvicorn servers on loopback with it, backtests a ``history_run``.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import uvicorn
from fastapi import FastAPI

from .assembly import Simulator, build
from .clock import Clock, ManualClock, WallClock
from .config import SimulatorConfig
from .durability import Recovery
from .history_run import HistoryRun, history_run
from .http.app import SandexApp, Services, create_admin_app, create_services
from .liquidity import samples
from .venue import Venue

__all__ = [
    "HistoryRun",
    "RunningServer",
    "Simulator",
    "SimulatorConfig",
    "StartRefused",
    "build",
    "history_run",
    "replay_state",
    "running_server",
    "sample_data",
    "serve",
]

OnReady = Callable[[Simulator], object]  # told the simulator once it is built and about to serve
ASGIApp = SandexApp | FastAPI  # the trading app, or the admin API on its own address


def _uvicorn(app: ASGIApp, host: str, port: int, log_level: str) -> uvicorn.Server:
    # a stop waits at most 3 s for open requests: a client that stalls mid-request cannot hold it up
    return uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level=log_level,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=3,
            # idle keep-alive connections live longer than clients keep theirs (aiohttp 15 s, requests'
            # pools longer): a server closing first races the client's next request on it, which then
            # fails as a NetworkError (freqtrade logged one every few minutes at uvicorn's 5 s)
            timeout_keep_alive=65,
            # Binance's WebSocket keep-alive: a ping every 20 s, a client silent for a minute dropped
            ws_ping_interval=20.0,
            ws_ping_timeout=60.0,
        )
    )


def _start_thread(
    server: uvicorn.Server, name: str, sockets: list[socket.socket] | None = None
) -> tuple[threading.Thread, int]:
    """Run a uvicorn server in a daemon thread (on ``sockets`` if given); returns it and the port it
    listens on."""
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the simulator's {name} did not start")
        time.sleep(0.01)
    return thread, server.servers[0].sockets[0].getsockname()[1]


class StartRefused(Exception):
    """A start that cannot go ahead for a reason the user can fix: said in one line, no traceback."""


def _listen(host: str, port: int, option: str) -> socket.socket:
    """A socket listening on host:port, taken before anything else: a port in use stops the start
    before the state directory is even opened."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)  # (uvicorn's backlog) from now on no other server can take the port
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise StartRefused(f"{host}:{port} is in use (another sandex serve?); use {option} N") from None
        raise StartRefused(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    return sock


def serve(config: SimulatorConfig | None = None, on_ready: OnReady | None = None) -> None:
    """Run until interrupted (Ctrl-C stops cleanly, with a last snapshot). The ports are taken
    first (port 0: any free one, announced), then the state directory is opened."""
    with _listening(config or SimulatorConfig()) as (config, sockets):
        _serve_on(config, sockets, on_ready)


@contextmanager
def _listening(config: SimulatorConfig) -> Iterator[tuple[SimulatorConfig, list[socket.socket]]]:
    """The trading port (and the admin port, if it has its own) taken, and the configuration with
    the ports they got (port 0: any free one); closed on the way out."""
    sockets = [_listen(config.host, config.port, "--port")]
    try:
        config = replace(config, port=sockets[0].getsockname()[1])
        if config.admin_host:
            sockets.append(_listen(config.admin_host, config.admin_port, "--admin-port"))
            config = replace(config, admin_port=sockets[1].getsockname()[1])
        yield config, sockets
    finally:
        for sock in sockets:
            sock.close()


def _serve_on(config: SimulatorConfig, sockets: list[socket.socket], on_ready: OnReady | None) -> None:
    sim = build(config)
    admin = None
    try:
        if sim.config.admin_host:
            admin = _uvicorn(
                create_admin_app(sim.app.services), sim.config.admin_host, sim.config.admin_port, sim.config.log_level
            )
            _start_thread(admin, "sandex-admin", sockets[1:])
        if on_ready is not None:
            on_ready(sim)
        # This process is the server: keep the start-up objects out of every collection, and collect
        # less often (full collections of a large heap stalled requests for 100+ ms).
        gc.freeze()
        gc.set_threshold(10_000, 50, 100)
        sim.liquidity.run_in_background()
        server = _uvicorn(sim.app, sim.config.host, sim.config.port, sim.config.log_level)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: a clean stop (as uvicorn.run takes it)
            server.run(sockets=sockets[:1])
    finally:
        if admin is not None:
            admin.should_exit = True
        sim.close()


@dataclass(frozen=True)
class RunningServer:
    url: str
    simulator: Simulator
    admin_url: str  # the same as url unless the admin API has an address of its own

    @property
    def venue(self) -> Venue:
        return self.simulator.venue

    def __repr__(self) -> str:
        return f"RunningServer({self.url})"


@contextmanager
def running_server(
    config: SimulatorConfig | None = None, clock: Clock | None = None, port: int = 0
) -> Iterator[RunningServer]:
    """A real uvicorn server on 127.0.0.1 (any free port by default) in a background thread. As
    with ``serve``, the ports are taken before the state directory is opened."""
    with _listening(replace(config or SimulatorConfig(), host="127.0.0.1", port=port)) as (config, sockets):
        sim = build(config, clock)
        servers = [_uvicorn(sim.app, "127.0.0.1", sim.config.port, sim.config.log_level)]
        threads: list[threading.Thread] = []
        try:
            thread, port = _start_thread(servers[0], "sandex-server", sockets[:1])
            threads.append(thread)
            url = admin_url = f"http://127.0.0.1:{port}"
            if sim.config.admin_host:
                servers.append(
                    _uvicorn(
                        create_admin_app(sim.app.services),
                        sim.config.admin_host,
                        sim.config.admin_port,
                        sim.config.log_level,
                    )
                )
                thread, admin_port = _start_thread(servers[1], "sandex-admin", sockets[1:])
                threads.append(thread)
                admin_url = f"http://{sim.config.admin_host}:{admin_port}"
            if not isinstance(sim.venue.clock, ManualClock):  # a hand-moved clock is stepped by its owner
                sim.liquidity.run_in_background()
            yield RunningServer(url, sim, admin_url)
        finally:
            for server in servers:
                server.should_exit = True
            for thread in threads:
                thread.join(timeout=10)
            sim.close()


def replay_state(config: SimulatorConfig, from_start: bool = False) -> tuple[Recovery, Services]:
    """Rebuild the state a directory holds, read-only and without starting anything: the newest
    snapshot plus the journal after it, or (``from_start``) the oldest snapshot kept plus the whole
    journal since. The two must give the same fingerprint. Returns the report and the rebuilt
    venue with its desks."""
    if not config.state_dir:
        raise ValueError("replay_state needs a state_dir")
    venue = Venue(config, WallClock())
    services = create_services(venue, "", config.durability())
    state_dir = services.durability.dir
    assert state_dir is not None  # config.state_dir is set
    with state_dir.locked("verify"), venue.lock:  # refused while a server owns the directory
        report = services.durability.recover(from_start=from_start, repair=False)
        report.fingerprint = services.fingerprint()
    return report, services


def sample_data(kind: str = "aggTrades") -> str:
    """The path of a data file shipped with sandex (one day of BTCUSDT): "aggTrades" or "klines"."""
    files = {"aggTrades": samples.AGG_TRADES_ZIP, "klines": samples.KLINES_ZIP}
    if kind not in files:
        raise ValueError(f"sample data kinds: {sorted(files)}")
    return str(files[kind])
