"""sandex client: the ExCcxt-shaped private API over ccxt, for the simulator, testnet or live.

``client.fetch_balance(credentials)``, ``client.create_order(credentials, "BTC/USDT", "limit", ...)``
and the rest run ccxt's method of the same name; ``client.aio`` has the awaitable twins. Where the
calls go is the credential's ``target`` (or ``SANDEX_TARGET``): the embedded simulator by default,
a sandex URL, the exchange's testnet, or live, which must be named (``client.targets`` has them as
objects).
"""

from . import aio, api, embedded, targets
from .api import *  # noqa: F403 (create_orders, fetch_cross_borrow_rates: what ccxt's binance lacks, filled)
from .credentials import Credential, CredentialError, Secret, exchanges, required_credentials
from .sync_calls import *  # noqa: F403 (ccxt's methods with the credentials first; typed by sync_calls.pyi)
from .targets import Target, TargetError, resolve

__all__ = [
    "Credential",
    "CredentialError",
    "Secret",
    "Target",
    "TargetError",
    "aio",
    "embedded",
    "exchanges",
    "required_credentials",
    "resolve",
    "targets",
]
__all__ += api.__all__  # every function of the API (ccxt's methods included)
