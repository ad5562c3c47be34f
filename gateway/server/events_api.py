"""``GET /v1/events`` (ours): the gateway's events (``gateway.server.events``) as a WebSocket.

Each event is one text message, ``{"type": <name>, "data": {...}}``. ``?types=a,b`` keeps only
those types. A key sees the events of its own requests (and its own ``analytics_update``) and
every ``provider_status_change``; an open gateway's client sees everything. The server only
sends: the client's messages are read and ignored (pings are answered by aiohttp). A slow client
never holds a request back: its queue is bounded and what overflows is dropped and counted
(``EventBus.dropped``). On shutdown the socket is closed with code 1001 (going away), so an
open socket does not hold the graceful shutdown for its whole grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import weakref

from aiohttp import WSCloseCode, web

from gateway.events import EVENT_TYPES

from .auth import authenticate
from .errors import HttpProblem
from .state import STATE

routes = web.RouteTableDef()

SOCKETS = web.AppKey("gateway_event_sockets", weakref.WeakSet[web.WebSocketResponse])


@routes.get("/v1/events")
async def events(request: web.Request) -> web.WebSocketResponse:
    key = authenticate(request)
    types = tuple(t for t in request.query.get("types", "").split(",") if t)
    unknown = sorted(set(types) - EVENT_TYPES)
    if unknown:
        raise HttpProblem(400, f"unknown event types {unknown}; expected some of {sorted(EVENT_TYPES)}",
                          param="types", code="invalid_value")
    socket = web.WebSocketResponse(heartbeat=30)
    if not socket.can_prepare(request).ok:
        raise HttpProblem(426, "GET /v1/events is a WebSocket: send an upgrade request", code="upgrade_required",
                          headers={"Upgrade": "websocket"})
    key_id = None if key is None else key.id
    with request.app[STATE].events.subscribe(*types) as subscription:  # (before the handshake's answer)
        await socket.prepare(request)
        request.app[SOCKETS].add(socket)

        async def forward() -> None:
            try:
                async for event in subscription:
                    if key is None or event.data.get("key_id", key_id) == key_id:
                        await socket.send_str(json.dumps({"type": event.type, "data": event.data}, separators=(",", ":")))
            finally:  # (a send that failed: the client is told by the socket's end)
                await socket.close()

        sender = asyncio.create_task(forward())
        try:
            async for _ in socket:  # until the client closes (its messages are not read)
                pass
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await sender
    return socket


async def close_sockets(app: web.Application) -> None:
    """``on_shutdown``: every event socket closed (1001), so that none holds the shutdown."""
    sockets: weakref.WeakSet[web.WebSocketResponse] = app[SOCKETS]
    for socket in list(sockets):
        await socket.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
