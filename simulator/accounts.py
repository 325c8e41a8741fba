"""API keys: who may sign requests for which account, and with what rights.

A key is HMAC (shared secret), Ed25519 or RSA (we keep only the public half), exactly the three
kinds Binance offers and ccxt can sign with. Secret material lives in an object whose repr says
nothing, so no repr, str, log line or ``dataclasses.asdict`` of a key can leak it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import re
import secrets
import string
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypedDict, Unpack, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa


class KeyType(StrEnum):
    HMAC = "HMAC"
    ED25519 = "ED25519"
    RSA = "RSA"


PERMISSIONS = frozenset({"SPOT", "MARGIN"})
"""Rights beyond reading (always allowed): SPOT = spot trading; MARGIN = margin trading/borrowing."""

_TOKEN = re.compile(r"[!-~]{1,128}")  # printable ASCII, no whitespace
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_ALPHANUM = string.ascii_letters + string.digits
_GENERATED_LEN = 64
_RSA_BITS = 2048


def is_token(text: object) -> bool:
    """Whether ``text`` is a well-formed api key or secret (1-128 printable ASCII, no whitespace)."""
    return isinstance(text, str) and _TOKEN.fullmatch(text) is not None


def mask(api_key: str) -> str:
    """What logs and reprs may show of an api key: its first 4 chars at most, never all of it."""
    return api_key[: min(4, len(api_key) // 2)] + "…"


def _random_token() -> str:
    return "".join(secrets.choice(_ALPHANUM) for _ in range(_GENERATED_LEN))


def _material_from_der(der: bytes) -> _Material:
    # (the DER of an Ed25519 or RSA key: ``_Material.export`` wrote it)
    public = cast("ed25519.Ed25519PublicKey | rsa.RSAPublicKey", serialization.load_der_public_key(der))
    return _Material(public_key=public)


class _Material:
    """The verifying half of a key; kept apart so nothing that prints a key can print this."""

    __slots__ = ("_hmac_secret", "_public_key")

    def __init__(
        self, hmac_secret: bytes | None = None, public_key: ed25519.Ed25519PublicKey | rsa.RSAPublicKey | None = None
    ) -> None:
        if (hmac_secret is None) == (public_key is None):
            raise ValueError("key material is either an HMAC secret or a public key")
        self._hmac_secret, self._public_key = hmac_secret, public_key

    def __repr__(self) -> str:
        return "<key material hidden>"

    def __deepcopy__(self, memo: dict[int, object]) -> _Material:
        return self  # immutable; also keeps asdict() from copying secrets around

    def __reduce__(self) -> tuple[Callable[[bytes], _Material], tuple[bytes]]:
        """For the state directory: the HMAC secret, or the public key as DER."""
        kind, raw = self.export()
        return (_Material, (raw,)) if kind == "hmac" else (_material_from_der, (raw,))

    def export(self) -> tuple[str, bytes]:
        """("hmac", the secret) or ("der", the public key as DER), for the state directory only."""
        if self._hmac_secret is not None:
            return "hmac", self._hmac_secret
        assert self._public_key is not None  # (one of the two, by the constructor)
        return "der", self._public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def verify(self, payload: bytes, signature: str) -> bool:
        if self._hmac_secret is not None:
            if _HEX_SHA256.fullmatch(signature) is None:
                return False
            expected = hmac.new(self._hmac_secret, payload, hashlib.sha256).digest()
            return hmac.compare_digest(expected, bytes.fromhex(signature))
        try:
            raw = base64.b64decode(signature.encode("ascii"), validate=True)
            if isinstance(self._public_key, ed25519.Ed25519PublicKey):
                self._public_key.verify(raw, payload)
            else:
                assert self._public_key is not None  # (one of the two, by the constructor)
                self._public_key.verify(raw, payload, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, binascii.Error, UnicodeEncodeError, ValueError):
            return False
        return True


@dataclass(slots=True, repr=False)
class ApiKey:
    """One API key of one account; ``revoked`` flips in place so revocation is immediate."""

    api_key: str
    account_id: int
    key_type: KeyType
    permissions: frozenset[str]
    ip_allow: frozenset[str] | None = None  # None: any IP
    revoked: bool = False
    created_ms: int = 0
    _material: _Material = field(kw_only=True, compare=False)

    def verify(self, payload: bytes, signature: str) -> bool:
        """HMAC: hex SHA-256 digest, either case; Ed25519/RSA: base64 signature over ``payload``."""
        return isinstance(signature, str) and self._material.verify(payload, signature)

    def allows_ip(self, client_ip: str) -> bool:
        if self.ip_allow is None:
            return True
        canonical = _canonical_ip(client_ip)
        return canonical is not None and canonical in self.ip_allow

    def to_record(self) -> list[object]:
        """Its journal record form (simulator/records.py); the verifying material as base64 of the
        HMAC secret or of the public key's DER (the state directory is readable by its owner only)."""
        kind, raw = self._material.export()
        return [
            self.api_key,
            self.account_id,
            self.key_type.value,
            sorted(self.permissions),
            None if self.ip_allow is None else sorted(self.ip_allow),
            self.revoked,
            self.created_ms,
            kind,
            base64.b64encode(raw).decode("ascii"),
        ]

    @staticmethod
    def from_record(values: list[Any]) -> ApiKey:
        api_key, account_id, key_type, permissions, ip_allow, revoked, created_ms, kind, raw = values
        exported = base64.b64decode(raw)
        material = _Material(hmac_secret=exported) if kind == "hmac" else _material_from_der(exported)
        return ApiKey(
            api_key,
            account_id,
            KeyType(key_type),
            frozenset(permissions),
            None if ip_allow is None else frozenset(ip_allow),
            revoked,
            created_ms,
            _material=material,
        )

    def __repr__(self) -> str:
        return (
            f"ApiKey(api_key={mask(self.api_key)!r}, account_id={self.account_id}, "
            f"key_type={self.key_type.value}, permissions={sorted(self.permissions)}, "
            f"ip_allow={sorted(self.ip_allow) if self.ip_allow is not None else None}, "
            f"revoked={self.revoked}, created_ms={self.created_ms})"
        )


