"""The simulator's public entry points: ``serve(config)`` and ``running_server(config)``.

The only module other packages import: the client starts an embedded simulator through it, tests
and benchmarks start real uvicorn servers on loopback with it.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import uvicorn

from .clock import Clock, ManualClock, ScaledClock, WallClock
from .config import SimulatorConfig
from .http.app import SandexApp, create_app
from .liquidity.driver import LiquidityDriver
from .liquidity.setup import liquidity_sources, replay_start_ms
from .margin import MarginKeeper
from .venue import Venue
from .wire import parse_units


@dataclass(frozen=True)
class Simulator:
    """A built simulator: its venue, ASGI app and the credentials it was started with."""

    config: SimulatorConfig
    venue: Venue
    app: SandexApp
    demo_account: int
    liquidity: LiquidityDriver

    @property
    def demo_key(self) -> str:
        return self.config.demo_api_key

    @property
    def demo_secret(self) -> str:
        return self.config.demo_api_secret

    @property
    def admin_token(self) -> str:
        return self.config.admin_token

    def ensure_account(self, api_key: str, secret: str, balances: dict[str, str] | None = None) -> int:
        """The account of an HMAC key, opened and funded (the demo balances by default) the first
        time the key is seen: how an embedded simulator takes whatever credentials a user has."""
        with self.venue.lock:
            known = self.venue.keys.get(api_key)
            if known is not None:
                return known.account_id
            decimals = self.config.asset_decimals
            chosen = self.config.demo_balances if balances is None else balances
            account = self.venue.create_account({a: parse_units(v, decimals, f"balances.{a}") for a, v in chosen.items()})
            self.venue.keys.issue(account, api_key=api_key, secret=secret, now_ms=self.venue.now())
            return account

    def __repr__(self) -> str:
        return f"Simulator({len(self.venue.markets)} markets, demo account {self.demo_account})"


def build(config: SimulatorConfig | None = None, clock: Clock | None = None) -> Simulator:
    """Venue, markets, demo account (with the configured key), optional static book, app."""
    config = (config or SimulatorConfig()).with_secrets()
    if clock is None:  # a replay runs in simulated time from its first row, at replay_speed
        clock = ScaledClock(replay_start_ms(config.replay), config.replay_speed) if config.replay else WallClock()
    venue = Venue(config, clock)
    decimals = config.asset_decimals
    demo = venue.create_account({a: parse_units(v, decimals, f"demo_balances.{a}")
                                 for a, v in config.demo_balances.items()})
    venue.keys.issue(demo, api_key=config.demo_api_key, secret=config.demo_api_secret, now_ms=venue.now())
    app = create_app(venue, config.admin_token)
    keeper = MarginKeeper(app.services.margin, config.margin.check_interval_ms)  # interest and liquidations
    driver = LiquidityDriver(venue, [*liquidity_sources(config, venue), keeper])
    driver.start()
    app.services.liquidity = driver
    return Simulator(config, venue, app, demo, driver)


def serve(config: SimulatorConfig | None = None, on_ready=None) -> None:
    """Run until interrupted (Ctrl-C stops cleanly)."""
    sim = build(config)
    if on_ready is not None:
        on_ready(sim)
    # This process is the server: keep the start-up objects out of every collection, and collect
    # less often (full collections of a large heap stalled requests for 100+ ms).
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)
    sim.liquidity.run_in_background()
    try:
        uvicorn.run(sim.app, host=sim.config.host, port=sim.config.port, log_level=sim.config.log_level,
                    access_log=False)
    finally:
        sim.liquidity.stop()


@dataclass(frozen=True)
class RunningServer:
    url: str
    simulator: Simulator

    @property
    def venue(self) -> Venue:
        return self.simulator.venue

    def __repr__(self) -> str:
        return f"RunningServer({self.url})"


@contextmanager
def running_server(config: SimulatorConfig | None = None, clock: Clock | None = None,
                   port: int = 0) -> Iterator[RunningServer]:
    """A real uvicorn server on 127.0.0.1 (any free port by default) in a background thread."""
    config = replace(config or SimulatorConfig(), host="127.0.0.1", port=port)
    sim = build(config, clock)
    server = uvicorn.Server(uvicorn.Config(sim.app, host="127.0.0.1", port=sim.config.port,
                                           log_level=sim.config.log_level, access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, name="sandex-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the simulator's server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    if not isinstance(sim.venue.clock, ManualClock):  # a hand-moved clock is stepped by its owner
        sim.liquidity.run_in_background()
    try:
        yield RunningServer(f"http://127.0.0.1:{port}", sim)
    finally:
        sim.liquidity.stop()
        server.should_exit = True
        thread.join(timeout=10)
