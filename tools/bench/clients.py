"""The clients of the benchmark: one streaming call per wire format, each checking every delta.

- ``floor``: raw aiohttp, a line split (a length-prefix split for Bedrock's binary frames) and
  ``json.loads``, nothing else: no retries, no signing, no CRC checks, no chunk objects.
- ``port``: provider-port's handlers through ``providers.build_api_handler``, pointed at the
  loopback server through their settings (``openAiBaseUrl``, ``anthropicBaseUrl``,
  ``googleGeminiBaseUrl``, ``awsBedrockEndpoint`` + ``awsBedrockEndpointEnabled``).
- ``openai-python``, ``anthropic-python``, ``litellm``: what a user would pick instead. The two
  SDKs get an httpx pool as large as the port's (``POOL``), the only knob that matters for 1,000
  concurrent streams; litellm runs with its defaults.
- ``ProxyClient``: raw aiohttp to an OpenAI-compatible HTTP proxy (the gateway measure's: the
  port's gateway, the LiteLLM proxy), checking each delta's text and counting the ones lost.

``make_client(name, wire, origin)`` returns a ``Client``; ``await client.stream(n)`` makes one
request for ``n`` deltas and raises ``AssertionError`` unless exactly ``n`` text deltas and a final
usage arrived. Peers are imported only when asked for.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import AsyncIterator, Callable
from typing import Any

CLIENTS = ("floor", "port", "openai-python", "anthropic-python", "litellm")
WIRES = ("openai", "anthropic", "gemini", "bedrock")

PEER_MODULES = {"openai-python": "openai", "anthropic-python": "anthropic", "litellm": "litellm"}
"""The module each peer client needs (the ``bench`` extra installs them)."""

SUPPORTED_WIRES = {
    "floor": WIRES,
    "port": WIRES,
    "openai-python": ("openai",),
    "anthropic-python": ("anthropic",),
    "litellm": WIRES,
}

POOL = 1000
"""Connections each client may keep open at once (the port's transport pool size)."""

SYSTEM = "You are terse."
OPENAI_MODEL = "gpt-4o"
ANTHROPIC_MODEL = "claude-sonnet-4-5"
GEMINI_MODEL = "gemini-2.5-flash"
BEDROCK_MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0"
OPENAI_KEY = "sk-proj-SAMPLETESTKEY0000000000000000"
ANTHROPIC_KEY = "sk-ant-api03-SAMPLETESTKEY000000000000000000000000000000"
GEMINI_KEY = "AIzaSySAMPLETESTKEY000000000000000000000"
AWS_REGION = "us-east-1"
AWS_ACCESS_KEY = "AKIASAMPLETEST000000"
AWS_SECRET_KEY = "sampleSecretKey0000000000000000000000000"


def prompt(n: int) -> str:
    """The user message: the server reads ``ndeltas=<n>`` from the request body."""
    return f"Say hello. ndeltas={n}"


def port_settings(wire: str, origin: str) -> dict[str, Any]:
    """The settings a user would give ``build_api_handler`` for this wire and server."""
    if wire == "openai":
        return {
            "apiProvider": "openai",
            "openAiBaseUrl": f"{origin}/v1",
            "openAiApiKey": OPENAI_KEY,
            "openAiModelId": OPENAI_MODEL,
        }
    if wire == "anthropic":
        return {
            "apiProvider": "anthropic",
            "apiModelId": ANTHROPIC_MODEL,
            "apiKey": ANTHROPIC_KEY,
            "anthropicBaseUrl": origin,
        }
    if wire == "gemini":
        return {
            "apiProvider": "gemini",
            "apiModelId": GEMINI_MODEL,
            "geminiApiKey": GEMINI_KEY,
            "googleGeminiBaseUrl": origin,
        }
    if wire == "bedrock":
        return {
            "apiProvider": "bedrock",
            "apiModelId": BEDROCK_MODEL,
            "awsRegion": AWS_REGION,
            "awsAccessKey": AWS_ACCESS_KEY,
            "awsSecretKey": AWS_SECRET_KEY,
            "awsBedrockEndpoint": origin,
            "awsBedrockEndpointEnabled": True,
        }
    raise ValueError(f"unknown wire {wire!r}")


def check(name: str, n: int, deltas: int, usage: bool) -> None:
    """Every delta and the final usage arrived."""
    if deltas != n or not usage:
        raise AssertionError(f"{name}: {deltas} of {n} deltas, usage {'seen' if usage else 'missing'}")


class Client:
    """One client for one wire: ``stream(n)`` per request, ``close()`` once at the end."""

    name = ""

    async def stream(self, n: int) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        """Release connections and sessions."""


# --- floor ----------------------------------------------------------------------------------


def _openai_event(obj: Any) -> tuple[int, bool]:
    choices = obj["choices"]
    return (1 if choices and choices[0]["delta"].get("content") else 0), bool(obj.get("usage"))


def _anthropic_event(obj: Any) -> tuple[int, bool]:
    kind = obj["type"]
    if kind == "content_block_delta":
        return (1 if obj["delta"].get("text") else 0), False
    return 0, kind == "message_delta"


def _gemini_event(obj: Any) -> tuple[int, bool]:
    text = obj["candidates"][0]["content"]["parts"][0].get("text")
    return (1 if text else 0), "candidatesTokenCount" in obj.get("usageMetadata", {})


_FLOOR_EVENTS: dict[str, Callable[[Any], tuple[int, bool]]] = {
    "openai": _openai_event,
    "anthropic": _anthropic_event,
    "gemini": _gemini_event,
}


class FloorClient(Client):
    """Raw aiohttp: POST, split lines (or frames), ``json.loads`` each payload."""

    name = "floor"

    def __init__(self, wire: str, origin: str) -> None:
        self.wire = wire
        self.origin = origin
        self._session: Any = None

    def _request(self, n: int) -> tuple[str, dict[str, str], bytes]:
        user = {"role": "user", "content": prompt(n)}
        origin = self.origin
        if self.wire == "openai":
            body = {
                "model": OPENAI_MODEL,
                "messages": [{"role": "system", "content": SYSTEM}, user],
                "stream": True,
                "stream_options": {"include_usage": True},
            }
            headers = {"Authorization": f"Bearer {OPENAI_KEY}"}
            url = f"{origin}/v1/chat/completions"
        elif self.wire == "anthropic":
            body = {
                "model": ANTHROPIC_MODEL,
                "max_tokens": 8192,
                "system": SYSTEM,
                "messages": [user],
                "stream": True,
            }
            headers = {"x-api-key": ANTHROPIC_KEY, "anthropic-version": "2023-06-01"}
            url = f"{origin}/v1/messages"
        elif self.wire == "gemini":
            body = {
                "contents": [{"role": "user", "parts": [{"text": user["content"]}]}],
                "systemInstruction": {"parts": [{"text": SYSTEM}]},
            }
            headers = {"x-goog-api-key": GEMINI_KEY}
            url = f"{origin}/v1beta/models/{GEMINI_MODEL}:streamGenerateContent?alt=sse"
        else:
            body = {
                "messages": [{"role": "user", "content": [{"text": user["content"]}]}],
                "system": [{"text": SYSTEM}],
            }
            headers = {}
            url = f"{origin}/model/{BEDROCK_MODEL.replace(':', '%3A')}/converse-stream"
        headers["Content-Type"] = "application/json"
        return url, headers, json.dumps(body).encode()

    async def stream(self, n: int) -> None:
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=POOL))
        url, headers, body = self._request(n)
        async with self._session.post(url, data=body, headers=headers) as response:
            if response.status != 200:
                raise AssertionError(f"floor: HTTP {response.status}")
            if self.wire == "bedrock":
                deltas, usage = await _floor_frames(response.content.iter_any())
            else:
                deltas, usage = await _floor_sse(response.content.iter_any(), _FLOOR_EVENTS[self.wire])
        check(self.name, n, deltas, usage)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


