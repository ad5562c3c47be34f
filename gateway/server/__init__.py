"""The HTTP gateway on ``aiohttp.web`` (ours): ``build_app(config)`` serves the router (and
through it the ledger, budgets and strategies) as the OpenAI Chat Completions API
(``openai_api``), the Anthropic Messages API and the native handler endpoints. Modules:
``config`` (the TOML), ``state`` (what the endpoints share), ``auth``, ``errors`` (each API's
error shape, request ids, the access log), ``app``, ``serve`` (``python -m gateway serve``)."""

from .app import build_app
from .config import GatewayConfig, load_gateway_config

__all__ = ["build_app", "GatewayConfig", "load_gateway_config"]
