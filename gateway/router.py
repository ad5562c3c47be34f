"""The router: one handler in front of several deployments of the port's handlers.

Ours (the reference has no router). A ``Router`` is a handler (``create_message``,
``complete_prompt``, ``get_model``, ``count_tokens``) that picks a deployment per request by a
strategy, fails over before the first chunk, retries itself (the deployments' handlers are built
with ``build_api_handler(settings, sdk_retries=False)``, so the SDKs' own retries do not multiply
its attempts; it waits with the SDKs' own backoff and ``retry-after`` rules), cools down failing
deployments, bounds the wait for each chunk, and never truncates a stream silently. Design notes:
LiteLLM's ``router_utils/cooldown_handlers.py`` (allowed fails per minute, retry-after cooldowns).

The hot path adds no per-delta work beyond a type check: after the first chunk each delta passes
through one ``async for`` with a chunk count; usage chunks are summed for the ``AttemptRecord``.
Timeouts are one watchdog timer per router, not a ``wait_for`` per chunk. The parts live in
``gateway.routing``: ``config`` (deployments, TOML), ``strategies``, ``failures`` (whose fault,
the SDKs' backoff), ``watchdog``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncGenerator, Callable, Iterable, Mapping, Sequence

from providers.sdk.retries import enabled as sdk_retries
from providers.utils.tiktoken import TOKEN_FUDGE_FACTOR, get_encoder, tiktoken

from .errors import AttemptTimedOut, NoDeploymentAvailable, StreamIncomplete, StreamInterrupted, retry_after_of
from .options import settings_with
from .routing.config import Deployment, build_deployment, load_config
from .routing.failures import (
    Retry,
    backoff_s,
    is_caller_error,
    is_context_window_error,
    status_of,
)
from .routing.strategies import STRATEGIES
from .routing.strategies import order as strategy_order
from .routing.watchdog import WATCHDOG_STEPS, Watchdog

__all__ = ["Router", "AttemptRecord", "Usage", "STRATEGIES", "is_context_window_error"]

logger = logging.getLogger("gateway.router")

FAIL_WINDOW_S = 60.0
"""``allowed_fails`` failures within this window put a deployment into cooldown."""
INLINE_COUNT_CHARS = 2000
"""Budget estimates of inputs up to this many characters of text are counted without the
handler's token-counting worker (about 60 µs of tiktoken at most, less than the hand-off)."""
TEXT_COUNTS = 4096
"""Token counts of this many texts (system prompts, messages) are kept for the next estimates:
a conversation sends its history again each turn, a strategy its prompt to several calls."""
_text_counts: dict[str, int] = {}  # text -> its tiktoken tokens before the fudge factor, oldest first
TTFC_EWMA_ALPHA = 0.3
"""Weight of the newest time-to-first-chunk in ``lowest_latency``'s moving average."""


# --- what each attempt leaves for the ledger -------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """Summed from the usage chunks an attempt yielded; ``total_cost`` None when none gave one."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    total_cost: float | None = None


@dataclass(frozen=True)
class AttemptRecord:
    """One attempt on one deployment, once it settled."""

    deployment: str
    provider: str
    model: str
    started_at: float  # time.time()
    latency_s: float
    ttfc_s: float | None  # None when no chunk came
    outcome: str  # "ok" | "error" | "interrupted"
    error_class: str | None
    status: int | None
    usage: Usage
    model_info: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)  # prices its row


# --- one attempt ----------------------------------------------------------------------------


