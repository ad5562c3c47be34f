"""The floor of the ``gateway`` measure: a bare ``aiohttp.web`` relay, the same extra loopback hop
as an HTTP proxy with none of a proxy's work (no key, no parsing, no handler, no log).

``POST /v1/chat/completions`` is sent on to the upstream's ``/v1/chat/completions`` as it came
(body and ``Content-Type``, one ``aiohttp.ClientSession`` for the process), and the upstream's
reply is sent back: its status and ``Content-Type``, its body as it arrives (one write per
read, so a streamed reply stays streamed; the headers with the first bytes, the end with the
last, as the gateway writes them). ``GET /health``
answers 200. It runs on the event loop the gateway runs on (``--loop``, the same choices and
default as ``python -m gateway serve``'s: uvloop when installed), so the two differ in their
work alone.

Run: ``python -m tools.bench.relay --upstream http://127.0.0.1:<port> --port <port> [--loop L]``.
"""

from __future__ import annotations

import argparse
import sys

import aiohttp
from aiohttp import web

from gateway.eventloop import LOOPS, new_event_loop

SESSION = web.AppKey("relay_session", aiohttp.ClientSession)
UPSTREAM = web.AppKey("relay_upstream", str)


class _Response(web.StreamResponse):
    _send_headers_immediately = False  # the headers with the first bytes, as a web.Response sends them


async def relay(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    headers = {"Content-Type": request.headers.get("Content-Type", "application/json")}
    async with request.app[SESSION].post(request.app[UPSTREAM] + request.path, data=body, headers=headers) as upstream:
        response = _Response(status=upstream.status, headers={"Content-Type": upstream.content_type})
        await response.prepare(request)
        held = b""
        async for data in upstream.content.iter_any():
            if held:
                await response.write(held)
            held = data
        await response.write_eof(held)
    return response


async def health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def _session(app: web.Application):  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        app[SESSION] = session
        yield


def build_app(upstream: str) -> web.Application:
    app = web.Application()
    app[UPSTREAM] = upstream.rstrip("/")
    app.cleanup_ctx.append(_session)
    app.router.add_post("/v1/chat/completions", relay)
    app.router.add_get("/health", health)
    return app


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.relay", description=__doc__.split("\n")[0])
    parser.add_argument("--upstream", required=True, help="the upstream's origin")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=LOOPS, default="auto", help="event loop (as the gateway's --loop)")
    args = parser.parse_args(argv)
    loop = new_event_loop(args.loop)
    web.run_app(build_app(args.upstream), host=args.host, port=args.port, access_log=None, print=None, loop=loop)


if __name__ == "__main__":
    main(sys.argv[1:])
