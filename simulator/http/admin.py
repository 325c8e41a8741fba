"""sandex's own admin API (``/sandex/v1``): accounts, keys, deposits, market status, health.

JSON in and out, ``Authorization: Bearer <admin token>``; errors use Binance's body shape so one
client-side handler reads both APIs. Amounts are decimal strings (or whole numbers), never floats.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine import MarketStatus

from ..accounts import PERMISSIONS, IssuedKey, KeyOptions, KeyType, mask
from ..binance_errors import ApiError
from ..margin import CROSS_MARGIN, WalletRef, WalletView
from ..refusals import Refused
from ..venue import Venue
from ..wire import DECIMAL_RANGE, format_units, parse_units
from .endpoint import RequestHandler, error_response
from .limits import read_body

if TYPE_CHECKING:
    from .app import Services

log = logging.getLogger("sandex.admin")
BAD_TOKEN = ApiError(401, -1002, "You are not authorized to execute this request.")
MAX_BODY = 64 * 1024
TOO_LARGE = ApiError(413, -1130, f"request body over {MAX_BODY} bytes", {"Connection": "close"})
INTERNAL = ApiError(500, -1000, "An unknown error occurred while processing the request.")


def _ok(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _bad(msg: str) -> ApiError:
    return ApiError(400, -1130, msg)


async def _json(request: Request) -> dict[str, object]:
    raw = await read_body(request, MAX_BODY, TOO_LARGE)  # never more than MAX_BODY in memory
    if not raw:
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _bad("request body is not JSON") from None
    if not isinstance(data, dict):
        raise _bad("request body must be a JSON object")
    return data


def _amount(venue: Venue, asset: object, amount: object) -> tuple[str, int]:
    if not isinstance(asset, str) or asset not in venue.assets:
        raise _bad(f"unknown asset {asset!r}; listed: {sorted(venue.assets)}")
    if isinstance(amount, bool) or not isinstance(amount, (str, int)):
        raise _bad(f'{asset}: amounts are decimal strings such as "100.5" (got {type(amount).__name__})')
    text = str(amount)
    try:
        units = parse_units(text, venue.assets[asset].decimals, "amount")
    except ApiError:
        raise _bad(
            f"{asset}: {text!r} is not a decimal amount with at most {venue.assets[asset].decimals} decimals"
        ) from None
    return asset, units


_JSON_NAMES = {"public_key_pem": "publicKey", "ip_allow": "ipAllow", "key_type": "keyType", "None": "null"}


def _only(data: dict[str, object], known: set[str]) -> None:
    unknown = set(data) - known
    if unknown:
        raise _bad(f"unknown fields {sorted(unknown)}; allowed: {sorted(known)}")


def _key_options(data: dict[str, object]) -> KeyOptions:
    _only(data, {"balances", "permissions", "keyType", "publicKey", "ipAllow"})
    perms = data.get("permissions", sorted(PERMISSIONS))
    if not isinstance(perms, list) or not all(isinstance(p, str) for p in perms) or set(perms) - PERMISSIONS:
        raise _bad(f"permissions must be a list drawn from {sorted(PERMISSIONS)}")
    key_type = data.get("keyType", "HMAC")
    if not isinstance(key_type, str) or key_type not in {k.value for k in KeyType}:  # a list is unhashable
        raise _bad(f"keyType must be one of {[k.value for k in KeyType]}, got {key_type!r}")
    ip_allow = data.get("ipAllow")
    if ip_allow is not None and (not isinstance(ip_allow, list) or not all(isinstance(i, str) for i in ip_allow)):
        raise _bad("ipAllow must be a list of IP addresses")
    public = data.get("publicKey")
    if public is not None and not isinstance(public, str):
        raise _bad("publicKey must be a PEM string")
    return {"permissions": perms, "key_type": key_type, "ip_allow": ip_allow, "public_key_pem": public}


def _key_error(e: ValueError) -> ApiError:
    """The key store speaks Python; say it in the JSON the client sent."""
    msg = str(e)
    for python, wire in _JSON_NAMES.items():
        msg = msg.replace(python, wire)
    return _bad(msg)


def _issued(account: int, issued: IssuedKey, options: KeyOptions) -> dict[str, object]:
    return {"accountId": account, "apiKey": issued.api_key, "secret": issued.secret, "keyType": options["key_type"]}


def bearer_token_matches(authorization: str, expected_digest: bytes) -> bool:
    """Whether an ``Authorization`` header is exactly ``Bearer <admin token>``: the scheme in any case
    (RFC 7235), the token byte for byte (no padding, no other case). The SHA-256 digests are compared
    with ``hmac.compare_digest``, so the time taken tells nothing of the token, not even its length."""
    scheme, sep, value = authorization.partition(" ")
    given = hashlib.sha256(value.encode("utf-8", "surrogateescape")).digest()
    matches = hmac.compare_digest(given, expected_digest)  # always run: no early return before it
    return matches and bool(sep) and scheme.lower() == "bearer"


def admin_guard(expected_digest: bytes) -> Callable[[RequestHandler], RequestHandler]:
    """Wrap an admin handler: 401 without the token, Binance-style bodies for refusals and bugs."""

    def guarded(fn: RequestHandler) -> RequestHandler:
        async def handle(request: Request) -> Response:
            if not bearer_token_matches(request.headers.get("authorization", ""), expected_digest):
                return error_response(BAD_TOKEN)
            try:
                return await fn(request)
            except (ApiError, Refused) as e:  # the admin API's own, or the venue's (a deposit's)
                return error_response(e)
            except Exception:  # a bug: the details go to our log, the client gets Binance's body shape
                log.exception("unexpected error in %s %s", request.method, request.url.path)
                return error_response(INTERNAL)

        return handle

    return guarded


def token_digest(token: str) -> bytes:
    """What ``bearer_token_matches`` compares against; an empty token is never matched."""
    if not token:
        return b""  # no SHA-256 digest is empty, so nothing matches
    return hashlib.sha256(token.encode("utf-8")).digest()


def _account_id(request: Request, venue: Venue) -> int:
    text = request.path_params["account_id"]
    # ASCII digits only ("²".isdigit() is true, int() refuses it), and short enough for int()
    if not (text.isascii() and text.isdigit() and len(text) <= 18) or not venue.has_account(int(text)):
        raise ApiError(404, -1130, f"no account {text!r}")
    return int(text)


def _run_by_the_exchange(services: Services, account: int) -> bool:
    """Whether ``account`` is one the margin desk keeps (lending pool, insurance fund, a margin wallet):
    a key of its own would let anyone holding it trade those funds past the desk's checks."""
    desk = services.margin
    return services.venue.is_house(account) or desk.wallets.owner_of(account) is not None


