"""What every endpoint of the gateway shares (ours): the root router (and through it the
ledger and budgets), the callers' keys, the redaction of the provider keys, and the choice of
deployment and strategy for a request's ``model``.

A ``model`` names a deployment or a group of the configuration, optionally behind optillm's
approach prefixes (``moa-<model>``, ``mars-<model>``, ``bon-``, ``mcts-``,
``self_consistency-``: optillm 0.4.0's ``parse_combined_approach`` slugs, one approach per
request); a request body's ``optillm_approach`` names the approach as optillm's proxy reads it.
A strategy request is answered by ``gateway.strategies.run_strategy`` on the router for the
rest of the name, with the conversation flattened as optillm's ``parse_conversation`` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import AsyncGenerator
from typing import Any, Iterable, Mapping

from aiohttp import web
from cachetools import LRUCache

from gateway.events import EventBus
from gateway.router import Router
from gateway.strategies import STRATEGIES, StrategyResult, run_strategy
from providers.ratelimit import AdaptiveLimiter

from .config import GatewayConfig, KeySpec
from .errors import HttpProblem

SECRET_FIELD = re.compile(r"key|token|secret|password|credential|session", re.I)
"""Settings fields whose string values are redacted wherever they would appear."""
MIN_SECRET_CHARS = 6
REDACTED = "[redacted]"
OPTION_VIEWS = 256
"""Routers at per-request options kept for reuse (``GatewayState.with_options``)."""
REQUEST_CONFIG = ("moa", "bon", "self_consistency")
"""The strategies that take optillm's ``request_config`` (the others take their own config)."""


@dataclass(frozen=True)
class Target:
    """What a request's ``model`` resolved to: the router restricted to ``name`` (a deployment
    or group), and the optillm ``strategy`` that answers it (None: a plain request)."""

    name: str
    router: Router
    strategy: str | None = None


