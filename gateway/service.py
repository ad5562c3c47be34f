"""LlmService: one-call completions on the port's handlers, configured from the environment (ours).

The brief's small service (issue 19): ``await service.get_completion(prompt, ...)`` returns the
answer's text, ``service.get_streaming_completion(...)`` yields it piece by piece, and
``get_llm_service()`` is the process's one instance. A model is a ``provider/model-id`` string
(``gateway.settings``: keys and base URLs from the environment) or, with a router configuration
(``Router.from_config``), a deployment name or group. Each model's handler is built once and
reused; a per-call temperature or output limit is that handler at those options
(``gateway.options.with_options``). Failures are raised as ``gateway.errors``' typed errors
(``to_llm_error``: the reference's exception is the ``__cause__``, its text intact); the brief's
habit of answering ``"Error processing request: …"`` instead is the config key ``errors="text"``.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Any, TypeVar

from cachetools import LRUCache

from providers import build_api_handler

from .errors import LLMTimeoutError, to_llm_error
from .options import with_options
from .settings import settings_for, split_model

__all__ = ["LlmService", "get_llm_service", "mock_response"]

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 120.0
"""Bound on a whole call (request and every chunk) when neither ``timeout`` nor ``LLM_TIMEOUT``
says otherwise; 0 or a negative value: unbounded."""
DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant."
"""The system prompt when the caller gives none (Anthropic refuses an empty system text block)."""
MOCK_DELAY_S = 1.0
"""How long a mock answer takes ("about a second"; ``mock_delay`` changes it)."""
MAX_TARGETS = 256
"""Handlers kept per service, one per (model, temperature, max_tokens); the least recently used goes first."""

ENVIRONMENT = {
    "default_model": "LLM_DEFAULT_MODEL",
    "use_mock": "LLM_USE_MOCK",
    "timeout": "LLM_TIMEOUT",
    "router_config": "LLM_ROUTER_CONFIG",
    "errors": "LLM_ERRORS",
    "sdk_retries": "LLM_SDK_RETRIES",
}
"""Each config key and the environment variable that supplies it when ``config`` does not."""
CONFIG_KEYS = frozenset({*ENVIRONMENT, "mock_delay"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def mock_response(prompt: str, tools: list[dict[str, Any]] | None = None) -> str:
    """The brief's mock answer: ``[MOCK LLM RESPONSE{tool_info}] Echo: {prompt}``, where
    ``tool_info`` is ``" with N tools"`` (``" with 1 tool"``) when tools are offered, else empty."""
    tool_info = f" with {len(tools)} tool{'' if len(tools) == 1 else 's'}" if tools else ""
    return f"[MOCK LLM RESPONSE{tool_info}] Echo: {prompt}"


def _flag(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"{key}: expected a boolean (1/0, true/false, yes/no), got {value!r}")


class LlmService:
    """Completions for one prompt at a time (see the module docstring).

    ``config`` keys (each else from its environment variable, ``ENVIRONMENT``):
    ``default_model`` (``LLM_DEFAULT_MODEL``), ``timeout`` seconds for a whole call
    (``LLM_TIMEOUT``, default 120; 0: unbounded), ``use_mock`` (``LLM_USE_MOCK``),
    ``router_config`` (``LLM_ROUTER_CONFIG``: a TOML file, or its tables as a dict),
    ``errors`` ``"raise"`` (default) or ``"text"`` (``LLM_ERRORS``), ``sdk_retries`` (default
    true: the SDKs' own retries, as the reference has them; ``LLM_SDK_RETRIES``), and
    ``mock_delay`` (seconds a mock answer takes, default 1).
    """

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        config = dict(config or {})
        unknown = set(config) - CONFIG_KEYS
        if unknown:
            raise ValueError(f"unknown LlmService config keys {sorted(unknown)}; expected {sorted(CONFIG_KEYS)}")
        for key, variable in ENVIRONMENT.items():
            if config.get(key) is None and os.environ.get(variable):
                config[key] = os.environ[variable]
        self.default_model: str | None = config.get("default_model") or None
        timeout = config.get("timeout")
        timeout_s = DEFAULT_TIMEOUT_S if timeout is None else float(timeout)
        self.timeout: float | None = timeout_s if timeout_s > 0 else None
        self.use_mock = _flag("use_mock", config.get("use_mock", False))
        self.router_config: Any = config.get("router_config") or None
        self.errors = str(config.get("errors") or "raise")
        if self.errors not in ("raise", "text"):
            raise ValueError(f"errors: expected 'raise' or 'text', got {self.errors!r}")
        self.sdk_retries = _flag("sdk_retries", config.get("sdk_retries", True))
        self.mock_delay = float(config.get("mock_delay", MOCK_DELAY_S))
        self._lock = threading.Lock()
        self._router: Any = None
        self._handlers: dict[str, Any] = {}  # model string -> its handler at the settings' options
        self._targets: LRUCache[tuple[str | None, float | None, int | None], tuple[Any, str | None]] = LRUCache(MAX_TARGETS)

    # -- the brief's API --

    async def get_completion(
        self,
        prompt: str,
        system_prompt: str | None = None,
        temperature: float | None = 0.7,
        max_tokens: int | None = None,
        model: str | None = None,
        tools: list[dict[str, Any]] | None = None,
    ) -> str:
        """The answer's text. ``tools`` (OpenAI function format) are offered with automatic tool
        choice; tool calls the model makes are not part of the text."""
        if self.use_mock:
            await asyncio.sleep(self.mock_delay)
            return mock_response(prompt, tools)
        try:
            return "".join([piece async for piece in self._texts(prompt, system_prompt, temperature, max_tokens, model, tools)])
        except Exception as exc:
            if self.errors == "text":
                return f"Error processing request: {exc}"
            raise

    async def get_streaming_completion(
        self,
        prompt: str,
        system_prompt: str | None = None,
        temperature: float | None = 0.7,
        max_tokens: int | None = None,
        model: str | None = None,
        tools: list[dict[str, Any]] | None = None,
    ) -> AsyncIterator[str]:
        """The answer's text pieces as they come (the mock: word by word over ``mock_delay``)."""
        if self.use_mock:
            words = re.findall(r"\S+\s*", mock_response(prompt, tools))
            for word in words:
                await asyncio.sleep(self.mock_delay / len(words))
                yield word
            return
        try:
            async for piece in self._texts(prompt, system_prompt, temperature, max_tokens, model, tools):
                yield piece
        except Exception as exc:
            if self.errors != "text":
                raise
            yield f"Error processing request: {exc}"

    async def aclose(self) -> None:
        """Close what the service opened: its router's ledger, when the router configuration has
        one (connections belong to the transport: ``providers.aclose()``)."""
        ledger = getattr(self._router, "ledger", None)
        if ledger is not None:
            await ledger.aclose()

    # -- one call --

    async def _texts(
        self,
        prompt: str,
        system_prompt: str | None,
        temperature: float | None,
        max_tokens: int | None,
        model: str | None,
        tools: list[dict[str, Any]] | None,
    ) -> AsyncIterator[str]:
        """The text chunks of one ``create_message``, within the timeout, failures typed."""
        from .router import Router, _is_bedrock_error_preamble

        target, provider = self._target(model, temperature, max_tokens)
        metadata = {"tools": tools, "tool_choice": "auto"} if tools else None
        messages = [{"role": "user", "content": prompt}]
        stream = target.create_message(system_prompt or DEFAULT_SYSTEM_PROMPT, messages, metadata)
        deadline = _Deadline(self.timeout)
        # bedrock.ts yields "Error: …" and a zero usage before it throws: not text of the answer
        # (a router holds them itself)
        held: list[dict[str, Any]] | None = [] if provider == "bedrock" and not isinstance(target, Router) else None
        try:
            while True:
                try:
                    chunk = await deadline.step(stream.__anext__())
                except StopAsyncIteration:
                    break
                except _Expired as exc:
                    raise LLMTimeoutError(
                        f"no complete answer from {model or self.default_model or 'the router'} within {self.timeout:g} s",
                        provider=provider,
                    ) from exc
                if held is not None:
                    if _is_bedrock_error_preamble(held, chunk):
                        held.append(chunk)
                        continue
                    for early in held:
                        if early["type"] == "text" and early["text"]:
                            yield early["text"]
                    held = None
                if chunk["type"] == "text" and chunk["text"]:
                    yield chunk["text"]
            for early in held or ():  # the stream ended: it was the answer after all
                if early["type"] == "text" and early["text"]:
                    yield early["text"]
        except Exception as exc:
            typed = to_llm_error(exc, provider=provider)
            if typed is None or typed is exc:
                raise
            raise typed from exc
        finally:
            deadline.close()
            await stream.aclose()

    def _target(
        self, model: str | None, temperature: float | None, max_tokens: int | None
    ) -> tuple[Any, str | None]:
        """The handler (or router) for ``model`` at these options, and its provider when one."""
        name = model or self.default_model
        key = (name, temperature, max_tokens)
        with self._lock:
            found = self._targets.get(key)
            if found is None:
                found = self._targets[key] = self._build(name, temperature, max_tokens)
            return found

    def _build(self, name: str | None, temperature: float | None, max_tokens: int | None) -> tuple[Any, str | None]:
        if self.router_config is not None:
            if self._router is None:
                from .router import Router

                self._router = Router.from_config(self.router_config)
            router = self._router
            if name is None:
                chosen = router
            elif any(d.name == name or d.group == name for d in router.deployments):
                chosen = router.for_model(name)
            else:
                chosen = None  # a provider/model-id string after all
            if chosen is not None:
                kinds = {d.provider for d in chosen.deployments}
                return with_options(chosen, temperature, max_tokens), kinds.pop() if len(kinds) == 1 else None
        if name is None:
            raise ValueError("no model: pass model='provider/model-id', or set default_model (LLM_DEFAULT_MODEL)")
        provider, model_id = split_model(name)
        handler = self._handlers.get(name)
        if handler is None:
            handler = build_api_handler(settings_for(provider, model_id), sdk_retries=self.sdk_retries)
            self._handlers[name] = handler
        return with_options(handler, temperature, max_tokens), provider


class _Expired(TimeoutError):
    """The call's deadline passed during one of its steps."""


class _Deadline:
    """One call's deadline, checked only while a step of the call is awaited, never while the
    caller holds a yielded piece (Python 3.10 has no ``asyncio.timeout``). One timer per call,
    set at the first step; ``close`` when the call is done."""

    def __init__(self, timeout: float | None) -> None:
        self.at = None if timeout is None else asyncio.get_running_loop().time() + timeout
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[Any] | None = None
        self._stepping = False
        self._passed = False  # the deadline passed
        self._fired = False  # ... during a step, whose task it cancelled

    def _expire(self) -> None:
        self._passed = True
        if self._stepping and self._task is not None:
            self._fired = True
            self._task.cancel()

    async def step(self, awaitable: Awaitable[T]) -> T:
        if self.at is None:
            return await awaitable
        if self._timer is None:
            self._task = asyncio.current_task()
            self._timer = asyncio.get_running_loop().call_at(self.at, self._expire)
        if self._passed:  # while the caller held the last piece
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            raise _Expired()
        self._stepping = True
        try:
            return await awaitable
        except asyncio.CancelledError:
            if not self._fired:
                raise  # cancelled by someone else
            self._fired = False
            uncancel = getattr(self._task, "uncancel", None)  # Python 3.11+
            if uncancel is not None and uncancel() > 0:
                raise  # cancelled by someone else as well
            raise _Expired() from None
        finally:
            self._stepping = False

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


_service: LlmService | None = None
_service_lock = threading.Lock()


def get_llm_service() -> LlmService:
    """The process's one ``LlmService``, configured from the environment on first use."""
    global _service
    if _service is None:
        with _service_lock:
            if _service is None:
                _service = LlmService()
    return _service
