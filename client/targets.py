"""Where calls go: the embedded simulator, a sandex server, the exchange's testnet, or live.

Resolution, first match wins: the credential's own ``target``, else ``SANDEX_TARGET``, else
``embedded``. ``live`` must be named; nothing ever falls back to it, and a target that cannot be
understood is an error rather than a guess.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

ENV = "SANDEX_TARGET"
EMBEDDED, TESTNET, LIVE, URL, INPROCESS = "embedded", "testnet", "live", "url", "inprocess"


class TargetError(ValueError):
    """A target that is neither embedded, testnet, live nor an http(s) URL."""


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # embedded | url | testnet | live | inprocess
    url: str = ""  # a sandex server's base URL, for kind "url"; the registered name, for "inprocess"

    def __str__(self) -> str:
        return self.url if self.kind == URL else f"inprocess:{self.url}" if self.kind == INPROCESS else self.kind


def resolve(explicit: str | None) -> Target:
    """The target named by the credential, else by ``SANDEX_TARGET``, else the embedded simulator."""
    text = explicit if explicit is not None else os.environ.get(ENV, "")
    text = text.strip()
    if not text or text == EMBEDDED:
        return Target(EMBEDDED)
    if text in (TESTNET, LIVE):
        return Target(text)
    if text.startswith("inprocess:") and len(text) > len("inprocess:"):  # a backtest's simulator
        return Target(INPROCESS, text[len("inprocess:"):])
    if _is_base_url(text):
        return Target(URL, text.rstrip("/"))
    source = "the credential's target" if explicit is not None else ENV
    raise TargetError(f"{source} is {text!r}: use 'embedded', 'testnet', 'live' or a sandex URL such as "
                      "http://127.0.0.1:8765")


def _is_base_url(text: str) -> bool:
    """http(s)://host[:port][/] and nothing more (a path, query or bad port is a mistake)."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number in range)
    except ValueError:
        return False
    return (parts.scheme in ("http", "https") and bool(parts.hostname) and parts.path in ("", "/")
            and not parts.query and not parts.fragment and not re.search(r"\s", text))


def point_at(exchange, base_url: str) -> None:
    """Rewrite the scheme and host of every REST URL ccxt has, keeping the paths (what sandex serves)."""
    for name, value in exchange.urls["api"].items():
        if isinstance(value, str):
            exchange.urls["api"][name] = re.sub(r"^https?://[^/]+", base_url, value)
