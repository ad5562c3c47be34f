"""The gateway's events (ours): what ``GET /v1/events`` serves, in the LLM manager's vocabulary
(``gateway.events``), for the requests the gateway answers.

- ``response_start``: a request resolved to a deployment or group (``request_id``, ``key_id``,
  ``deployment``, ``path``);
- ``response_chunk``: a text chunk of its reply (``request_id``, ``key_id``, ``deployment``,
  ``delta``);
- ``response_complete``: the request done (``status`` as the access log says it, ``tokens``,
  ``latency_s``);
- ``analytics_update``: after each ``response_complete``, the totals since start of that key's
  requests per deployment (``requests``, ``errors``, ``tokens``);
- ``provider_status_change``: a deployment's availability flipped (``deployment``,
  ``available``, ``available_at``), seen when a request completes.

Nothing is built when nobody listens: each step checks ``EventBus.has_subscribers`` first, and a
reply's chunks are only wrapped when someone listens as it starts.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from aiohttp import web

from gateway.events import EventBus

if TYPE_CHECKING:
    from gateway.router import Router

    from .errors import RequestLog


class RequestEvents:
    """Publishes the events of the gateway's requests on ``bus``; ``router`` tells the
    deployments' availability."""

    def __init__(self, bus: EventBus, router: Router) -> None:
        self.bus = bus
        self.router = router
        self._available = {d.name: True for d in router.deployments}
        self._totals: dict[str | None, dict[str, dict[str, int]]] = {}

    def _identity(self, log: RequestLog) -> dict[str, Any]:
        return {"request_id": log.request_id, "key_id": log.key_id, "deployment": log.deployment}

    def start(self, log: RequestLog, path: str) -> None:
        if self.bus.has_subscribers:
            self.bus.publish("response_start", {**self._identity(log), "path": path})

    def chunks(
        self, log: RequestLog, stream: AsyncGenerator[dict[str, Any], None]
    ) -> AsyncGenerator[dict[str, Any], None]:
        """``stream`` itself, or when anyone listens, ``stream`` with each text chunk published."""
        if not self.bus.has_subscribers:
            return stream
        return self._published(self._identity(log), stream)

    async def _published(
        self, identity: dict[str, Any], stream: AsyncGenerator[dict[str, Any], None]
    ) -> AsyncGenerator[dict[str, Any], None]:
        bus = self.bus
        try:
            async for chunk in stream:
                if chunk.get("type") == "text" and bus.has_subscribers:
                    bus.publish("response_chunk", {**identity, "delta": chunk.get("text", "")})
                yield chunk
        finally:
            await stream.aclose()

    async def complete(self, log: RequestLog, path: str, status: int, latency_s: float) -> None:
        """The request's end (called by the access log's middleware for requests that named a
        deployment): ``response_complete``, ``analytics_update``, then any status flips."""
        failed = status >= 400
        by_deployment = self._totals.setdefault(log.key_id, {})
        totals = by_deployment.setdefault(str(log.deployment), {"requests": 0, "errors": 0, "tokens": 0})
        totals["requests"] += 1
        totals["errors"] += failed
        totals["tokens"] += log.tokens or 0
        bus = self.bus
        if not bus.has_subscribers:
            return
        bus.publish("response_complete", {
            **self._identity(log), "path": path, "status": status, "tokens": log.tokens, "latency_s": latency_s,
        })
        bus.publish("analytics_update", {
            "key_id": log.key_id, "deployments": {name: dict(t) for name, t in by_deployment.items()},
        })
        for name, health in (await self.router.health()).items():
            available = bool(health["available"])
            if self._available.get(name, True) != available:
                self._available[name] = available
                bus.publish("provider_status_change", {
                    "deployment": name, "available": available, "available_at": health["available_at"],
                })


EVENTS = web.AppKey("gateway_request_events", RequestEvents)