def _wallet_balances(view: WalletView, units: Callable[[str, int], str]) -> dict[str, dict[str, str]]:
    """A margin wallet's balances and debts (only assets it holds or owes)."""
    return {
        row.asset: {
            "free": units(row.asset, row.free),
            "locked": units(row.asset, row.locked),
            "borrowed": units(row.asset, row.borrowed),
            "interest": units(row.asset, row.interest),
        }
        for row in view.rows
        if row.free or row.locked or row.borrowed or row.interest
    }


def build_routes(services: Services) -> list[Route]:
    venue = services.venue
    token = token_digest(services.admin_token)

    def units(asset: str, amount: int) -> str:
        return format_units(amount, venue.assets[asset].decimals)

    guarded = admin_guard(token)

    async def create_account(request: Request) -> Response:
        data = await _json(request)
        options = _key_options(data)
        balances = data.get("balances", {})
        if not isinstance(balances, dict):
            raise _bad("balances must be an object of asset -> amount")
        amounts = dict(_amount(venue, a, v) for a, v in balances.items())
        with venue.lock:
            try:
                key, issued = venue.keys.draft(0, now_ms=venue.now(), **options)
            except ValueError as e:
                raise _key_error(e) from None
            account = venue.create_account(amounts, options["permissions"], key=key)
        return _ok(_issued(account, issued, options))

    async def deposit(request: Request) -> Response:
        account = _account_id(request, venue)
        data = await _json(request)
        _only(data, {"asset", "amount"})
        asset, units = _amount(venue, data.get("asset"), data.get("amount"))
        if units <= 0:
            raise _bad("a deposit must be positive")
        b = venue.deposit(account, asset, units)
        d = venue.assets[asset].decimals
        return _ok(
            {"accountId": account, "asset": asset, "free": format_units(b.free, d), "locked": format_units(b.locked, d)}
        )

    async def show_account(request: Request) -> Response:
        account = _account_id(request, venue)
        balances, updated = venue.balances(account)
        keys = [
            {
                "apiKey": mask(k.api_key),
                "keyType": k.key_type.value,
                "permissions": sorted(k.permissions),
                "revoked": k.revoked,
            }
            for k in venue.keys.keys_of(account)
        ]
        desk = services.margin
        cross = desk.view(account, CROSS_MARGIN)
        isolated = {
            symbol: desk.view(account, WalletRef("ISOLATED", symbol))
            for symbol in desk.wallets.isolated_symbols(account)
        }
        loans = [
            {
                "wallet": "ISOLATED" if view.ref.symbol else "CROSS",
                "symbol": view.ref.symbol or None,
                "asset": row.asset,
                "principal": units(row.asset, row.borrowed),
                "interest": units(row.asset, row.interest),
            }
            for view in (cross, *isolated.values())
            for row in view.rows
            if row.borrowed or row.interest
        ]
        return _ok(
            {
                "accountId": account,
                "updateTime": updated,
                "balances": {
                    "spot": {a: {"free": units(a, b.free), "locked": units(a, b.locked)} for a, b in balances.items()},
                    "crossMargin": _wallet_balances(cross, units),
                    "isolatedMargin": {symbol: _wallet_balances(view, units) for symbol, view in isolated.items()},
                },
                "loans": loans,
                "keys": keys,
            }
        )

    async def new_key(request: Request) -> Response:
        account = _account_id(request, venue)
        options = _key_options(await _json(request))
        if _run_by_the_exchange(services, account):
            raise _bad(
                f"account {account} is run by the exchange itself (the margin lending pool, insurance fund "
                "or a user's margin wallet): its funds move only by the margin desk's rules, so no API key "
                "may name it; issue keys to user accounts"
            )
        try:
            issued = venue.issue_key(account, **options)
        except ValueError as e:
            raise _key_error(e) from None
        return _ok(_issued(account, issued, options))

    async def revoke(request: Request) -> Response:
        api_key = request.path_params["api_key"]
        if not venue.revoke_key(api_key):
            raise ApiError(404, -2015, "no live API key by that name")
        return _ok({"apiKey": mask(api_key), "revoked": True})

    async def market_status(request: Request) -> Response:
        symbol = request.path_params["symbol"]
        data = await _json(request)
        _only(data, {"status"})
        status = data.get("status")
        if not isinstance(status, str) or status not in MarketStatus.__members__:  # a list is unhashable
            raise _bad(f"status must be one of {list(MarketStatus.__members__)}, got {status!r}")
        venue.set_market_status(symbol, MarketStatus[status])
        return _ok({"symbol": symbol, "status": status})

    async def reference_price(request: Request) -> Response:
        symbol = request.path_params["symbol"]
        data = await _json(request)
        _only(data, {"price"})
        market = venue.markets.get(symbol)
        if market is None:
            raise ApiError(404, -1121, f"no market {symbol!r}")
        source = next((s for s in getattr(services.liquidity, "sources", ()) if hasattr(s, "set_reference")), None)
        if source is None or symbol not in source.symbols:
            raise _bad(f"{symbol} has no synthetic market to move (liquidity is off, static, replayed or mirrored)")
        price = data.get("price")
        if not isinstance(price, str):
            raise _bad('price is a decimal string such as "95000.5"')
        try:
            units = parse_units(price, market.spec.quote.decimals, "price")
        except ApiError:
            raise _bad(f"{price!r} is not a decimal price") from None
        try:
            with venue.lock:
                source.set_reference(symbol, units)
        except ValueError as e:
            raise _bad(str(e)) from None
        return _ok(
            {"symbol": symbol, "referencePrice": format_units(source.reference(symbol), market.spec.quote.decimals)}
        )

    async def health(request: Request) -> Response:
        with venue.lock:
            quotes = {
                symbol: source.quote_updates(symbol)
                for source in getattr(services.liquidity, "sources", ())
                if hasattr(source, "quote_updates")
                for symbol in source.symbols
            }
        read_only = venue.read_only
        return _ok(
            {
                "status": "ok" if read_only is None else "read-only",
                "readOnlyReason": read_only,
                "serverTime": venue.now(),
                "markets": len(venue.markets),
                "accounts": len(venue.account_ids()),
                "quoteUpdates": quotes,
                "liquidityFailures": getattr(services.liquidity, "failures", 0),
            }
        )

    async def take_snapshot(request: Request) -> Response:
        snapshot_id, digest = await run_in_threadpool(services.durability.save)
        return _ok({"snapshotId": snapshot_id, "fingerprint": digest})

    async def list_snapshots(request: Request) -> Response:
        return _ok({"snapshots": services.durability.saved()})

    async def restore_snapshot(request: Request) -> Response:
        snapshot_id = request.path_params["snapshot_id"]
        if venue.config.replay:
            raise _bad("a replay cannot be rewound: restart the server to replay again")
        try:
            await run_in_threadpool(services.durability.restore, snapshot_id)
        except KeyError:
            raise ApiError(404, -1130, f"no snapshot {snapshot_id!r}; taken: {services.durability.saved()}") from None
        _, digest = await run_in_threadpool(services.durability.digest)
        return _ok({"snapshotId": snapshot_id, "fingerprint": digest})

    async def state(request: Request) -> Response:
        d = services.durability
        seq, digest = await run_in_threadpool(d.digest)
        return _ok(
            {
                "stateDir": d.settings.state_dir,
                "fsync": d.settings.fsync if d.settings.state_dir else None,
                "journalSeq": seq,
                "journalFailure": d.recorder.failure,
                "fingerprint": digest,
                "recovered": {
                    "seq": d.recovered.seq,
                    "fingerprint": d.recovered.fingerprint,
                    "replayed": d.recovered.replayed,
                    "damage": d.recovered.damage,
                },
            }
        )

    return [
        Route("/sandex/v1/health", guarded(health), methods=["GET"]),
        Route("/sandex/v1/state", guarded(state), methods=["GET"]),
        Route("/sandex/v1/snapshots", guarded(take_snapshot), methods=["POST"]),
        Route("/sandex/v1/snapshots", guarded(list_snapshots), methods=["GET"]),
        Route("/sandex/v1/snapshots/{snapshot_id}/restore", guarded(restore_snapshot), methods=["POST"]),
        Route("/sandex/v1/accounts", guarded(create_account), methods=["POST"]),
        Route("/sandex/v1/accounts/{account_id}", guarded(show_account), methods=["GET"]),
        Route("/sandex/v1/accounts/{account_id}/deposit", guarded(deposit), methods=["POST"]),
        Route("/sandex/v1/accounts/{account_id}/keys", guarded(new_key), methods=["POST"]),
        Route("/sandex/v1/keys/{api_key}", guarded(revoke), methods=["DELETE"]),
        Route("/sandex/v1/markets/{symbol}/status", guarded(market_status), methods=["PUT"]),
        Route("/sandex/v1/markets/{symbol}/price", guarded(reference_price), methods=["PUT"]),
    ]


