"""Credentials: which exchange, which keys, which target, checked against ccxt's own requirements.

Secrets are held in ``Secret`` wrappers whose ``repr`` and ``str`` show nothing, so a credential
can be printed, logged or shown in a traceback's locals without leaking; only the ccxt
constructor receives the plain text.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

import ccxt

if TYPE_CHECKING:
    from .targets import Target

# ccxt's credential fields (``requiredCredentials`` keys); each is accepted by its own name, in
# snake_case, and by the extra names below; the environment variable is <PREFIX>_<SUFFIX>.
_FIELDS = tuple(ccxt.Exchange.requiredCredentials)
_EXTRA_NAMES = {"secret": ("secret_key", "api_secret"), "password": ("passphrase",)}
_ENV_SUFFIX = {"secret": "SECRET_KEY"}  # the seed's BINANCE_SECRET_KEY; others are their snake_case


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


_ALIASES = {key: (key, _snake(key), *_EXTRA_NAMES.get(key, ())) for key in _FIELDS}


def env_variable(prefix: str, key: str) -> str:
    return f"{prefix}_{_ENV_SUFFIX.get(key, _snake(key).upper())}"


class CredentialError(ValueError):
    """A credential that cannot work: unknown exchange, a required field missing, an unknown field."""


class Secret:
    """A secret string that never shows itself in ``repr``/``str``; ``reveal()`` gives the text."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "'***'" if self._value else "''"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:  # no pickling a secret into a file by accident
        raise TypeError("a Secret cannot be pickled")


def exchanges() -> list[str]:
    """The exchange ids the client can drive (every ccxt exchange; sandex simulates Binance)."""
    return list(ccxt.exchanges)


def required_credentials(name: str) -> dict[str, bool]:
    """ccxt's ``requiredCredentials`` of ``name``: which fields a credential must have."""
    if name not in ccxt.exchanges:
        raise CredentialError(f"unknown exchange {name!r}; see client.exchanges()")
    return dict(getattr(ccxt, name)().requiredCredentials)


@dataclass(frozen=True, eq=True)
class Credential:
    """Keys for one exchange and where calls go (``target``: embedded, a sandex URL, testnet or live,
    or a ``client.Target`` object; None: the ``SANDEX_TARGET`` environment variable, else embedded)."""

    name: str
    fields: dict[str, Secret] = field(default_factory=dict, repr=False, hash=False)
    target: str | Target | None = None

    @classmethod
    def new(cls, name: str, target: str | Target | None = None, **given: str | None) -> Credential:
        """``Credential.new(name="binance", apiKey=..., secret=...)`` (``api_key``/``secret_key`` too);
        raises ``CredentialError`` naming any required field that is missing or empty."""
        required = required_credentials(name)
        canonical = {alias: key for key, aliases in _ALIASES.items() for alias in aliases}
        values: dict[str, Secret] = {}
        for given_name, value in given.items():
            key = canonical.get(given_name)
            if key is None:
                raise CredentialError(f"unknown credential field {given_name!r}; use one of {sorted(canonical)}")
            if value is not None and not isinstance(value, str):
                raise CredentialError(f"{given_name} must be a string, got {type(value).__name__}")
            if value:
                values[key] = Secret(value)
        missing = [key for key, needed in required.items() if needed and key not in values]
        if missing:
            raise CredentialError(f"{name} requires {', '.join(missing)}: missing or empty")
        return cls(name, values, target)

    @classmethod
    def from_env(cls, name: str, target: str | Target | None = None, prefix: str | None = None) -> Credential:
        """Read ``BINANCE_API_KEY`` and ``BINANCE_SECRET_KEY`` (``<PREFIX>_PASSWORD``, ``_UID`` ...
        when the exchange needs them); the prefix defaults to the exchange id in capitals."""
        prefix = (prefix or name).upper()
        given = {key: os.environ.get(env_variable(prefix, key)) for key in _FIELDS}
        required = [key for key, needed in required_credentials(name).items() if needed]
        missing = [env_variable(prefix, key) for key in required if not given.get(key)]
        if missing:
            raise CredentialError(
                f"{name} requires {', '.join(required)}: set "
                f"{', '.join(env_variable(prefix, key) for key in required)} in the environment "
                f"(missing or empty: {', '.join(missing)})"
            )
        return cls.new(name, target, **{k: v for k, v in given.items() if v})

    def ccxt_config(self) -> dict[str, str]:
        """The plain-text fields for a ccxt constructor (the only place secrets are revealed)."""
        return {key: secret.reveal() for key, secret in self.fields.items()}

    @property
    def api_key(self) -> str:
        key = self.fields.get("apiKey")
        return key.reveal() if key else ""

    def __repr__(self) -> str:
        key = self.api_key
        shown = f"{key[:4]}…" if len(key) > 8 else "***" if key else ""
        return f"Credential(name={self.name!r}, apiKey={shown!r}, fields={sorted(self.fields)}, target={self.target!r})"

    __str__ = __repr__
