"""Adaptive rate limiting: an opt-in layer of this port (the reference has none in ``src/api``).

``build_api_handler(settings, limiter=AdaptiveLimiter(...))`` gives a handler a limiter; without
one nothing changes. A limited handler awaits its turn before every HTTP attempt it makes to the
model API (the transport asks the limiter; token and model-list requests are not limited) and
tells the limiter what each response said:

- rate-limit headers (OpenAI ``x-ratelimit-{limit,remaining,reset}-requests``, Anthropic
  ``anthropic-ratelimit-requests-{limit,remaining,reset}``, ``retry-after``/``retry-after-ms``)
  let it learn the upstream's real rate and slow down before it is refused;
- a 429 (or an AWS ``ThrottlingException``) lowers its rate (multiplicative decrease, or the
  accepted rate it measured, whichever is lower) and holds every waiter until the moment the
  upstream named (``retry-after``, the reset header, a Google ``retryDelay``); after a quiet
  stretch the rate climbs back (additive increase) up to the configured ceiling;
- the throttled request is not surfaced: it waits its turn and is sent again, as long as it can
  still be served within ``max_wait_s`` of its first attempt. Past that, the caller gets the
  reference's error for that response, unchanged. Only the response head is ever retried, so a
  stream that yielded chunks never is.

The limiter is a token bucket (``burst`` tokens, refilled at the current rate) with a FIFO queue
served by one dispatcher task; a cancelled waiter leaves the queue, and a waiter cancelled after
it was granted a token gives the token back. Written here rather than taken from ``aiolimiter``
(whose rate is fixed at construction and whose waiters are not served in order) or ``limits``
(synchronous storage, no waiting).
"""

from __future__ import annotations

import asyncio
import collections
import email.utils
import json
import logging
import math
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from multidict import CIMultiDict, CIMultiDictProxy

from .sdk import transport
from .js.jsonjs import js_get

logger = logging.getLogger(__name__)

MIN_RATE_FRACTION = 0.01
"""The rate never drops below this share of the ceiling."""
DECREASE_FACTOR = 0.7
"""Multiplicative decrease on a refusal."""
INCREASE_FRACTION = 0.05
"""Additive increase per quiet stretch, as a share of the ceiling."""
QUIET_S = 1.0
"""A stretch without refusals after which the rate climbs one step."""
ACCEPTED_WINDOW_S = 1.0
"""The window over which the accepted rate is measured."""

current = transport.current_limiter
"""The limiter of the handler call in progress (set by the limited handler around each step)."""


@dataclass
class LimiterStats:
    """What ``AdaptiveLimiter.stats()`` reports."""

    rate_per_minute: float
    ceiling_per_minute: float
    requests_sent: int
    waits: int
    wait_seconds: float
    throttled: int
    resent: int
    given_up: int
    queued: int