async def _floor_sse(
    chunks: AsyncIterator[bytes], on_event: Callable[[Any], tuple[int, bool]]
) -> tuple[int, bool]:
    deltas = 0
    usage = False
    rest = b""
    loads = json.loads
    async for chunk in chunks:
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        for line in lines:
            if line.startswith(b"data: ") and not line.startswith(b"data: [DONE]"):
                got, final = on_event(loads(line[6:]))
                deltas += got
                usage = usage or final
    return deltas, usage


async def _floor_frames(chunks: AsyncIterator[bytes]) -> tuple[int, bool]:
    deltas = 0
    usage = False
    buffer = b""
    loads = json.loads
    unpack = struct.Struct(">II").unpack_from
    async for chunk in chunks:
        buffer += chunk
        start = 0
        while len(buffer) - start >= 12:
            total, headers_length = unpack(buffer, start)
            if len(buffer) - start < total:
                break
            obj = loads(buffer[start + 12 + headers_length : start + total - 4])
            start += total
            if "delta" in obj:
                deltas += 1
            elif "usage" in obj:
                usage = True
        buffer = buffer[start:]
    return deltas, usage


# --- the port -------------------------------------------------------------------------------


class PortClient(Client):
    """``build_api_handler(settings).create_message(...)``: the chunks a caller sees (through
    ``limiter``, a ``providers.ratelimit.AdaptiveLimiter``, when one is given)."""

    name = "port"

    def __init__(self, wire: str, origin: str, limiter: Any = None) -> None:
        import providers

        self._providers = providers
        self.handler = providers.build_api_handler(port_settings(wire, origin), limiter=limiter)

    async def stream(self, n: int) -> None:
        deltas = 0
        usage = False
        messages = [{"role": "user", "content": prompt(n)}]
        async for chunk in self.handler.create_message(SYSTEM, messages):
            kind = chunk["type"]
            if kind == "text":
                if chunk["text"]:
                    deltas += 1
            elif kind == "usage":
                usage = True
        check(self.name, n, deltas, usage)

    async def close(self) -> None:
        await self._providers.aclose()


