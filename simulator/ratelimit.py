"""Binance's spot rate limits: request weight and raw requests per IP, new orders per account.

Windows are fixed and aligned to the epoch as Binance's are (the minute weight resets on each
minute boundary, not a sliding window), so a client's header arithmetic and back-off logic meet
the same numbers here as in production. State is a few integers per IP and per account, only
for the current windows, so the check costs a handful of dict operations per request.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from simulator import binance_errors as errors
from simulator.binance_errors import ApiError
from simulator.clock import DAY_MS, MINUTE_MS, SECOND_MS, Clock

RAW_MS = 5 * MINUTE_MS
ORDER_MS = 10_000
MAX_BAN_MS = 3 * DAY_MS
SWEEP_EVERY_MS = MINUTE_MS

WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"
ORDERS_10S_HEADER = "X-MBX-ORDER-COUNT-10S"
ORDERS_1D_HEADER = "X-MBX-ORDER-COUNT-1D"


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    """The limits exchangeInfo declares, plus how hard repeated 429s are punished."""

    enabled: bool = True
    request_weight_per_minute: int = 6000  # per client IP
    orders_per_10s: int = 100  # per account
    orders_per_day: int = 200000  # per account (UTC day)
    raw_requests_per_5min: int = 61000  # per client IP
    ban_after: int = 5  # 429s in one minute after which the IP gets a 418 ban
    ban_ms: int = 120_000  # first ban; each later ban of the same IP doubles, up to 3 days

    def __post_init__(self) -> None:
        for field in fields(self):
            if field.name == "enabled":
                continue
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"rate limit setting {field.name} must be a positive integer, got {value!r}")


class _Ip:
    """One IP's usage in its current windows and its ban record."""

    __slots__ = ("banned_until", "bans", "minute", "raw", "raw_window", "strikes", "weight")

    def __init__(self) -> None:
        self.minute = self.raw_window = -1  # start of the window the counts belong to
        self.weight = self.strikes = self.raw = 0
        self.banned_until = 0
        self.bans = 0  # bans so far; each doubles the next one's length


class _Account:
    """One account's new-order counts in its current 10-second and day windows."""

    __slots__ = ("count", "day", "day_count", "window")

    def __init__(self) -> None:
        self.window = self.day = -1
        self.count = self.day_count = 0


