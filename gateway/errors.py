"""Typed errors shared by every layer of ``gateway`` (router, ledger, strategies, service,
manager, HTTP server). The reference's own exceptions pass through unchanged, either as
themselves or as the ``__cause__`` of one of these."""

from __future__ import annotations

import json
import re
import time
from typing import Any


class GatewayError(Exception):
    """Base of every error the gateway itself raises."""


class StreamInterrupted(GatewayError):
    """A stream failed after it had yielded chunks: never a silent truncation.

    ``deployment`` is the deployment that was streaming, ``chunks`` how many chunks the caller
    already received; the upstream's error is the ``__cause__``."""

    def __init__(self, deployment: str, chunks: int, message: str | None = None) -> None:
        self.deployment = deployment
        self.chunks = chunks
        super().__init__(message or f"stream from deployment {deployment!r} broke after {chunks} chunk(s)")


class NoDeploymentAvailable(GatewayError):
    """Every candidate deployment is cooling down (or none matches): fail fast.

    ``available_at`` is the earliest wall-clock time (``time.time()`` seconds) at which one
    becomes available again, or ``None`` when none ever will (no such deployment)."""

    def __init__(self, message: str, available_at: float | None = None) -> None:
        self.available_at = available_at
        super().__init__(message)


class BudgetExceeded(GatewayError):
    """A budget would be exceeded: raised before anything is sent.

    ``scope`` names the budget (for example ``"day"``, ``"query"``, ``"month key=team-a"``),
    ``limit`` and ``used`` are in the budget's unit (``unit`` is ``"tokens"`` or ``"usd"``),
    ``resets_at`` is when the period ends (``time.time()`` seconds), ``None`` for per-query."""

    def __init__(
        self, scope: str, limit: float, used: float, resets_at: float | None, unit: str = "tokens"
    ) -> None:
        self.scope = scope
        self.limit = limit
        self.used = used
        self.resets_at = resets_at
        self.unit = unit
        super().__init__(f"budget exceeded: {scope} allows {limit:g} {unit}, {used:g} already used or reserved")


class AttemptTimedOut(GatewayError, TimeoutError):
    """No chunk (or answer) came from ``deployment`` within ``timeout_s``: the attempt was
    cancelled and its connection closed. ``waiting_for`` says what was awaited."""

    def __init__(self, deployment: str, timeout_s: float, waiting_for: str) -> None:
        self.deployment = deployment
        self.timeout_s = timeout_s
        self.waiting_for = waiting_for
        super().__init__(f"deployment {deployment!r} sent nothing for {timeout_s:g} s while waiting for {waiting_for}")


class StreamIncomplete(GatewayError):
    """A stream from ``deployment`` stopped without the provider's normal end (after ``chunks``
    chunks): the cause of a ``StreamInterrupted``, or a failed attempt when nothing came."""

    def __init__(self, deployment: str, chunks: int) -> None:
        self.deployment = deployment
        self.chunks = chunks
        super().__init__(f"stream from deployment {deployment!r} ended without its normal end after {chunks} chunk(s)")


class LLMError(GatewayError):
    """Base of the service's and the manager's typed errors. The reference's exception (or the
    router's) is the ``__cause__``, its text intact; ``provider`` and ``status`` say where it came
    from when known."""

    def __init__(self, message: str, *, provider: str | None = None, status: int | None = None) -> None:
        self.provider = provider
        self.status = status
        super().__init__(message)


class LLMAuthenticationError(LLMError):
    """The upstream refused the credentials (401, 403 or the provider's equivalent)."""


class LLMRateLimitError(LLMError):
    """The upstream (or a budget or the router's cooldown) said to wait: ``retry_after`` in
    seconds when the upstream's headers or body say how long, else ``None``."""

    def __init__(
        self, message: str, *, provider: str | None = None, status: int | None = None, retry_after: float | None = None
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, provider=provider, status=status)


class LLMTimeoutError(LLMError, TimeoutError):
    """No answer in time: the handler's own timeout, the router's watchdog, or the caller's."""


class LLMContextLengthError(LLMError):
    """The request does not fit the model's context window."""


