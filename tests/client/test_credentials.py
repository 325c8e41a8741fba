"""Credentials: ccxt's requirements, aliases, the environment, and secrets that never show."""

from __future__ import annotations

import asyncio
import logging
import pickle
import traceback
from dataclasses import FrozenInstanceError

import ccxt
import pytest

import client
from client import Credential, CredentialError, Secret

from .conftest import Served, fresh_credential

pytestmark = pytest.mark.usefixtures("no_remote_network")

KEY = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
SECRET = "s3cr3t-ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210"


def leaks(text: str, key: str = KEY, secret: str = SECRET) -> list[str]:
    """Which of the secret and the full API key appear in ``text``."""
    return [name for name, value in (("secret", secret), ("apiKey", key)) if value in text]


# ---- building one -------------------------------------------------------------------------------


def test_new_with_ccxt_field_names() -> None:
    cred = Credential.new(name="binance", apiKey=KEY, secret=SECRET)
    assert (cred.name, cred.target, cred.api_key) == ("binance", None, KEY)
    assert sorted(cred.fields) == ["apiKey", "secret"]
    assert cred.ccxt_config() == {"apiKey": KEY, "secret": SECRET}


@pytest.mark.parametrize(
    "aliases",
    [
        {"api_key": KEY, "secret_key": SECRET},
        {"api_key": KEY, "secret": SECRET},
        {"apiKey": KEY, "api_secret": SECRET},
    ],
)
def test_aliases_give_the_same_credential(aliases: dict[str, str]) -> None:
    assert Credential.new(name="binance", **aliases) == Credential.new(name="binance", apiKey=KEY, secret=SECRET)


def test_target_is_kept_and_the_credential_is_frozen() -> None:
    cred = Credential.new(name="binance", apiKey=KEY, secret=SECRET, target="testnet")
    assert cred.target == "testnet"
    with pytest.raises(FrozenInstanceError):
        cred.target = "live"  # type: ignore[misc]


@pytest.mark.parametrize("name", ["binance", "okx", "kraken"])
def test_required_credentials_are_ccxts(name: str) -> None:
    assert client.required_credentials(name) == getattr(ccxt, name)().requiredCredentials


def test_binance_requires_api_key_and_secret_only() -> None:
    required = client.required_credentials("binance")
    assert {k for k, needed in required.items() if needed} == {"apiKey", "secret"}
    assert required["password"] is False


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"apiKey": KEY}, "secret"),
        ({"apiKey": KEY, "secret": ""}, "secret"),
        ({"apiKey": KEY, "secret": None}, "secret"),
        ({"secret": SECRET}, "apiKey"),
        ({"apiKey": "", "secret": SECRET}, "apiKey"),
    ],
)
def test_a_missing_or_empty_required_field_is_named(given: dict, missing: str) -> None:
    with pytest.raises(CredentialError, match=rf"\b{missing}\b") as info:
        Credential.new(name="binance", **given)
    assert not leaks(str(info.value))


def test_every_missing_field_is_named() -> None:
    with pytest.raises(CredentialError) as info:
        Credential.new(name="binance")
    assert "apiKey" in str(info.value) and "secret" in str(info.value)


def test_an_exchange_with_a_password_requires_it() -> None:
    with pytest.raises(CredentialError, match="password"):
        Credential.new(name="okx", apiKey=KEY, secret=SECRET)
    assert sorted(Credential.new(name="okx", apiKey=KEY, secret=SECRET, passphrase="pw").fields) == [
        "apiKey",
        "password",
        "secret",
    ]


def test_unknown_field_is_an_error_naming_it() -> None:
    with pytest.raises(CredentialError, match="apikey"):  # a typo of apiKey
        Credential.new(name="binance", apikey=KEY, secret=SECRET)


def test_a_non_string_value_is_an_error() -> None:
    with pytest.raises(CredentialError, match="secret must be a string"):
        Credential.new(name="binance", apiKey=KEY, secret=12345)  # type: ignore[arg-type]


def test_unknown_exchange_is_an_error() -> None:
    with pytest.raises(CredentialError, match="notanexchange"):
        Credential.new(name="notanexchange", apiKey=KEY, secret=SECRET)
    with pytest.raises(CredentialError, match="notanexchange"):
        client.required_credentials("notanexchange")
    with pytest.raises(CredentialError, match="notanexchange"):
        client.fetch_time("notanexchange")  # an exchange id for a public call is checked the same way
    assert issubclass(CredentialError, ValueError)


def test_exchanges_lists_ccxts() -> None:
    names = client.exchanges()
    assert "binance" in names and names == list(ccxt.exchanges)


@pytest.mark.parametrize("name", ["ndax", "hibachi", "modetrade", "woofipro"])
def test_every_field_ccxt_requires_can_be_given(name: str) -> None:
    required = [key for key, needed in client.required_credentials(name).items() if needed]
    assert sorted(Credential.new(name=name, **{key: "x" * 12 for key in required}).fields) == sorted(required)


# ---- from the environment -----------------------------------------------------------------------


def test_from_env_reads_binance_api_key_and_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BINANCE_API_KEY", KEY)
    monkeypatch.setenv("BINANCE_SECRET_KEY", SECRET)
    cred = Credential.from_env("binance")
    assert cred == Credential.new(name="binance", apiKey=KEY, secret=SECRET)
    assert Credential.from_env("binance", target="testnet").target == "testnet"


def test_from_env_with_a_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPER_API_KEY", KEY)
    monkeypatch.setenv("PAPER_SECRET_KEY", SECRET)
    assert Credential.from_env("binance", prefix="paper").ccxt_config() == {"apiKey": KEY, "secret": SECRET}