_ADMIN_DOCS = {
    ("/sandex/v1/health", "get"): "Liveness and counts",
    ("/sandex/v1/accounts", "post"): 'Open an account: {"balances": {"USDT": "10000"}, "permissions": ["SPOT", '
    '"MARGIN"], "keyType": "HMAC"|"ED25519"|"RSA", "publicKey": PEM, "ipAllow": '
    '[...]} -> {"accountId", "apiKey", "secret"}',
    ("/sandex/v1/accounts/{account_id}", "get"): "Balances (spot, cross margin, isolated), loans and keys (masked)",
    ("/sandex/v1/accounts/{account_id}/deposit", "post"): 'Credit free balance: {"asset": "USDT", "amount": "100"}',
    ("/sandex/v1/accounts/{account_id}/keys", "post"): "Issue another API key (same options as opening an account)",
    ("/sandex/v1/keys/{api_key}", "delete"): "Revoke an API key at once",
    ("/sandex/v1/markets/{symbol}/status", "put"): 'Set a market\'s status: {"status": "TRADING"|"HALT"|"BREAK"}',
    ("/sandex/v1/markets/{symbol}/price", "put"): 'Move a synthetic market\'s reference price: {"price": "95000"}; '
    "its makers and takers follow",
    ("/sandex/v1/state", "get"): "Where the state is kept, the journal's last record and the state's fingerprint",
    ("/sandex/v1/snapshots", "post"): 'Save the whole exchange state -> {"snapshotId", "fingerprint"}',
    ("/sandex/v1/snapshots", "get"): "The snapshots saved so far",
    ("/sandex/v1/snapshots/{snapshot_id}/restore", "post"): "Put the whole exchange state back as it was saved "
    "(liquidity sources start afresh)",
}


