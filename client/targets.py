"""Where calls go: the embedded simulator, a sandex server, the exchange's testnet, or live.

Each place is an object that knows how to set up a ccxt instance for itself: the options it hands
to ccxt's constructor (ccxt's own hooks: a session, a clock, the throttle) and where it points the
instance's URLs. A credential names its target by text (or holds a ``Target`` object, as a
backtest's in-process target); ``resolve`` turns the text into the object.

Resolution, first match wins: the credential's own ``target``, else ``SANDEX_TARGET``, else
``embedded``. ``live`` must be named; nothing ever falls back to it, and a target that cannot be
understood is an error rather than a guess.
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urlsplit

import ccxt

from . import embedded

ENV = "SANDEX_TARGET"
EMBEDDED, TESTNET, LIVE, URL, INPROCESS = "embedded", "testnet", "live", "url", "inprocess"


class TargetError(ValueError):
    """A target that is neither embedded, testnet, live nor an http(s) URL."""


class Target:
    """A place calls go to; ``kind`` names its sort (embedded, url, testnet, live, inprocess). Each
    method has a default, so a target overrides only what it changes."""

    kind: ClassVar[str]

    def options(self, asynchronous: bool) -> dict[str, object]:
        """What ccxt's constructor gets besides the keys (ccxt's own hooks: session, clock, throttle)."""
        return {}

    def aim(self, exchange: ccxt.Exchange, fields: Mapping[str, str]) -> None:
        """Point a new ccxt instance, built with the credential's ``fields``, at this place."""

    def place(self) -> Hashable:
        """What tells this place apart from others, for the client's cache of ccxt instances."""
        return self

    def __str__(self) -> str:
        return self.kind


@dataclass(frozen=True)
class Embedded(Target):
    """The simulator this process starts on first use (``client.embedded``)."""

    kind: ClassVar[str] = EMBEDDED

    def aim(self, exchange: ccxt.Exchange, fields: Mapping[str, str]) -> None:
        point_at(exchange, embedded.url_for(fields.get("apiKey", ""), fields.get("secret", "")))

    def place(self) -> Hashable:
        return embedded.identity()  # a restarted simulator is a new place


@dataclass(frozen=True)
class Url(Target):
    """A sandex server at ``url`` (scheme, host and port: the paths are Binance's)."""

    url: str
    kind: ClassVar[str] = URL

    def aim(self, exchange: ccxt.Exchange, fields: Mapping[str, str]) -> None:
        point_at(exchange, self.url)

    def __str__(self) -> str:
        return self.url


@dataclass(frozen=True)
class Testnet(Target):
    """The exchange's testnet: ccxt's sandbox URLs."""

    kind: ClassVar[str] = TESTNET

    def aim(self, exchange: ccxt.Exchange, fields: Mapping[str, str]) -> None:
        exchange.set_sandbox_mode(True)  # raises NotSupported where ccxt knows no testnet


@dataclass(frozen=True)
class Live(Target):
    """The exchange itself: ccxt as it comes."""

    kind: ClassVar[str] = LIVE


_NAMED: dict[str, Target] = {EMBEDDED: Embedded(), TESTNET: Testnet(), LIVE: Live()}


def resolve(explicit: str | Target | None) -> Target:
    """The target named by the credential, else by ``SANDEX_TARGET``, else the embedded simulator."""
    if isinstance(explicit, Target):
        return explicit
    text = explicit if explicit is not None else os.environ.get(ENV, "")
    text = text.strip() or EMBEDDED
    if text in _NAMED:
        return _NAMED[text]
    if _is_base_url(text):
        return Url(text.rstrip("/"))
    source = "the credential's target" if explicit is not None else ENV
    raise TargetError(
        f"{source} is {text!r}: use 'embedded', 'testnet', 'live' or a sandex URL such as http://127.0.0.1:8765"
    )


def _is_base_url(text: str) -> bool:
    """http(s)://host[:port][/] and nothing more (a path, query or bad port is a mistake)."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number in range)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.path in ("", "/")
        and not parts.query
        and not parts.fragment
        and not re.search(r"\s", text)
    )


def point_at(exchange: ccxt.Exchange, base_url: str) -> None:
    """Rewrite the scheme and host of every URL ccxt has, keeping the paths (what sandex serves).
    WebSocket URLs (ccxt.pro's) go to the same host over ``ws``; the spot and margin streams to
    ``/stream/ws``, the path ccxt.pro reads as spot (as it reads Binance's stream.binance.com).
    Nothing is left pointing at Binance: a stream sandex does not serve fails here, never there."""
    urls = exchange.urls["api"]
    for name, value in urls.items():
        if isinstance(value, str):
            urls[name] = re.sub(r"^https?://[^/]+", base_url, value)
    ws_base = re.sub(r"^http", "ws", base_url)
    if isinstance(urls.get("ws"), dict):
        urls["ws"] = _local_ws(urls["ws"], ws_base)


def _local_ws(urls: dict[str, object], ws_base: str, streams: bool = True) -> dict[str, object]:
    """``streams``: the market stream URLs (the top level), not the WebSocket API's (``ws-api``)."""
    out: dict[str, object] = {}
    for name, value in urls.items():
        if isinstance(value, dict):
            out[name] = _local_ws(value, ws_base, streams=False)
        elif streams and name in ("spot", "margin"):
            out[name] = ws_base + "/stream/ws"
        elif isinstance(value, str):
            out[name] = re.sub(r"^wss?://[^/]+", ws_base, value)
        else:
            out[name] = value
    return out