class _Attempt:
    """An attempt in progress: what the watchdog looks at and what its record will hold."""

    __slots__ = (
        "deployment", "started", "ttfc", "fired", "task", "timeout", "gen", "pending",
        "mark", "watchdog", "input_tokens", "output_tokens", "cache_read", "cache_write", "cost",
        "usage_chunks",
    )

    def __init__(self, deployment: Deployment, timeout: float | None, gen: Any, watchdog: Watchdog | None) -> None:
        self.deployment = deployment
        self.started = time.monotonic()
        self.ttfc: float | None = None
        self.fired = False
        self.timeout = timeout
        self.input_tokens = self.output_tokens = self.cache_read = self.cache_write = 0
        self.cost: float | None = None
        self.usage_chunks = 0
        self.watchdog = watchdog if timeout and gen is not None else None
        deployment.state.requests += 1
        deployment.state.in_flight += 1
        if self.watchdog is not None:
            self.gen = gen
            self.task = asyncio.current_task()
            self.pending: Any = None
            self.mark = self.started
            self.watchdog.watch(self)

    def check(self, now: float) -> None:
        """The same step pending for ``timeout`` while the caller waits in it: cancel the wait."""
        pending = self.gen.ag_await
        if pending is None or pending is not self.pending:
            self.pending, self.mark = pending, now
        elif now - self.mark >= (self.timeout or 0.0):
            # (first seen at ``mark``: it began at most one tick before, never after)
            assert self.watchdog is not None
            self.watchdog.watched.discard(self)
            if self.task is not None and not self.task.done():
                self.fired = True
                self.task.cancel()

    def timed_out(self, cancelled: BaseException, chunks: int) -> AttemptTimedOut:
        """The watchdog's cancellation, turned into the attempt's error."""
        self.pending = None  # the cancelled step is not kept alive
        uncancel = getattr(self.task, "uncancel", None)  # Python 3.11+
        if uncancel is not None and uncancel() > 0:
            raise cancelled  # cancelled by someone else as well
        phase = "the first chunk" if chunks == 0 else "the next chunk"
        error = AttemptTimedOut(self.deployment.name, self.timeout or 0.0, phase)
        error.__cause__ = cancelled
        return error

    def add_usage(self, chunk: Mapping[str, Any]) -> None:
        self.usage_chunks += 1
        self.input_tokens += chunk.get("inputTokens") or 0
        self.output_tokens += chunk.get("outputTokens") or 0
        self.cache_read += chunk.get("cacheReadTokens") or 0
        self.cache_write += chunk.get("cacheWriteTokens") or 0
        cost = chunk.get("totalCost")
        if isinstance(cost, (int, float)):
            self.cost = (self.cost or 0.0) + cost

    def settle(self, outcome: str, error: BaseException | None, record: bool) -> AttemptRecord | None:
        """Close the attempt's books; its record when ``record`` (someone listens)."""
        if self.watchdog is not None:
            self.watchdog.watched.discard(self)
            self.pending = None
        deployment = self.deployment
        deployment.state.in_flight -= 1
        latency = time.monotonic() - self.started
        if outcome == "ok":
            deployment.state.latencies.append(latency)
        if self.ttfc is not None:
            deployment.state.ttfcs.append(self.ttfc)
            avg = deployment.state.ttfc_avg
            deployment.state.ttfc_avg = self.ttfc if avg is None else avg + TTFC_EWMA_ALPHA * (self.ttfc - avg)
        if not record:
            return None
        # the frozen dataclasses' fields set directly: their __init__ sets each field through
        # object.__setattr__, which costs several µs per attempt
        usage = object.__new__(Usage)
        usage.__dict__.update(
            input_tokens=self.input_tokens, output_tokens=self.output_tokens, cache_read_tokens=self.cache_read,
            cache_write_tokens=self.cache_write, total_cost=self.cost,
        )
        made = object.__new__(AttemptRecord)
        made.__dict__.update(
            deployment=deployment.name,
            provider=deployment.provider,
            model=deployment.model,
            started_at=time.time() - latency,
            latency_s=latency,
            ttfc_s=self.ttfc,
            outcome=outcome,
            error_class=type(error).__name__ if error is not None else None,
            status=status_of(error) if error is not None else None,
            usage=usage,
            model_info=deployment.info,
        )
        return made