def _seconds_until(reset_ms: int, now: int) -> int:
    """Retry-After: whole seconds, rounded up so a client that obeys it is not refused again."""
    return max(1, -(-(reset_ms - now) // SECOND_MS))


def _with_headers(error: ApiError, headers: dict[str, str]) -> ApiError:
    """The error with the usage headers added, as a new object (errors may be shared)."""
    return ApiError(error.status, error.code, error.msg, {**(error.headers or {}), **headers}, error.data)


class RateLimiter:
    """Counts request weight per IP and new orders per account; refuses what Binance would."""

    def __init__(self, config: RateLimitConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._ips: dict[str, _Ip] = {}
        self._accounts: dict[int, _Account] = {}
        self._next_sweep = 0

    def rate_limits(self) -> list[dict[str, object]]:
        """exchangeInfo's ``rateLimits``: what clients read to pace themselves."""
        c = self._config
        return [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": c.request_weight_per_minute,
            },
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": c.orders_per_10s},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": c.orders_per_day},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": c.raw_requests_per_5min},
        ]

    # ---- per IP ------------------------------------------------------------------------------

    def charge_request(self, ip: str, weight: int) -> dict[str, str]:
        """Count one request of ``weight``; return its headers or raise 429/418 as Binance would."""
        if weight < 0:
            raise ValueError(f"request weight cannot be negative: {weight}")
        now = self._clock.now_ms()
        self._sweep(now)
        s = self._ips.get(ip)
        if s is None:
            s = self._ips[ip] = _Ip()
        minute = now - now % MINUTE_MS
        if s.minute != minute:
            s.minute, s.weight, s.strikes = minute, 0, 0
        raw_window = now - now % RAW_MS
        if s.raw_window != raw_window:
            s.raw_window, s.raw = raw_window, 0
        s.weight += weight
        s.raw += 1
        headers = {WEIGHT_HEADER: str(s.weight)}
        c = self._config
        if not c.enabled:
            return headers
        if now < s.banned_until:
            raise _with_headers(errors.banned(s.banned_until, _seconds_until(s.banned_until, now)), headers)
        # When both are over, name the raw limit: its window ends last, so its Retry-After is the honest one.
        if s.raw > c.raw_requests_per_5min:
            limit, interval, reset = c.raw_requests_per_5min, "5 MINUTE", raw_window + RAW_MS
        elif s.weight > c.request_weight_per_minute:
            limit, interval, reset = c.request_weight_per_minute, "1 MINUTE", minute + MINUTE_MS
        else:
            return headers
        s.strikes += 1
        if s.strikes >= c.ban_after:
            self._ban(s, now)
        raise _with_headers(errors.weight_exceeded(limit, interval, _seconds_until(reset, now)), headers)

    def _ban(self, s: _Ip, now: int) -> None:
        """Ban for ban_ms, doubled per earlier ban; the record is forgotten 3 days after a ban ends."""
        if s.bans and now >= s.banned_until + MAX_BAN_MS:
            s.bans = 0
        length = min(self._config.ban_ms * (1 << min(s.bans, 32)), MAX_BAN_MS)
        s.banned_until = now + length
        s.bans += 1
        s.strikes = 0

    # ---- per account ---------------------------------------------------------------------------

    def charge_order(self, account_id: int) -> dict[str, str]:
        """Count one new order of the account; return its headers or raise 429 -1015."""
        now = self._clock.now_ms()
        self._sweep(now)
        a = self._accounts.get(account_id)
        if a is None:
            a = self._accounts[account_id] = _Account()
        window, day = now - now % ORDER_MS, now - now % DAY_MS
        if a.window != window:
            a.window, a.count = window, 0
        if a.day != day:
            a.day, a.day_count = day, 0
        a.count += 1
        a.day_count += 1
        headers = {ORDERS_10S_HEADER: str(a.count), ORDERS_1D_HEADER: str(a.day_count)}
        c = self._config
        if not c.enabled:
            return headers
        # The day limit first: when both are over, its reset is the one worth waiting for.
        if a.day_count > c.orders_per_day:
            error = errors.orders_exceeded(c.orders_per_day, "1 DAY", _seconds_until(day + DAY_MS, now))
        elif a.count > c.orders_per_10s:
            error = errors.orders_exceeded(c.orders_per_10s, "10 SECOND", _seconds_until(window + ORDER_MS, now))
        else:
            return headers
        raise _with_headers(error, headers)

    def order_headers(self, account_id: int) -> dict[str, str]:
        """The account's current order counts, for private responses that place no order."""
        count, day_count = self._order_counts(account_id)
        return {ORDERS_10S_HEADER: str(count), ORDERS_1D_HEADER: str(day_count)}

    def order_usage(self, account_id: int) -> list[dict[str, object]]:
        """GET /api/v3/rateLimit/order: the order limits with the account's current counts."""
        count, day_count = self._order_counts(account_id)
        c = self._config
        return [
            {
                "rateLimitType": "ORDERS",
                "interval": "SECOND",
                "intervalNum": 10,
                "limit": c.orders_per_10s,
                "count": count,
            },
            {
                "rateLimitType": "ORDERS",
                "interval": "DAY",
                "intervalNum": 1,
                "limit": c.orders_per_day,
                "count": day_count,
            },
        ]

    def _order_counts(self, account_id: int) -> tuple[int, int]:
        """Counts in the windows open now (0 for a window that has ended); creates no state."""
        a = self._accounts.get(account_id)
        if a is None:
            return 0, 0
        now = self._clock.now_ms()
        count = a.count if a.window == now - now % ORDER_MS else 0
        day_count = a.day_count if a.day == now - now % DAY_MS else 0
        return count, day_count

    # ---- memory ----------------------------------------------------------------------------------

    def _sweep(self, now: int) -> None:
        """Once a minute, drop IPs and accounts whose windows have all ended (keeps memory bounded)."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY_MS
        raw_window, day = now - now % RAW_MS, now - now % DAY_MS
        self._ips = {
            ip: s
            for ip, s in self._ips.items()
            if s.raw_window == raw_window or (s.bans and now < s.banned_until + MAX_BAN_MS)
        }
        self._accounts = {k: a for k, a in self._accounts.items() if a.day == day}
