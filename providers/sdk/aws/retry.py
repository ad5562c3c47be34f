"""The standard retry strategy and the error classification it uses.

Mirrors @smithy/util-retry 4.2.4 (``StandardRetryStrategy``, ``defaultRetryToken``, ``constants``),
@smithy/service-error-classification 4.2.4 (``isThrottlingError``, ``isTransientError``,
``isServerError``) and @smithy/middleware-retry 4.4.6 (``getRetryErrorType``, ``getRetryAfterHint``).
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import jsonjs


DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_RETRY_DELAY_BASE = 100
THROTTLING_RETRY_DELAY_BASE = 500
MAXIMUM_RETRY_DELAY = 20 * 1000
INITIAL_RETRY_TOKENS = 500
RETRY_COST = 5
TIMEOUT_RETRY_COST = 10
NO_RETRY_INCREMENT = 1

THROTTLING_ERROR_CODES = frozenset(
    {
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
        "LimitExceededException",
        "PriorRequestNotComplete",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ThrottledException",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "TransactionInProgressException",
    }
)
TRANSIENT_ERROR_CODES = frozenset({"TimeoutError", "RequestTimeout", "RequestTimeoutException"})
TRANSIENT_ERROR_STATUS_CODES = frozenset({500, 502, 503, 504})
NODEJS_TIMEOUT_ERROR_CODES = frozenset({"ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT"})
NODEJS_NETWORK_ERROR_CODES = frozenset({"EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND"})


def _error_name(error: BaseException) -> Any:
    return getattr(error, "name", type(error).__name__)


def _status_of(error: BaseException) -> Any:
    return (getattr(error, "metadata", None) or {}).get("httpStatusCode")


def is_throttling_error(error: BaseException) -> bool:
    """``isThrottlingError``."""
    retryable = getattr(error, "retryable", None)
    return (
        _status_of(error) == 429
        or _error_name(error) in THROTTLING_ERROR_CODES
        or bool(retryable and retryable.get("throttling"))
    )


def is_transient_error(error: BaseException, depth: int = 0) -> bool:
    """``isTransientError`` (a cause chain is followed 10 deep)."""
    cause = getattr(error, "cause", None)
    return (
        getattr(error, "retryable", None) is not None
        or bool((getattr(error, "metadata", None) or {}).get("clockSkewCorrected"))
        or _error_name(error) in TRANSIENT_ERROR_CODES
        or (getattr(error, "code", None) or "") in NODEJS_TIMEOUT_ERROR_CODES
        or (getattr(error, "code", None) or "") in NODEJS_NETWORK_ERROR_CODES
        or (_status_of(error) or 0) in TRANSIENT_ERROR_STATUS_CODES
        or (isinstance(cause, BaseException) and depth <= 10 and is_transient_error(cause, depth + 1))
    )


def is_server_error(error: BaseException) -> bool:
    """``isServerError``."""
    status = _status_of(error)
    return status is not None and 500 <= status <= 599 and not is_transient_error(error)


def get_retry_error_type(error: BaseException) -> str:
    """``getRetryErrorType``."""
    if is_throttling_error(error):
        return "THROTTLING"
    if is_transient_error(error):
        return "TRANSIENT"
    if is_server_error(error):
        return "SERVER_ERROR"
    return "CLIENT_ERROR"


def retry_after_hint_ms(error: BaseException) -> float | None:
    """``getRetryAfterHint``: the ``retry-after`` header as an epoch time in ms (NaN if unparsable).

    As in the SDK, a number is taken as seconds since the epoch (so it never outweighs the
    backoff); anything else is parsed as a date.
    """
    response = getattr(error, "response", None)
    if response is None:
        return None
    value = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
    if not value:
        return None
    seconds = jsonjs.js_to_number(value)
    if not math.isnan(seconds):
        return seconds * 1000
    try:
        return email.utils.parsedate_to_datetime(value).timestamp() * 1000
    except (TypeError, ValueError, IndexError):
        return math.nan


@dataclass
class RetryToken:
    """``createDefaultRetryToken``."""

    retry_delay: float
    retry_count: int
    retry_cost: int | None = None

    def get_retry_delay(self) -> float:
        return min(MAXIMUM_RETRY_DELAY, self.retry_delay)


class NoRetryTokenAvailable(Exception):
    """``refreshRetryTokenForRetry`` refused (``No retry token available``)."""


@dataclass
class StandardRetryStrategy:
    """@smithy/util-retry ``StandardRetryStrategy``: a retry quota shared by the client's calls.

    Backoff before retry n (n = 1 for the first): ``floor(min(20000, U · 2ⁿ⁻¹ · base))`` ms with
    base 500 for throttling errors and 100 otherwise; a ``retry-after`` hint wins when later.
    """

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    capacity: int = INITIAL_RETRY_TOKENS
    random: Callable[[], float] = field(default=random.random)

    def acquire_initial_retry_token(self) -> RetryToken:
        return RetryToken(retry_delay=DEFAULT_RETRY_DELAY_BASE, retry_count=0)

    def refresh_retry_token_for_retry(
        self, token: RetryToken, error_type: str, retry_after_ms: float | None
    ) -> RetryToken:
        if not self._should_retry(token, error_type):
            raise NoRetryTokenAvailable("No retry token available")
        delay_base = THROTTLING_RETRY_DELAY_BASE if error_type == "THROTTLING" else DEFAULT_RETRY_DELAY_BASE
        delay_from_error_type = math.floor(min(MAXIMUM_RETRY_DELAY, self.random() * 2**token.retry_count * delay_base))
        retry_delay: float = delay_from_error_type
        if retry_after_ms is not None:
            # retryAfterHint.getTime() - Date.now() || 0 (an invalid date gives NaN, hence 0)
            hinted = 0 if math.isnan(retry_after_ms) else math.trunc(retry_after_ms) - int(time.time() * 1000)
            retry_delay = max(hinted, delay_from_error_type)
        cost = self._capacity_cost(error_type)
        self.capacity -= cost
        return RetryToken(retry_delay=retry_delay, retry_count=token.retry_count + 1, retry_cost=cost)

    def record_success(self, token: RetryToken) -> None:
        increment = token.retry_cost if token.retry_cost is not None else NO_RETRY_INCREMENT
        self.capacity = max(INITIAL_RETRY_TOKENS, self.capacity + increment)

    def _should_retry(self, token: RetryToken, error_type: str) -> bool:
        attempts = token.retry_count + 1
        return (
            attempts < self.max_attempts
            and self.capacity >= self._capacity_cost(error_type)
            and error_type in ("THROTTLING", "TRANSIENT")
        )

    @staticmethod
    def _capacity_cost(error_type: str) -> int:
        return TIMEOUT_RETRY_COST if error_type == "TRANSIENT" else RETRY_COST