# --- the reference's exceptions as typed errors ---------------------------------------------

_TIMEOUT_NAMES = frozenset(
    {"APIConnectionTimeoutError", "AbortError", "ModelTimeoutException", "BodyTimeoutError", "HeadersTimeoutError",
     "ConnectTimeoutError", "TimeoutError"}
)
"""Error names that mean no answer in time: the Stainless SDKs' request timeout, bedrock.ts's abort
(its only one is the 10-minute request timeout), Bedrock's model timeout, undici's timeouts (the
``cause`` of fetch's ``terminated``), gaxios' ``TimeoutError``."""
_TIMEOUT_CODES = frozenset(
    {"ERR_SOCKET_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT", "ETIMEDOUT"}
)
"""Node error codes of the same (agentkeepalive's ``Socket timeout``, undici's, the OS's)."""
_RATE_LIMIT_NAMES = frozenset({"ThrottlingException", "TooManyRequestsException", "ServiceQuotaExceededException"})
"""AWS error names that mean "slow down" whatever the status."""
_AUTH_NAMES = frozenset(
    {"UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException", "AccessDeniedException"}
)
"""AWS error names of refused credentials (403 on the wire)."""
_AUTH_TEXTS = re.compile(r"API_KEY_INVALID|API key not valid|Incorrect API key provided")
"""Key refusals that arrive as 400s: Gemini's ``API_KEY_INVALID`` ("API key not valid. Please pass
a valid API key."), xAI's "Incorrect API key provided: xa***00"."""
_TRY_AGAIN_IN = re.compile(r"try again in ((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)", re.I)
"""OpenAI's 429 text: "... Please try again in 1.5s." (also ``6m0s``, ``120ms``)."""


def to_llm_error(exc: BaseException, *, provider: str | None = None) -> LLMError | None:
    """The typed error for ``exc``, or ``None`` when ``exc`` is not an LLM call's failure (a
    programming error, a bad model string, a cancellation): raise that one unchanged.

    The caller raises the result ``from exc``, so the reference's exception (or the router's) is
    the ``__cause__``; the message is ``str(exc)``, the reference's text intact. Classified
    along ``exc`` and what it wraps (``routing.failures.error_chain``: ``__cause__``, a JS
    ``cause``, the suppressed ``__context__`` where ``bedrock.py`` rethrows a new ``Error``
    keeping only name, status and ``$metadata``):

    - ``LLMTimeoutError``: a ``TimeoutError`` (asyncio's, the router's ``AttemptTimedOut``), the
      SDKs' ``APIConnectionTimeoutError``, undici's and agentkeepalive's timeouts, bedrock's
      ``AbortError``, HTTP 408.
    - ``LLMRateLimitError``: HTTP 429, AWS ``ThrottlingException`` / ``ServiceQuotaExceededException``,
      Google ``RESOURCE_EXHAUSTED``; ``retry_after`` from ``retry-after-ms`` / ``retry-after``, else
      Google's ``RetryInfo.retryDelay``, else OpenAI's "try again in 1.5s". The router's
      ``NoDeploymentAvailable`` (retry when the first deployment is back) and a period
      ``BudgetExceeded`` (retry when the period resets) too.
    - ``LLMAuthenticationError``: HTTP 401/403, AWS credential refusals, Gemini's and xAI's
      bad-key 400s.
    - ``LLMContextLengthError``: a 400/413 the reference's ``checkContextWindowExceededError``
      patterns (plus Bedrock's texts) recognise (``gateway.routing.failures``).
    - ``LLMError`` otherwise, with the status when one is known. ``StreamInterrupted`` is
      classified by its cause, its text followed by the cause's.
    """
    if isinstance(exc, LLMError):
        return exc
    if isinstance(exc, StreamInterrupted):
        cause = exc.__cause__
        inner = to_llm_error(cause, provider=provider) if cause is not None else None
        message = f"{exc}: {cause}" if cause is not None else str(exc)
        if isinstance(inner, LLMRateLimitError):
            return LLMRateLimitError(message, provider=provider, status=inner.status, retry_after=inner.retry_after)
        kind = type(inner) if inner is not None else LLMError
        return kind(message, provider=provider, status=inner.status if inner is not None else None)
    if isinstance(exc, NoDeploymentAvailable):
        if exc.available_at is None:  # no such deployment or group: waiting does not help
            return LLMError(str(exc), provider=provider)
        return LLMRateLimitError(str(exc), provider=provider, retry_after=max(0.0, exc.available_at - time.time()))
    if isinstance(exc, BudgetExceeded):
        if exc.resets_at is None:  # a per-query budget: this request never fits
            return LLMError(str(exc), provider=provider)
        return LLMRateLimitError(str(exc), provider=provider, retry_after=max(0.0, exc.resets_at - time.time()))
    if isinstance(exc, StreamIncomplete):
        return LLMError(str(exc), provider=provider)

    from providers.js.errors import JSError

    if not isinstance(exc, (JSError, TimeoutError)):
        return None
    from gateway.routing.failures import error_chain, is_context_window_error, own_status

    chain = error_chain(exc)
    status = next((s for s in map(own_status, chain) if s is not None), None)
    message = str(exc)
    names = {_name(e) for e in chain} | {type(e).__name__ for e in chain}
    codes = {code for e in chain if isinstance(code := getattr(e, "code", None), str)}
    if status == 408 or names & _TIMEOUT_NAMES or codes & _TIMEOUT_CODES or any(isinstance(e, TimeoutError) for e in chain):
        return LLMTimeoutError(message, provider=provider, status=status)
    google = next((g for g in map(_google_error, chain) if g is not None), None)
    if status == 429 or names & _RATE_LIMIT_NAMES or (google or {}).get("status") == "RESOURCE_EXHAUSTED":
        return LLMRateLimitError(message, provider=provider, status=status, retry_after=_retry_after(chain, google))
    if status in (401, 403) or names & _AUTH_NAMES or any(_AUTH_TEXTS.search(str(e)) for e in chain):
        return LLMAuthenticationError(message, provider=provider, status=status)
    if names & {"LengthFinishReasonError"} or any(is_context_window_error(e) for e in chain):
        return LLMContextLengthError(message, provider=provider, status=status)
    return LLMError(message, provider=provider, status=status)


