"""Prometheus metrics of the attempts a ledger sees (ours), on a registry the ledger owns
(``ledger.metrics.registry``) for the HTTP gateway to expose. Labels are deployment and model
(and outcome, error class, token kind, budget period and unit); a caller's key never is one.

The counts are plain numbers per deployment and model, added to per row (a few additions, no
locks: the ledger runs in one event loop), and turned into metric families when the registry is
collected (``LedgerMetrics`` is the registry's collector; ``before_collect``, the ledger's, first
builds the rows still queued).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

from .rows import Row

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
OUTCOMES = ("ok", "error", "interrupted")
TOKEN_KINDS = ("input", "output", "cache_read", "cache_write")
_LE = [floatToGoString(bound) for bound in LATENCY_BUCKETS] + ["+Inf"]  # type: ignore[no-untyped-call]


class _Histogram:
    """Observations per bucket (the last one past every bound) and their sum."""

    __slots__ = ("counts", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(LATENCY_BUCKETS, value)] += 1
        self.sum += value

    def buckets(self) -> list[tuple[str, float]]:
        cumulative: list[tuple[str, float]] = []
        total = 0
        for le, count in zip(_LE, self.counts):
            total += count
            cumulative.append((le, total))
        return cumulative


class _Series:
    """One (deployment, model)'s counts."""

    __slots__ = ("requests", "tokens", "cost", "latency", "ttfc")

    def __init__(self) -> None:
        self.requests = dict.fromkeys(OUTCOMES, 0)
        self.tokens = [0, 0, 0, 0]  # TOKEN_KINDS' order
        self.cost = 0.0
        self.latency = _Histogram()
        self.ttfc = _Histogram()


class LedgerMetrics:
    def __init__(self) -> None:
        self._series: dict[tuple[str, str], _Series] = {}
        self._errors: dict[tuple[str, str, str], int] = {}
        self._refusals: dict[tuple[str, str], int] = {}
        self.before_collect: Callable[[], None] | None = None
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(self)

    def observe(self, row: Row) -> None:
        series = self._series.get((row.deployment, row.model))
        if series is None:
            series = self._series[(row.deployment, row.model)] = _Series()
        series.requests[row.outcome] = series.requests.get(row.outcome, 0) + 1
        tokens = series.tokens
        tokens[0] += row.input_tokens
        tokens[1] += row.output_tokens
        tokens[2] += row.cache_read_tokens
        tokens[3] += row.cache_write_tokens
        if row.cost_usd > 0:
            series.cost += row.cost_usd
        if row.outcome != "ok":
            key = (row.deployment, row.model, row.error_class or row.outcome)
            self._errors[key] = self._errors.get(key, 0) + 1
        if row.latency_s is not None:
            series.latency.observe(row.latency_s)
        if row.ttfc_s is not None:
            series.ttfc.observe(row.ttfc_s)

    def refused(self, scope: str, unit: str) -> None:
        key = (scope.partition(" ")[0], unit)
        self._refusals[key] = self._refusals.get(key, 0) + 1

    def collect(self) -> Iterator[Metric]:
        """The registry's view: ``gateway_requests``, ``gateway_tokens``, ``gateway_cost_usd``,
        ``gateway_errors`` and ``gateway_budget_refusals`` counters, ``gateway_latency_seconds``
        and ``gateway_time_to_first_chunk_seconds`` histograms (may run on another thread: it
        reads copies)."""
        if self.before_collect is not None:
            self.before_collect()
        labels = ["deployment", "model"]
        requests = CounterMetricFamily("gateway_requests", "Attempts by outcome", labels=[*labels, "outcome"])
        tokens = CounterMetricFamily(
            "gateway_tokens", "Tokens by kind (input, output, cache_read, cache_write)", labels=[*labels, "kind"]
        )
        cost = CounterMetricFamily("gateway_cost_usd", "Cost in USD", labels=labels)
        latency = HistogramMetricFamily("gateway_latency_seconds", "Attempt latency", labels=labels)
        ttfc = HistogramMetricFamily("gateway_time_to_first_chunk_seconds", "Time to the first chunk", labels=labels)
        for (deployment, model), series in list(self._series.items()):
            for outcome, count in list(series.requests.items()):
                requests.add_metric([deployment, model, outcome], count)
            for kind, count in zip(TOKEN_KINDS, list(series.tokens)):
                tokens.add_metric([deployment, model, kind], count)
            cost.add_metric([deployment, model], series.cost)
            latency.add_metric([deployment, model], series.latency.buckets(), series.latency.sum)
            ttfc.add_metric([deployment, model], series.ttfc.buckets(), series.ttfc.sum)
        errors = CounterMetricFamily("gateway_errors", "Failed attempts by error class", labels=[*labels, "error_class"])
        for (deployment, model, error_class), count in list(self._errors.items()):
            errors.add_metric([deployment, model, error_class], count)
        refusals = CounterMetricFamily("gateway_budget_refusals", "Requests refused by a budget", labels=["per", "unit"])
        for (per, unit), count in list(self._refusals.items()):
            refusals.add_metric([per, unit], count)
        yield from (requests, tokens, cost, errors, latency, ttfc, refusals)
