"""A simulator assembled from its configuration: venue, demo account, recovered state, liquidity, app.

What every way of running one starts from: the servers of ``launcher`` and the hand-clocked
backtest runs of ``history_run`` both ``build`` here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from .clock import Clock, ScaledClock, WallClock
from .config import SimulatorConfig
from .durability import Durability, Recovery
from .http.app import SandexApp, create_app
from .liquidity.driver import LiquidityDriver
from .liquidity.setup import liquidity_sources, replay_start_ms
from .liquidity.source import LiquiditySource
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
    recovery: Recovery

    @property
    def demo_key(self) -> str:
        return self.config.demo_api_key

    @property
    def demo_secret(self) -> str:
        return self.config.demo_api_secret

    @property
    def admin_token(self) -> str:
        return self.config.admin_token

    @property
    def durability(self) -> Durability:
        return self.app.services.durability

    def ensure_account(self, api_key: str, secret: str, balances: dict[str, str] | None = None) -> int:
        """The account of an HMAC key, opened and funded (the demo balances by default) the first
        time the key is seen: how an embedded simulator takes whatever credentials a user has."""
        with self.venue.lock:
            known = self.venue.keys.get(api_key)
            if known is not None:
                return known.account_id
            decimals = self.config.asset_decimals
            chosen = self.config.demo_balances if balances is None else balances
            key, _ = self.venue.keys.draft(0, api_key=api_key, secret=secret, now_ms=self.venue.now())
            return self.venue.create_account(
                {a: parse_units(v, decimals, f"balances.{a}") for a, v in chosen.items()}, key=key
            )

    def close(self) -> None:
        """Stop the liquidity and the streams, and close the journal (after a last snapshot)."""
        self.liquidity.stop()
        self.app.streams.detach()
        self.durability.close()

    def __repr__(self) -> str:
        return f"Simulator({len(self.venue.markets)} markets, demo account {self.demo_account})"


def build(config: SimulatorConfig | None = None, clock: Clock | None = None) -> Simulator:
    """Venue, markets, demo account (with the configured key), the state recovered from
    ``state_dir`` if it holds one, liquidity, app."""
    given = config or SimulatorConfig()
    config = given.with_secrets()
    if clock is None:  # a replay runs in simulated time from its first row, at replay_speed
        clock = ScaledClock(replay_start_ms(config), config.replay_speed) if config.replay else WallClock()
    venue = Venue(config, clock)
    decimals = config.asset_decimals
    key, _ = venue.keys.draft(0, api_key=config.demo_api_key, secret=config.demo_api_secret, now_ms=venue.now())
    venue.labels["demo"] = venue.create_account(
        {a: parse_units(v, decimals, f"demo_balances.{a}") for a, v in config.demo_balances.items()}, key=key
    )
    app = create_app(venue, config.admin_token, config.durability(), with_admin=not config.admin_host)
    services = app.services
    recovery = services.durability.open()
    services.durability.load_saved()
    journaled_sources, others = liquidity_sources(config, venue)
    if not recovery.fresh:
        config = _demo_key_of_state(
            config, venue, explicit=bool(given.demo_api_key or os.environ.get("SANDEX_DEMO_API_KEY"))
        )
        # the mirror's and replay's quotes go; the journaled sources come back with theirs
        venue.retire_house_orders(keep=services.sources.house_accounts())
    services.sources.reconcile(journaled_sources)
    driver = LiquidityDriver(venue, [])

    def start_liquidity(sources: list[LiquiditySource]) -> None:
        driver.sources = [*sources, services.sources, services.keeper]
        driver.start()

    def after_restore() -> None:  # the journaled sources came back with the snapshot; the others start afresh
        venue.retire_house_orders(keep=services.sources.house_accounts())
        start_liquidity(liquidity_sources(config, venue)[1])

    start_liquidity(others)
    services.durability.on_restore.append(after_restore)
    services.liquidity = driver
    return Simulator(config, venue, app, venue.labels["demo"], driver, recovery)


def _demo_key_of_state(config: SimulatorConfig, venue: Venue, explicit: bool) -> SimulatorConfig:
    """After a recovery the demo account is the saved one: a demo key fixed by configuration is
    added to it if new; a generated one gives way to the key the state already has."""
    demo = venue.labels["demo"]
    keys = venue.keys
    known = keys.get(config.demo_api_key)
    if explicit:
        if known is None:
            venue.issue_key(demo, api_key=config.demo_api_key, secret=config.demo_api_secret)
        elif known.account_id != demo or keys.hmac_secret(config.demo_api_key) != config.demo_api_secret:
            raise ValueError(
                "the configured demo API key is in the saved state with another account or secret; "
                "give its saved secret, another key, or another state directory"
            )
        return config
    for key in keys.keys_of(demo):  # the first live key with its secret
        secret = keys.hmac_secret(key.api_key)
        if not key.revoked and secret is not None:
            return replace(config, demo_api_key=key.api_key, demo_api_secret=secret)
    return config