def _name(error: BaseException) -> str:
    """JS ``err.name`` (a ported error's ``name``), else the class name."""
    name = getattr(error, "name", None)
    return name if isinstance(name, str) else type(error).__name__


def _google_error(error: BaseException) -> dict[str, Any] | None:
    """The ``error`` object of a Google API error body in the text of genai's ``ApiError``
    (``{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[…]}}``, or an in-stream
    error's ``got status: …. {…}``)."""
    if _name(error) != "ApiError":
        return None
    text = str(error)
    start = text.find("{")
    if start < 0:
        return None
    try:
        body = json.loads(text[start:])
    except ValueError:
        return None
    inner = body.get("error") if isinstance(body, dict) else None
    return inner if isinstance(inner, dict) else None


def retry_after_of(exc: BaseException) -> float | None:
    """Seconds an upstream's error says to wait (``_retry_after`` along ``exc``'s chain): what the
    router cools a deployment down for after a 429."""
    from gateway.routing.failures import error_chain

    chain = error_chain(exc)
    return _retry_after(chain, next((g for g in map(_google_error, chain) if g is not None), None))


def _retry_after(chain: list[BaseException], google: dict[str, Any] | None) -> float | None:
    """Seconds to wait: the response's ``retry-after-ms`` / ``retry-after`` headers, Google's
    ``RetryInfo.retryDelay`` (``"30s"``), or OpenAI's "Please try again in 1.5s"."""
    from gateway.routing.failures import retry_after_s
    from providers.ratelimit import _body_retry_delay_s, _duration_s

    for error in chain:
        seconds = retry_after_s(error)
        if seconds is not None:
            return seconds
    if google is not None:
        seconds = _body_retry_delay_s(json.dumps({"error": google}).encode())
        if seconds is not None:
            return seconds
    for error in chain:
        found = _TRY_AGAIN_IN.search(str(error))
        if found:
            return _duration_s(found.group(1))
    return None