@dataclass(frozen=True, slots=True, repr=False)
class IssuedKey:
    """What the key's owner is told once: the key, and the secret or private key PEM if we made it."""

    api_key: str
    secret: str | None  # HMAC secret, generated private key PEM (PKCS#8), or None for a given public key

    def __repr__(self) -> str:
        shown = "None" if self.secret is None else "<hidden>"
        return f"IssuedKey(api_key={mask(self.api_key)!r}, secret={shown})"


def _canonical_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _permissions(permissions: Iterable[str]) -> frozenset[str]:
    if isinstance(permissions, str):
        raise ValueError("permissions must be a collection of names, not a single string")
    chosen = frozenset(permissions)
    unknown = chosen - PERMISSIONS
    if unknown:
        raise ValueError(f"unknown permissions {sorted(unknown)}; known: {sorted(PERMISSIONS)}")
    return chosen


def _ip_allow(ip_allow: Iterable[str] | None) -> frozenset[str] | None:
    if ip_allow is None:
        return None
    if isinstance(ip_allow, str):
        raise ValueError("ip_allow must be a collection of addresses, not a single string")
    allowed = set()
    for ip in ip_allow:
        canonical = _canonical_ip(ip) if isinstance(ip, str) else None
        if canonical is None:
            raise ValueError(f"ip_allow holds {ip!r}, which is not an IP address")
        allowed.add(canonical)
    if not allowed:
        raise ValueError("ip_allow is empty, which would refuse every request; use None for any IP")
    return frozenset(allowed)


def _describe(key: object) -> str:
    """Names a key's kind (never its content) for error messages."""
    if isinstance(key, rsa.RSAPublicKey):
        return f"an RSA {key.key_size}-bit key"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "an Ed25519 key"
    name = getattr(getattr(key, "curve", None), "name", None)
    return f"an EC {name} key" if name else f"a {type(key).__name__.lstrip('_')}"


def _load_public_key(pem: str, key_type: KeyType) -> ed25519.Ed25519PublicKey | rsa.RSAPublicKey:
    """The public key in ``pem`` if it is one of ``key_type``; ValueError naming what it is otherwise."""
    if not isinstance(pem, str):
        raise ValueError(f"public_key_pem must be PEM text, got {type(pem).__name__}")
    if "PRIVATE KEY" in pem:
        raise ValueError("public_key_pem holds a private key; pass only the public key")
    try:
        key = serialization.load_pem_public_key(pem.encode("utf-8"))
    except (ValueError, TypeError, UnicodeEncodeError):
        raise ValueError("public_key_pem is not a PEM-encoded public key") from None
    wanted = ed25519.Ed25519PublicKey if key_type is KeyType.ED25519 else rsa.RSAPublicKey
    if not isinstance(key, wanted):
        raise ValueError(f"public_key_pem holds {_describe(key)}, but key_type is {key_type.value}")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < _RSA_BITS:
        raise ValueError(f"public_key_pem holds {_describe(key)}; RSA keys need at least {_RSA_BITS} bits")
    return key