@pytest.mark.parametrize("present", [{}, {"BINANCE_API_KEY": KEY}, {"BINANCE_API_KEY": KEY, "BINANCE_SECRET_KEY": ""}])
def test_from_env_error_names_the_variables(monkeypatch: pytest.MonkeyPatch, present: dict[str, str]) -> None:
    for var in ("BINANCE_API_KEY", "BINANCE_SECRET_KEY"):
        monkeypatch.delenv(var, raising=False)
    for var, value in present.items():
        monkeypatch.setenv(var, value)
    with pytest.raises(CredentialError) as info:
        Credential.from_env("binance")
    text = str(info.value)
    assert "BINANCE_API_KEY" in text and "BINANCE_SECRET_KEY" in text and "secret" in text
    assert not leaks(text)


def test_from_env_error_names_the_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OKX_API_KEY", KEY)
    monkeypatch.setenv("OKX_SECRET_KEY", SECRET)
    monkeypatch.delenv("OKX_PASSWORD", raising=False)
    with pytest.raises(CredentialError, match="OKX_PASSWORD"):
        Credential.from_env("okx")


# ---- masking ------------------------------------------------------------------------------------


def test_repr_str_and_format_show_neither_secret_nor_full_key() -> None:
    cred = Credential.new(name="binance", apiKey=KEY, secret=SECRET, target="testnet")
    printf_style = "%s %r" % (cred, cred)  # noqa: UP031 (the % operator is one of the ways of printing checked)
    shown = [
        repr(cred),
        str(cred),
        f"{cred}",
        f"{cred!r}",
        f"{cred!s}",
        printf_style,
        format(cred, ""),
        repr(cred.fields),
        str(cred.fields),
        repr(vars(cred)),
        repr([cred]),
        repr({"c": cred}),
    ]
    for text in shown:
        assert not leaks(text), text
    assert KEY[:4] in repr(cred) and "testnet" in repr(cred) and "binance" in repr(cred)


def test_a_short_key_is_not_shown_at_all() -> None:
    cred = Credential.new(name="binance", apiKey="k1234567", secret=SECRET)
    assert "k123" not in repr(cred) and "***" in repr(cred)


def test_secret_wrapper() -> None:
    secret = Secret(SECRET)
    assert SECRET not in repr(secret) + str(secret) + f"{secret}" and secret.reveal() == SECRET
    assert repr(Secret("")) == "''" and not Secret("") and secret


def test_logging_a_credential_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    cred = Credential.new(name="binance", apiKey=KEY, secret=SECRET)
    log = logging.getLogger("tests.client.credentials")
    with caplog.at_level(logging.DEBUG):
        log.debug("credential %s", cred)
        log.debug("credential %r", cred)
        log.debug(f"credential {cred} fields {cred.fields}")
        log.debug("fields %s", cred.fields)
        try:
            raise RuntimeError(f"could not use {cred}")
        except RuntimeError:
            log.exception("failed")
    assert len(caplog.records) == 5
    assert not leaks(caplog.text), caplog.text


def test_pickling_is_refused() -> None:
    with pytest.raises(TypeError, match="pickled"):
        pickle.dumps(Credential.new(name="binance", apiKey=KEY, secret=SECRET))
    with pytest.raises(TypeError, match="pickled"):
        pickle.dumps(Secret(SECRET))


def _authentication_error(good: Credential, wrong_secret: str) -> ccxt.AuthenticationError:
    """The exception of a call with ``good``'s key and ``wrong_secret`` (``good`` used first)."""
    client.fetch_balance(good)
    bad = Credential.new(name="binance", apiKey=good.api_key, secret=wrong_secret, target=good.target)
    with pytest.raises(ccxt.AuthenticationError) as info:
        client.fetch_balance(bad)
    assert type(info.value) is ccxt.AuthenticationError
    return info.value


def _text_of(exc: BaseException) -> str:
    return "\n".join([str(exc), repr(exc), *map(str, exc.args), "".join(traceback.format_exception(exc))])


def test_a_wrong_secret_on_the_embedded_target(caplog: pytest.LogCaptureFixture) -> None:
    good = fresh_credential()
    wrong = "wrong-secret-" + good.ccxt_config()["secret"]
    with caplog.at_level(logging.DEBUG):
        exc = _authentication_error(good, wrong)
    text = _text_of(exc)
    assert "Signature" in text  # Binance's -1022 text, through ccxt unchanged
    assert wrong not in text and good.ccxt_config()["secret"] not in text
    assert wrong not in caplog.text and good.ccxt_config()["secret"] not in caplog.text


def test_a_wrong_secret_on_a_url_target(served: Served) -> None:
    wrong = "wrong-" + served.secret
    text = _text_of(_authentication_error(served.credential(), wrong))
    assert wrong not in text and served.secret not in text


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "aio"])
def test_calls_at_debug_do_not_log_the_full_api_key(caplog: pytest.LogCaptureFixture, is_async: bool) -> None:
    cred = fresh_credential()
    secret = cred.ccxt_config()["secret"]

    async def call_async() -> None:
        try:
            await client.aio.fetch_balance(cred)
        finally:
            await client.aio.close()

    with caplog.at_level(logging.DEBUG):
        if is_async:
            asyncio.run(call_async())
        else:
            client.fetch_balance(cred)
    assert "X-MBX-APIKEY" in caplog.text  # ccxt did log the request headers
    assert cred.api_key not in caplog.text and secret not in caplog.text
