"""The gateway's ``aiohttp.web`` application (ours): each API module's routes, plus
``GET /health`` (liveness), ``GET /ready`` (503 when no deployment is available),
``GET /metrics`` (the ledger's Prometheus registry), ``GET /v1/models`` (the deployments
and groups the caller's key may use, in OpenAI's list shape) and ``GET /v1/events`` (a
WebSocket of the gateway's events, ``events_api``)."""

from __future__ import annotations

from pathlib import Path
import weakref
from typing import Any, Mapping

from aiohttp import web

import providers
from gateway.router import Router

from . import anthropic_api, events_api, native_api, openai_api
from .auth import authenticate
from .config import GatewayConfig, load_gateway_config
from .errors import add_request_id, problem_middleware
from .events import EVENTS, RequestEvents
from .state import STATE, GatewayState

routes = web.RouteTableDef()

RUNNER_OPTIONS: dict[str, Any] = {"handler_cancellation": True, "access_log": None}
"""How the app is run (``web.run_app``, ``web.AppRunner``): a client that disconnects cancels its
handler, which closes the router's stream and with it the upstream request; the access log is
the gateway's own (``gateway.access``)."""


def build_app(config: GatewayConfig | str | Path | Mapping[str, Any]) -> web.Application:
    """The application for ``config`` (a ``GatewayConfig``, a TOML path, or its tables)."""
    if not isinstance(config, GatewayConfig):
        config = load_gateway_config(config)
    router = Router.from_config(config.router)
    app = web.Application(middlewares=[problem_middleware], client_max_size=config.server.max_body_bytes)
    app[STATE] = state = GatewayState(config, router)
    app[EVENTS] = RequestEvents(state.events, router)
    app[events_api.SOCKETS] = weakref.WeakSet()
    app[native_api.HANDLERS] = native_api.Handlers()
    app.on_response_prepare.append(add_request_id)
    app.on_shutdown.append(events_api.close_sockets)
    app.on_cleanup.append(_close)
    app.add_routes(routes)
    app.add_routes(openai_api.routes)
    app.add_routes(anthropic_api.routes)
    app.add_routes(native_api.routes)
    app.add_routes(events_api.routes)
    return app


async def _close(app: web.Application) -> None:
    ledger = app[STATE].ledger
    if ledger is not None:
        await ledger.aclose()
    await providers.aclose()


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/ready")
async def ready(request: web.Request) -> web.Response:
    deployments = await request.app[STATE].router.health()
    available = [name for name, status in deployments.items() if status["available"]]
    body = {"status": "ready" if available else "unavailable", "available": available,
            "deployments": len(deployments)}
    return web.json_response(body, status=200 if available else 503)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    ledger = request.app[STATE].ledger
    body = generate_latest(ledger.metrics.registry) if ledger is not None else b""
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


@routes.get("/v1/models")
async def models(request: web.Request) -> web.Response:
    state = request.app[STATE]
    key = authenticate(request)
    owners = {d.name: d.provider for d in state.router.deployments}
    data = [
        {"id": name, "object": "model", "created": 0, "owned_by": owners.get(name, "gateway")}
        for name in state.models_for(key)
    ]
    return web.json_response({"object": "list", "data": data})
