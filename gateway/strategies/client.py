"""The chat client the strategies call: optillm's ``client.chat.completions.create`` on the
port's handlers.

optillm calls a synchronous OpenAI client and reads ``response.choices[i].message.content``,
``finish_reason`` and ``response.usage``; :class:`StrategyClient` answers with the same shape.
An ``n``-completion call becomes ``n`` concurrent requests whose answers are the choices in
request order (the handlers have no ``n``). Each request's temperature and output limit go
through :func:`gateway.options.with_options`. Every request is recorded in ``calls`` and its
usage added to ``usage``; a token budget is checked before each call (:class:`BudgetExhausted`).
Each request's metadata is ``{"strategy": name}``.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from typing import Any

from ..options import with_options


class BudgetExhausted(BaseException):
    """The strategy's token budget would be exceeded by the next call: nothing was sent.

    A ``BaseException`` so that it passes the broad ``except Exception`` blocks that optillm's
    error handling has (and this port keeps); ``run_strategy`` turns it into the best answer so
    far with ``metadata["budget_exhausted"] = True``."""


@dataclass
class Message:
    content: str | None
    role: str = "assistant"


@dataclass
class Choice:
    message: Message
    finish_reason: str | None = "stop"
    index: int = 0


@dataclass
class Usage:
    """OpenAI's usage fields; the port's handlers report no reasoning tokens separately."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int = 0
    completion_tokens_details: Any = None


@dataclass
class ChatResponse:
    choices: list[Choice]
    usage: Usage


@dataclass
class StrategyClient:
    """Calls ``target`` (a handler, a settings dict or a router) for one strategy run."""

    target: Any
    strategy: str
    token_budget: int | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=lambda: {"inputTokens": 0, "outputTokens": 0})
    best: str | None = None  # the answer a stopped run returns (each strategy keeps it current)
    _handlers: dict[tuple[float | None, int | None], Any] = field(default_factory=dict)

    @property
    def tokens_used(self) -> int:
        return self.usage["inputTokens"] + self.usage["outputTokens"]

    async def create(
        self,
        *,
        messages: list[dict[str, Any]],
        max_tokens: int | None = None,
        temperature: float | None = None,
        n: int = 1,
        model: str | None = None,
        **params: Any,
    ) -> ChatResponse:
        """``client.chat.completions.create``: ``n`` choices, usage summed over the requests.

        ``model`` is accepted for optillm's signature and ignored (the target names the model);
        ``params`` (``timeout``, ``extra_body``) are recorded, not sent: the handlers take no
        per-call body fields."""
        sent = [dict(m) for m in messages]
        self._check_budget(sent, n)
        handler = self._handler(temperature, max_tokens)
        system_prompt, rest = _split_system(sent)
        metadata = {"strategy": self.strategy}
        results = await _all(_complete(handler, system_prompt, rest, metadata) for _ in range(n))
        usage = Usage()
        choices = []
        for index, (text, input_tokens, output_tokens) in enumerate(results):
            choices.append(Choice(Message(text), "stop", index))
            usage.prompt_tokens += input_tokens
            usage.completion_tokens += output_tokens
            self.usage["inputTokens"] += input_tokens
            self.usage["outputTokens"] += output_tokens
            self.calls.append(
                {
                    "messages": sent,
                    "temperature": temperature,
                    "max_tokens": max_tokens,
                    "n": n,
                    "params": params,
                    "answer": text,
                    "usage": {"inputTokens": input_tokens, "outputTokens": output_tokens},
                }
            )
        usage.total_tokens = usage.prompt_tokens + usage.completion_tokens
        return ChatResponse(choices, usage)

    def _check_budget(self, messages: list[dict[str, Any]], n: int) -> None:
        """Stop before a call whose prompt alone (about 4 characters a token) would take the run
        over its budget; a run already at its budget sends nothing more."""
        if self.token_budget is None:
            return
        chars = sum(len(m["content"]) if isinstance(m.get("content"), str) else 0 for m in messages)
        estimate = n * math.ceil(chars / 4)
        if self.tokens_used >= self.token_budget or self.tokens_used + estimate > self.token_budget:
            raise BudgetExhausted(f"{self.strategy}: {self.tokens_used} of {self.token_budget} tokens used")

    def _handler(self, temperature: float | None, max_tokens: int | None) -> Any:
        key = (temperature, max_tokens)
        handler = self._handlers.get(key)
        if handler is None:
            handler = self._handlers[key] = with_options(self.target, temperature=temperature, max_tokens=max_tokens)
        return handler


async def _all(calls: Any) -> list[Any]:
    """The calls' results in order; when one fails the others are cancelled, then it is raised."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _split_system(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """optillm's leading system message becomes the handler's system prompt; later messages
    (a system message inside best-of-n's rating conversation too) pass as they are."""
    if messages and messages[0].get("role") == "system":
        return str(messages[0].get("content") or ""), messages[1:]
    return "", messages


async def _complete(
    handler: Any, system_prompt: str, messages: list[dict[str, Any]], metadata: dict[str, Any]
) -> tuple[str, int, int]:
    """One request: its text (reasoning chunks left out, as ``message.content`` has none) and
    the input and output tokens its usage chunks report. ``metadata`` names the strategy (a
    router's ledger can attribute the call; the handlers read only their own keys)."""
    parts: list[str] = []
    input_tokens = output_tokens = 0
    async for chunk in handler.create_message(system_prompt, messages, metadata):
        kind = chunk.get("type")
        if kind == "text":
            parts.append(chunk.get("text") or "")
        elif kind == "usage":
            input_tokens += int(chunk.get("inputTokens") or 0)
            output_tokens += int(chunk.get("outputTokens") or 0)
    return "".join(parts), input_tokens, output_tokens


class TaskPool:
    """optillm's ``ThreadPoolExecutor(max_workers)`` for MARS: at most ``max_workers`` tasks run
    at once (one at a time, in order, with ``max_workers=1``)."""

    def __init__(self, max_workers: int) -> None:
        self._slots = asyncio.Semaphore(max_workers)

    async def run(self, call: Any) -> Any:
        async with self._slots:
            return await call

    async def gather(self, calls: list[Any]) -> list[Any]:
        """``asyncio.gather(..., return_exceptions=True)`` over the pool, except that a
        :class:`BudgetExhausted` stops the run instead of becoming a result."""
        results = await asyncio.gather(*(self.run(c) for c in calls), return_exceptions=True)
        for result in results:
            if isinstance(result, BudgetExhausted):
                raise result
        return list(results)
