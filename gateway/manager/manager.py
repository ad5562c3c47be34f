"""The LLM manager (ours): conversations that persist, a function-calling loop, streaming, a
response cache, typed errors, events, provider status and analytics, on the router and ledger.

Each configured provider is a ``gateway.router.Router`` with one deployment named after it, all
sharing one ``gateway.ledger.Ledger``, so retries, timeouts, cooldowns, usage rows and costs are
the router's and the ledger's. The manager opens ``database_url`` once
(``gateway.ledger.url.open_database``: one SQLite connection and worker thread, or one
PostgreSQL pool); the ledger, the conversations and the response cache keep their tables in it,
and ``aclose`` closes it after them. A turn:
the user's message is stored, the conversation's context (``ConversationManager.
get_conversation_context``, counted with the provider's ``count_tokens``) goes to the router with
the registered tools in ``metadata["tools"]``; tool calls in the stream are assembled
(``tools.CallAssembler``), executed, stored and sent back (``tool_use`` / ``tool_result``
messages) until the model answers with text or ``max_function_calls_per_turn`` is reached.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache

from .. import errors as gateway_errors
from ..events import Event, EventBus
from ..ledger import Ledger, default_url, usage_cost, usage_tokens
from ..ledger.url import open_database
from ..router import Router
from .cache import CachedTurn, ResponseCache, cache_key, open_cache_table
from .config import LLMConfig, ProviderConfig
from .context import SUMMARY_HEADING, system_with_summary
from .conversations import ConversationManager
from .tools import CallAssembler, FunctionCall, ToolRegistry, assistant_message, execute_calls, tool_result_message

__all__ = ["LLMManager", "LLMResponse", "LLMStreamChunk", "Usage"]

CAP_NOTE = "(This turn ended here: the limit of {} function calls per turn was reached.)"
"""Stored as the assistant's message when the cap ends a turn whose last response had no text."""

WHAT = "database"
"""How errors (and the SQLite thread's name) call the database the manager opens."""
OPTION_VIEWS = 256
"""Routers at per-call options kept for reuse (a caller's temperatures never grow it unbounded)."""

SUMMARY_SYSTEM = "You summarize conversations."
"""The system prompt of the model call that summarises a conversation's oldest messages (the
request itself, ``context.summary_request``, carries the instructions)."""


@dataclass
class Usage:
    """A response's tokens, summed over the model calls of its turn; ``total_tokens`` as the
    ledger counts them (Anthropic-style input adds its cache tokens)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    total_tokens: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class LLMResponse:
    """``content`` is the model's text; ``function_calls`` the calls run during the turn (or,
    without ``auto_execute``, the calls asked for); ``finish_reason`` ``"stop"``,
    ``"tool_calls"`` (calls left to the caller) or ``"max_function_calls"`` (the cap was reached:
    ``content`` is the model's last text)."""

    content: str
    conversation_id: str
    provider: str
    model: str
    usage: Usage = field(default_factory=Usage)
    cost: float = 0.0
    function_calls: list[FunctionCall] = field(default_factory=list)
    finish_reason: str = "stop"
    reasoning: str = ""
    model_calls: int = 0
    cached: bool = False
    latency_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "content": self.content, "conversation_id": self.conversation_id, "provider": self.provider,
            "model": self.model, "usage": self.usage.to_dict(), "cost": self.cost,
            "function_calls": [call.to_dict() for call in self.function_calls],
            "finish_reason": self.finish_reason, "reasoning": self.reasoning, "model_calls": self.model_calls,
            "cached": self.cached, "latency_s": self.latency_s,
        }


@dataclass(slots=True)
class LLMStreamChunk:
    """One piece of a streamed response: ``type`` ``"text"`` (``delta`` is the new text),
    ``"reasoning"`` (``delta`` is reasoning text), ``"function_calls"`` (the calls of one model
    call, executed) or ``"done"`` (the last chunk: ``response`` is the whole ``LLMResponse``)."""

    type: str
    delta: str = ""
    conversation_id: str = ""
    function_calls: list[FunctionCall] | None = None
    response: LLMResponse | None = None


