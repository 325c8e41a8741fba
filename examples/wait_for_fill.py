"""Place a limit order and wait for its fill on the user data stream, without polling.

    python examples/wait_for_fill.py              # embedded simulator; SANDEX_TARGET + keys for testnet/live

``client.aio.watch_orders`` (ccxt.pro's) returns whenever one of the account's orders changes: the
order joins the best bid and the program sleeps until an update says it filled, or cancels it
after a timeout. The same code runs against the embedded simulator, a ``sandex serve`` server and
Binance's testnet, whose streams it then uses.
"""

import asyncio
import contextlib
import math
import os

import ccxt

import client

SYMBOL = "BTC/USDT"
NOTIONAL = 10.0  # USDT per order: above Binance's 5 USDT minimum
TIMEOUT = 10.0  # seconds to wait for a fill before canceling


def credential() -> client.Credential:
    if "BINANCE_API_KEY" in os.environ or "BINANCE_SECRET_KEY" in os.environ:
        return client.Credential.from_env("binance")  # target: SANDEX_TARGET, else embedded
    return client.Credential.new(name="binance", apiKey="placeholder-key", secret="placeholder-secret")


async def main(timeout: float = TIMEOUT) -> None:
    cred = credential()
    try:
        # subscribe before the order exists, so that no update can come before the subscription
        pending = asyncio.ensure_future(client.aio.watch_orders(cred, SYMBOL))
        await asyncio.sleep(0.5)
        bid = (await client.aio.fetch_order_book(cred, SYMBOL, 5))["bids"][0][0]
        amount = math.ceil(NOTIONAL / bid * 1e5) / 1e5  # 10 USDT worth, rounded up to the 0.00001 BTC lot
        order = await client.aio.create_limit_buy_order(cred, SYMBOL, amount, bid)
        print(f"placed order {order['id']}: buy {amount} BTC at {bid}, waiting up to {timeout:.0f} s for a fill")

        async def off_the_book() -> dict:
            """The order's update that takes it off the book (filled, canceled or expired)."""
            nonlocal pending
            while True:
                for update in await pending:  # every update since the last call, in order
                    if update["id"] == order["id"]:
                        print(f"  update: {update['status']}, {update['filled']} of {update['amount']} filled")
                        if update["status"] != "open":
                            return update
                pending = asyncio.ensure_future(client.aio.watch_orders(cred, SYMBOL))

        try:
            final = await asyncio.wait_for(off_the_book(), timeout)
        except TimeoutError:
            with contextlib.suppress(ccxt.OrderNotFound):  # it filled between the wait and the cancel
                await client.aio.cancel_order(cred, order["id"], SYMBOL)
            final = await client.aio.fetch_order(cred, order["id"], SYMBOL)
        outcome = "filled" if final["status"] == "closed" else final["status"]
        print(f"order {final['id']} {outcome}: {final['filled']} of {final['amount']} BTC filled")
    finally:
        await client.aio.close()


if __name__ == "__main__":
    asyncio.run(main())
