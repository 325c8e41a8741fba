"""sandex client: the ExCcxt-shaped private API over ccxt, for the simulator, testnet or live.

``client.fetch_balance(credentials)``, ``client.create_order(credentials, "BTC/USDT", "limit", ...)``
and the rest run ccxt's method of the same name; ``client.aio`` has the awaitable twins. Where the
calls go is the credential's ``target`` (or ``SANDEX_TARGET``): the embedded simulator by default,
a sandex URL, the exchange's testnet, or live, which must be named.
"""

from . import aio
from .api import *  # noqa: F403 (the API's functions, generated from one list in ``methods``)
from .api import __all__ as _api
from .credentials import Credential, CredentialError, Secret, exchanges, required_credentials
from .targets import Target, TargetError, resolve

__all__ = [*_api, "Credential", "CredentialError", "Secret", "Target", "TargetError", "aio", "exchanges",
           "required_credentials", "resolve"]
