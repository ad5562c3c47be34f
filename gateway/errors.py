"""Typed errors shared by every layer of ``gateway`` (router, ledger, strategies, service,
manager, HTTP server). The reference's own exceptions pass through unchanged, either as
themselves or as the ``__cause__`` of one of these."""

from __future__ import annotations


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
