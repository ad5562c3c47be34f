"""The OpenAI Chat Completions API on the router (ours): ``POST /v1/chat/completions``."""

from __future__ import annotations

from aiohttp import web

routes = web.RouteTableDef()
