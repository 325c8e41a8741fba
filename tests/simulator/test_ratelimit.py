"""Binance's rate limits: exact headers, fixed aligned windows, 429 then 418 bans, order counts."""

from __future__ import annotations

import pytest

from simulator.binance_errors import ApiError
from simulator.clock import ManualClock
from simulator.ratelimit import RateLimitConfig, RateLimiter

DAY0 = 1_699_920_000_000  # 2023-11-14 00:00:00 UTC: aligned to every window
MINUTE = 60_000
DAY = 86_400_000
WEIGHT_MSG = (
    "Too much request weight used; current limit is {} request weight per {}. "
    "Please use WebSocket Streams for live updates to avoid polling the API."
)
BAN_MSG = (
    "Way too much request weight used; IP banned until {}. Please use WebSocket Streams for live updates to avoid bans."
)


def make(start: int = DAY0, **config: object) -> tuple[RateLimiter, ManualClock]:
    clock = ManualClock(start)
    return RateLimiter(RateLimitConfig(**config), clock), clock


def refused(call, *args) -> ApiError:
    with pytest.raises(ApiError) as info:
        call(*args)
    return info.value


# ---- request weight -------------------------------------------------------------------------------


def test_headers_report_weight_used_this_minute_including_the_request() -> None:
    rl, clock = make()
    assert rl.charge_request("1.1.1.1", 1) == {"X-MBX-USED-WEIGHT-1M": "1"}
    assert rl.charge_request("1.1.1.1", 20) == {"X-MBX-USED-WEIGHT-1M": "21"}
    clock.advance(59_999)
    assert rl.charge_request("1.1.1.1", 4) == {"X-MBX-USED-WEIGHT-1M": "25"}


def test_request_reaching_the_limit_passes_and_the_next_gets_429() -> None:
    rl, clock = make(request_weight_per_minute=10)
    clock.advance(15_500)
    rl.charge_request("ip", 4)
    assert rl.charge_request("ip", 6) == {"X-MBX-USED-WEIGHT-1M": "10"}
    err = refused(rl.charge_request, "ip", 1)
    assert (err.status, err.code, err.msg) == (429, -1003, WEIGHT_MSG.format(10, "1 MINUTE"))
    # 44.5 s left in the minute: rounded up so obeying it is never too early
    assert err.headers == {"Retry-After": "45", "X-MBX-USED-WEIGHT-1M": "11"}


def test_retry_after_is_at_least_one_second() -> None:
    rl, clock = make(request_weight_per_minute=1)
    clock.advance(MINUTE - 1)
    rl.charge_request("ip", 1)
    assert refused(rl.charge_request, "ip", 1).headers["Retry-After"] == "1"


def test_weight_resets_at_the_minute_boundary_not_a_sliding_window() -> None:
    rl, clock = make(request_weight_per_minute=10)
    clock.advance(MINUTE - 1)
    rl.charge_request("ip", 10)  # full, one millisecond before the boundary
    clock.advance(1)
    assert rl.charge_request("ip", 10) == {"X-MBX-USED-WEIGHT-1M": "10"}  # a sliding window would refuse
    clock.advance(MINUTE - 1)
    refused(rl.charge_request, "ip", 1)


def test_weight_of_a_request_crossing_a_minute_is_not_carried_over() -> None:
    rl, clock = make()
    rl.charge_request("ip", 100)
    clock.advance(MINUTE + 30_000)
    assert rl.charge_request("ip", 1) == {"X-MBX-USED-WEIGHT-1M": "1"}


def test_ips_are_independent() -> None:
    rl, _ = make(request_weight_per_minute=5)
    rl.charge_request("a", 5)
    refused(rl.charge_request, "a", 1)
    assert rl.charge_request("b", 5) == {"X-MBX-USED-WEIGHT-1M": "5"}


def test_raw_request_limit_uses_its_own_five_minute_window() -> None:
    rl, clock = make(raw_requests_per_5min=3)
    clock.advance(2 * MINUTE)  # 3 minutes left in the 5-minute window
    for _ in range(3):
        rl.charge_request("ip", 1)
    clock.advance(MINUTE)  # a new minute: the weight is fresh, the raw count is not
    err = refused(rl.charge_request, "ip", 1)
    assert (err.status, err.code, err.msg) == (429, -1003, WEIGHT_MSG.format(3, "5 MINUTE"))
    assert err.headers == {"Retry-After": "120", "X-MBX-USED-WEIGHT-1M": "1"}
    clock.advance(2 * MINUTE)
    assert rl.charge_request("ip", 1) == {"X-MBX-USED-WEIGHT-1M": "1"}