class AdaptiveLimiter:
    """A FIFO token bucket whose rate follows what the upstream says (see the module docstring)."""

    def __init__(
        self,
        requests_per_minute: float,
        *,
        tokens_per_minute: float | None = None,
        burst: int = 1,
        max_wait_s: float = 120.0,
    ) -> None:
        if not isinstance(requests_per_minute, (int, float)) or not requests_per_minute > 0:
            raise ValueError(f"requests_per_minute must be a positive number, got {requests_per_minute!r}")
        if tokens_per_minute is not None and not tokens_per_minute > 0:
            raise ValueError(f"tokens_per_minute must be a positive number or None, got {tokens_per_minute!r}")
        if not isinstance(burst, int) or burst < 1:
            raise ValueError(f"burst must be an integer >= 1, got {burst!r}")
        if not isinstance(max_wait_s, (int, float)) or not max_wait_s >= 0:
            raise ValueError(f"max_wait_s must be >= 0, got {max_wait_s!r}")
        self.max_wait_s = float(max_wait_s)
        self.burst = burst
        self._ceiling = requests_per_minute / 60.0
        self._rate = self._ceiling
        self._tokens = float(burst)
        self._updated = time.monotonic()
        self._hold_until = 0.0
        self._last_refusal = -math.inf
        self._first_accepted = -math.inf
        self._last_increase = time.monotonic()
        self._accepted: collections.deque[float] = collections.deque()
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._dispatcher: asyncio.Task[None] | None = None
        self._token_budget = (
            _TokenBudget(tokens_per_minute / 60.0) if tokens_per_minute is not None else None
        )
        self._sent = self._waits = self._throttled = self._resent = self._given_up = 0
        self._wait_seconds = 0.0

    # --- waiting for a turn -------------------------------------------------------------------

    async def acquire(self, estimated_tokens: int = 0, max_wait_s: float | None = None) -> bool:
        """Wait for this request's turn (first come, first served).

        Returns ``False``, at once or after ``max_wait_s``, when the turn would come later than
        that (the caller then sends anyway and gets the upstream's own answer).
        """
        now = time.monotonic()
        if not self._waiters and now >= self._hold_until:
            self._refill(now)
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                if self._token_budget is not None:
                    await self._spend_tokens(estimated_tokens)
                self._sent += 1
                return True
        if max_wait_s is not None and self._hold_until - now > max_wait_s:
            return False
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = loop.create_task(self._dispatch())
        self._waits += 1
        try:
            if max_wait_s is None:
                await waiter
            else:
                await asyncio.wait_for(asyncio.shield(waiter), max(0.0, max_wait_s))
        except (asyncio.CancelledError, asyncio.TimeoutError) as stop:
            if waiter.done() and not waiter.cancelled():
                if isinstance(stop, asyncio.TimeoutError):  # granted just in time
                    await self._spend_tokens(estimated_tokens)
                    self._sent += 1
                    return True
                self._tokens = min(float(self.burst), self._tokens + 1.0)  # granted, not used
            else:
                waiter.cancel()
                try:
                    self._waiters.remove(waiter)
                except ValueError:
                    pass
            if not self._waiters and self._dispatcher is not None:
                self._dispatcher.cancel()  # nobody left to serve
                self._dispatcher = None
            if isinstance(stop, asyncio.TimeoutError):
                return False
            raise
        finally:
            self._wait_seconds += time.monotonic() - now
        await self._spend_tokens(estimated_tokens)
        self._sent += 1
        return True

    async def _spend_tokens(self, estimated_tokens: int) -> None:
        if self._token_budget is not None and estimated_tokens > 0:
            await self._token_budget.spend(estimated_tokens)

    def _refill(self, now: float) -> None:
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    async def _dispatch(self) -> None:
        """Grant tokens to the queue in order, at the current rate, honouring holds."""
        while self._waiters:
            now = time.monotonic()
            if now < self._hold_until:
                await asyncio.sleep(self._hold_until - now)
                continue
            self._refill(now)
            if self._tokens < 1.0:
                await asyncio.sleep((1.0 - self._tokens) / self._rate)
                continue
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._tokens -= 1.0
                waiter.set_result(None)
        self._dispatcher = None

    # --- learning from responses ----------------------------------------------------------------

    def observe(self, status: int, headers: Mapping[str, str], body: bytes | None = None) -> float | None:
        """Learn from a response head (and, for a refusal, its body).

        Returns ``None`` for a response that is not a refusal, else the seconds to wait before the
        request may be sent again.
        """
        now = time.monotonic()
        if not isinstance(headers, (CIMultiDict, CIMultiDictProxy)):
            headers = CIMultiDict(headers)  # names are looked up case-insensitively
        if (
            headers.get("x-ratelimit-remaining-requests") is not None
            or headers.get("anthropic-ratelimit-requests-remaining") is not None
        ):
            self._learn_from_headers(headers, now)
        if not is_throttled(status, headers):
            if self._first_accepted == -math.inf:
                self._first_accepted = now
            self._accepted.append(now)
            self._maybe_increase(now)
            return None
        self._throttled += 1
        wait = _retry_after_s(headers)
        if wait is None:
            wait = _body_retry_delay_s(body)
        if wait is None:
            wait = _reset_s(headers)
        self._decrease(now)
        if wait is None or wait <= 0:
            wait = 1.0 / self._rate
        self._hold(now + wait)
        return wait

    def _learn_from_headers(self, h: Mapping[str, str], now: float) -> None:
        limit = _number(h.get("x-ratelimit-limit-requests") or h.get("anthropic-ratelimit-requests-limit"))
        remaining = _number(
            h.get("x-ratelimit-remaining-requests") or h.get("anthropic-ratelimit-requests-remaining")
        )
        reset = _reset_s(h)
        if remaining is None or reset is None:
            return
        if limit is not None and remaining < limit and reset > 0:
            learned = (limit - remaining) / reset  # the refill rate of the upstream's bucket
            if learned < self._rate:
                self._set_rate(learned, "learned from rate-limit headers")
        if remaining <= 0:
            self._hold(now + (reset / max(1.0, (limit or 1.0) - remaining) if limit else reset))

    def _decrease(self, now: float) -> None:
        """Just under the rate the upstream accepted lately, when that is known; else ×0.7."""
        measured = self._accepted_rate(now)
        if measured is not None and measured * 0.95 < self._rate:
            target = measured * 0.95
        else:
            target = self._rate * DECREASE_FACTOR
        self._last_refusal = now
        self._set_rate(target, "refused by the upstream")

    def _forget_old_accepts(self, now: float) -> None:
        while self._accepted and self._accepted[0] < now - ACCEPTED_WINDOW_S:
            self._accepted.popleft()

    def _accepted_rate(self, now: float) -> float | None:
        self._forget_old_accepts(now)
        if len(self._accepted) < 3:
            return None
        span = min(ACCEPTED_WINDOW_S, now - self._first_accepted)
        return len(self._accepted) / span if span >= ACCEPTED_WINDOW_S / 4 else None

    def _maybe_increase(self, now: float) -> None:
        self._forget_old_accepts(now)
        if self._rate >= self._ceiling or now - max(self._last_refusal, self._last_increase) < QUIET_S:
            return
        self._last_increase = now
        self._set_rate(self._rate + self._ceiling * INCREASE_FRACTION, "quiet stretch")

    def _set_rate(self, rate: float, why: str) -> None:
        rate = max(self._ceiling * MIN_RATE_FRACTION, min(self._ceiling, rate))
        if rate != self._rate:
            self._refill(time.monotonic())
            logger.debug("rate %.2f -> %.2f requests/min (%s)", self._rate * 60, rate * 60, why)
            self._rate = rate

    def _hold(self, until: float) -> None:
        if until > self._hold_until:
            self._hold_until = until
            self._tokens = min(self._tokens, 0.0)

    # --- bookkeeping for the transport ------------------------------------------------------------

    def note_resent(self) -> None:
        self._resent += 1

    def note_given_up(self) -> None:
        self._given_up += 1

    def stats(self) -> LimiterStats:
        return LimiterStats(
            rate_per_minute=self._rate * 60,
            ceiling_per_minute=self._ceiling * 60,
            requests_sent=self._sent,
            waits=self._waits,
            wait_seconds=self._wait_seconds,
            throttled=self._throttled,
            resent=self._resent,
            given_up=self._given_up,
            queued=len(self._waiters),
        )


