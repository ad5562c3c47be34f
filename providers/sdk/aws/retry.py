"""The standard retry strategy and the error classification it uses.

Mirrors @smithy/util-retry 4.2.4 (``StandardRetryStrategy``, ``AdaptiveRetryStrategy``,
``DefaultRateLimiter``, ``defaultRetryToken``, ``constants``),
@smithy/service-error-classification 4.2.4 (``isThrottlingError``, ``isTransientError``,
``isServerError``) and @smithy/middleware-retry 4.4.6 (``getRetryErrorType``, ``getRetryAfterHint``).
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ...js import jsonjs
from ...js.errors import JSError


DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_RETRY_MODE = "standard"
ADAPTIVE_RETRY_MODE = "adaptive"
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


class DefaultRateLimiter:
    """@smithy/util-retry ``DefaultRateLimiter``: a token bucket whose rate follows CUBIC.

    The bucket only starts limiting once ``update_client_sending_rate`` sees a throttling error.
    The adaptive strategy passes it the retry loop's ``errorInfo`` (``{error, errorType,
    retryAfterHint}``), which ``isThrottlingError`` never recognises (no ``$metadata``, ``name`` or
    ``$retryable`` on it), so in the SDK as the reference runs it the bucket stays disabled and
    ``get_send_token`` never waits; the rate bookkeeping runs all the same.
    """

    BETA = 0.7
    MIN_CAPACITY = 1.0
    MIN_FILL_RATE = 0.5
    SCALE_CONSTANT = 0.4
    SMOOTH = 0.8

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock  # Date.now() / 1000
        self.current_capacity = 0.0
        self.enabled = False
        self.last_max_rate = 0.0
        self.measured_tx_rate = 0.0
        self.request_count = 0
        self.fill_rate = self.MIN_FILL_RATE
        self.last_throttle_time = clock()
        self.last_timestamp = 0.0
        self.last_tx_rate_bucket: float = math.floor(clock())
        self.max_capacity = self.MIN_CAPACITY
        self.time_window = 0.0

    async def get_send_token(self) -> None:
        """``acquireTokenBucket(1)``."""
        if not self.enabled:
            return
        self._refill_token_bucket()
        if 1 > self.current_capacity:
            await asyncio.sleep((1 - self.current_capacity) / self.fill_rate)
        self.current_capacity -= 1

    def _refill_token_bucket(self) -> None:
        timestamp = self._clock()
        if not self.last_timestamp:
            self.last_timestamp = timestamp
            return
        fill_amount = (timestamp - self.last_timestamp) * self.fill_rate
        self.current_capacity = min(self.max_capacity, self.current_capacity + fill_amount)
        self.last_timestamp = timestamp

    def update_client_sending_rate(self, response: Any) -> None:
        """``updateClientSendingRate(response)``: ``response`` is what the strategy was given."""
        self._update_measured_rate()
        if isinstance(response, BaseException) and is_throttling_error(response):
            rate_to_use = self.measured_tx_rate if not self.enabled else min(self.measured_tx_rate, self.fill_rate)
            self.last_max_rate = rate_to_use
            self._calculate_time_window()
            self.last_throttle_time = self._clock()
            calculated_rate = _precise(rate_to_use * self.BETA)
            self.enabled = True
        else:
            self._calculate_time_window()
            calculated_rate = _precise(
                self.SCALE_CONSTANT * (self._clock() - self.last_throttle_time - self.time_window) ** 3
                + self.last_max_rate
            )
        self._update_token_bucket_rate(min(calculated_rate, 2 * self.measured_tx_rate))

    def _calculate_time_window(self) -> None:
        self.time_window = _precise(((self.last_max_rate * (1 - self.BETA)) / self.SCALE_CONSTANT) ** (1 / 3))

    def _update_token_bucket_rate(self, new_rate: float) -> None:
        self._refill_token_bucket()
        self.fill_rate = max(new_rate, self.MIN_FILL_RATE)
        self.max_capacity = max(new_rate, self.MIN_CAPACITY)
        self.current_capacity = min(self.current_capacity, self.max_capacity)

    def _update_measured_rate(self) -> None:
        time_bucket = math.floor(self._clock() * 2) / 2
        self.request_count += 1
        if time_bucket > self.last_tx_rate_bucket:
            current_rate = self.request_count / (time_bucket - self.last_tx_rate_bucket)
            self.measured_tx_rate = _precise(current_rate * self.SMOOTH + self.measured_tx_rate * (1 - self.SMOOTH))
            self.request_count = 0
            self.last_tx_rate_bucket = time_bucket


def _precise(number: float) -> float:
    """``getPrecise``: ``parseFloat(num.toFixed(8))``."""
    return round(number, 8)


@dataclass
class AdaptiveRetryStrategy(StandardRetryStrategy):
    """@smithy/util-retry ``AdaptiveRetryStrategy`` (``AWS_RETRY_MODE=adaptive``): the standard
    strategy behind a ``DefaultRateLimiter``; ``rate_limiter.get_send_token()`` precedes each send."""

    rate_limiter: DefaultRateLimiter = field(default_factory=DefaultRateLimiter)

    def refresh_retry_token_for_retry(
        self, token: RetryToken, error_type: str, retry_after_ms: float | None
    ) -> RetryToken:
        # updateClientSendingRate(errorInfo): the errorInfo object, not the error
        self.rate_limiter.update_client_sending_rate({"errorType": error_type, "retryAfterHint": retry_after_ms})
        return super().refresh_retry_token_for_retry(token, error_type, retry_after_ms)

    def record_success(self, token: RetryToken) -> None:
        self.rate_limiter.update_client_sending_rate({})
        super().record_success(token)


T = TypeVar("T")


async def send_with_retries(attempt: Callable[[str], Awaitable[T]]) -> T:
    """A nested client's ``retryMiddleware`` (standard strategy, default settings): ``attempt`` gets
    the ``amz-sdk-request`` header value; a JSError it raises is retried while the strategy allows."""
    strategy = StandardRetryStrategy()
    token = strategy.acquire_initial_retry_token()
    while True:
        try:
            result = await attempt(f"attempt={token.retry_count + 1}; max={strategy.max_attempts}")
        except JSError as error:
            try:
                token = strategy.refresh_retry_token_for_retry(token, get_retry_error_type(error), None)
            except NoRetryTokenAvailable:
                raise error from None
            await asyncio.sleep(token.get_retry_delay() / 1000)
            continue
        strategy.record_success(token)
        return result