def test_weight_must_not_be_negative() -> None:
    rl, _ = make()
    with pytest.raises(ValueError, match="negative"):
        rl.charge_request("ip", -1)


# ---- bans --------------------------------------------------------------------------------------------


def overrun(rl: RateLimiter, ip: str, times: int) -> list[ApiError]:
    return [refused(rl.charge_request, ip, 1) for _ in range(times)]


def test_ban_after_repeated_429s_then_418_until_it_ends() -> None:
    rl, clock = make(request_weight_per_minute=1, ban_after=3, ban_ms=120_000)
    rl.charge_request("ip", 1)
    assert [e.status for e in overrun(rl, "ip", 3)] == [429, 429, 429]
    until = DAY0 + 120_000
    err = refused(rl.charge_request, "ip", 1)
    assert (err.status, err.code, err.msg) == (418, -1003, BAN_MSG.format(until))
    assert err.headers == {"Retry-After": "120", "X-MBX-USED-WEIGHT-1M": "5"}
    clock.set(until - 1)
    err = refused(rl.charge_request, "ip", 1)  # weight is still counted while banned
    assert err.status == 418
    assert err.headers == {"Retry-After": "1", "X-MBX-USED-WEIGHT-1M": "1"}
    clock.set(until)
    assert rl.charge_request("ip", 1) == {"X-MBX-USED-WEIGHT-1M": "1"}


def test_banned_ip_gets_418_even_under_the_limit_and_others_are_unaffected() -> None:
    rl, clock = make(request_weight_per_minute=1, ban_after=1)
    rl.charge_request("ip", 1)
    overrun(rl, "ip", 1)
    clock.advance(MINUTE)  # fresh weight, still banned
    assert refused(rl.charge_request, "ip", 0).status == 418
    assert rl.charge_request("other", 1) == {"X-MBX-USED-WEIGHT-1M": "1"}


def test_violations_count_per_minute() -> None:
    rl, clock = make(request_weight_per_minute=1, ban_after=3)
    clock.advance(MINUTE - 1_000)
    rl.charge_request("ip", 1)
    overrun(rl, "ip", 2)
    clock.advance(1_000)
    rl.charge_request("ip", 1)
    assert [e.status for e in overrun(rl, "ip", 2)] == [429, 429]
    assert refused(rl.charge_request, "ip", 1).status == 429  # the third in this minute: bans from now on
    assert refused(rl.charge_request, "ip", 1).status == 418


def ban_until(rl: RateLimiter, ip: str, ban_after: int) -> int:
    """Overrun until banned; return the ban's end from the 418 message."""
    rl.charge_request(ip, 1)
    overrun(rl, ip, ban_after)
    err = refused(rl.charge_request, ip, 1)
    assert err.status == 418
    return int(err.msg.split("banned until ")[1].split(".")[0])


def test_each_further_ban_doubles() -> None:
    rl, clock = make(request_weight_per_minute=1, ban_after=2, ban_ms=100_000)
    lengths = []
    for _ in range(3):
        start = clock.now_ms()
        until = ban_until(rl, "ip", 2)
        lengths.append(until - start)
        clock.set(until)
    assert lengths == [100_000, 200_000, 400_000]


def test_ban_length_is_capped_at_three_days() -> None:
    rl, clock = make(request_weight_per_minute=1, ban_after=1, ban_ms=2 * DAY)
    start = clock.now_ms()
    first = ban_until(rl, "ip", 1)
    assert first - start == 2 * DAY
    clock.set(first)
    assert ban_until(rl, "ip", 1) - first == 3 * DAY


def test_ban_record_is_forgotten_three_days_after_the_ban_ends() -> None:
    rl, clock = make(request_weight_per_minute=1, ban_after=1, ban_ms=60_000)
    until = ban_until(rl, "ip", 1)
    clock.set(until + 3 * DAY)
    assert ban_until(rl, "ip", 1) - clock.now_ms() == 60_000


# ---- orders ------------------------------------------------------------------------------------------


def test_order_10s_limit_and_its_reset_on_the_epoch_10s_boundary() -> None:
    rl, clock = make(orders_per_10s=3)
    clock.advance(2_500)
    for n in (1, 2, 3):
        assert rl.charge_order(7) == {"X-MBX-ORDER-COUNT-10S": str(n), "X-MBX-ORDER-COUNT-1D": str(n)}
    err = refused(rl.charge_order, 7)
    assert (err.status, err.code) == (429, -1015)
    assert err.msg == "Too many new orders; current limit is 3 orders per 10 SECOND."
    assert err.headers == {"Retry-After": "8", "X-MBX-ORDER-COUNT-10S": "4", "X-MBX-ORDER-COUNT-1D": "4"}
    clock.advance(7_499)
    refused(rl.charge_order, 7)
    clock.advance(1)
    assert rl.charge_order(7) == {"X-MBX-ORDER-COUNT-10S": "1", "X-MBX-ORDER-COUNT-1D": "6"}


