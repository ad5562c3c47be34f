"""Prometheus metrics of the attempts a ledger sees (ours), on a registry the ledger owns
(``ledger.metrics.registry``) for the HTTP gateway to expose. Labels are deployment and model
(and outcome, error class, token kind, budget period and unit); a caller's key never is one."""

from __future__ import annotations

from typing import Any, NamedTuple

from prometheus_client import CollectorRegistry, Counter, Histogram

from .rows import Row

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
OUTCOMES = ("ok", "error", "interrupted")
TOKEN_KINDS = ("input", "output", "cache_read", "cache_write")


class _Bound(NamedTuple):
    """One (deployment, model)'s children, looked up once: labels() is the costly part."""

    requests: dict[str, Any]
    tokens: tuple[Any, ...]
    cost: Any
    latency: Any
    ttfc: Any


class LedgerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ("deployment", "model")
        self.requests = Counter(
            "gateway_requests", "Attempts by outcome", (*labels, "outcome"), registry=self.registry
        )
        self.tokens = Counter(
            "gateway_tokens", "Tokens by kind (input, output, cache_read, cache_write)", (*labels, "kind"),
            registry=self.registry,
        )
        self.cost = Counter("gateway_cost_usd", "Cost in USD", labels, registry=self.registry)
        self.errors = Counter(
            "gateway_errors", "Failed attempts by error class", (*labels, "error_class"), registry=self.registry
        )
        self.latency = Histogram(
            "gateway_latency_seconds", "Attempt latency", labels, buckets=LATENCY_BUCKETS, registry=self.registry
        )
        self.ttfc = Histogram(
            "gateway_time_to_first_chunk_seconds", "Time to the first chunk", labels,
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.budget_refusals = Counter(
            "gateway_budget_refusals", "Requests refused by a budget", ("per", "unit"), registry=self.registry
        )
        self._children: dict[tuple[str, str], _Bound] = {}

    def _bound(self, deployment: str, model: str) -> _Bound:
        bound = self._children.get((deployment, model))
        if bound is None:
            bound = self._children[(deployment, model)] = _Bound(
                {outcome: self.requests.labels(deployment, model, outcome) for outcome in OUTCOMES},
                tuple(self.tokens.labels(deployment, model, kind) for kind in TOKEN_KINDS),
                self.cost.labels(deployment, model),
                self.latency.labels(deployment, model),
                self.ttfc.labels(deployment, model),
            )
        return bound

    def observe(self, row: Row) -> None:
        bound = self._bound(row.deployment, row.model)
        requests = bound.requests.get(row.outcome)
        (requests or self.requests.labels(row.deployment, row.model, row.outcome)).inc()
        for counter, count in zip(
            bound.tokens, (row.input_tokens, row.output_tokens, row.cache_read_tokens, row.cache_write_tokens)
        ):
            if count:
                counter.inc(count)
        if row.cost_usd > 0:
            bound.cost.inc(row.cost_usd)
        if row.outcome != "ok":
            self.errors.labels(row.deployment, row.model, row.error_class or row.outcome).inc()
        if row.latency_s is not None:
            bound.latency.observe(row.latency_s)
        if row.ttfc_s is not None:
            bound.ttfc.observe(row.ttfc_s)

    def refused(self, scope: str, unit: str) -> None:
        self.budget_refusals.labels(scope.partition(" ")[0], unit).inc()
