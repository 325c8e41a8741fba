"""Target selection (DESIGN §6): the credential's target, else SANDEX_TARGET, else embedded; live
only when named; and what each target does to the ccxt instance. Nothing here sends a request
anywhere but 127.0.0.1 (the conftest refuses any other host)."""

from __future__ import annotations

import asyncio
import re
import socket
from urllib.parse import urlsplit

import ccxt
import pytest

import client
from client import Credential, Target, TargetError, connections, embedded, resolve, targets

from .conftest import REMOTE_ATTEMPTS, fresh_credential

pytestmark = pytest.mark.usefixtures("no_remote_network")

ENV = "SANDEX_TARGET"
PRODUCTION_API = ccxt.binance().urls["api"]
TESTNET_API = ccxt.binance().urls["test"]
GARBAGE = [
    "garbage",
    "LIVE",
    "Live",
    " LIVE ",
    "production",
    "prod",
    "mainnet",
    "real",
    "livee",
    "live-",
    "1",
    "true",
    "Testnet",
    "sandbox",
    "demo",
    "embeded",
    "127.0.0.1:8765",
]


def rest_urls(exchange: ccxt.Exchange) -> dict[str, str]:
    """The REST base URLs of a ccxt instance (``urls['api']`` entries that are strings)."""
    return {name: url for name, url in exchange.urls["api"].items() if isinstance(url, str)}


def path_of(url: str) -> str:
    return urlsplit(url).path


# ---- resolution ---------------------------------------------------------------------------------


@pytest.mark.parametrize("env", [None, "", "   ", "embedded", " embedded\n"])
def test_nothing_named_resolves_to_embedded(monkeypatch: pytest.MonkeyPatch, env: str | None) -> None:
    if env is not None:
        monkeypatch.setenv(ENV, env)
    assert resolve(None) == targets.Embedded()
    assert str(resolve(None)) == "embedded"


@pytest.mark.parametrize("env", ["testnet", "live", "http://127.0.0.1:9"])
def test_the_environment_names_the_target_when_the_credential_does_not(
    monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    monkeypatch.setenv(ENV, env)
    named = {"testnet": targets.Testnet(), "live": targets.Live()}
    expected = targets.Url(env) if env.startswith("http") else named[env]
    assert resolve(None) == expected
    assert resolve(fresh_credential().target) == expected


@pytest.mark.parametrize(
    ("explicit", "env", "expected"),
    [
        ("embedded", "live", targets.Embedded()),
        ("testnet", "live", targets.Testnet()),
        ("live", "testnet", targets.Live()),
        ("http://127.0.0.1:9", "testnet", targets.Url("http://127.0.0.1:9")),
        ("embedded", "garbage", targets.Embedded()),  # the environment is not even read
        ("", "live", targets.Embedded()),  # an explicit empty target is the default, not the environment's
    ],
)
def test_the_credentials_target_wins(
    monkeypatch: pytest.MonkeyPatch, explicit: str, env: str, expected: Target
) -> None:
    monkeypatch.setenv(ENV, env)
    assert resolve(explicit) == expected


@pytest.mark.parametrize("env", GARBAGE)
def test_garbage_in_the_environment_is_an_error_never_live(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.setenv(ENV, env)
    with pytest.raises(TargetError, match=ENV) as info:
        resolve(None)
    assert "'live'" in str(info.value)  # the message lists what is accepted
    with pytest.raises(TargetError):  # before any request is built
        client.fetch_time("binance")
    with pytest.raises(TargetError):
        client.fetch_balance(fresh_credential())


@pytest.mark.parametrize("explicit", GARBAGE)
def test_garbage_on_the_credential_is_an_error_naming_it(explicit: str) -> None:
    with pytest.raises(TargetError, match="credential's target"):
        resolve(explicit)
    with pytest.raises(TargetError):
        client.fetch_balance(fresh_credential(explicit))


def test_live_only_when_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for env in [None, "", " ", "embedded", "testnet", "http://127.0.0.1:9"]:
        if env is None:
            monkeypatch.delenv(ENV, raising=False)
        else:
            monkeypatch.setenv(ENV, env)
        assert resolve(None).kind != "live"
    assert resolve("live") == targets.Live() and resolve(" live ") == targets.Live()
    assert issubclass(TargetError, ValueError)


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://127.0.0.1:8765/", "http://127.0.0.1:8765"),
        ("https://sandex.example.com", "https://sandex.example.com"),
        ("http://localhost:1", "http://localhost:1"),
        ("  http://[::1]:8765  ", "http://[::1]:8765"),
    ],
)
def test_a_sandex_url(text: str, url: str) -> None:
    target = resolve(text)
    assert target == targets.Url(url) and str(target) == url


@pytest.mark.parametrize(
    "text",
    [
        "http://",
        "https://",
        "http:///api",
        "127.0.0.1:8765",
        "ws://127.0.0.1:8765",
        "ftp://127.0.0.1",
        "http://127.0.0.1:8765/api/v3",
        "http://127.0.0.1:8765//",
        "http://a b:1",
        "HTTP//127.0.0.1",
    ],
)
def test_a_malformed_url_is_an_error(text: str) -> None:
    with pytest.raises(TargetError):
        resolve(text)


@pytest.mark.parametrize(
    "text",
    ["http://127.0.0.1:notaport", "http://127.0.0.1:99999", "http://127.0.0.1:8765?x=1", "http://127.0.0.1:8765#top"],
)
def test_a_url_with_a_bad_port_or_extras_is_an_error(text: str) -> None:
    with pytest.raises(TargetError):
        resolve(text)


# ---- what the ccxt instance looks like ----------------------------------------------------------


