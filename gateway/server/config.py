"""The gateway's configuration file (ours): the router's TOML (``[router]``,
``[[deployments]]``, ``[ledger]``, ``[[budgets]]``, ``gateway.routing.config``) plus the
server's own tables.

```toml
[server]
host = "127.0.0.1"
port = 4000
max_body_bytes = 10_000_000
shutdown_grace_s = 30

[[keys]]
id = "team-a"
key_env = "GATEWAY_KEY_TEAM_A"     # or key_sha256 = "<hex digest of the key>"
models = ["smart", "main"]         # optional: deployment names or groups this key may use
allow_settings = false             # may this key send its own ProviderSettings (native endpoints)
budgets = [{ usd = 100.0, per = "month" }]   # optional: gateway.ledger.Budget with key = id
limiter = { requests_per_minute = 60, burst = 5, max_wait_s = 0 }   # optional: then 429
```

A key is kept only as its SHA-256 digest. With no ``[[keys]]`` the gateway is open, and
``check_exposure`` refuses to serve it on anything but a loopback address.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from gateway.routing.config import read_config

ROUTER_TABLES = frozenset({"router", "deployments", "ledger", "budgets"})
SERVER_TABLES = frozenset({"server", "keys"})
SERVER_KEYS = frozenset({"host", "port", "max_body_bytes", "shutdown_grace_s"})
KEY_KEYS = frozenset({"id", "key_env", "key_sha256", "models", "allow_settings", "budgets", "limiter"})
LIMITER_KEYS = frozenset({"requests_per_minute", "burst", "max_wait_s"})


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 4000
    max_body_bytes: int = 10_000_000
    shutdown_grace_s: float = 30.0


@dataclass(frozen=True)
class KeySpec:
    """A caller's key: its ``id`` (what logs, rows and budgets name), the SHA-256 ``digest`` of
    the key, the deployments or groups it may use (``None``: all), and whether it may bring
    its own ``ProviderSettings`` to the native endpoints."""

    id: str
    digest: bytes = field(repr=False)
    models: frozenset[str] | None = None
    allow_settings: bool = False
    limiter: Mapping[str, Any] | None = None  # providers.ratelimit.AdaptiveLimiter's arguments


@dataclass(frozen=True)
class GatewayConfig:
    server: ServerConfig
    keys: tuple[KeySpec, ...]
    router: dict[str, Any]  # the tables Router.from_config takes (key budgets added)


def load_gateway_config(source: str | Path | Mapping[str, Any]) -> GatewayConfig:
    """The configuration of a TOML file (its path) or the same tables as a dict. Unknown tables
    or keys, and a ``key_env`` naming an unset variable, are a ``ValueError``."""
    config = read_config(source)
    unknown = set(config) - ROUTER_TABLES - SERVER_TABLES
    if unknown:
        raise ValueError(f"unknown tables {sorted(unknown)}; known: {sorted(ROUTER_TABLES | SERVER_TABLES)}")
    server = _server(config.get("server") or {})
    router = {name: config[name] for name in ROUTER_TABLES if name in config}
    keys: list[KeySpec] = []
    budgets = list(router.get("budgets") or [])
    for index, table in enumerate(config.get("keys") or []):
        key, key_budgets = _key(table, index)
        if any(k.id == key.id for k in keys):
            raise ValueError(f"[[keys]] #{index + 1}: duplicate id {key.id!r}")
        keys.append(key)
        budgets.extend({**budget, "key": key.id} for budget in key_budgets)
    if budgets:
        router["budgets"] = budgets
    if not router.get("deployments"):
        raise ValueError("the configuration has no [[deployments]]")
    return GatewayConfig(server, tuple(keys), router)


def _server(table: Mapping[str, Any]) -> ServerConfig:
    unknown = set(table) - SERVER_KEYS
    if unknown:
        raise ValueError(f"[server]: unknown keys {sorted(unknown)}; known: {sorted(SERVER_KEYS)}")
    host = table.get("host", ServerConfig.host)
    port = table.get("port", ServerConfig.port)
    max_body = table.get("max_body_bytes", ServerConfig.max_body_bytes)
    grace = table.get("shutdown_grace_s", ServerConfig.shutdown_grace_s)
    if not isinstance(host, str) or not host:
        raise ValueError("[server] host must be a non-empty string")
    if not _is_int(port) or not 0 <= port <= 65535:
        raise ValueError(f"[server] port must be an integer in 0..65535, got {port!r}")
    if not _is_int(max_body) or max_body <= 0:
        raise ValueError(f"[server] max_body_bytes must be a positive integer, got {max_body!r}")
    if isinstance(grace, bool) or not isinstance(grace, (int, float)) or grace < 0:
        raise ValueError(f"[server] shutdown_grace_s must be a number >= 0, got {grace!r}")
    return ServerConfig(host, port, max_body, float(grace))


def _key(table: Mapping[str, Any], index: int) -> tuple[KeySpec, list[Mapping[str, Any]]]:
    where = f"[[keys]] #{index + 1}"
    unknown = set(table) - KEY_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(KEY_KEYS)}")
    key_id = table.get("id")
    if not isinstance(key_id, str) or not key_id:
        raise ValueError(f"{where}: a non-empty 'id' is required")
    where = f"[[keys]] {key_id!r}"
    env, digest_hex = table.get("key_env"), table.get("key_sha256")
    if (env is None) == (digest_hex is None):
        raise ValueError(f"{where}: exactly one of key_env or key_sha256 is required")
    if env is not None:
        value = os.environ.get(env) if isinstance(env, str) else None
        if not value:
            raise ValueError(f"{where}: environment variable {env} is not set (key_env)")
        digest = hashlib.sha256(value.encode()).digest()
    else:
        try:
            digest = bytes.fromhex(digest_hex) if isinstance(digest_hex, str) else b""
        except ValueError:
            digest = b""
        if len(digest) != 32:
            raise ValueError(f"{where}: key_sha256 must be 64 hex digits (the key's SHA-256)")
    models = table.get("models")
    if models is not None and (not isinstance(models, list) or not all(isinstance(m, str) for m in models)):
        raise ValueError(f"{where}: models must be a list of deployment or group names")
    allow = table.get("allow_settings", False)
    if not isinstance(allow, bool):
        raise ValueError(f"{where}: allow_settings must be true or false")
    budgets = table.get("budgets") or []
    if not isinstance(budgets, list) or not all(isinstance(b, Mapping) and "key" not in b for b in budgets):
        raise ValueError(f"{where}: budgets must be a list of tables (tokens or usd, per; the key is the key's id)")
    limiter = table.get("limiter")
    if limiter is not None:
        if not isinstance(limiter, Mapping) or "requests_per_minute" not in limiter or set(limiter) - LIMITER_KEYS:
            raise ValueError(f"{where}: limiter takes requests_per_minute and optionally burst, max_wait_s")
        from providers.ratelimit import AdaptiveLimiter

        AdaptiveLimiter(**limiter)  # its own checks of the values
    spec = KeySpec(key_id, digest, frozenset(models) if models is not None else None, allow, limiter)
    return spec, budgets


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(config: GatewayConfig, host: str) -> None:
    """An open gateway (no ``[[keys]]``) serves loopback only."""
    if not config.keys and not is_loopback(host):
        raise ValueError(
            f"refusing to serve without [[keys]] on {host!r}: add a [[keys]] table, or listen on 127.0.0.1"
        )
