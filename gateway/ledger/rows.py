"""One ledger row per attempt, and its tokens and cost.

Tokens and cost follow what ``src/core/task/Task.ts`` (Roo-Code @ cb83656) does with a request's
usage chunks: the provider's ``totalCost`` when it gave one, else ``calculateApiCostAnthropic``
or ``calculateApiCostOpenAI`` (``providers.utils.cost``, reused as is) on the model's prices,
chosen by ``getApiProtocol``. A row's ``total_tokens`` is the cost result's
``totalInputTokens + totalOutputTokens``: for the Anthropic protocol, whose ``input_tokens``
leave the cached tokens out, the cache reads and writes are added; for OpenAI's they are already
in the input.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, NamedTuple, Protocol

from providers.utils.cost import calculate_api_cost_anthropic, calculate_api_cost_openai

# provider-settings.ts: ANTHROPIC_STYLE_PROVIDERS
ANTHROPIC_STYLE_PROVIDERS = ("anthropic", "bedrock", "minimax")


class UsageLike(Protocol):
    """The router's sum of one attempt's ``usage`` chunks (read-only members: any object with
    these attributes, a dataclass included, fits)."""

    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def cache_read_tokens(self) -> int: ...
    @property
    def cache_write_tokens(self) -> int: ...
    @property
    def total_cost(self) -> float | None: ...


class AttemptLike(Protocol):
    """What the router reports for each attempt it made. An attempt may also carry
    ``model_info`` (its handler's ``get_model()["info"]``), used when none is passed."""

    @property
    def deployment(self) -> str: ...
    @property
    def provider(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def started_at(self) -> float: ...
    @property
    def latency_s(self) -> float: ...
    @property
    def ttfc_s(self) -> float | None: ...
    @property
    def outcome(self) -> str: ...  # "ok" | "error" | "interrupted"
    @property
    def error_class(self) -> str | None: ...
    @property
    def status(self) -> int | None: ...
    @property
    def usage(self) -> UsageLike | None: ...


class Row(NamedTuple):
    """A row of the ``attempts`` table, in column order."""

    ts: float
    day: str
    deployment: str
    provider: str
    model: str
    strategy: str | None
    key_id: str | None
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    total_tokens: int
    cost_usd: float
    latency_s: float | None
    ttfc_s: float | None
    outcome: str
    error_class: str | None
    status: int | None


COLUMNS = Row._fields


# provider-settings.ts: getApiProtocol
def get_api_protocol(provider: str | None, model_id: str | None = None) -> str:
    """``"anthropic"`` or ``"openai"``: which cost function prices a provider's usage."""
    if provider and provider in ANTHROPIC_STYLE_PROVIDERS:
        return "anthropic"
    if provider and provider == "vertex" and model_id and "claude" in model_id.lower():
        return "anthropic"
    if provider and provider in ("vercel-ai-gateway", "roo") and model_id and model_id.lower().startswith("anthropic/"):
        return "anthropic"
    return "openai"


def usage_cost(
    provider: str,
    model: str,
    model_info: Mapping[str, Any] | None,
    input_tokens: int,
    output_tokens: int,
    cache_write_tokens: int = 0,
    cache_read_tokens: int = 0,
) -> tuple[int, float]:
    """(total tokens, cost in USD) of a usage on the model's prices (Task.ts's arithmetic); also
    what a caller uses to estimate a request's cost before reserving it."""
    calculate = calculate_api_cost_anthropic if get_api_protocol(provider, model) == "anthropic" else calculate_api_cost_openai
    result = calculate(model_info or {}, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens)
    return int(result["totalInputTokens"] + result["totalOutputTokens"]), result["totalCost"]


def usage_counts(attempt: AttemptLike) -> tuple[int, int, int, int]:
    """An attempt's input, output, cache-read and cache-write tokens (0 without a usage)."""
    usage = attempt.usage
    if usage is None:
        return 0, 0, 0, 0
    return usage.input_tokens or 0, usage.output_tokens or 0, usage.cache_read_tokens or 0, usage.cache_write_tokens or 0


def usage_tokens(
    provider: str, model: str, input_tokens: int, output_tokens: int, cache_write_tokens: int = 0,
    cache_read_tokens: int = 0,
) -> int:
    """A usage's total tokens without pricing it: ``usage_cost``'s ``totalInputTokens +
    totalOutputTokens``, whose Anthropic-protocol input adds the cache tokens (the usage's
    input leaves them out) and whose OpenAI-protocol input is the usage's (it holds them)."""
    if get_api_protocol(provider, model) == "anthropic":
        return input_tokens + output_tokens + cache_read_tokens + cache_write_tokens
    return input_tokens + output_tokens


def attempt_tokens(attempt: AttemptLike) -> int:
    """An attempt's total tokens without pricing it (``usage_tokens``)."""
    input_tokens, output_tokens, cache_read, cache_write = usage_counts(attempt)
    return usage_tokens(attempt.provider, attempt.model, input_tokens, output_tokens, cache_write, cache_read)


_day_cache: list[Any] = [None, ""]  # (UTC day number, its ISO date): rows come in day order


def utc_day(ts: float) -> str:
    """The UTC date of a ``time.time()`` timestamp, ISO (Unix days are 86,400 s long)."""
    number = ts // 86400
    if number != _day_cache[0]:
        _day_cache[:] = number, datetime.fromtimestamp(ts, timezone.utc).date().isoformat()
    day: str = _day_cache[1]
    return day


def row_from_attempt(
    attempt: AttemptLike, strategy: str | None, key_id: str | None, model_info: Mapping[str, Any] | None
) -> Row:
    if model_info is None:
        model_info = getattr(attempt, "model_info", None)
    usage = attempt.usage
    input_tokens, output_tokens, cache_read, cache_write = usage_counts(attempt)
    total_tokens, cost = usage_cost(
        attempt.provider, attempt.model, model_info, input_tokens, output_tokens, cache_write, cache_read
    )
    if usage is not None and usage.total_cost is not None:
        cost = usage.total_cost
    return Row(
        attempt.started_at,
        utc_day(attempt.started_at),
        attempt.deployment,
        attempt.provider,
        attempt.model,
        strategy,
        key_id,
        input_tokens,
        output_tokens,
        cache_read,
        cache_write,
        total_tokens,
        float(cost),
        attempt.latency_s,
        attempt.ttfc_s,
        attempt.outcome,
        attempt.error_class,
        attempt.status,
    )