def _new_key_pair(key_type: KeyType) -> tuple[ed25519.Ed25519PublicKey | rsa.RSAPublicKey, str]:
    """A fresh key pair: (public key, PKCS#8 private PEM), the form ccxt signs with."""
    private = (
        ed25519.Ed25519PrivateKey.generate()
        if key_type is KeyType.ED25519
        else rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS)
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return private.public_key(), pem


class KeyOptions(TypedDict, total=False):
    """What may be fixed of a new key (``KeyStore.draft``); the rest is generated."""

    permissions: Iterable[str]
    key_type: KeyType | str
    ip_allow: Iterable[str] | None
    api_key: str | None
    secret: str | None
    public_key_pem: str | None


class KeyStore:
    """All API keys by key text; revoked keys stay (refused, and never reissued)."""

    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}
        self._lock = threading.Lock()

    def issue(self, account_id: int, **options: Unpack[KeyOptions]) -> IssuedKey:
        """A new key for ``account_id`` (``draft``'s options), stored at once."""
        key, issued = self.draft(account_id, **options)
        self.add(key)
        return issued

    def draft(
        self,
        account_id: int,
        *,
        permissions: Iterable[str] = PERMISSIONS,
        key_type: KeyType | str = KeyType.HMAC,
        ip_allow: Iterable[str] | None = None,
        api_key: str | None = None,
        secret: str | None = None,
        public_key_pem: str | None = None,
        now_ms: int = 0,
    ) -> tuple[ApiKey, IssuedKey]:
        """A key for ``account_id``, not yet stored, and what its owner is told; generates whatever
        the caller did not fix. ValueError for a bad option or an api_key already in use."""
        key_type = KeyType(key_type)
        chosen = _permissions(permissions)
        allowed = _ip_allow(ip_allow)
        if api_key is not None and not is_token(api_key):
            raise ValueError("api_key must be 1-128 printable ASCII characters without whitespace")
        if key_type is KeyType.HMAC:
            if public_key_pem is not None:
                raise ValueError("public_key_pem applies to ED25519 and RSA keys, not HMAC")
            if secret is not None and not is_token(secret):
                raise ValueError("secret must be 1-128 printable ASCII characters without whitespace")
            told = secret if secret is not None else _random_token()
            material = _Material(hmac_secret=told.encode("ascii"))
        else:
            if secret is not None:
                raise ValueError(f"secret applies to HMAC keys; give a {key_type.value} key as public_key_pem")
            if public_key_pem is not None:
                public, told = _load_public_key(public_key_pem, key_type), None
            else:
                public, told = _new_key_pair(key_type)
            material = _Material(public_key=public)
        if api_key is None:
            api_key = _random_token()
            while api_key in self._keys:
                api_key = _random_token()
        elif api_key in self._keys:
            raise ValueError(f"api_key {mask(api_key)!r} is already in use")
        key = ApiKey(api_key, account_id, key_type, chosen, allowed, created_ms=now_ms, _material=material)
        return key, IssuedKey(api_key, told)

    def add(self, key: ApiKey) -> None:
        with self._lock:
            if key.api_key in self._keys:
                raise ValueError(f"api_key {mask(key.api_key)!r} is already in use")
            self._keys[key.api_key] = key

    def get(self, api_key: str) -> ApiKey | None:
        """The key, revoked or not (auth refuses revoked ones); None if never issued."""
        return self._keys.get(api_key)

    def hmac_secret(self, api_key: str) -> str | None:
        """An HMAC key's secret: only for showing the demo key again after a restart."""
        key = self._keys.get(api_key)
        if key is None or key._material._hmac_secret is None:
            return None
        return key._material._hmac_secret.decode("ascii")

    def revoke(self, api_key: str) -> bool:
        """Refuse the key from now on; True if it existed and was live."""
        with self._lock:
            key = self._keys.get(api_key)
            if key is None or key.revoked:
                return False
            key.revoked = True
            return True

    def keys_of(self, account_id: int) -> list[ApiKey]:
        """The account's keys, revoked included, oldest first."""
        return [k for k in self._keys.values() if k.account_id == account_id]

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"KeyStore({len(self._keys)} keys)"
