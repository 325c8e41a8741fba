"""Ed25519 and RSA keys end to end: the admin API issues a private key PEM, unmodified ccxt signs with it."""

from __future__ import annotations

import asyncio

import ccxt
import pytest

from .conftest import binance, binance_async, new_account


@pytest.mark.parametrize("key_type", ["ED25519", "RSA"])
def test_ccxt_trades_with_an_asymmetric_key(server, key_type: str) -> None:
    acct = new_account(server, {"USDT": "1000"}, keyType=key_type)
    assert "PRIVATE KEY" in acct["secret"] and acct["keyType"] == key_type
    ex = binance(server.url, acct["apiKey"], acct["secret"])
    ex.load_markets()
    assert ex.fetch_balance()["USDT"]["free"] == 1000.0
    order = ex.create_order("BTC/USDT", "limit", "buy", 0.001, 80000)
    assert ex.fetch_balance()["USDT"]["used"] == 80.0
    assert ex.cancel_order(order["id"], "BTC/USDT")["status"] == "canceled"
    assert ex.fetch_balance()["USDT"]["free"] == 1000.0


@pytest.mark.parametrize("key_type", ["ED25519", "RSA"])
def test_async_ccxt_with_an_asymmetric_key_and_a_wrong_one(server, key_type: str) -> None:
    acct = new_account(server, {"USDT": "1000"}, keyType=key_type)
    other = new_account(server, {"USDT": "1"}, keyType=key_type)

    async def run() -> None:
        ex = binance_async(server.url, acct["apiKey"], acct["secret"])
        forged = binance_async(server.url, acct["apiKey"], other["secret"])  # the right key, another private key
        try:
            await ex.load_markets()
            assert (await ex.fetch_balance())["USDT"]["total"] == 1000.0
            with pytest.raises(ccxt.AuthenticationError):
                await forged.fetch_balance()
        finally:
            await ex.close()
            await forged.close()

    asyncio.run(run())


def test_a_user_supplied_public_key_is_verified(server) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private = ed25519.Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    acct = new_account(server, {"USDT": "5"}, keyType="ED25519", publicKey=public)
    assert acct["secret"] is None  # the server never saw the private key
    ex = binance(server.url, acct["apiKey"], pem)
    ex.load_markets()
    assert ex.fetch_balance()["USDT"]["free"] == 5.0
