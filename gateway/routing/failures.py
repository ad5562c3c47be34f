"""Failures: whose fault an error is, and what the SDK behind a deployment would do next.

Ours (gateway.router). A caller error (HTTP 400/422 other than a context length) fails
anywhere; a context-length error goes to ``context_window_fallbacks``; anything else fails over.
Retrying a deployment already tried waits what its SDK would have waited, with the port's own
backoff functions (``providers.sdk.stainless``, ``providers.sdk.aws``), and only for what that SDK
retries. The status, headers and ``retry-after`` are read from the error or the SDK error a
handler rewrapped (its ``__cause__``).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from .config import Deployment

# src/core/context/context-management/context-error-handling.ts (checkContextWindowExceededError)
# patterns, plus Bedrock's ValidationException texts.
CONTEXT_PATTERNS = re.compile(
    r"\bcontext\s*(?:length|window)\b|\bmaximum\s*context\b|\b(?:input\s*)?tokens?\s*exceed|"
    r"\btoo\s*many\s*(?:input\s*)?tokens?\b|prompt is too long|maximum.*tokens|context.*too.*long|"
    r"exceeds.*context|token.*limit|context_length_exceeded|input is too long",
    re.I,
)



CHAIN_DEPTH = 6
"""How far ``error_chain`` follows what an error wraps (a handler's rewrap of an SDK error is one
or two levels deep)."""


def error_chain(error: BaseException) -> list[BaseException]:
    """``error`` and what it wraps, outermost first: the ``__cause__``, else the JS ``cause`` a
    ported error carries (undici's ``BodyTimeoutError`` under ``terminated``), else the
    ``__context__`` of a ``raise … from None`` (bedrock.ts's rethrow, the SDKs' rewording of a
    socket error); never an unrelated implicit context."""
    chain = [error]
    while len(chain) < CHAIN_DEPTH:
        last = chain[-1]
        js_cause = getattr(last, "cause", None)
        inner = (
            last.__cause__
            or (js_cause if isinstance(js_cause, BaseException) else None)
            or (last.__context__ if last.__suppress_context__ else None)
        )
        if inner is None or inner in chain:
            break
        chain.append(inner)
    return chain


def own_status(error: BaseException) -> int | None:
    """The HTTP status ``error`` itself carries: ``status`` (AWS: ``$metadata.httpStatusCode``)."""
    status = getattr(error, "status", None)
    if not isinstance(status, int) or isinstance(status, bool):
        metadata = getattr(error, "metadata", None)
        status = metadata.get("httpStatusCode") if isinstance(metadata, dict) else None
    return status if isinstance(status, int) and not isinstance(status, bool) else None


def status_of(error: BaseException) -> int | None:
    """The HTTP status of an error: its own, else that of the first error it wraps that has one
    (``error_chain``: the Gemini handler's ``Error`` keeps only genai's text)."""
    status = own_status(error)
    if status is not None:
        return status
    return next((s for s in map(own_status, error_chain(error)[1:]) if s is not None), None)


def is_context_window_error(error: BaseException) -> bool:
    """A 400 (413) saying the prompt is longer than the model's context window."""
    if status_of(error) not in (400, 413):
        return False
    inner = getattr(error, "error", None)
    texts = [str(getattr(error, "message", None) or error)]
    if isinstance(inner, dict):
        texts.append(str(inner.get("message") or ""))
        nested = inner.get("error")
        if isinstance(nested, dict):
            texts.append(str(nested.get("message") or ""))
    return any(CONTEXT_PATTERNS.search(text) for text in texts)


def is_caller_error(error: BaseException) -> bool:
    """The request itself is wrong and would fail anywhere (400/422, not a context length)."""
    return status_of(error) in (400, 422) and not is_context_window_error(error)


def headers_of(error: BaseException) -> Mapping[str, str] | None:
    """The response headers an error carries, itself or an error it wraps (``error_chain``:
    ``handleOpenAIError`` keeps no headers)."""
    for seen in error_chain(error):
        headers = getattr(seen, "headers", None)
        if not isinstance(headers, Mapping):
            headers = getattr(getattr(seen, "response", None), "headers", None)
        if isinstance(headers, Mapping):
            return headers
    return None


def retryable(error: BaseException) -> bool:
    """Would the SDK retry this on the same deployment (``shouldRetry``: 408, 409, 429, 5xx, no
    response; ``x-should-retry`` wins)?"""
    headers = headers_of(error)
    if headers is not None:
        should = headers.get("x-should-retry")
        if should in ("true", "false"):
            return should == "true"
    status = status_of(error)
    return status is None or status in (408, 409, 429) or status >= 500


def retry_after_s(error: BaseException) -> float | None:
    """A 429's ``retry-after-ms`` / ``retry-after`` (seconds or an HTTP date), else None."""
    from providers.ratelimit import _retry_after_s as parse

    headers = headers_of(error)
    if headers is None:
        return None
    return parse({str(k).lower(): str(v) for k, v in headers.items()})


class Retry:
    """A request's failures so far (made on its first failure): attempts, deployments tried, and
    the AWS standard strategy's token for this request's retries."""

    __slots__ = ("attempts", "tried", "aws_token")

    def __init__(self) -> None:
        self.attempts = 0
        self.tried: set[str] = set()
        self.aws_token: Any = None

    def succeeded(self, deployment: Deployment) -> None:
        """A retried request got through: the AWS strategy's quota gets its cost back
        (``recordSuccess``), as the SDK's would."""
        if self.aws_token is not None and deployment.state.aws_retry is not None:
            deployment.state.aws_retry.record_success(self.aws_token)


def backoff_s(deployment: Deployment, error: BaseException, max_retries: int, state: Retry) -> float | None:
    """The wait before trying ``deployment`` again, by its SDK's rules; None: the SDK would not.

    AWS (bedrock): the standard strategy (its quota, 100/500 ms bases, ``retry-after`` hint).
    Every other family: the Stainless rule (``retry-after-ms``/``retry-after`` under 60 s, else
    0.5 s doubling to 8 s minus up to 25 %), which the genai-based handlers, whose SDK does not
    retry, get too.
    """
    if deployment.provider == "bedrock":
        from providers.sdk.aws.retry import (
            NoRetryTokenAvailable,
            StandardRetryStrategy,
            get_retry_error_type,
            retry_after_hint_ms,
        )

        if deployment.state.aws_retry is None:
            deployment.state.aws_retry = StandardRetryStrategy(max_attempts=max_retries + 1)
        token = state.aws_token or deployment.state.aws_retry.acquire_initial_retry_token()
        try:
            token = deployment.state.aws_retry.refresh_retry_token_for_retry(
                token, get_retry_error_type(error), retry_after_hint_ms(error)
            )
        except NoRetryTokenAvailable:
            return None
        state.aws_token = token
        return float(token.get_retry_delay()) / 1000
    if not retryable(error):
        return None
    from providers.sdk.stainless import StainlessClient

    # retryRequest's wait (retry_delay_ms reads no client state: the class stands in for one)
    return StainlessClient.retry_delay_ms(
        StainlessClient, headers_of(error), max_retries - state.attempts + 1, max_retries  # type: ignore[arg-type]
    ) / 1000