class _Books:
    """One request's ledger business: its reservation (None without budgets), the records of
    its attempts, and whose they are."""

    __slots__ = ("reservation", "records", "strategy", "key_id")

    def __init__(self, reservation: Any, strategy: str | None, key_id: str | None) -> None:
        self.reservation = reservation
        self.records: list[AttemptRecord] = []
        self.strategy = strategy
        self.key_id = key_id


def _count_texts(texts: list[str]) -> int:
    """``tiktoken`` of text blocks (the handlers' ``count_tokens``: each text's tokens, summed,
    times the fudge factor, rounded up), each text counted once while it is among the last
    ``TEXT_COUNTS`` counted."""
    total = 0
    for text in texts:
        count = _text_counts.get(text)
        if count is None:
            count = len(get_encoder().encode_ordinary(text)) if text else 0
            if len(_text_counts) >= TEXT_COUNTS:
                del _text_counts[next(iter(_text_counts))]
            _text_counts[text] = count
        total += count
    return math.ceil(total * TOKEN_FUDGE_FACTOR)


def _ended_normally(provider: str, attempt: _Attempt, last: Any) -> bool:
    """Did the stream end the way the provider ends one, not merely stop?

    anthropic: the handler yields message_start's usage, message_delta's and, after the SDK's
    stream, the cost (three usage chunks; a body that stops early still gets the cost chunk);
    every other handler yields its usage chunk last, from the stream's final event (OpenAI-style
    ``include_usage`` chunk before ``[DONE]``, Bedrock ``metadata``, Gemini's last
    ``usageMetadata``; anthropic-vertex's message_delta).
    """
    if provider == "anthropic":
        return attempt.usage_chunks >= 3
    return isinstance(last, dict) and last.get("type") == "usage"


def _is_bedrock_error_preamble(held: list[dict[str, Any]], chunk: Mapping[str, Any]) -> bool:
    """bedrock.ts yields ``Error: …`` and a zero usage chunk before it throws (not a reply)."""
    if not held:
        return chunk.get("type") == "text" and str(chunk.get("text", "")).startswith("Error: ")
    return len(held) == 1 and chunk.get("type") == "usage" and not chunk.get("inputTokens") and not chunk.get("outputTokens")


# --- the router -------------------------------------------------------------------------------