class RouterClient(PortClient):
    """The same requests through a ``gateway.router.Router`` with one deployment (its handler
    built with the SDK retries off, as the router builds them; the default timeout watchdog)."""

    name = "router"

    def __init__(self, wire: str, origin: str) -> None:
        import providers
        from gateway.router import Router

        self._providers = providers
        self.handler = Router([{"name": "main", "settings": port_settings(wire, origin)}])


class LedgerRouterClient(PortClient):
    """The router of ``RouterClient`` with a ledger at ``url`` and ``budgets`` (each request's
    estimate reserved before it is sent, its attempt settled after)."""

    name = "router+ledger"

    def __init__(self, wire: str, origin: str, url: str, budgets: list[Any]) -> None:
        import providers
        from gateway.ledger import Ledger
        from gateway.router import Router

        self._providers = providers
        self.ledger = Ledger(url)
        self.handler = Router([{"name": "main", "settings": port_settings(wire, origin)}], ledger=self.ledger, budgets=budgets)

    async def close(self) -> None:
        await self.ledger.aclose()
        await super().close()


class ProxyClient(Client):
    """Raw aiohttp to an OpenAI-compatible HTTP proxy (the gateway, the LiteLLM proxy) at
    ``origin``, with the proxy's ``key``: the floor's request and line split, and a stricter
    check of what came back. Every stream must carry exactly the upstream's deltas, in order
    (their text is ``delta_text(0..n-1)``), the usage and ``data: [DONE]``; a stream that does
    not is an ``AssertionError`` and counted: ``lost`` adds up the deltas missing from every
    stream so far. With ``streamed=False`` each request asks for one JSON reply
    (``"stream": false``) whose message must be the deltas' text, with the usage."""

    name = "proxy"

    def __init__(self, origin: str, key: str, streamed: bool = True) -> None:
        self.url = f"{origin}/v1/chat/completions"
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self.streamed = streamed
        self.lost = 0
        self._session: Any = None

    async def stream(self, n: int) -> None:
        import aiohttp

        from .server import delta_text

        if self._session is None:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        request: dict[str, Any] = {
            "model": OPENAI_MODEL,
            "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt(n)}],
            "stream": self.streamed,
        }
        if self.streamed:
            request["stream_options"] = {"include_usage": True}
        else:
            await self._complete(n, json.dumps(request), "".join(delta_text(i) for i in range(n)))
            return
        body = json.dumps(request)
        texts: list[str] = []
        usage = done = False
        async with self._session.post(self.url, data=body, headers=self.headers) as response:
            if response.status != 200:
                self.lost += n
                raise AssertionError(f"{self.name}: HTTP {response.status}: {(await response.text())[:200]}")
            rest = b""
            loads = json.loads
            async for chunk in response.content.iter_any():
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    if not line.startswith(b"data: "):
                        continue
                    if line.startswith(b"data: [DONE]"):
                        done = True
                        continue
                    obj = loads(line[6:])
                    choices = obj.get("choices")
                    if choices and choices[0]["delta"].get("content"):
                        texts.append(choices[0]["delta"]["content"])
                    usage = usage or bool(obj.get("usage"))
        expected = [delta_text(i) for i in range(n)]
        if texts != expected or not usage or not done:
            self.lost += len(set(expected).difference(texts))
            raise AssertionError(
                f"{self.name}: {len(texts)} of {n} deltas"
                f"{'' if texts == expected[: len(texts)] else ' (out of order or altered)'}, "
                f"usage {'seen' if usage else 'missing'}, [DONE] {'seen' if done else 'missing'}"
            )

    async def _complete(self, n: int, body: str, expected: str) -> None:
        async with self._session.post(self.url, data=body, headers=self.headers) as response:
            if response.status != 200:
                self.lost += n
                raise AssertionError(f"{self.name}: HTTP {response.status}: {(await response.text())[:200]}")
            reply = await response.json()
        text = reply["choices"][0]["message"]["content"]
        if text != expected or not reply.get("usage"):
            self.lost += n
            raise AssertionError(f"{self.name}: a reply of {len(text or '')} characters for {len(expected)}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


# --- peers ----------------------------------------------------------------------------------


def _httpx_pool() -> Any:
    import httpx

    return httpx.Limits(max_connections=POOL, max_keepalive_connections=POOL)


class OpenAIPythonClient(Client):
    """openai-python: ``chat.completions.create(stream=True)``."""

    name = "openai-python"

    def __init__(self, wire: str, origin: str, api_key: str = OPENAI_KEY) -> None:
        from openai import AsyncOpenAI, DefaultAsyncHttpxClient

        self.client = AsyncOpenAI(
            api_key=api_key,
            base_url=f"{origin}/v1",
            max_retries=0,
            http_client=DefaultAsyncHttpxClient(limits=_httpx_pool()),
        )

    async def stream(self, n: int) -> None:
        deltas = 0
        usage = False
        stream = await self.client.chat.completions.create(
            model=OPENAI_MODEL,
            messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt(n)}],
            stream=True,
            stream_options={"include_usage": True},
        )
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                deltas += 1
            if chunk.usage:
                usage = True
        check(self.name, n, deltas, usage)

    async def close(self) -> None:
        await self.client.close()


