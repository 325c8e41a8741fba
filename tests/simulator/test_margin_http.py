"""Binance's margin REST endpoints through the whole ASGI app, in process, with exact JSON.

Each test builds a simulator on a ManualClock with the static book (BTCUSDT mid 90000, so a USDT
is worth 1/90000 BTC), signs requests byte for byte as a Binance client does, and checks amounts
to the unit: values in BTC round assets down and debts up; one hour of interest is
ceil(principal x daily rate / 24), charged once at borrowing and again at every xx:00 UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.clock import ManualClock
from simulator.config import DEFAULT_MARKETS, SimulatorConfig
from simulator.http.margin import ALL_TRANSFERS, ENDPOINTS, liquidation_price
from simulator.launcher import build
from simulator.margin import CROSS_MARGIN, AssetRow, MarginDesk
from simulator.ratelimit import RateLimitConfig
from simulator.wire import parse_units
from tests.harness import ApiClient

T0 = 1_699_963_200_000  # 2023-11-14 12:00:00 UTC, on an hour (and minute) boundary
HOUR = 3_600_000
DAY = 24 * HOUR
COIN = 10**8
ASSETS = ["BTC", "USDT", "ETH", "BNB", "SOL"]  # the venue's listing order
# SOLUSDT trades but is no margin pair here, so "not a margin pair" has a real market to refuse.
MARKETS = tuple(replace(m, margin=False) if m.symbol == "SOLUSDT" else m for m in DEFAULT_MARKETS)
USDT_HOUR = 833_334  # ceil(1000 USDT x 0.0002 / 24) in units: 1000e8 * 20000 / 24e8 = 833333.3
BTC_HOUR = 3  # ceil(0.01 BTC x 0.00005 / 24): 1e6 * 5000 / 24e8 = 2.08


@dataclass(frozen=True)
class Trader:
    account: int
    key: str
    secret: str


class Sim:
    """One simulator with a TestClient and a signing helper."""

    def __init__(self) -> None:
        self.clock = ManualClock(T0)
        config = SimulatorConfig(
            liquidity_mode="static", rate_limits=RateLimitConfig(enabled=False), markets=MARKETS, admin_token="t" * 32
        )
        self.sim = build(config, clock=self.clock)
        self.venue = self.sim.venue
        self.desk: MarginDesk = self.sim.app.services.margin
        self.api = ApiClient.in_process(self.sim.app, self.clock.now_ms)
        self.client = self.api.http
        self.fuzzer: Trader | None = None

    def trader(self, balances: dict[str, str] | None = None) -> Trader:
        amounts = {a: parse_units(v, 8, a) for a, v in (balances or {"USDT": "10000", "BTC": "1"}).items()}
        account = self.venue.create_account(amounts)
        issued = self.venue.keys.issue(account, now_ms=self.clock.now_ms())
        return Trader(account, issued.api_key, issued.secret)

    def call(self, trader: Trader, method: str, path: str, params=()) -> httpx.Response:
        return self.api.signed(method, path, params, key=trader.key, secret=trader.secret)

    def ok(self, trader: Trader, method: str, path: str, params=()):
        response = self.call(trader, method, path, params)
        assert response.status_code == 200, response.text
        return response.json()

    def state(self, trader: Trader) -> tuple:
        """Everything a refused request must leave alone."""
        d = self.desk
        return (
            self.venue.engine.fingerprint(),
            len(d.loans),
            len(d.transfers),
            len(d.interest),
            d.wallets.isolated_symbols(trader.account),
            d.wallets.find(trader.account, CROSS_MARGIN),
        )

    # the calls ccxt makes
    def transfer(self, t: Trader, kind: str, asset: str, amount: str, **symbols) -> dict:
        return self.ok(
            t, "POST", "/sapi/v1/asset/transfer", {"type": kind, "asset": asset, "amount": amount, **symbols}
        )

    def borrow(self, t: Trader, asset: str, amount: str, symbol: str | None = None, kind: str = "BORROW") -> dict:
        params = {"asset": asset, "amount": amount, "isIsolated": "TRUE" if symbol else "FALSE", "type": kind}
        return self.ok(t, "POST", "/sapi/v1/margin/borrow-repay", params | ({"symbol": symbol} if symbol else {}))

    def repay(self, t: Trader, asset: str, amount: str, symbol: str | None = None) -> dict:
        return self.borrow(t, asset, amount, symbol, "REPAY")


@pytest.fixture()
def sim() -> Iterator[Sim]:
    s = Sim()
    yield s
    s.sim.liquidity.stop()


def error(response: httpx.Response) -> tuple[int, int, str]:
    body = response.json()
    assert set(body) == {"code", "msg"}, body
    return response.status_code, body["code"], body["msg"]


def zero_asset(asset: str) -> dict:
    z = "0.00000000"
    return {"asset": asset, "borrowed": z, "free": z, "interest": z, "locked": z, "netAsset": z}


def units(text: str) -> int:
    return parse_units(text, 8, "test")


# ---- accounts -----------------------------------------------------------------------------------------


def test_a_new_users_cross_account_is_empty_and_complete(sim: Sim) -> None:
    t = sim.trader()
    assert sim.ok(t, "GET", "/sapi/v1/margin/account") == {
        "created": False,
        "borrowEnabled": True,
        "marginLevel": "999",
        "totalAssetOfBtc": "0.00000000",
        "totalLiabilityOfBtc": "0.00000000",
        "totalNetAssetOfBtc": "0.00000000",
        "TotalCollateralValueInUSDT": "0.00000000",
        "tradeEnabled": True,
        "transferInEnabled": True,
        "transferOutEnabled": True,
        "accountType": "MARGIN_1",
        "userAssets": [zero_asset(a) for a in ASSETS],
    }


def test_cross_account_after_a_transfer_and_a_borrow(sim: Sim) -> None:
    t = sim.trader()
    assert sim.transfer(t, "MAIN_MARGIN", "USDT", "1000") == {"tranId": 100_000_001}
    assert sim.borrow(t, "USDT", "1000") == {"tranId": 100_000_002}
    account = sim.ok(t, "GET", "/sapi/v1/margin/account")
    # assets 2000 USDT = 0.02222222 BTC (down); debt 1000.00833334 USDT = 0.01111121 BTC (up);
    # level 2222222 / 1111121 = 1.999982...
    assert {
        k: account[k]
        for k in (
            "created",
            "marginLevel",
            "totalAssetOfBtc",
            "totalLiabilityOfBtc",
            "totalNetAssetOfBtc",
            "TotalCollateralValueInUSDT",
        )
    } == {
        "created": True,
        "marginLevel": "1.99998200",
        "totalAssetOfBtc": "0.02222222",
        "totalLiabilityOfBtc": "0.01111121",
        "totalNetAssetOfBtc": "0.01111101",
        "TotalCollateralValueInUSDT": "2000.00000000",
    }
    assert account["userAssets"][1] == {
        "asset": "USDT",
        "borrowed": "1000.00000000",
        "free": "2000.00000000",
        "interest": "0.00833334",
        "locked": "0.00000000",
        "netAsset": "999.99166666",
    }
    assert account["userAssets"][0] == zero_asset("BTC")
    spot, _ = sim.venue.balances(t.account)
    assert spot["USDT"].free == units("9000")


def test_isolated_account_lists_opened_wallets_or_the_symbols_asked_for(sim: Sim) -> None:
    t = sim.trader()
    empty = {
        "assets": [],
        "totalAssetOfBtc": "0.00000000",
        "totalLiabilityOfBtc": "0.00000000",
        "totalNetAssetOfBtc": "0.00000000",
    }
    assert sim.ok(t, "GET", "/sapi/v1/margin/isolated/account") == empty
    sim.transfer(t, "MAIN_ISOLATED_MARGIN", "USDT", "500", toSymbol="BTCUSDT")
    sim.borrow(t, "BTC", "0.01", "BTCUSDT")
    body = sim.ok(t, "GET", "/sapi/v1/margin/isolated/account")
    # held 0.01 BTC + 500 USDT (0.00555555 BTC) = 0.01555555; owed 0.01000003 BTC
    level = 1_555_555 * COIN // 1_000_003
    # short 0.01000003 BTC against 500 USDT + 0.01 BTC: (0.01 p + 500) / (0.01000003 p) = 1.1 at p = 499983.50...
    price = 500 * COIN * COIN * COIN // (110_000_000 * 1_000_003 - COIN * 1_000_000)
    assert body == {
        "assets": [
            {
                "baseAsset": {
                    "asset": "BTC",
                    "borrowEnabled": True,
                    "borrowed": "0.01000000",
                    "free": "0.01000000",
                    "interest": "0.00000003",
                    "locked": "0.00000000",
                    "netAsset": "-0.00000003",
                    "netAssetOfBtc": "-0.00000003",
                    "repayEnabled": True,
                    "totalAsset": "0.01000000",
                },
                "quoteAsset": {
                    "asset": "USDT",
                    "borrowEnabled": True,
                    "borrowed": "0.00000000",
                    "free": "500.00000000",
                    "interest": "0.00000000",
                    "locked": "0.00000000",
                    "netAsset": "500.00000000",
                    "netAssetOfBtc": "0.00555555",
                    "repayEnabled": True,
                    "totalAsset": "500.00000000",
                },
                "symbol": "BTCUSDT",
                "isolatedCreated": True,
                "enabled": True,
                "marginLevel": f"{level // COIN}.{level % COIN:08d}",
                "marginLevelStatus": "NORMAL",
                "marginRatio": "10.00000000",
                "indexPrice": "90000.00000000",
                "liquidatePrice": f"{price // COIN}.{price % COIN:08d}",
                "liquidateRate": "1.10000000",
                "tradeEnabled": True,
            }
        ],
        "totalAssetOfBtc": "0.01555555",
        "totalLiabilityOfBtc": "0.01000003",
        "totalNetAssetOfBtc": "0.00555552",
    }
    assert body["assets"][0]["liquidatePrice"].startswith("499983.")
    asked = sim.ok(t, "GET", "/sapi/v1/margin/isolated/account", {"symbols": "ETHUSDT,BTCUSDT"})
    assert [(a["symbol"], a["isolatedCreated"], a["marginLevel"], a["marginLevelStatus"]) for a in asked["assets"]] == [
        ("ETHUSDT", False, "999.00000000", "EXCESSIVE"),
        ("BTCUSDT", True, body["assets"][0]["marginLevel"], "NORMAL"),
    ]


def test_liquidation_price_of_a_long() -> None:
    """Long 0.1 BTC on 1000 USDT own + 8000 borrowed: (0.1 p + 1000) / 8000 = 1.1 at p = 78000."""
    base = AssetRow("BTC", COIN // 10, 0, 0, 0)
    quote = AssetRow("USDT", 1000 * COIN, 0, 8000 * COIN, 0)
    assert liquidation_price(base, quote, 110_000_000, 8) == 78_000 * COIN
    assert liquidation_price(base, AssetRow("USDT", 1, 0, 0, 0), 110_000_000, 8) == 0


# ---- transfers ------------------------------------------------------------------------------------------


def test_every_margin_transfer_type_moves_exactly_and_is_listed_by_type(sim: Sim) -> None:
    t = sim.trader()
    moves = [
        ("MAIN_MARGIN", "100", {}),
        ("MARGIN_MAIN", "10", {}),
        ("MAIN_ISOLATED_MARGIN", "50", {"toSymbol": "BTCUSDT"}),
        ("ISOLATED_MARGIN_MAIN", "5", {"fromSymbol": "BTCUSDT"}),
        ("MARGIN_ISOLATEDMARGIN", "20", {"toSymbol": "ETHUSDT"}),
        ("ISOLATEDMARGIN_MARGIN", "2", {"fromSymbol": "ETHUSDT"}),
        ("ISOLATEDMARGIN_ISOLATEDMARGIN", "1", {"fromSymbol": "BTCUSDT", "toSymbol": "ETHUSDT"}),
    ]
    for i, (kind, amount, symbols) in enumerate(moves):
        sim.clock.advance(1000)
        assert sim.transfer(t, kind, "USDT", amount, **symbols) == {"tranId": 100_000_001 + i}
    d = sim.desk
    free = {
        ref: sim.venue.engine.balance(d.wallets.find(t.account, ref), "USDT").free
        for ref in (
            d.margin_wallet(t.account, False, None),
            d.margin_wallet(t.account, True, "BTCUSDT"),
            d.margin_wallet(t.account, True, "ETHUSDT"),
        )
    }
    assert list(free.values()) == [units("72"), units("44"), units("19")]  # 100-10-20+2, 50-5-1, 20-2+1
    assert sim.venue.balances(t.account)[0]["USDT"].free == units("9865")  # 10000-100+10-50+5
    for i, (kind, amount, _symbols) in enumerate(moves):
        assert sim.ok(t, "GET", "/sapi/v1/asset/transfer", {"type": kind}) == {
            "total": 1,
            "rows": [
                {
                    "asset": "USDT",
                    "amount": f"{amount}.00000000",
                    "type": kind,
                    "status": "CONFIRMED",
                    "tranId": 100_000_001 + i,
                    "timestamp": T0 + 1000 * (i + 1),
                }
            ],
        }


def test_transfer_history_filters_pages_and_windows(sim: Sim) -> None:
    t = sim.trader()
    sim.transfer(t, "MAIN_ISOLATED_MARGIN", "USDT", "1", toSymbol="BTCUSDT")  # at T0: 8 days before the reads
    sim.clock.advance(8 * DAY)
    for amount, symbol in (("2", "BTCUSDT"), ("3", "ETHUSDT"), ("4", "BTCUSDT")):
        sim.clock.advance(HOUR)
        sim.transfer(t, "MAIN_ISOLATED_MARGIN", "USDT", amount, toSymbol=symbol)
    history = "/sapi/v1/asset/transfer"
    amounts = lambda body: [r["amount"] for r in body["rows"]]  # noqa: E731 - a one-line projection, read where it is used
    recent = sim.ok(t, "GET", history, {"type": "MAIN_ISOLATED_MARGIN"})
    assert (recent["total"], amounts(recent)) == (3, ["4.00000000", "3.00000000", "2.00000000"])
    btc = sim.ok(t, "GET", history, {"type": "MAIN_ISOLATED_MARGIN", "toSymbol": "BTCUSDT"})
    assert amounts(btc) == ["4.00000000", "2.00000000"]
    everything = {"type": "MAIN_ISOLATED_MARGIN", "startTime": T0}
    assert amounts(sim.ok(t, "GET", history, everything)) == ["4.00000000", "3.00000000", "2.00000000", "1.00000000"]
    page = sim.ok(t, "GET", history, everything | {"size": 3, "current": 2})
    assert (page["total"], amounts(page)) == (4, ["1.00000000"])
    # ccxt's bare fetch_transfers asks for MAIN_UMFUTURE (and forwards fromAccount/toAccount only if given)
    assert sim.ok(t, "GET", history, {"type": "MAIN_UMFUTURE"}) == {"rows": [], "total": 0}
    assert sim.ok(t, "GET", history, {"type": "MARGIN_MAIN"}) == {"rows": [], "total": 0}


def test_the_older_transfer_endpoints(sim: Sim) -> None:
    t = sim.trader()
    assert sim.ok(t, "POST", "/sapi/v1/margin/transfer", {"asset": "BTC", "amount": "0.5", "type": 1}) == {
        "tranId": 100_000_001
    }
    assert sim.ok(t, "POST", "/sapi/v1/margin/transfer", {"asset": "BTC", "amount": "0.1", "type": 2}) == {
        "tranId": 100_000_002
    }
    iso = {"asset": "BTC", "symbol": "ETHBTC", "amount": "0.3"}
    assert sim.ok(
        t, "POST", "/sapi/v1/margin/isolated/transfer", iso | {"transFrom": "SPOT", "transTo": "ISOLATED_MARGIN"}
    ) == {"tranId": 100_000_003}
    assert sim.ok(
        t,
        "POST",
        "/sapi/v1/margin/isolated/transfer",
        iso | {"amount": "0.1", "transFrom": "ISOLATED_MARGIN", "transTo": "SPOT"},
    ) == {"tranId": 100_000_004}
    assert sim.venue.balances(t.account)[0]["BTC"].free == units("0.4")
    assert sim.ok(t, "GET", "/sapi/v1/margin/maxTransferable", {"asset": "BTC"}) == {"amount": "0.40000000"}
    assert sim.ok(t, "GET", "/sapi/v1/margin/maxTransferable", {"asset": "BTC", "isolatedSymbol": "ETHBTC"}) == {
        "amount": "0.20000000"
    }


# ---- borrowing ------------------------------------------------------------------------------------------


def test_max_borrowable_and_transferable_at_3x_cross(sim: Sim) -> None:
    t = sim.trader()
    none = sim.ok(t, "GET", "/sapi/v1/margin/maxBorrowable", {"asset": "USDT"})
    assert none == {"amount": "0.00000000", "borrowLimit": "0.00000000"}
    sim.transfer(t, "MAIN_MARGIN", "USDT", "1000")
    # at 3x the debt may reach 2 x equity, figured in the asset asked for: 2000 USDT, or 2 x 0.01111111 BTC
    assert sim.ok(t, "GET", "/sapi/v1/margin/maxBorrowable", {"asset": "USDT"}) == {
        "amount": "2000.00000000",
        "borrowLimit": "2000.00000000",
    }
    assert sim.ok(t, "GET", "/sapi/v1/margin/maxBorrowable", {"asset": "BTC"}) == {
        "amount": "0.02222222",
        "borrowLimit": "0.02222222",
    }
    assert sim.ok(t, "GET", "/sapi/v1/margin/maxTransferable", {"asset": "USDT"}) == {"amount": "1000.00000000"}
    sim.borrow(t, "BTC", "0.01")
    # held 0.01111111 + 0.01 BTC, owed 0.01000003: at level 2 at most 0.02111111 - 0.02000006 BTC may leave
    assert sim.ok(t, "GET", "/sapi/v1/margin/maxTransferable", {"asset": "BTC"}) == {"amount": "0.00111105"}


def test_borrow_and_repay_records_split_interest_from_principal(sim: Sim) -> None:
    t = sim.trader()
    sim.transfer(t, "MAIN_MARGIN", "USDT", "1000")
    sim.borrow(t, "USDT", "1000")  # tran 2, one hour of interest at once
    sim.clock.advance(HOUR)  # 13:00: a second hour
    sim.repay(t, "USDT", "500")  # tran 3: interest first
    sim.transfer(t, "MAIN_ISOLATED_MARGIN", "USDT", "100", toSymbol="BTCUSDT")
    sim.borrow(t, "USDT", "50", "BTCUSDT")  # tran 5
    paid = 2 * USDT_HOUR
    repay = {
        "type": "MANUAL",
        "amount": "500.00000000",
        "asset": "USDT",
        "interest": f"0.0{paid}",
        "principal": f"{(500 * COIN - paid) // COIN}.{(500 * COIN - paid) % COIN:08d}",
        "status": "CONFIRMED",
        "timestamp": T0 + HOUR,
        "txId": 100_000_003,
    }
    assert repay["interest"] == "0.01666668" and repay["principal"] == "499.98333332"
    loans = "/sapi/v1/margin/borrow-repay"
    assert sim.ok(t, "GET", loans, {"type": "REPAY"}) == {"rows": [repay], "total": 1}
    assert sim.ok(t, "GET", loans, {"type": "BORROW"}) == {
        "rows": [
            {
                "type": "MANUAL",
                "amount": "1000.00000000",
                "asset": "USDT",
                "interest": "0.00000000",
                "principal": "1000.00000000",
                "status": "CONFIRMED",
                "timestamp": T0,
                "txId": 100_000_002,
            }
        ],
        "total": 1,
    }
    assert sim.ok(t, "GET", loans, {"type": "BORROW", "isolatedSymbol": "BTCUSDT"}) == {
        "rows": [
            {
                "type": "MANUAL",
                "isolatedSymbol": "BTCUSDT",
                "amount": "50.00000000",
                "asset": "USDT",
                "interest": "0.00000000",
                "principal": "50.00000000",
                "status": "CONFIRMED",
                "timestamp": T0 + HOUR,
                "txId": 100_000_005,
            }
        ],
        "total": 1,
    }
    sim.clock.advance(20 * DAY)  # txId finds a record outside any window
    assert sim.ok(t, "GET", loans, {"type": "REPAY", "txId": 100_000_003})["rows"] == [repay]
    assert sim.ok(t, "GET", loans, {"type": "REPAY"}) == {"rows": [], "total": 0}
    assert sim.ok(t, "GET", loans, {"type": "REPAY", "asset": "USDT", "startTime": T0})["rows"] == [repay]
    account = sim.ok(t, "GET", "/sapi/v1/margin/account")["userAssets"][1]
    assert (account["borrowed"], account["free"]) == ("500.01666668", "1500.00000000")


def test_interest_over_a_day_hour_by_hour_matches_the_rule(sim: Sim) -> None:
    t = sim.trader()
    sim.clock.set(T0 + 20 * 60_000)  # 12:20: the first hour is charged at borrowing, then at each xx:00
    sim.transfer(t, "MAIN_MARGIN", "USDT", "1000")
    sim.borrow(t, "USDT", "1000")
    for hour in range(1, 25):
        sim.clock.set(T0 + hour * HOUR - 1)
        before = sim.ok(t, "GET", "/sapi/v1/margin/account")["userAssets"][1]["interest"]
        sim.clock.set(T0 + hour * HOUR)
        after = sim.ok(t, "GET", "/sapi/v1/margin/account")["userAssets"][1]["interest"]
        assert (units(before), units(after)) == (hour * USDT_HOUR, (hour + 1) * USDT_HOUR)
    sim.clock.set(T0 + 24 * HOUR + 20 * 60_000)
    history = sim.ok(t, "GET", "/sapi/v1/margin/interestHistory", {"size": 100})
    assert history["total"] == 25
    assert history["rows"][0] == {
        "txId": 25,
        "interestAccuredTime": T0 + 24 * HOUR,
        "asset": "USDT",
        "rawAsset": "USDT",
        "principal": "1000.00000000",
        "interest": "0.00833334",
        "interestRate": "0.00020000",
        "type": "PERIODIC",
    }
    assert history["rows"][-1] == history["rows"][0] | {
        "txId": 1,
        "interestAccuredTime": T0 + 20 * 60_000,
        "type": "ON_BORROW",
    }
    assert sum(units(r["interest"]) for r in history["rows"]) == 20_833_350  # 25 x 833334
    assert sim.ok(t, "GET", "/sapi/v1/margin/account")["userAssets"][1]["interest"] == "0.20833350"


def test_a_day_at_once_charges_every_hour_and_isolated_rows_name_their_symbol(sim: Sim) -> None:
    t = sim.trader()
    sim.transfer(t, "MAIN_ISOLATED_MARGIN", "USDT", "500", toSymbol="BTCUSDT")
    sim.borrow(t, "BTC", "0.01", "BTCUSDT")  # at 12:00
    sim.clock.advance(DAY)  # the next 12:00: 24 more hours
    history = sim.ok(
        t, "GET", "/sapi/v1/margin/interestHistory", {"isolatedSymbol": "BTCUSDT", "asset": "BTC", "size": 100}
    )
    assert history["total"] == 25
    assert history["rows"][-1] == {
        "txId": 1,
        "interestAccuredTime": T0,
        "asset": "BTC",
        "principal": "0.01000000",
        "interest": "0.00000003",
        "interestRate": "0.00005000",
        "type": "ON_BORROW",
        "isolatedSymbol": "BTCUSDT",
    }
    body = sim.ok(t, "GET", "/sapi/v1/margin/isolated/account", {"symbols": "BTCUSDT"})
    assert body["assets"][0]["baseAsset"]["interest"] == f"0.000000{25 * BTC_HOUR}"
    assert sim.ok(t, "GET", "/sapi/v1/margin/interestHistory") == {"rows": [], "total": 0}  # cross: none
    page = sim.ok(t, "GET", "/sapi/v1/margin/interestHistory", {"isolatedSymbol": "BTCUSDT", "current": 3})
    assert (page["total"], [r["interestAccuredTime"] for r in page["rows"]]) == (
        25,
        [T0 + (4 - i) * HOUR for i in range(5)],
    )


# ---- rates ------------------------------------------------------------------------------------------------


def test_interest_rate_history_is_daily_at_midnight_newest_first(sim: Sim) -> None:
    t = sim.trader()
    midnight = T0 - 12 * HOUR
    rows = sim.ok(t, "GET", "/sapi/v1/margin/interestRateHistory", {"asset": "BTC"})
    assert rows == [
        {"asset": "BTC", "dailyInterestRate": "0.00005000", "timestamp": midnight - i * DAY, "vipLevel": 0}
        for i in range(7)
    ]
    window = {"asset": "USDT", "startTime": midnight - 30 * DAY, "endTime": midnight, "limit": 3, "vipLevel": 1}
    assert sim.ok(t, "GET", "/sapi/v1/margin/interestRateHistory", window) == [
        {"asset": "USDT", "dailyInterestRate": "0.00020000", "timestamp": midnight - i * DAY, "vipLevel": 1}
        for i in range(3)
    ]
    assert sim.ok(t, "GET", "/sapi/v1/margin/interestRateHistory", {"asset": "USDT", "startTime": T0 - HOUR}) == []


def test_margin_data_and_next_hourly_rates(sim: Sim) -> None:
    t = sim.trader()
    assert sim.ok(t, "GET", "/sapi/v1/margin/crossMarginData", {"coin": "BTC"}) == [
        {
            "vipLevel": 0,
            "coin": "BTC",
            "transferIn": True,
            "borrowable": True,
            "dailyInterest": "0.00005000",
            "yearlyInterest": "0.01825000",
            "borrowLimit": "1000000000",
            "marginablePairs": ["BTCUSDT", "ETHBTC"],
        }
    ]
    every = sim.ok(t, "GET", "/sapi/v1/margin/crossMarginData")
    assert [(c["coin"], c["marginablePairs"]) for c in every] == [
        ("BTC", ["BTCUSDT", "ETHBTC"]),
        ("USDT", ["BTCUSDT", "ETHUSDT", "BNBUSDT"]),
        ("ETH", ["ETHUSDT", "ETHBTC"]),
        ("BNB", ["BNBUSDT"]),
        ("SOL", []),
    ]
    assert sim.ok(t, "GET", "/sapi/v1/margin/isolatedMarginData", {"symbol": "ETHBTC", "vipLevel": 2}) == [
        {
            "vipLevel": 2,
            "symbol": "ETHBTC",
            "leverage": "10",
            "data": [
                {"coin": "ETH", "dailyInterest": "0.00005000", "borrowLimit": "1000000000"},
                {"coin": "BTC", "dailyInterest": "0.00005000", "borrowLimit": "1000000000"},
            ],
        }
    ]
    assert [d["symbol"] for d in sim.ok(t, "GET", "/sapi/v1/margin/isolatedMarginData")] == [
        "BTCUSDT",
        "ETHUSDT",
        "ETHBTC",
        "BNBUSDT",
    ]
    # 0.00005 / 24 = 0.0000020833.. and 0.0002 / 24 = 0.0000083333.., rounded up as the hour's interest is
    assert sim.ok(
        t, "GET", "/sapi/v1/margin/next-hourly-interest-rate", {"assets": "BTC,USDT", "isIsolated": "TRUE"}
    ) == [
        {"asset": "BTC", "nextHourlyInterestRate": "0.00000209"},
        {"asset": "USDT", "nextHourlyInterestRate": "0.00000834"},
    ]


def test_force_liquidation_records_are_empty_without_liquidations(sim: Sim) -> None:
    t = sim.trader()
    path = "/sapi/v1/margin/forceLiquidationRec"
    assert sim.ok(t, "GET", path) == {"rows": [], "total": 0}
    assert sim.ok(t, "GET", path, {"isolatedSymbol": "BTCUSDT", "startTime": 0, "size": 100}) == {
        "rows": [],
        "total": 0,
    }


# ---- refusals: Binance's code and text, and nothing changes ---------------------------------------------------


def mandatory(name: str) -> tuple[int, int, str]:
    return 400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."


def illegal(name: str, legal: str) -> tuple[int, int, str]:
    return 400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."


DECIMAL = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
NOT_ASSET = (400, -3027, "Not a valid margin asset.")
NOT_PAIR = (400, -3028, "Not a valid margin pair.")
INVALID_AMOUNT = (400, -1130, "Invalid data sent for a parameter. Invalid amount.")
TOO_PRECISE = (400, -1111, "Parameter 'amount' has too much precision.")
OVER_MAX = (400, -3006, "Your borrow amount has exceed maximum borrow amount.")
REPAY_EXCEEDS = (400, -3015, "Repayment amount exceeds borrow amount.")
INSUFFICIENT = (400, -3041, "Account has insufficient balance for requested action.")
TRANSFER_OUT = (400, -3020, "Transfer out amount exceeds max amount.")
SAME_WALLET = (400, -1130, "Invalid data sent for a parameter. The transfer's source and target are the same account.")
NO_WALLET = (
    400,
    -1130,
    "Invalid data sent for a parameter. sandex has only the spot, cross margin and isolated margin wallets.",
)
BR = "/sapi/v1/margin/borrow-repay"
TR = "/sapi/v1/asset/transfer"
BORROW = {"asset": "USDT", "amount": "10", "isIsolated": "FALSE", "type": "BORROW"}
MOVE = {"type": "MAIN_MARGIN", "asset": "USDT", "amount": "10"}


def with_(base: dict, **changes) -> dict:
    """``base`` with changes applied (None removes one)."""
    out = dict(base)
    for name, value in changes.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


REFUSALS = [
    # borrow / repay
    pytest.param("POST", BR, with_(BORROW, asset="XYZ"), NOT_ASSET, id="borrow-unknown-asset"),
    pytest.param("POST", BR, with_(BORROW, isIsolated="TRUE", symbol="SOLUSDT"), NOT_PAIR, id="borrow-not-margin-pair"),
    pytest.param("POST", BR, with_(BORROW, isIsolated="TRUE", symbol="NOPE"), NOT_PAIR, id="borrow-no-such-pair"),
    pytest.param(
        "POST",
        BR,
        with_(BORROW, isIsolated="TRUE", symbol="BTCUSDT", asset="ETH"),
        NOT_ASSET,
        id="borrow-asset-outside-the-pair",
    ),
    pytest.param("POST", BR, with_(BORROW, isIsolated="TRUE"), mandatory("symbol"), id="isolated-without-symbol"),
    pytest.param(
        "POST", BR, with_(BORROW, isIsolated="maybe"), illegal("isIsolated", "TRUE|FALSE"), id="bad-isIsolated"
    ),
    pytest.param(
        "POST",
        BR,
        with_(BORROW, symbol="BTCUSDT"),
        (400, -1106, "Parameter 'symbol' sent when not required."),
        id="cross-with-symbol",
    ),
    pytest.param("POST", BR, with_(BORROW, amount="0"), INVALID_AMOUNT, id="borrow-zero"),
    pytest.param("POST", BR, with_(BORROW, amount="-1"), illegal("amount", DECIMAL), id="borrow-negative"),
    pytest.param("POST", BR, with_(BORROW, amount="0.000000001"), TOO_PRECISE, id="borrow-too-precise"),
    pytest.param("POST", BR, with_(BORROW, amount="3000"), OVER_MAX, id="borrow-over-max"),
    pytest.param("POST", BR, with_(BORROW, type="LEND"), illegal("type", "BORROW|REPAY"), id="bad-type"),
    pytest.param("POST", BR, with_(BORROW, type=None), mandatory("type"), id="borrow-no-type"),
    pytest.param("POST", BR, with_(BORROW, asset=None), mandatory("asset"), id="borrow-no-asset"),
    pytest.param("POST", BR, with_(BORROW, amount=None), mandatory("amount"), id="borrow-no-amount"),
    pytest.param("POST", BR, with_(BORROW, type="REPAY", amount="20"), REPAY_EXCEEDS, id="repay-over-liability"),
    pytest.param("POST", BR, with_(BORROW, type="REPAY", asset="ETH"), REPAY_EXCEEDS, id="repay-without-loan"),
    pytest.param(
        "POST",
        BR,
        with_(BORROW, type="REPAY", asset="BTC", amount="0.01"),
        INSUFFICIENT,
        id="repay-beyond-free-balance",
    ),
    pytest.param(
        "POST",
        BR,
        with_(BORROW, foo="1"),
        (400, -1104, "Not all sent parameters were read; read '6' parameter(s) but was sent '7'."),
        id="unknown-param",
    ),
    # transfers
    pytest.param("POST", TR, with_(MOVE, amount="100000"), INSUFFICIENT, id="transfer-beyond-balance"),
    pytest.param(
        "POST",
        TR,
        with_(MOVE, type="MARGIN_MAIN", asset="BTC", amount="0.005"),
        TRANSFER_OUT,
        id="transfer-beyond-max-transferable",
    ),
    pytest.param("POST", TR, with_(MOVE, type="MAIN_UMFUTURE"), NO_WALLET, id="transfer-to-futures"),
    pytest.param(
        "POST",
        TR,
        with_(MOVE, type="SPOT_MARGIN"),
        illegal("type", "|".join(sorted(ALL_TRANSFERS))),
        id="transfer-unknown-type",
    ),
    pytest.param(
        "POST", TR, with_(MOVE, type="MAIN_ISOLATED_MARGIN"), mandatory("toSymbol"), id="isolated-without-toSymbol"
    ),
    pytest.param(
        "POST", TR, with_(MOVE, type="ISOLATEDMARGIN_MARGIN"), mandatory("fromSymbol"), id="isolated-without-fromSymbol"
    ),
    pytest.param(
        "POST",
        TR,
        with_(MOVE, fromSymbol="BTCUSDT"),
        (400, -1106, "Parameter 'fromSymbol' sent when not required."),
        id="cross-with-fromSymbol",
    ),
    pytest.param(
        "POST",
        TR,
        with_(MOVE, type="ISOLATEDMARGIN_ISOLATEDMARGIN", fromSymbol="BTCUSDT", toSymbol="BTCUSDT"),
        SAME_WALLET,
        id="isolated-to-itself",
    ),
    pytest.param(
        "POST",
        TR,
        with_(MOVE, type="MAIN_ISOLATED_MARGIN", toSymbol="SOLUSDT"),
        NOT_PAIR,
        id="transfer-to-non-margin-pair",
    ),
    pytest.param(
        "POST",
        TR,
        with_(MOVE, type="MAIN_ISOLATED_MARGIN", toSymbol="BTCUSDT", asset="ETH"),
        NOT_ASSET,
        id="transfer-asset-outside-the-pair",
    ),
    pytest.param("POST", TR, with_(MOVE, amount="0"), INVALID_AMOUNT, id="transfer-zero"),
    pytest.param("POST", TR, with_(MOVE, amount="1.000000001"), TOO_PRECISE, id="transfer-too-precise"),
    pytest.param("POST", TR, with_(MOVE, asset="XYZ"), NOT_ASSET, id="transfer-unknown-asset"),
    pytest.param(
        "POST", "/sapi/v1/margin/transfer", with_(MOVE, type="3"), illegal("type", "1|2"), id="old-transfer-bad-type"
    ),
    pytest.param(
        "POST",
        "/sapi/v1/margin/isolated/transfer",
        {"asset": "USDT", "symbol": "BTCUSDT", "amount": "1", "transFrom": "MARGIN", "transTo": "SPOT"},
        illegal("transFrom", "ISOLATED_MARGIN|SPOT"),
        id="old-isolated-transfer-bad-wallet",
    ),
    pytest.param(
        "POST",
        "/sapi/v1/margin/isolated/transfer",
        {"asset": "USDT", "symbol": "BTCUSDT", "amount": "1", "transFrom": "SPOT", "transTo": "SPOT"},
        SAME_WALLET,
        id="old-isolated-transfer-spot-to-spot",
    ),
    # reads
    pytest.param(
        "GET",
        "/sapi/v1/margin/account",
        {"foo": "1"},
        (400, -1104, "Not all sent parameters were read; read '2' parameter(s) but was sent '3'."),
        id="account-unknown-param",
    ),
    pytest.param(
        "GET",
        "/sapi/v1/margin/isolated/account",
        {"symbols": "A,B,C,D,E,F"},
        illegal("symbols", "1 to 5 comma-separated names"),
        id="six-symbols",
    ),
    pytest.param(
        "GET",
        "/sapi/v1/margin/isolated/account",
        {"symbols": "BTCUSDT,BTCUSDT"},
        (400, -1151, "Symbol is present multiple times in the list."),
        id="repeated-symbols",
    ),
    pytest.param("GET", "/sapi/v1/margin/isolated/account", {"symbols": "SOLUSDT"}, NOT_PAIR, id="symbols-not-margin"),
    pytest.param("GET", TR, {}, mandatory("type"), id="transfer-history-no-type"),
    pytest.param("GET", TR, {"type": "MAIN_MARGIN", "size": 101}, illegal("size", "[1, 100]"), id="size-over-100"),
    pytest.param(
        "GET", TR, {"type": "MAIN_MARGIN", "current": 0}, illegal("current", "[1, 2147483647]"), id="current-zero"
    ),
    pytest.param(
        "GET",
        TR,
        {"type": "MAIN_MARGIN", "startTime": T0, "endTime": T0 - 1},
        (400, -1130, "Invalid data sent for a parameter. Parameter 'startTime'."),
        id="start-after-end",
    ),
    pytest.param("GET", BR, {}, mandatory("type"), id="loan-history-no-type"),
    pytest.param(
        "GET",
        BR,
        {"type": "BORROW", "startTime": T0 - 8 * DAY, "endTime": T0},
        (400, -1127, "More than 168 hours between startTime and endTime."),
        id="loan-history-8-days",
    ),
    pytest.param("GET", BR, {"type": "BORROW", "isolatedSymbol": "SOLUSDT"}, NOT_PAIR, id="loan-history-not-pair"),
    pytest.param("GET", "/sapi/v1/margin/maxBorrowable", {}, mandatory("asset"), id="max-borrowable-no-asset"),
    pytest.param(
        "GET",
        "/sapi/v1/margin/maxBorrowable",
        {"asset": "ETH", "isolatedSymbol": "BTCUSDT"},
        NOT_ASSET,
        id="max-borrowable-outside-pair",
    ),
    pytest.param("GET", "/sapi/v1/margin/maxTransferable", {"asset": "XYZ"}, NOT_ASSET, id="max-transfer-bad-asset"),
    pytest.param("GET", "/sapi/v1/margin/interestRateHistory", {}, mandatory("asset"), id="rates-no-asset"),
    pytest.param(
        "GET",
        "/sapi/v1/margin/interestRateHistory",
        {"asset": "BTC", "limit": 94},
        illegal("limit", "[1, 93]"),
        id="rates-limit-94",
    ),
    pytest.param(
        "GET",
        "/sapi/v1/margin/interestRateHistory",
        {"asset": "BTC", "startTime": T0 - 94 * DAY, "endTime": T0},
        (400, -1127, "More than 2232 hours between startTime and endTime."),
        id="rates-94-days",
    ),
    pytest.param(
        "GET",
        "/sapi/v1/margin/interestRateHistory",
        {"asset": "BTC", "vipLevel": 10},
        illegal("vipLevel", "[0, 9]"),
        id="rates-vip-10",
    ),
    pytest.param("GET", "/sapi/v1/margin/crossMarginData", {"coin": "XYZ"}, NOT_ASSET, id="cross-data-bad-coin"),
    pytest.param(
        "GET", "/sapi/v1/margin/isolatedMarginData", {"symbol": "SOLUSDT"}, NOT_PAIR, id="isolated-data-not-pair"
    ),
    pytest.param(
        "GET",
        "/sapi/v1/margin/next-hourly-interest-rate",
        {"assets": "BTC"},
        mandatory("isIsolated"),
        id="next-rate-no-isIsolated",
    ),
    pytest.param(
        "GET",
        "/sapi/v1/margin/next-hourly-interest-rate",
        {"isIsolated": "FALSE"},
        mandatory("assets"),
        id="next-rate-no-assets",
    ),
    pytest.param(
        "GET",
        "/sapi/v1/margin/next-hourly-interest-rate",
        {"assets": "BTC,XYZ", "isIsolated": "FALSE"},
        NOT_ASSET,
        id="next-rate-bad-asset",
    ),
    pytest.param(
        "GET",
        "/sapi/v1/margin/interestHistory",
        {"startTime": T0 - 31 * DAY, "endTime": T0},
        (400, -1127, "More than 720 hours between startTime and endTime."),
        id="interest-31-days",
    ),
    pytest.param("GET", "/sapi/v1/margin/interestHistory", {"asset": "XYZ"}, NOT_ASSET, id="interest-bad-asset"),
    pytest.param(
        "GET",
        "/sapi/v1/margin/forceLiquidationRec",
        {"isolatedSymbol": "NOPE"},
        NOT_PAIR,
        id="liquidations-no-such-pair",
    ),
]


@pytest.mark.parametrize(("method", "path", "params", "expected"), REFUSALS)
def test_refusals_are_binances_and_change_nothing(
    sim: Sim, method: str, path: str, params: dict, expected: tuple
) -> None:
    """A user with 1000 USDT in cross margin (3x: 2000 USDT borrowable), 10 USDT borrowed, and
    0.01 BTC borrowed of which 0.0009 went back to spot (so 0.0091 BTC free against 0.01000003 owed,
    and at most 0.0000999 BTC more may leave)."""
    t = sim.trader()
    sim.transfer(t, "MAIN_MARGIN", "USDT", "1000")
    sim.borrow(t, "USDT", "10")
    sim.borrow(t, "BTC", "0.01")
    sim.transfer(t, "MARGIN_MAIN", "BTC", "0.0009")
    before = sim.state(t)
    assert error(sim.call(t, method, path, params)) == expected
    assert sim.state(t) == before


def test_margin_calls_need_the_margin_permission(sim: Sim) -> None:
    account = sim.venue.create_account({"USDT": 100 * COIN})
    issued = sim.venue.keys.issue(account, permissions=("SPOT",), now_ms=T0)
    t = Trader(account, issued.api_key, issued.secret)
    assert error(sim.call(t, "POST", BR, BORROW)) == (401, -2015, "Invalid API-key, IP, or permissions for action.")
    assert sim.ok(t, "GET", "/sapi/v1/margin/account")["created"] is False


def test_api_restrictions_permit_universal_transfer(sim: Sim) -> None:
    t = sim.trader()
    assert sim.ok(t, "GET", "/sapi/v1/account/apiRestrictions")["permitsUniversalTransfer"] is True


# ---- anything at all: a Binance error or a success, never a bug ------------------------------------------------

VALUES = st.one_of(
    st.sampled_from(
        [
            "BTC",
            "USDT",
            "ETH",
            "XYZ",
            "BTCUSDT",
            "SOLUSDT",
            "ETHBTC",
            "BTCUSDT,ETHUSDT",
            "TRUE",
            "FALSE",
            "true",
            "BORROW",
            "REPAY",
            "MAIN_MARGIN",
            "MARGIN_MAIN",
            "MAIN_ISOLATED_MARGIN",
            "ISOLATEDMARGIN_ISOLATEDMARGIN",
            "MAIN_UMFUTURE",
            "SPOT",
            "ISOLATED_MARGIN",
            "1",
            "2",
            "0",
            "-1",
            "0.5",
            "0.00000001",
            "1e5",
            "99999999999999999999",
            str(T0),
            str(2**63),
            "",
        ]
    ),
    st.text(max_size=8),
)


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_random_parameters_never_break_an_endpoint(sim: Sim, data: st.DataObject) -> None:
    """Declared names with random values (and now and then a stray name): 200 or a 4xx Binance error."""
    if sim.fuzzer is None:  # the examples share the simulator: one trader whose state piles up
        sim.fuzzer = sim.trader()
    t = sim.fuzzer
    ep = data.draw(st.sampled_from(ENDPOINTS))
    names = [p.name for p in ep.params] + ["recvWindow", "foo"]
    pairs = data.draw(st.dictionaries(st.sampled_from(names), VALUES, max_size=6))
    response = sim.call(t, ep.method, ep.path, pairs)
    body = response.json()
    if response.status_code != 200:
        assert 400 <= response.status_code < 500 and set(body) == {"code", "msg"}, body
        assert body["code"] != -1000, (ep.path, pairs, body)
    sim.venue.engine.check_invariants()