class Router:
    """Routes each request to one of ``deployments`` (see the module docstring and README)."""

    def __init__(
        self,
        deployments: Sequence[Mapping[str, Any]],
        *,
        strategy: str = "primary",
        fallback: bool = True,
        max_retries: int = 2,
        timeout_s: float | None = 300.0,
        cooldown_s: float = 5.0,
        allowed_fails: int = 3,
        seed: int | None = None,
        context_window_fallbacks: Mapping[str, Sequence[str]] | None = None,
        sdk_retries: bool = False,
        on_attempt: Callable[[AttemptRecord], Any] | Iterable[Callable[[AttemptRecord], Any]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        ledger: Any = None,
        budgets: Iterable[Any] | None = None,
    ) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r}; one of {', '.join(STRATEGIES)}")
        if not deployments:
            raise ValueError("a router needs at least one deployment")
        built = [build_deployment(spec, i, sdk_retries) for i, spec in enumerate(deployments)]
        names = [d.name for d in built]
        if len(set(names)) != len(names):
            raise ValueError(f"deployment names must be unique: {names}")
        for source, targets in (context_window_fallbacks or {}).items():
            for name in (source, *targets):
                if name not in names:
                    raise ValueError(f"context_window_fallbacks names an unknown deployment {name!r}")
        self.strategy = strategy
        self.fallback = fallback
        self.max_retries = max_retries
        self.timeout_s = timeout_s
        self.cooldown_s = cooldown_s
        self.allowed_fails = allowed_fails
        self.context_window_fallbacks = {k: list(v) for k, v in (context_window_fallbacks or {}).items()}
        self.sdk_retries = sdk_retries
        self.ledger = ledger  # a gateway.ledger.Ledger: every attempt is recorded there
        self.budgets = tuple(budgets or ())  # gateway.ledger.Budget: reserved before each request
        if self.budgets and ledger is None:
            raise ValueError("budgets need a ledger (Router(..., ledger=Ledger(...), budgets=[...]))")
        self._budget_units: dict[tuple[str, str | None], frozenset[str]] = {}  # by deployment, key id
        if on_attempt is None:
            self._listeners: list[Callable[[AttemptRecord], Any]] = []
        elif callable(on_attempt):
            self._listeners = [on_attempt]
        else:
            self._listeners = list(on_attempt)
        self._clock = clock
        self._random = random.Random(seed)
        self._rr = [0]  # shared with the views of for_model
        timeouts = [t for t in (timeout_s, *(d.timeout_s for d in built)) if t]
        self._watchdog = Watchdog(min(timeouts) / WATCHDOG_STEPS if timeouts else 1.0)
        self._all = built
        self.deployments = built

    # -- configuration --

    @classmethod
    def from_config(cls, source: str | Path | Mapping[str, Any], **overrides: Any) -> Router:
        """A router from a TOML file (its path) or the same tables as a dict: ``[router]`` (the
        keyword arguments), ``[[deployments]]``, and optionally ``[ledger]`` (``url``) and
        ``[[budgets]]`` (``gateway.routing.config``)."""
        deployments, options = load_config(source)
        options.update(overrides)
        return cls(deployments, **options)

    def for_model(self, name: str) -> Router:
        """This router restricted to the deployment ``name`` or the deployments of group ``name``
        (state, stats and listeners shared)."""
        chosen = [d for d in self._all if d.name == name or d.group == name]
        if not chosen:
            raise NoDeploymentAvailable(f"no deployment or group named {name!r}", None)
        view = object.__new__(Router)
        view.__dict__.update(self.__dict__)
        view.deployments = chosen
        return view

    def with_options(self, temperature: float | None = None, max_tokens: int | None = None) -> Router:
        """This router at per-call options (``gateway.options.with_options``, what a strategy
        asks for): its deployments' handlers built again from copies of their settings at that
        temperature and output limit. Listeners, ledger, budgets and the deployments' run-time
        state (``DeploymentState``: cooldowns, stats) are shared: a failure at one set of options
        cools the deployment down for all, and ``stats``/``health`` of any view see it."""
        if temperature is None and max_tokens is None:
            return self
        view = object.__new__(Router)
        view.__dict__.update(self.__dict__)
        by_name = {}
        for d in self._all:
            spec = {"name": d.name, "settings": settings_with(d.settings, temperature, max_tokens),
                    "priority": d.priority, "group": d.group, "timeout_s": d.timeout_s}
            built = by_name[d.name] = build_deployment(spec, d.index, self.sdk_retries)
            built.state = d.state
        view._all = list(by_name.values())
        view.deployments = [by_name[d.name] for d in self.deployments]
        return view

    # -- choosing --

    def _candidates(self) -> list[Deployment]:
        """The deployments not cooling down, in the strategy's order; fail fast when none."""
        now = self._clock()
        ready = [d for d in self.deployments if d.state.cool_until <= now]
        if not ready:
            earliest = min(d.state.cool_until for d in self.deployments)
            available_at = time.time() + (earliest - now)
            raise NoDeploymentAvailable(
                f"every deployment is cooling down ({', '.join(d.name for d in self.deployments)}); "
                f"the first is available again in {earliest - now:.3f} s",
                available_at,
            )
        return strategy_order(self.strategy, ready, self.deployments, self._rr, self._random)

    def _next(self, order: list[Deployment], failed: Deployment, tried: set[str]) -> Deployment | None:
        """Who gets the next attempt: the next untried deployment in order (when falling back),
        else one already tried that is not cooling down, ``failed`` first."""
        now = self._clock()
        if self.fallback:
            for d in order:
                if d.name not in tried and d.state.cool_until <= now:
                    return d
        if failed.state.cool_until <= now:
            return failed
        if self.fallback:
            for d in order:
                if d.state.cool_until <= now:
                    return d
        return None

    def _context_fallbacks(self, failed: Deployment) -> list[Deployment]:
        names = self.context_window_fallbacks.get(failed.name) or []
        now = self._clock()
        by_name = {d.name: d for d in self._all}
        return [by_name[n] for n in names if by_name[n].state.cool_until <= now]

    # -- bookkeeping --

    def _failed(self, deployment: Deployment, error: BaseException) -> None:
        """Count a failure; cool down after ``allowed_fails`` in a minute or on a 429's retry-after."""
        now = self._clock()
        deployment.state.failures += 1
        fails = deployment.state.fail_times
        fails.append(now)
        while fails and fails[0] <= now - FAIL_WINDOW_S:
            fails.popleft()
        retry_after = retry_after_of(error) if status_of(error) == 429 else None
        if retry_after is None and len(fails) < self.allowed_fails:
            return
        duration = max(self.cooldown_s, retry_after or 0.0)
        deployment.state.cool_until = max(deployment.state.cool_until, now + duration)
        deployment.state.cooldowns += 1
        fails.clear()
        logger.debug(
            "deployment %s cools down for %.3f s (%s)", deployment.name, duration,
            "retry-after" if retry_after is not None else f"{self.allowed_fails} failures within {FAIL_WINDOW_S:g} s",
        )

    def _settle(self, attempt: _Attempt, outcome: str, error: BaseException | None, books: _Books | None) -> None:
        record = attempt.settle(outcome, error, books is not None or bool(self._listeners))
        if record is None:
            return
        if books is not None:
            books.records.append(record)
        for listener in self._listeners:
            try:
                listener(record)
            except Exception:
                logger.exception("on_attempt listener %r failed", listener)

    async def _open_books(
        self, deployment: Deployment, system_prompt: str, messages: list[dict[str, Any]],
        metadata: Mapping[str, Any] | None, key_id: str | None,
    ) -> _Books:
        """Reserve the request's estimate against the budgets that apply (``BudgetExceeded``
        before anything is sent): the handler's ``count_tokens`` of the input plus the model's
        output cap (``maxTokens``), priced with its model info when a USD budget applies; no
        estimate when none applies. An input of up to ``INLINE_COUNT_CHARS`` characters not
        counted lately is counted here by the function that count runs on its worker (the same
        number, without the thread hand-off; texts counted lately are not counted again).
        ``key_id`` (else the metadata's) is a caller's key id, never a key; the metadata's
        ``strategy`` names a strategy's call."""
        strategy = metadata.get("strategy") if metadata else None
        if key_id is None and metadata:
            key_id = metadata.get("key_id")
        units = self._budget_units.get((deployment.name, key_id)) if self.budgets else ()
        if units is None:
            if len(self._budget_units) >= 4096:  # (key ids are the callers')
                self._budget_units.clear()
            units = self._budget_units[(deployment.name, key_id)] = self.ledger.budget_units(
                self.budgets, deployment.name, key_id
            )
        if not units:  # no budget applies: nothing to estimate or reserve
            return _Books(None, strategy, key_id)
        texts = [system_prompt] if system_prompt else []
        blocks = False  # a message with content blocks
        for message in messages:
            part = message.get("content")
            if isinstance(part, str):
                texts.append(part)
            elif part:
                blocks = True
        if not blocks and sum([len(text) for text in texts if text not in _text_counts]) <= INLINE_COUNT_CHARS:
            input_tokens = _count_texts(texts)
        else:
            content: list[dict[str, Any]] = [{"type": "text", "text": system_prompt}] if system_prompt else []
            for message in messages:
                part = message.get("content")
                content.extend([{"type": "text", "text": part}] if isinstance(part, str) else part or [])
            chars = sum(len(block.get("text") or "") if block.get("type") == "text" else INLINE_COUNT_CHARS for block in content)
            if chars <= INLINE_COUNT_CHARS:
                input_tokens = tiktoken(content)
            else:
                input_tokens = await deployment.handler.count_tokens(content)
        output_tokens = deployment.max_tokens
        if "usd" in units:
            from .ledger import usage_cost

            tokens, usd = usage_cost(deployment.provider, deployment.model, deployment.info, input_tokens, output_tokens)
        else:  # usage_cost's total without cache tokens, for either protocol
            tokens, usd = input_tokens + output_tokens, 0.0
        reservation = await self.ledger.reserve(
            self.budgets, deployment=deployment.name, key_id=key_id,
            tokens_estimate=tokens, usd_estimate=usd,
        )
        return _Books(reservation, strategy, key_id)

    def _close_books(self, books: _Books) -> None:
        """Record the attempts (every failover attempt counts) and settle the reservation with
        them, off the request path: queued now, committed with the ledger's next batch."""
        ledger = self.ledger
        if books.reservation is None:
            for record in books.records:
                ledger.record(record, strategy=books.strategy, key_id=books.key_id)
        else:  # no attempt (cancelled before one began): the estimate is given back
            ledger.settle_nowait(books.reservation, *books.records, strategy=books.strategy)

    def _timeout(self, deployment: Deployment) -> float | None:
        return deployment.timeout_s if deployment.timeout_s is not None else self.timeout_s

    async def _after_failure(
        self, order: list[Deployment], deployment: Deployment, error: BaseException, retry: Retry
    ) -> tuple[list[Deployment], Deployment]:
        """Decide the next attempt after a failure before the first chunk, or raise ``error``."""
        retry.attempts += 1
        retry.tried.add(deployment.name)
        attempt_no, tried = retry.attempts, retry.tried
        if is_caller_error(error):
            raise error
        if is_context_window_error(error):
            fallbacks = self._context_fallbacks(deployment)
            fallbacks = [d for d in fallbacks if d.name not in tried]
            if not fallbacks or attempt_no > self.max_retries:
                raise error
            logger.debug("context-length error on %s: to %s", deployment.name, fallbacks[0].name)
            return fallbacks, fallbacks[0]
        self._failed(deployment, error)
        if attempt_no > self.max_retries:
            raise error
        following = self._next(order, deployment, tried)
        if following is None:
            raise error
        if following.name in tried:
            delay = backoff_s(following, error, self.max_retries, retry)
            if delay is None:
                raise error
            logger.debug("retrying %s in %.3f s (attempt %d)", following.name, delay, attempt_no + 1)
            await asyncio.sleep(delay)
        else:
            logger.debug("failing over from %s to %s (attempt %d)", deployment.name, following.name, attempt_no + 1)
        return order, following

    # -- the handler interface --

    def create_message(
        self, system_prompt: str, messages: list[dict[str, Any]], metadata: dict[str, Any] | None = None,
        *, key_id: str | None = None,
    ) -> AsyncGenerator[dict[str, Any], None]:
        """The chosen deployment's chunks, unchanged; failover before the first chunk only.
        With a ledger: ``key_id`` (else ``metadata["key_id"]``) is the caller's key id for its
        budgets and rows, and ``metadata["strategy"]`` the strategy a call belongs to."""
        me: list[AsyncGenerator[dict[str, Any], None]] = []
        stream = self._stream(me, system_prompt, messages, metadata, key_id)
        me.append(stream)  # the watchdog looks at it
        return stream

    async def _stream(
        self, me: list[AsyncGenerator[dict[str, Any], None]], system_prompt: str,
        messages: list[dict[str, Any]], metadata: dict[str, Any] | None, key_id: str | None,
    ) -> AsyncGenerator[dict[str, Any], None]:
        order = self._candidates()
        books = None
        if self.ledger is not None:
            books = await self._open_books(order[0], system_prompt, messages, metadata, key_id)
        try:
            deployment = order[0]
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("create_message: %s order %s", self.strategy, [d.name for d in order])
            retry: Retry | None = None
            chunk: Any = None
            while True:
                attempt = _Attempt(deployment, self._timeout(deployment), me[0], self._watchdog)
                stream = deployment.streamer.create_message(system_prompt, messages, metadata)
                held: list[dict[str, Any]] = []
                bedrock = deployment.provider == "bedrock"
                retries_off = deployment.retries_off
                step = stream.__anext__
                error: BaseException | None = None
                chunk = None
                # until the first chunk: any failure may go elsewhere
                try:
                    while True:
                        if retries_off:
                            token = sdk_retries.set(False)
                            try:
                                chunk = await step()
                            finally:
                                sdk_retries.reset(token)
                        else:
                            chunk = await step()
                        if chunk["type"] == "usage":
                            attempt.add_usage(chunk)
                        if bedrock and _is_bedrock_error_preamble(held, chunk):
                            held.append(chunk)
                            continue
                        break
                except StopAsyncIteration:
                    if held:  # it was the reply after all
                        chunk = None
                    else:
                        error = StreamIncomplete(deployment.name, 0)
                except asyncio.CancelledError as cancelled:
                    if not attempt.fired:
                        await stream.aclose()
                        self._settle(attempt, "interrupted", cancelled, books)
                        raise
                    error = attempt.timed_out(cancelled, 0)
                except Exception as exc:
                    error = exc
                if error is not None:
                    await stream.aclose()
                    self._settle(attempt, "error", error, books)
                    logger.debug("attempt on %s failed before the first chunk: %s (status %s)",
                                 deployment.name, type(error).__name__, status_of(error))
                    retry = retry or Retry()
                    order, deployment = await self._after_failure(order, deployment, error, retry)
                    continue
                break
            # the first chunk has come: from here on, a failure is the caller's to see
            attempt.ttfc = time.monotonic() - attempt.started
            if retry is not None:
                retry.succeeded(deployment)
            return_error: BaseException | None = None
            outcome = "ok"
            n = 0  # chunks the caller has received
            try:
                for early in held:
                    n += 1
                    yield early
                if chunk is not None:
                    n += 1
                    yield chunk
                    try:
                        # the hot path: a type check and a count per delta
                        async for chunk in stream:
                            if chunk["type"] == "usage":
                                attempt.add_usage(chunk)
                            n += 1
                            yield chunk
                    except asyncio.CancelledError as cancelled:
                        if not attempt.fired:
                            raise
                        return_error = attempt.timed_out(cancelled, n)
                    except Exception as exc:
                        return_error = exc
                last = chunk if chunk is not None else held[-1]
                if return_error is None and not _ended_normally(deployment.provider, attempt, last):
                    return_error = StreamIncomplete(deployment.name, n)
                if return_error is not None:
                    outcome = "interrupted"
                    self._failed(deployment, return_error)
                    logger.debug("stream from %s broke after %d chunk(s): %s", deployment.name, n,
                                 type(return_error).__name__)
                    raise StreamInterrupted(deployment.name, n) from return_error
            except BaseException as stop:
                if return_error is None:  # the caller went away (break, aclose, cancel)
                    outcome = "interrupted"
                    return_error = stop
                raise
            finally:
                if stream.ag_frame is not None:  # not run to its end: close it (its connection)
                    await stream.aclose()
                self._settle(attempt, outcome, return_error, books)
        finally:
            if books is not None:
                self._close_books(books)

    async def complete_prompt(self, prompt: str, *, key_id: str | None = None) -> str:
        """The first deployment that answers; the same failover, retries and cooldowns (and the
        same ledger business as ``create_message``)."""
        order = self._candidates()
        books = None
        if self.ledger is not None:
            books = await self._open_books(order[0], prompt, [], None, key_id)
        try:
            deployment = order[0]
            retry: Retry | None = None
            while True:
                timeout = self._timeout(deployment)
                attempt = _Attempt(deployment, None, None, None)
                try:
                    if timeout:
                        try:
                            text: str = await asyncio.wait_for(deployment.handler.complete_prompt(prompt), timeout)
                        except asyncio.TimeoutError as exc:
                            raise AttemptTimedOut(deployment.name, timeout, "the answer") from exc
                    else:
                        text = await deployment.handler.complete_prompt(prompt)
                except asyncio.CancelledError as cancelled:
                    self._settle(attempt, "interrupted", cancelled, books)
                    raise
                except Exception as error:
                    self._settle(attempt, "error", error, books)
                    retry = retry or Retry()
                    order, deployment = await self._after_failure(order, deployment, error, retry)
                    continue
                attempt.ttfc = time.monotonic() - attempt.started
                self._settle(attempt, "ok", None, books)
                if retry is not None:
                    retry.succeeded(deployment)
                return text
        finally:
            if books is not None:
                self._close_books(books)

    def get_model(self) -> dict[str, Any]:
        """The model of the first deployment (the primary)."""
        model: dict[str, Any] = self.deployments[0].handler.get_model()
        return model

    async def count_tokens(self, content: list[dict[str, Any]]) -> int:
        count: int = await self.deployments[0].handler.count_tokens(content)
        return count

    # -- observing --

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per deployment: requests (attempts), failures, cooldowns, in flight, whether cooling
        down, latency and time-to-first-chunk percentiles (seconds, of the last 1,000)."""
        now = self._clock()
        return {
            d.name: {
                "requests": d.state.requests,
                "failures": d.state.failures,
                "cooldowns": d.state.cooldowns,
                "in_flight": d.state.in_flight,
                "cooling_down": d.state.cool_until > now,
                "latency_s": _percentiles(d.state.latencies),
                "ttfc_s": _percentiles(d.state.ttfcs),
            }
            for d in self.deployments
        }

    async def health(self) -> dict[str, dict[str, Any]]:
        """Which deployments are available now (nothing is sent): ``available``, and when a
        cooling one is back (``available_at``, ``time.time()`` seconds)."""
        now = self._clock()
        return {
            d.name: {
                "available": d.state.cool_until <= now,
                "available_at": None if d.state.cool_until <= now else time.time() + (d.state.cool_until - now),
                "in_flight": d.state.in_flight,
            }
            for d in self.deployments
        }

    async def provider_status(self, name: str) -> dict[str, Any]:
        """One deployment's status: ``available`` (not cooling down) and ``model`` from live
        state; ``request_count`` (attempts), ``total_tokens``, ``cost_usd``, ``error_rate`` and
        ``p50_latency_s`` from the ledger's ``deployment_stats`` (every instance sharing it), or
        from this router's own counters without a ledger (tokens and cost then None)."""
        by_name = {d.name: d for d in self._all}
        if name not in by_name:
            raise KeyError(f"no deployment named {name!r}")
        d = by_name[name]
        status: dict[str, Any] = {"available": d.state.cool_until <= self._clock(), "model": d.model}
        if self.ledger is None:
            status.update(
                request_count=d.state.requests, total_tokens=None, cost_usd=None,
                error_rate=d.state.failures / d.state.requests if d.state.requests else 0.0,
                p50_latency_s=_percentiles(d.state.latencies)["p50"],
            )
            return status
        stats = await self.ledger.deployment_stats(name)
        status.update(
            request_count=stats.request_count, total_tokens=stats.total_tokens, cost_usd=stats.cost_usd,
            error_rate=stats.error_rate, p50_latency_s=stats.p50_latency_s,
        )
        return status

    async def analytics(self) -> dict[str, dict[str, Any]]:
        """``provider_status`` of every deployment, by name."""
        return {d.name: await self.provider_status(d.name) for d in self.deployments}


def _percentiles(samples: Iterable[float]) -> dict[str, float | None]:
    ordered = sorted(samples)
    if not ordered:
        return {"p50": None, "p90": None, "p99": None}

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99)}