class _Turn:
    """What one turn accumulates across its model calls."""

    __slots__ = ("reasoning", "usage", "cost", "calls", "model_calls", "chunks")

    def __init__(self, keep_chunks: bool) -> None:
        self.reasoning: list[str] = []
        self.usage = Usage()
        self.cost = 0.0
        self.calls: list[FunctionCall] = []
        self.model_calls = 0
        self.chunks: list[LLMStreamChunk] | None = [] if keep_chunks else None  # for the cache


class LLMManager:
    """See the module docstring and the README's "LLM manager"."""

    def __init__(self, config: LLMConfig, *, event_queue_size: int = 1000) -> None:
        self.config = config
        # the routers first: a provider that cannot be built fails before any database is opened
        self.routers: dict[str, Router] = {
            name: Router([{"name": name, "settings": provider.settings()}], **provider.router_options())
            for name, provider in config.providers.items()
        }
        self.database = open_database(default_url() if config.database_url is None else config.database_url, WHAT)
        try:
            table = open_cache_table(self.database) if config.enable_caching and config.cache_in_database else None
            self.conversations = ConversationManager(
                config=config.conversation, summarize=self._summarize, database=self.database
            )
            self.ledger = Ledger(database=self.database)
        except BaseException:
            self.database.close_unused()
            raise
        self.bus = EventBus(event_queue_size)
        self.tools = ToolRegistry()
        self.cache: ResponseCache | None = None
        if config.enable_caching:
            self.cache = ResponseCache(config.cache_ttl_seconds, table=table, encode=_encode_turn, decode=_decode_turn)
        for router in self.routers.values():
            router.ledger = self.ledger
        self._views: LRUCache[tuple[str, float | None, int | None], Router] = LRUCache(OPTION_VIEWS)
        self._available: dict[str, bool] = {name: True for name in self.routers}
        self._session: dict[str, dict[str, float]] = {}
        self._closed = False

    # -- tools --------------------------------------------------------------------------------

    def register_tool(
        self, name: str, fn: Callable[..., Any], parameters_schema: Mapping[str, Any] | None = None,
        description: str = "",
    ) -> None:
        """Offer ``fn`` to the model as ``name`` (sync functions run in a thread)."""
        self.tools.register(name, fn, parameters_schema, description)

    def tool(
        self, name: str | None = None, *, description: str | None = None, parameters: Mapping[str, Any] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator form of ``register_tool`` (the schema from the signature unless given)."""
        return self.tools.tool(name, description=description, parameters=parameters)

    # -- events -------------------------------------------------------------------------------

    def events(self, *types: str) -> AsyncIterator[Event]:
        """The manager's events from now on (of ``types``, or all)."""
        return self.bus.events(*types)

    def on(self, event_type: str, callback: Callable[[Event], Any]) -> Callable[[], None]:
        """Call ``callback(event)`` for each event of ``event_type`` (``"*"``: all); returns
        the function that unsubscribes it."""
        return self.bus.on(event_type, callback)

    # -- responses ----------------------------------------------------------------------------

    def generate_response(
        self,
        message: str | list[dict[str, Any]],
        conversation_id: str | None = None,
        provider: str | None = None,
        stream: bool = False,
        *,
        system_prompt: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: Sequence[str | Mapping[str, Any]] | None = None,
    ) -> Any:
        """The model's answer to ``message`` in the conversation ``conversation_id`` (a new one
        when None). ``stream=False``: an awaitable of the ``LLMResponse``; ``stream=True``: an
        async iterator of ``LLMStreamChunk``s, the last of type ``"done"`` with the response.
        ``tools``: names of registered tools (or OpenAI-format specs) to offer, None: every
        registered tool, ``[]``: none."""
        turn = self._turn(message, conversation_id, provider, system_prompt, temperature, max_tokens, tools)
        if stream:
            return turn
        return self._collect(turn)

    def continue_conversation(self, conversation_id: str, message: str | list[dict[str, Any]], **kwargs: Any) -> Any:
        """``generate_response`` in an existing conversation."""
        return self.generate_response(message, conversation_id, **kwargs)

    @staticmethod
    async def _collect(turn: AsyncGenerator[LLMStreamChunk, None]) -> LLMResponse:
        async with aclosing(turn):
            async for chunk in turn:
                if chunk.response is not None:
                    return chunk.response
        raise RuntimeError("the turn ended without a response")  # not reached: _turn always ends with one

    def _router(self, name: str, temperature: float | None, max_tokens: int | None) -> Router:
        """The provider's router, or a view of it at per-call options (the ``OPTION_VIEWS`` most
        recently used are kept)."""
        base = self.routers[name]
        provider = self.config.providers[name]
        if (temperature is None or temperature == provider.temperature) and (
            max_tokens is None or max_tokens == provider.max_tokens
        ):
            return base
        key = (name, temperature, max_tokens)
        view = self._views.get(key)
        if view is None:
            view = self._views[key] = base.with_options(temperature=temperature, max_tokens=max_tokens)
        return view

    def _tool_specs(self, tools: Sequence[str | Mapping[str, Any]] | None) -> list[dict[str, Any]]:
        if not self.config.function_calling.enabled:
            return []
        if tools is None:
            return self.tools.specs()
        names = [t for t in tools if isinstance(t, str)]
        unknown = [n for n in names if n not in self.tools]
        if unknown:
            raise ValueError(f"no registered tool named {', '.join(map(repr, unknown))}")
        return [self.tools.specs([t])[0] if isinstance(t, str) else dict(t) for t in tools]

    async def _turn(
        self,
        message: str | list[dict[str, Any]],
        conversation_id: str | None,
        provider: str | None,
        system_prompt: str | None,
        temperature: float | None,
        max_tokens: int | None,
        tools: Sequence[str | Mapping[str, Any]] | None,
    ) -> AsyncGenerator[LLMStreamChunk, None]:
        started = time.monotonic()
        name = provider or self.config.default_provider
        assert name is not None
        if name not in self.routers:
            raise ValueError(f"unknown provider {name!r}; configured: {', '.join(self.routers)}")
        router = self._router(name, temperature, max_tokens)
        deployment = router.deployments[0]
        specs = self._tool_specs(tools)
        bus = self.bus

        conversations = self.conversations
        created = conversation_id is None
        if conversation_id is None:
            conversation_id = await conversations.create_conversation(
                system_prompt=system_prompt, metadata={"provider": name, "model": deployment.model},
            )
            if bus.has_subscribers:
                bus.publish("conversation_created", {"conversation_id": conversation_id, "provider": name})
        await conversations.add_message(conversation_id, {"role": "user", "content": message})
        context = await conversations.get_conversation_context(
            conversation_id, self.config.conversation.max_tokens_per_conversation, count_tokens=router.count_tokens,
        )
        system = context.system_prompt or ""
        if system_prompt is not None and not created:
            # this call's prompt in place of the stored one; the summary, if any, still follows it
            _, heading, summary = system.partition(SUMMARY_HEADING)
            system = system_with_summary(system_prompt, summary.lstrip("\n") if heading else None) or ""
        messages = list(context.messages)
        if bus.has_subscribers:
            bus.publish("response_start", {"conversation_id": conversation_id, "provider": name,
                                           "model": deployment.model})

        key = None
        if self.cache is not None:
            effective_temperature = self.config.providers[name].temperature if temperature is None else temperature
            key = cache_key(name, deployment.model, system, messages, effective_temperature,
                            max_tokens or self.config.providers[name].max_tokens, specs)
            hit = await self.cache.get(key)
            if hit is not None:
                async for chunk in self._replay(hit, conversation_id, started):
                    yield chunk
                return

        turn = _Turn(keep_chunks=key is not None)
        fc = self.config.function_calling
        finish = "stop"
        metadata: dict[str, Any] = {"taskId": conversation_id}
        if specs:
            metadata["tools"] = specs
            metadata["tool_choice"] = "auto"
        while True:
            text: list[str] = []
            assembler = CallAssembler()
            async for chunk in self._model_call(name, router, deployment, system, messages, metadata, turn, text,
                                                assembler, conversation_id):
                yield chunk
            calls = assembler.calls()
            round_text = "".join(text)
            if not calls:
                if round_text:
                    await conversations.add_message(conversation_id, {"role": "assistant", "content": round_text})
                break
            _unique_ids(calls, turn.calls)
            if not fc.auto_execute or not specs:
                # the calls are the caller's to run: stored as asked, results to come as tool_result blocks
                await conversations.add_message(conversation_id, assistant_message(round_text, calls))
                turn.calls.extend(calls)
                finish = "tool_calls"
                break
            if len(turn.calls) + len(calls) > fc.max_function_calls_per_turn:
                # the cap: the turn ends with the model's last text, its unrun calls dropped; the
                # stored turn still ends with an assistant message (Bedrock wants turns to alternate)
                note = round_text or CAP_NOTE.format(fc.max_function_calls_per_turn)
                await conversations.add_message(conversation_id, {"role": "assistant", "content": note})
                finish = "max_function_calls"
                break
            await execute_calls(calls, self.tools, parallel=fc.parallel_execution, timeout_s=fc.timeout_seconds)
            turn.calls.extend(calls)
            asked, answered = assistant_message(round_text, calls), tool_result_message(calls)
            await conversations.add_messages(conversation_id, (asked, answered))
            messages += (asked, answered)
            if bus.has_subscribers:
                bus.publish("function_calls", {"conversation_id": conversation_id, "provider": name,
                                               "calls": [call.to_dict() for call in calls]})
            chunk = LLMStreamChunk("function_calls", conversation_id=conversation_id, function_calls=calls)
            yield chunk

        response = LLMResponse(
            content=round_text, conversation_id=conversation_id, provider=name,
            model=deployment.model, usage=turn.usage, cost=turn.cost, function_calls=turn.calls,
            finish_reason=finish, reasoning="".join(turn.reasoning), model_calls=turn.model_calls,
            latency_s=time.monotonic() - started,
        )
        if key is not None and self.cache is not None and turn.chunks is not None and not turn.calls:
            await self.cache.put(key, CachedTurn(tuple(turn.chunks), response))
        self._completed(response)
        yield LLMStreamChunk("done", conversation_id=conversation_id, response=response)

    async def _model_call(
        self, name: str, router: Router, deployment: Any, system: str, messages: list[dict[str, Any]],
        metadata: dict[str, Any], turn: _Turn, text: list[str], assembler: CallAssembler, conversation_id: str,
    ) -> AsyncIterator[LLMStreamChunk]:
        """One request to the provider's router: text and reasoning chunks out, usage summed,
        tool calls assembled; an upstream failure raised typed (its original as ``__cause__``)."""
        bus = self.bus
        kept = turn.chunks
        turn.model_calls += 1
        inputs = outputs = cache_read = cache_write = 0
        total_cost: float | None = None
        try:
            async for chunk in router.create_message(system, messages, metadata):
                kind = chunk["type"]
                if kind == "text":
                    delta = chunk["text"]
                    if not delta:
                        continue
                    text.append(delta)
                    out = LLMStreamChunk("text", delta, conversation_id)
                    if kept is not None:
                        kept.append(out)
                    if bus.has_subscribers:
                        bus.publish("response_chunk", {"conversation_id": conversation_id, "delta": delta})
                    yield out
                elif kind == "usage":
                    inputs += chunk.get("inputTokens") or 0
                    outputs += chunk.get("outputTokens") or 0
                    cache_read += chunk.get("cacheReadTokens") or 0
                    cache_write += chunk.get("cacheWriteTokens") or 0
                    cost = chunk.get("totalCost")
                    if isinstance(cost, (int, float)):
                        total_cost = (total_cost or 0.0) + cost
                elif kind.startswith("tool_call"):
                    assembler.feed(chunk)
                elif kind == "reasoning" and chunk.get("text"):
                    turn.reasoning.append(chunk["text"])
                    out = LLMStreamChunk("reasoning", chunk["text"], conversation_id)
                    if kept is not None:
                        kept.append(out)
                    yield out
        except Exception as exc:
            await self._check_status(name, router)
            typed = gateway_errors.to_llm_error(exc, provider=name)
            if typed is None:
                raise
            raise typed from exc
        # the same arithmetic as the ledger's row (gateway.ledger.rows); priced when the
        # provider did not say what the call cost (OpenRouter's totalCost)
        if total_cost is None:
            tokens, cost = usage_cost(deployment.provider, deployment.model, deployment.info, inputs, outputs,
                                      cache_write, cache_read)
        else:
            tokens = usage_tokens(deployment.provider, deployment.model, inputs, outputs, cache_write, cache_read)
            cost = total_cost
        usage = turn.usage
        usage.input_tokens += inputs
        usage.output_tokens += outputs
        usage.cache_read_tokens += cache_read
        usage.cache_write_tokens += cache_write
        usage.total_tokens += tokens
        turn.cost += cost
        await self._check_status(name, router)

    async def _replay(self, hit: CachedTurn, conversation_id: str, started: float) -> AsyncIterator[LLMStreamChunk]:
        """A cached turn: the same chunks, nothing sent upstream; the answer stored as usual."""
        bus = self.bus
        for cached in hit.chunks:
            chunk = LLMStreamChunk(cached.type, cached.delta, conversation_id, cached.function_calls)
            if chunk.type == "text" and bus.has_subscribers:
                bus.publish("response_chunk", {"conversation_id": conversation_id, "delta": chunk.delta})
            yield chunk
        original: LLMResponse = hit.response
        if original.content:
            await self.conversations.add_message(conversation_id, {"role": "assistant", "content": original.content})
        response = LLMResponse(
            content=original.content, conversation_id=conversation_id, provider=original.provider,
            model=original.model, usage=Usage(), cost=0.0, function_calls=[], finish_reason=original.finish_reason,
            reasoning=original.reasoning, model_calls=0, cached=True, latency_s=time.monotonic() - started,
        )
        self._completed(response)
        yield LLMStreamChunk("done", conversation_id=conversation_id, response=response)

    def _completed(self, response: LLMResponse) -> None:
        session = self._session.setdefault(
            response.provider, {"responses": 0, "cached": 0, "total_tokens": 0, "cost_usd": 0.0, "function_calls": 0}
        )
        session["responses"] += 1
        session["cached"] += response.cached
        session["total_tokens"] += response.usage.total_tokens
        session["cost_usd"] += response.cost
        session["function_calls"] += len(response.function_calls)
        bus = self.bus
        if bus.has_subscribers:
            bus.publish("response_complete", {
                "conversation_id": response.conversation_id, "provider": response.provider,
                "model": response.model, "usage": response.usage.to_dict(), "cost": response.cost,
                "finish_reason": response.finish_reason, "function_calls": len(response.function_calls),
                "cached": response.cached, "latency_s": response.latency_s,
            })
            bus.publish("analytics_update", {"session": {name: dict(s) for name, s in self._session.items()}})

    async def _check_status(self, name: str, router: Router) -> None:
        """Publish ``provider_status_change`` when the provider's availability flipped."""
        available = all(entry["available"] for entry in (await router.health()).values())
        if available != self._available.get(name, True):
            self._available[name] = available
            if self.bus.has_subscribers:
                self.bus.publish("provider_status_change", {"provider": name, "available": available,
                                                            "previous": not available})

    async def _summarize(self, request: list[dict[str, Any]]) -> str:
        """The conversations' summariser (``context.summary_request``'s messages in, the
        summary out): one call to the default provider, no tools."""
        name = self.config.default_provider
        assert name is not None
        parts: list[str] = []
        try:
            async for chunk in self.routers[name].create_message(SUMMARY_SYSTEM, request, {"taskId": "summary"}):
                if chunk["type"] == "text":
                    parts.append(chunk["text"])
        except Exception as exc:
            typed = gateway_errors.to_llm_error(exc, provider=name)
            if typed is None:
                raise
            raise typed from exc
        return "".join(parts)

    # -- status and analytics -----------------------------------------------------------------

    def list_providers(self) -> list[dict[str, Any]]:
        """Each provider: name, provider, model, whether it is the default and available now."""
        out = []
        for name, router in self.routers.items():
            provider: ProviderConfig = self.config.providers[name]
            out.append({
                "name": name, "provider": provider.provider, "model": router.deployments[0].model,
                "default": name == self.config.default_provider,
                "available": router.stats()[name]["cooling_down"] is False,
            })
        return out

    async def get_provider_status(self, name: str) -> dict[str, Any]:
        """``Router.provider_status``: ``available``, ``model`` and, from the ledger,
        ``request_count``, ``total_tokens``, ``cost_usd``, ``error_rate``, ``p50_latency_s``."""
        if name not in self.routers:
            raise KeyError(f"no provider named {name!r}")
        router = self.routers[name]
        await self._check_status(name, router)
        status = await router.provider_status(name)
        return {"name": name, "provider": self.config.providers[name].provider, **status}

    async def get_analytics(self) -> dict[str, Any]:
        """From the ledger (every process sharing the database): conversations, requests,
        tokens and cost in total and per provider; the cache's hits and the events dropped."""
        report = await self.ledger.cost_report(group_by=("deployment",))
        providers: dict[str, Any] = {}
        for name in self.routers:
            totals = report.by_deployment.get(name)
            providers[name] = {
                "requests": totals.requests if totals else 0,
                "failed": totals.failed if totals else 0,
                "input_tokens": totals.input_tokens if totals else 0,
                "output_tokens": totals.output_tokens if totals else 0,
                "total_tokens": totals.total_tokens if totals else 0,
                "cost_usd": totals.cost_usd if totals else 0.0,
            }
        return {
            "conversations": await self.conversations.count_conversations(),
            "requests": sum(p["requests"] for p in providers.values()),
            "total_tokens": sum(p["total_tokens"] for p in providers.values()),
            "cost_usd": sum(p["cost_usd"] for p in providers.values()),
            "providers": providers,
            "cache": self.cache.stats() if self.cache is not None else None,
            "events_dropped": self.bus.dropped,
        }

    # -- lifetime -----------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Write what the ledger holds, close the stores, then the database they share (once).
        The handlers' connections are the process's (``providers.aclose()``)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.cache is not None:
                await self.cache.aclose()
            await self.conversations.aclose()
            await self.ledger.aclose()
        finally:
            await self.database.aclose()

    async def __aenter__(self) -> LLMManager:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _unique_ids(calls: list[FunctionCall], earlier: Sequence[FunctionCall]) -> None:
    """Give a call whose id an earlier call of the turn had a fresh one (Gemini numbers its
    calls per response: ``get_time-0`` in every round), so each result pairs with one call."""
    seen = {call.id for call in earlier}
    for call in calls:
        base, n = call.id, 1
        while call.id in seen:
            n += 1
            call.id = f"{base}-{n}"
        seen.add(call.id)



def _encode_turn(turn: CachedTurn) -> str:
    """A cached turn as JSON text (the database cache's entry); cached turns have no calls."""
    response: LLMResponse = turn.response
    return json.dumps({
        "chunks": [[chunk.type, chunk.delta] for chunk in turn.chunks],
        "response": {**response.to_dict(), "function_calls": []},
    }, ensure_ascii=False)


def _decode_turn(entry: str) -> CachedTurn:
    data = json.loads(entry)
    fields = data["response"]
    response = LLMResponse(**{**fields, "usage": Usage(**fields["usage"]), "function_calls": []})
    return CachedTurn(tuple(LLMStreamChunk(kind, delta) for kind, delta in data["chunks"]), response)