def test_order_day_limit_resets_at_midnight_utc() -> None:
    rl, clock = make(DAY0 + DAY - 30_000, orders_per_day=2)
    rl.charge_order(1)
    rl.charge_order(1)
    err = refused(rl.charge_order, 1)
    assert (err.status, err.code, err.msg) == (429, -1015, "Too many new orders; current limit is 2 orders per 1 DAY.")
    assert err.headers["Retry-After"] == "30"
    clock.advance(20_000)  # new 10-second window, same day
    assert refused(rl.charge_order, 1).headers["X-MBX-ORDER-COUNT-1D"] == "4"
    clock.set(DAY0 + DAY)
    assert rl.charge_order(1) == {"X-MBX-ORDER-COUNT-10S": "1", "X-MBX-ORDER-COUNT-1D": "1"}


def test_day_limit_is_reported_when_both_are_exceeded() -> None:
    rl, _ = make(orders_per_10s=1, orders_per_day=1)
    rl.charge_order(1)
    assert refused(rl.charge_order, 1).msg.endswith("per 1 DAY.")


def test_accounts_are_independent() -> None:
    rl, _ = make(orders_per_10s=1)
    rl.charge_order(1)
    refused(rl.charge_order, 1)
    assert rl.charge_order(2) == {"X-MBX-ORDER-COUNT-10S": "1", "X-MBX-ORDER-COUNT-1D": "1"}


def test_order_headers_and_usage_report_without_charging() -> None:
    rl, clock = make(orders_per_10s=50, orders_per_day=900)
    assert rl.order_headers(3) == {"X-MBX-ORDER-COUNT-10S": "0", "X-MBX-ORDER-COUNT-1D": "0"}
    rl.charge_order(3)
    rl.charge_order(3)
    assert rl.order_headers(3) == {"X-MBX-ORDER-COUNT-10S": "2", "X-MBX-ORDER-COUNT-1D": "2"}
    assert rl.order_headers(3) == {"X-MBX-ORDER-COUNT-10S": "2", "X-MBX-ORDER-COUNT-1D": "2"}
    clock.advance(10_000)
    assert rl.order_usage(3) == [
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 50, "count": 0},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 900, "count": 2},
    ]


# ---- configuration -----------------------------------------------------------------------------------


def test_disabled_never_refuses_but_still_reports_usage() -> None:
    rl, _ = make(
        enabled=False,
        request_weight_per_minute=1,
        raw_requests_per_5min=1,
        orders_per_10s=1,
        orders_per_day=1,
        ban_after=1,
    )
    for n in range(1, 20):
        assert rl.charge_request("ip", 2) == {"X-MBX-USED-WEIGHT-1M": str(2 * n)}
        assert rl.charge_order(1) == {"X-MBX-ORDER-COUNT-10S": str(n), "X-MBX-ORDER-COUNT-1D": str(n)}


def test_rate_limits_is_exchange_info_shape() -> None:
    rl, _ = make()
    assert rl.rate_limits() == [
        {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
    ]
    rl2, _ = make(request_weight_per_minute=7, orders_per_10s=8, orders_per_day=9, raw_requests_per_5min=10)
    assert [x["limit"] for x in rl2.rate_limits()] == [7, 8, 9, 10]


@pytest.mark.parametrize(
    "name",
    ["request_weight_per_minute", "orders_per_10s", "orders_per_day", "raw_requests_per_5min", "ban_after", "ban_ms"],
)
@pytest.mark.parametrize("value", [0, -1, 1.5, True, "5"])
def test_config_rejects_non_positive_integers(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=name):
        RateLimitConfig(**{name: value})


# ---- memory ------------------------------------------------------------------------------------------


def test_idle_ips_and_accounts_are_dropped() -> None:
    # Looks inside: bounded memory is not visible through the API.
    rl, clock = make()
    for i in range(100):
        rl.charge_request(f"10.0.0.{i}", 1)
        rl.charge_order(i)
    clock.advance(DAY)
    rl.charge_request("late", 1)
    assert list(rl._ips) == ["late"]
    assert list(rl._accounts) == []