_DECIMAL = {"type": "string", "pattern": DECIMAL_RANGE}
_KEY_OPTIONS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "balances": {"type": "object", "additionalProperties": _DECIMAL},
        "permissions": {"type": "array", "items": {"type": "string", "enum": sorted(PERMISSIONS)}},
        "keyType": {"type": "string", "enum": [k.value for k in KeyType]},
        "publicKey": {"type": "string", "description": "PEM, for ED25519 or RSA keys made by the client"},
        "ipAllow": {"type": "array", "items": {"type": "string"}},
    },
}
_BODIES = {  # the JSON each admin call takes (larger than MAX_BODY: 413)
    ("/sandex/v1/accounts", "post"): _KEY_OPTIONS,
    ("/sandex/v1/accounts/{account_id}/keys", "post"): _KEY_OPTIONS,
    ("/sandex/v1/accounts/{account_id}/deposit", "post"): {
        "type": "object",
        "additionalProperties": False,
        "required": ["asset", "amount"],
        "properties": {"asset": {"type": "string"}, "amount": _DECIMAL},
    },
    ("/sandex/v1/markets/{symbol}/status", "put"): {
        "type": "object",
        "additionalProperties": False,
        "required": ["status"],
        "properties": {"status": {"type": "string", "enum": list(MarketStatus.__members__)}},
    },
    ("/sandex/v1/markets/{symbol}/price", "put"): {
        "type": "object",
        "additionalProperties": False,
        "required": ["price"],
        "properties": {"price": _DECIMAL},
    },
}
_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/BinanceError"}}}}


def openapi_paths() -> dict[str, dict[str, object]]:
    paths: dict[str, dict[str, object]] = {}
    for (path, method), summary in _ADMIN_DOCS.items():
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in ("account_id", "api_key", "symbol", "snapshot_id")
            if "{" + name + "}" in path
        ]
        op: dict[str, object] = {
            "summary": summary,
            "parameters": params,
            "security": [{"AdminToken": []}],
            "responses": {
                "200": {"description": "JSON", "content": {"application/json": {"schema": {}}}},
                "401": {"description": "wrong or missing admin token"} | _ERROR,
                "4XX": {"description": 'refused: {"code": int, "msg": str} saying what was wrong'} | _ERROR,
            },
        }
        body = _BODIES.get((path, method))
        if body is not None:
            op["requestBody"] = {"required": False, "content": {"application/json": {"schema": body}}}
        paths.setdefault(path, {})[method] = op
    return paths