def test_testnet_turns_on_ccxts_sandbox_mode() -> None:
    exchange = connections.sync_exchange(fresh_credential("testnet"))
    assert exchange.isSandboxModeEnabled
    assert rest_urls(exchange) == TESTNET_API
    assert exchange.urls["api"]["public"] == "https://testnet.binance.vision/api/v3"
    assert all("testnet" in urlsplit(url).hostname for url in rest_urls(exchange).values())


def test_testnet_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "testnet")
    assert rest_urls(connections.sync_exchange(fresh_credential())) == TESTNET_API
    assert rest_urls(connections.sync_exchange("binance")) == TESTNET_API


def test_testnet_for_the_async_api() -> None:
    cred = fresh_credential("testnet")

    async def main() -> dict[str, str]:
        try:
            exchange = connections.async_exchange(cred)
            assert exchange.isSandboxModeEnabled
            return rest_urls(exchange)
        finally:
            await client.aio.close()

    assert asyncio.run(main()) == TESTNET_API


@pytest.mark.parametrize("how", ["credential", "environment"])
def test_live_leaves_ccxts_production_urls(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    if how == "environment":
        monkeypatch.setenv(ENV, "live")
    exchange = connections.sync_exchange(fresh_credential("live" if how == "credential" else None))
    assert not exchange.isSandboxModeEnabled
    assert exchange.urls["api"] == PRODUCTION_API
    assert exchange.urls["api"]["public"] == "https://api.binance.com/api/v3"


def test_embedded_points_every_rest_url_at_the_local_simulator_keeping_paths() -> None:
    exchange = connections.sync_exchange(fresh_credential())
    base = embedded.server().url
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)
    urls = rest_urls(exchange)
    assert urls.keys() == {k for k, v in PRODUCTION_API.items() if isinstance(v, str)}
    for name, url in urls.items():
        assert url.startswith(base + "/") and path_of(url) == path_of(PRODUCTION_API[name]), name
    assert not exchange.isSandboxModeEnabled


@pytest.mark.parametrize("how", ["credential", "environment"])
def test_a_url_target_rewrites_only_scheme_and_host(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    url = "http://127.0.0.1:9"  # nothing listens; building the instance sends nothing
    if how == "environment":
        monkeypatch.setenv(ENV, url + "/")
    exchange = connections.sync_exchange(fresh_credential(url if how == "credential" else None))
    for name, rewritten in rest_urls(exchange).items():
        assert rewritten == url + path_of(PRODUCTION_API[name]), name


def test_instances_are_cached_per_credential_and_target(monkeypatch: pytest.MonkeyPatch) -> None:
    cred = fresh_credential()
    assert connections.sync_exchange(cred) is connections.sync_exchange(cred)
    assert connections.sync_exchange(cred) is not connections.sync_exchange(fresh_credential())
    same_keys_testnet = Credential.new(name="binance", target="testnet", **cred.ccxt_config())
    assert connections.sync_exchange(same_keys_testnet) is not connections.sync_exchange(cred)
    monkeypatch.setenv(ENV, "testnet")  # the environment is read on every call
    assert connections.sync_exchange(cred).isSandboxModeEnabled


def test_the_guard_refuses_real_hosts() -> None:
    """The conftest's guard works for name lookups and for ccxt itself (so the tests above prove something)."""
    with pytest.raises(ConnectionRefusedError):
        socket.getaddrinfo("api.binance.com", 443)
    with pytest.raises(ccxt.NetworkError):
        client.fetch_time(fresh_credential("testnet"))
    assert "testnet.binance.vision" in REMOTE_ATTEMPTS
    REMOTE_ATTEMPTS.clear()  # expected here; any other test reaching out fails


# ---- targets as objects -------------------------------------------------------------------------


def test_a_target_object_on_the_credential_is_used_as_it_is() -> None:
    url = targets.Url("http://127.0.0.1:9")
    cred = Credential.new(name="binance", apiKey="key-object-target", secret="its-secret", target=url)
    assert resolve(cred.target) is url
    assert connections.sync_exchange(cred).urls["api"]["public"] == "http://127.0.0.1:9/api/v3"
    assert connections.sync_exchange(cred) is connections.sync_exchange(
        Credential.new(name="binance", apiKey="key-object-target", secret="its-secret", target="http://127.0.0.1:9")
    )


def test_an_in_process_target_hands_ccxt_its_session_and_clock() -> None:
    """No registry and no patching: the target's session, clock and throttle go through ccxt's constructor."""
    from client.inprocess import BASE_URL, InProcessSession, InProcessTarget

    class Nothing:
        def request(
            self, method: str, url: str, headers: list[tuple[str, str]], body: bytes = b""
        ) -> tuple[int, list[tuple[str, str]], bytes]:
            return 200, [("Content-Type", "application/json")], b'{"serverTime": 1234}'

    target = InProcessTarget(Nothing(), lambda: 42, "test")
    cred = Credential.new(name="binance", apiKey="key-in-process", secret="its-secret", target=target)
    exchange = connections.sync_exchange(cred)
    assert isinstance(exchange.session, InProcessSession) and exchange.milliseconds() == 42
    assert not exchange.enableRateLimit and exchange.urls["api"]["public"] == BASE_URL + "/api/v3"
    assert client.fetch_time(cred) == 1234
    assert str(target) == "inprocess:test" and resolve(target) is target
    connections.forget_target(target)
    assert connections.sync_exchange(cred) is not exchange

    async def main() -> None:
        with pytest.raises(client.CredentialError, match="synchronous client only"):
            await client.aio.fetch_time(cred)

    asyncio.run(main())
    connections.forget_target(target)


def test_inprocess_text_is_not_a_target() -> None:
    """An in-process target exists only as the object a backtest hands its strategy."""
    with pytest.raises(TargetError):
        resolve("inprocess:backtest-1")