class AnthropicPythonClient(Client):
    """anthropic-python: ``messages.create(stream=True)`` (the raw events, no snapshot)."""

    name = "anthropic-python"

    def __init__(self, wire: str, origin: str) -> None:
        from anthropic import AsyncAnthropic, DefaultAsyncHttpxClient

        self.client = AsyncAnthropic(
            api_key=ANTHROPIC_KEY,
            base_url=origin,
            max_retries=0,
            http_client=DefaultAsyncHttpxClient(limits=_httpx_pool()),
        )

    async def stream(self, n: int) -> None:
        deltas = 0
        usage = False
        stream = await self.client.messages.create(
            model=ANTHROPIC_MODEL,
            max_tokens=8192,
            system=SYSTEM,
            messages=[{"role": "user", "content": prompt(n)}],
            stream=True,
        )
        async for event in stream:
            if event.type == "content_block_delta":
                if getattr(event.delta, "text", None):
                    deltas += 1
            elif event.type == "message_delta":
                usage = True
        check(self.name, n, deltas, usage)

    async def close(self) -> None:
        await self.client.close()


class LiteLLMClient(Client):
    """litellm: ``acompletion(stream=True)`` with the provider prefix of the wire (with
    ``streamed=False``: ``acompletion(stream=False)``, one reply whose text must be the deltas')."""

    name = "litellm"

    def __init__(self, wire: str, origin: str, streamed: bool = True) -> None:
        self.streamed = streamed
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no model-price download
        import litellm

        litellm.suppress_debug_info = True
        litellm.telemetry = False
        self._litellm = litellm
        if wire == "openai":
            self.kwargs: dict[str, Any] = {
                "model": f"openai/{OPENAI_MODEL}",
                "api_base": f"{origin}/v1",
                "api_key": OPENAI_KEY,
            }
        elif wire == "anthropic":
            self.kwargs = {
                "model": f"anthropic/{ANTHROPIC_MODEL}",
                "api_base": origin,
                "api_key": ANTHROPIC_KEY,
            }
        elif wire == "gemini":
            self.kwargs = {"model": f"gemini/{GEMINI_MODEL}", "api_base": origin, "api_key": GEMINI_KEY}
        else:
            self.kwargs = {
                "model": f"bedrock/converse/{BEDROCK_MODEL}",
                "aws_bedrock_runtime_endpoint": origin,
                "aws_region_name": AWS_REGION,
                "aws_access_key_id": AWS_ACCESS_KEY,
                "aws_secret_access_key": AWS_SECRET_KEY,
            }

    async def stream(self, n: int) -> None:
        if not self.streamed:
            from .server import delta_text

            reply = await self._litellm.acompletion(
                messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt(n)}],
                max_retries=0,
                **self.kwargs,
            )
            text = reply.choices[0].message.content
            if text != "".join(delta_text(i) for i in range(n)) or not reply.usage:
                raise AssertionError(f"{self.name}: a reply of {len(text or '')} characters for {n} deltas")
            return
        deltas = 0
        usage = False
        response = await self._litellm.acompletion(
            messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt(n)}],
            stream=True,
            stream_options={"include_usage": True},
            max_retries=0,
            **self.kwargs,
        )
        async for chunk in response:
            if chunk.choices and chunk.choices[0].delta.content:
                deltas += 1
            if getattr(chunk, "usage", None):
                usage = True
        check(self.name, n, deltas, usage)

    async def close(self) -> None:
        await self._litellm.close_litellm_async_clients()


_FACTORIES: dict[str, Callable[[str, str], Client]] = {
    "floor": FloorClient,
    "port": PortClient,
    "openai-python": OpenAIPythonClient,
    "anthropic-python": AnthropicPythonClient,
    "litellm": LiteLLMClient,
}


def make_client(name: str, wire: str, origin: str) -> Client:
    """The client ``name`` for ``wire``, talking to the server at ``origin``."""
    if wire not in SUPPORTED_WIRES[name]:
        raise ValueError(f"{name} does not speak the {wire} wire")
    return _FACTORIES[name](wire, origin)