class GatewayState:
    """Built once per app (``STATE``); read by every handler."""

    def __init__(self, config: GatewayConfig, router: Router) -> None:
        self.config = config
        self.router = router
        self.ledger = router.ledger
        self.keys = config.keys
        self.limiters = {key.id: AdaptiveLimiter(**key.limiter) for key in self.keys if key.limiter is not None}
        self.events = EventBus()  # what GET /v1/events serves (gateway.server.events publishes)
        self.names = {d.name for d in router.deployments}
        self.groups = {d.group for d in router.deployments if d.group}
        for key in self.keys:
            unknown = sorted((key.models or frozenset()) - self.names - self.groups)
            if unknown:
                raise ValueError(f"[[keys]] {key.id!r}: models names no deployment or group: {unknown}")
        secrets = {value for d in router.deployments for value in _secret_values(d.settings)}
        self._secrets = sorted(secrets, key=len, reverse=True)  # a longer one first: no half-redacted key
        self._views: dict[str, Router] = {}
        self._option_views: LRUCache[tuple[str, float | None, int | None], Router] = LRUCache(OPTION_VIEWS)

    # -- keys and models --

    def may_use(self, key: KeySpec | None, name: str) -> bool:
        return key is None or key.models is None or name in key.models

    def models_for(self, key: KeySpec | None) -> list[str]:
        """The deployment and group names ``key`` may use (deployments first, config order)."""
        names = [d.name for d in self.router.deployments]
        names += sorted(self.groups - self.names)
        return [n for n in names if self.may_use(key, n)]

    def resolve(self, model: Any, key: KeySpec | None, approach: Any = None) -> Target:
        """The router and strategy for a request's ``model`` (and ``optillm_approach``):
        404 for an unknown name, 403 for one the key may not use, 400 for an unknown approach."""
        if not isinstance(model, str) or not model:
            raise HttpProblem(400, "'model' must be a non-empty string", param="model", code="invalid_type")
        strategy: str | None = None
        name = model
        if name not in self.names and name not in self.groups:
            parts = name.split("-")
            taken = 0
            while taken < len(parts) - 1 and parts[taken] in STRATEGIES:
                taken += 1
            if taken > 1:
                raise HttpProblem(400, f"model {model!r}: one optimisation approach per request", param="model")
            if taken == 1:
                strategy, name = parts[0], "-".join(parts[1:])
        if approach is not None and approach != "none":
            if not isinstance(approach, str) or approach not in STRATEGIES:
                raise HttpProblem(
                    400, f"optillm_approach must be one of {', '.join(STRATEGIES)} or none, got {approach!r}",
                    param="optillm_approach", code="invalid_value",
                )
            if strategy is not None and strategy != approach:
                raise HttpProblem(400, f"model {model!r} and optillm_approach {approach!r} disagree", param="optillm_approach")
            strategy = approach
        if name not in self.names and name not in self.groups:
            raise HttpProblem(404, f"the model {model!r} does not exist", "not_found_error", param="model", code="model_not_found")
        if not self.may_use(key, name):
            raise HttpProblem(403, f"this key may not use the model {name!r}", "permission_error", param="model", code="model_not_allowed")
        view = self._views.get(name)
        if view is None:
            view = self._views[name] = self.router.for_model(name)
        return Target(name, view, strategy)

    def with_options(self, target: Target, temperature: float | None, max_tokens: int | None) -> Router:
        """``target``'s router at a request's temperature and output limit
        (``Router.with_options``); the views are kept (up to ``OPTION_VIEWS``, the least recently used
        dropped) so that their deployments' handlers and state live on between requests."""
        if temperature is None and max_tokens is None:
            return target.router
        cache_key = (target.name, temperature, max_tokens)
        view = self._option_views.get(cache_key)
        if view is None:
            view = self._option_views[cache_key] = target.router.with_options(temperature=temperature, max_tokens=max_tokens)
        return view

    # -- strategies --

    async def run_strategy(
        self, target: Target, messages: Iterable[Mapping[str, Any]], system: str = "", max_tokens: int | None = None,
    ) -> StrategyResult:
        """``target.strategy`` on the conversation (optillm's ``parse_conversation``: the
        system text, and ``User: …``/``Assistant: …`` lines). As in optillm, the strategy sets
        its own temperatures; a request's ``max_tokens`` is its ``request_config`` (moa, bon,
        self_consistency)."""
        assert target.strategy is not None
        system_prompt, query = parse_conversation(messages, system)
        config = {"max_tokens": max_tokens} if max_tokens is not None and target.strategy in REQUEST_CONFIG else None
        return await run_strategy(target.strategy, system_prompt, query, target.router, config=config)

    # -- redaction --

    def redact(self, text: str) -> str:
        """``text`` with every provider key of the configuration replaced by ``[redacted]``."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


async def strategy_chunks(result: StrategyResult) -> AsyncGenerator[dict[str, Any], None]:
    """An optillm strategy's answer as a handler's chunks (what the endpoints encode as any
    reply): its reasoning, its answer, its usage."""
    if result.reasoning:
        yield {"type": "reasoning", "text": result.reasoning}
    yield {"type": "text", "text": result.answer}
    yield {"type": "usage", **result.usage}


def _secret_values(settings: Mapping[str, Any]) -> Iterable[str]:
    for field_name, value in settings.items():
        if isinstance(value, str) and len(value) >= MIN_SECRET_CHARS and SECRET_FIELD.search(field_name):
            yield value
        elif isinstance(value, Mapping):
            yield from _secret_values(value)


def _text_of(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(
            str(item.get("text", "")) for item in content if isinstance(item, dict) and item.get("type") == "text"
        )
    return "" if content is None else str(content)


def parse_conversation(messages: Iterable[Mapping[str, Any]], system: str = "") -> tuple[str, str]:
    """optillm's ``parse_conversation`` (without its in-prompt approach tags): the system
    message's text, and the user and assistant turns as ``User: …`` / ``Assistant: …`` lines."""
    system_prompt = system
    conversation = []
    for message in messages:
        role, text = message.get("role"), _text_of(message.get("content"))
        if role == "system":
            system_prompt = text
        elif role == "user":
            conversation.append(f"User: {text}")
        elif role == "assistant":
            conversation.append(f"Assistant: {text}")
    return system_prompt, "\n".join(conversation)


STATE = web.AppKey("gateway_state", GatewayState)