class _TokenBudget:
    """A plain token bucket for ``tokens_per_minute`` (one minute of burst)."""

    def __init__(self, rate: float) -> None:
        self._rate = rate
        self._capacity = rate * 60.0
        self._level = self._capacity
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def spend(self, tokens: int) -> None:
        async with self._lock:
            cost = min(float(tokens), self._capacity)
            while True:
                now = time.monotonic()
                self._level = min(self._capacity, self._level + (now - self._updated) * self._rate)
                self._updated = now
                if self._level >= cost:
                    self._level -= cost
                    return
                await asyncio.sleep((cost - self._level) / self._rate)


def is_throttled(status: int, headers: Mapping[str, str]) -> bool:
    """A 429, or an AWS throttling error under another status."""
    if status < 400:
        return False
    if status == 429:
        return True
    error_type = headers.get("x-amzn-errortype", "")
    return error_type.split(":", 1)[0] in _THROTTLING_ERROR_TYPES


_THROTTLING_ERROR_TYPES = frozenset({"ThrottlingException", "TooManyRequestsException"})


def estimate_tokens(body: bytes | None) -> int:
    """A request's token cost, roughly (four bytes of JSON per token)."""
    return len(body) // 4 if body else 0


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_DURATION_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def _duration_s(text: str) -> float | None:
    """OpenAI's ``6m0s`` / ``1.5s`` / ``120ms``; an RFC 3339 time (Anthropic); plain seconds."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if parts and "".join(f"{n}{u}" for n, u in parts) == text:
        return sum(float(n) * _DURATION_UNIT_S[u] for n, u in parts)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return max(0.0, moment.timestamp() - time.time())
    except ValueError:
        return None


def _reset_s(h: Mapping[str, str]) -> float | None:
    text = h.get("x-ratelimit-reset-requests") or h.get("anthropic-ratelimit-requests-reset")
    return _duration_s(text) if text else None


def _retry_after_s(h: Mapping[str, str]) -> float | None:
    if "retry-after-ms" in h:
        value = _number(h["retry-after-ms"])
        if value is not None and value >= 0:
            return value / 1000.0
    if "retry-after" in h:
        value = _number(h["retry-after"])
        if value is not None and value >= 0:
            return value
        try:
            parsed = email.utils.parsedate_to_datetime(h["retry-after"])
        except (TypeError, ValueError, IndexError):
            return None  # neither seconds nor an HTTP date
        return max(0.0, parsed.timestamp() - time.time())
    return None


def _body_retry_delay_s(body: bytes | None) -> float | None:
    """Google's ``RESOURCE_EXHAUSTED`` body: ``error.details[].retryDelay`` such as ``"30s"``."""
    if not body:
        return None
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        return None
    details = js_get(js_get(parsed, "error"), "details")
    for detail in details if isinstance(details, list) else ():
        delay = js_get(detail, "retryDelay")
        if isinstance(delay, str):
            return _duration_s(delay)
    return None


def _number(text: Any) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


class LimitedHandler:
    """A handler whose HTTP attempts go through ``limiter`` (what ``build_api_handler`` returns
    when given one). Everything else is the wrapped handler's."""

    def __init__(self, handler: Any, limiter: AdaptiveLimiter) -> None:
        self._handler = handler
        self.limiter = limiter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handler, name)

    async def create_message(self, *args: Any, **kwargs: Any) -> Any:
        stream = self._handler.create_message(*args, **kwargs)
        step, limiter, set_limiter, reset_limiter = stream.__anext__, self.limiter, current.set, current.reset
        try:
            while True:
                # the limiter is in force while the wrapped stream runs, and not between chunks
                token = set_limiter(limiter)
                try:
                    chunk = await step()
                except StopAsyncIteration:
                    return
                finally:
                    reset_limiter(token)
                yield chunk
        finally:
            await stream.aclose()

    async def complete_prompt(self, prompt: str) -> str:
        token = current.set(self.limiter)
        try:
            text: str = await self._handler.complete_prompt(prompt)
            return text
        finally:
            current.reset(token)
