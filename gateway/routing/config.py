"""Deployments: the configuration a router is built from (ours, gateway.router).

A deployment spec is ``name``, ``settings`` (the reference's ``ProviderSettings``), and
optionally ``priority`` (1 is the highest), ``group``, ``timeout_s`` and ``api_key_env`` (fills
the provider's key field from the environment; a missing variable is an error naming the
variable, never a value). ``load_config`` reads the TOML tables (``[router]``, ``[[deployments]]``,
``[ledger]`` with ``url`` and ``[[budgets]]``, ``gateway.ledger.Budget``'s fields) that
``Router.from_config`` takes and the gateway's config file shares.
"""

from __future__ import annotations

import collections
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from providers import build_api_handler
from providers.sdk.retries import NoSdkRetriesHandler

LATENCY_SAMPLES = 1000
"""Latency samples kept per deployment for the percentiles of ``Router.stats()``."""

API_KEY_FIELDS = {
    "openai": "openAiApiKey",
    "anthropic": "apiKey",
    "openrouter": "openRouterApiKey",
    "gemini": "geminiApiKey",
    "xai": "xaiApiKey",
    "bedrock": "awsApiKey",
    "vertex": "vertexJsonCredentials",
}
"""The settings field that holds the key, per ``apiProvider`` (``api_key_env`` fills it)."""

ROUTER_KEYS = frozenset(
    {"strategy", "fallback", "max_retries", "timeout_s", "cooldown_s", "allowed_fails", "seed",
     "context_window_fallbacks", "sdk_retries"}
)
"""What ``[router]`` may set (``Router``'s keyword arguments)."""
DEPLOYMENT_KEYS = frozenset({"name", "settings", "priority", "group", "timeout_s", "api_key_env"})


@dataclass(eq=False)
class DeploymentState:
    """A deployment's run-time state: counts, cooldown, latencies, the AWS retry quota. One per
    deployment of a router, shared by all its views (``Router.for_model``, ``with_options``):
    a failure seen through a view at other options cools the deployment down for every request."""

    requests: int = 0
    failures: int = 0
    cooldowns: int = 0
    in_flight: int = 0
    cool_until: float = -math.inf
    ttfc_avg: float | None = None
    fail_times: collections.deque[float] = field(default_factory=collections.deque)
    latencies: collections.deque[float] = field(default_factory=lambda: collections.deque(maxlen=LATENCY_SAMPLES))
    ttfcs: collections.deque[float] = field(default_factory=lambda: collections.deque(maxlen=LATENCY_SAMPLES))
    aws_retry: Any = None  # the AWS standard strategy's quota, for the router's own retries


@dataclass(eq=False)
class Deployment:
    """One configured handler, and its run-time state (``state``, shared by every view)."""

    name: str
    settings: dict[str, Any]
    priority: int = 1
    group: str | None = None
    timeout_s: float | None = None
    handler: Any = None
    streamer: Any = None  # whose create_message the router iterates (see Router.create_message)
    retries_off: bool = False
    provider: str = "anthropic"
    model: str = ""
    price: float = math.inf
    index: int = 0
    info: dict[str, Any] = field(default_factory=dict)  # get_model()["info"] (prices a ledger row)
    max_tokens: int = 0  # get_model()'s maxTokens: the output cap of a budget estimate
    state: DeploymentState = field(default_factory=DeploymentState)


def provider_of(settings: Mapping[str, Any]) -> str:
    provider = settings.get("apiProvider") or "anthropic"
    model = settings.get("apiModelId")
    if provider == "vertex" and isinstance(model, str) and model.startswith("claude"):
        return "anthropic-vertex"
    return str(provider)


def build_deployment(spec: Mapping[str, Any], index: int, sdk_retries: bool) -> Deployment:
    """Build the deployment's handler (``sdk_retries`` as ``build_api_handler`` takes it)."""
    unknown = set(spec) - DEPLOYMENT_KEYS
    if unknown:
        raise ValueError(f"deployment {spec.get('name')!r}: unknown keys {sorted(unknown)}")
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"deployment #{index + 1}: a non-empty 'name' is required")
    settings = dict(spec.get("settings") or {})
    env = spec.get("api_key_env")
    if env:
        value = os.environ.get(env)
        if not value:
            raise ValueError(f"deployment {name!r}: environment variable {env} is not set (api_key_env)")
        settings[API_KEY_FIELDS.get(settings.get("apiProvider") or "anthropic", "apiKey")] = value
    handler = build_api_handler(settings, sdk_retries=sdk_retries)
    # A stream is iterated without the wrapper's layer: the router switches the SDK retries off
    # itself, around the steps before the first chunk, where every request of a handler call is
    # made (one generator layer less per delta).
    retries_off = isinstance(handler, NoSdkRetriesHandler)
    model = handler.get_model()
    info = model.get("info") or {}
    prices = (info.get("inputPrice"), info.get("outputPrice"))
    price = sum(p for p in prices if isinstance(p, (int, float))) if any(
        isinstance(p, (int, float)) for p in prices
    ) else math.inf
    return Deployment(
        name=name,
        settings=settings,
        priority=int(spec.get("priority", 1)),
        group=spec.get("group"),
        timeout_s=spec.get("timeout_s"),
        handler=handler,
        streamer=handler.wrapped if retries_off else handler,
        retries_off=retries_off,
        provider=provider_of(settings),
        model=str(model.get("id", "")),
        price=price,
        index=index,
        info=dict(info),
        max_tokens=_max_tokens(model, info),
    )


def _max_tokens(model: Mapping[str, Any], info: Mapping[str, Any]) -> int:
    """The output cap ``get_model()`` gives (``maxTokens``, else the model info's)."""
    for value in (model.get("maxTokens"), info.get("maxTokens")):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return int(value)
    return 0


def read_config(source: str | Path | Mapping[str, Any]) -> Mapping[str, Any]:
    """The tables of a TOML file (its path), or ``source`` itself when it is already a dict."""
    if isinstance(source, Mapping):
        return source
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    with open(source, "rb") as f:
        return tomllib.load(f)


def load_config(source: str | Path | Mapping[str, Any]) -> tuple[list[Mapping[str, Any]], dict[str, Any]]:
    """The deployment specs and the router options of a TOML file (its path) or the same tables
    as a dict."""
    config = read_config(source)
    options = dict(config.get("router") or {})
    unknown = set(options) - ROUTER_KEYS
    if unknown:
        raise ValueError(f"[router]: unknown keys {sorted(unknown)}")
    ledger = config.get("ledger")
    budgets = config.get("budgets")
    if ledger is not None or budgets:
        from gateway.ledger import Budget, Ledger  # only for a configuration that has one

        if ledger is not None:
            unknown = set(ledger) - {"url"}
            if unknown:
                raise ValueError(f"[ledger]: unknown keys {sorted(unknown)}")
            options["ledger"] = Ledger(ledger.get("url"))
        if budgets:
            options["budgets"] = [Budget(**table) for table in budgets]
    return list(config.get("deployments") or []), options
