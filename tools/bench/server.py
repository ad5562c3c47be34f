"""The loopback streaming server of the benchmark (aiohttp.web), run in a process of its own.

One listener serves the four wire formats the port's handlers speak, picked by the request path:

- ``…/chat/completions``: OpenAI chat-completions SSE (a role chunk, the deltas, a finish chunk,
  a usage chunk with empty ``choices``, ``[DONE]``); a request without ``"stream": true`` gets
  the same reply as one ``chat.completion`` JSON;
- ``…/messages``: Anthropic Messages SSE (``message_start``, ``content_block_start``, the
  ``content_block_delta`` events, ``content_block_stop``, ``message_delta`` with the usage,
  ``message_stop``);
- ``…:streamGenerateContent``: Gemini ``alt=sse`` (one event per delta, each with the prompt's
  ``usageMetadata``; the last adds ``finishReason`` and the full usage), ``\\r\\n\\r\\n``-separated
  as Google sends it;
- ``…/converse-stream``: Bedrock ConverseStream, binary event-stream frames with valid prelude and
  message CRCs (``messageStart``, the ``contentBlockDelta`` events, ``contentBlockStop``,
  ``messageStop``, ``metadata`` with the usage).

How many deltas a reply carries is read from the request body: the first ``ndeltas=<N>`` in it
(clients put it in the user message), so handlers are built once with a fixed base URL. Every
event is one ``write`` on the response; event bytes are built once per N and reused.

Quota mode, for the rate-limiter measure: under ``/quota/<Q>/<headers>/<run>/…`` the same streams
are served at most ``Q`` per second per prefix (a bucket of ``Q / 20`` requests, 50 ms worth,
refilled continuously). Above it the answer is a 429 with ``retry-after`` in fractional seconds
until the next free slot; with ``<headers>`` = ``openai`` every reply also carries OpenAI's
``x-ratelimit-*-requests`` headers (``plain``: nothing but the 429 and ``retry-after``).
``GET /quota/<Q>/<headers>/<run>/stats`` returns ``{"served": n, "refused": n}`` for the prefix.

Run: ``python -m tools.bench.server`` prints ``PORT <n>`` on stdout once it listens.
"""

from __future__ import annotations

import asyncio
import json
import re
import resource
import struct
import sys
import time
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

from aiohttp import web


def delta_text(i: int) -> str:
    """The text of delta ``i``: distinct from its neighbours, as a model's tokens are (litellm
    rejects a stream that repeats one chunk too often)."""
    return f" tok{i}"


PROMPT_TOKENS = 21

_N_PATTERN = re.compile(rb"ndeltas=(\d+)")
_STREAMED = re.compile(rb'"stream"\s*:\s*true')


def _sse(data: str, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {data}\n\n".encode()


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


@lru_cache(maxsize=16)
def openai_events(n: int) -> tuple[bytes, ...]:
    """A chat.completions stream of ``n`` content deltas with a final usage chunk."""
    head = (
        '{"id":"chatcmpl-Bbench000000000000000000001","object":"chat.completion.chunk",'
        '"created":1767225600,"model":"gpt-4o-2024-08-06","service_tier":"default",'
        '"system_fingerprint":"fp_a288987b44","choices":'
    )
    events = [
        _sse(
            head + '[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},'
            '"logprobs":null,"finish_reason":null}],"usage":null}'
        )
    ]
    events.extend(
        _sse(
            head + f'[{{"index":0,"delta":{_compact({"content": delta_text(i)})},"logprobs":null,'
            '"finish_reason":null}],"usage":null}'
        )
        for i in range(n)
    )
    events.append(
        _sse(head + '[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}')
    )
    usage = {
        "prompt_tokens": PROMPT_TOKENS,
        "completion_tokens": n,
        "total_tokens": PROMPT_TOKENS + n,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }
    events.append(_sse(head + f'[],"usage":{_compact(usage)}}}'))
    events.append(_sse("[DONE]"))
    return tuple(events)


@lru_cache(maxsize=16)
def openai_completion(n: int) -> bytes:
    """The same reply not streamed (a request without ``"stream": true``): one chat.completion."""
    usage = {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": n, "total_tokens": PROMPT_TOKENS + n}
    return _compact(
        {
            "id": "chatcmpl-Bbench000000000000000000001",
            "object": "chat.completion",
            "created": 1767225600,
            "model": "gpt-4o-2024-08-06",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "".join(delta_text(i) for i in range(n))},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": usage,
        }
    ).encode()


@lru_cache(maxsize=16)
def anthropic_events(n: int) -> tuple[bytes, ...]:
    """A Messages stream of ``n`` text deltas; ``message_delta`` carries the final usage."""
    start = {
        "type": "message_start",
        "message": {
            "model": "claude-sonnet-4-5-20250929",
            "id": "msg_01Bench00000000000000001",
            "type": "message",
            "role": "assistant",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {
                "input_tokens": PROMPT_TOKENS,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "output_tokens": 1,
                "service_tier": "standard",
            },
        },
    }
    end = {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": n},
    }
    events = [
        _sse(_compact(start), "message_start"),
        _sse(
            _compact(
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
            ),
            "content_block_start",
        ),
    ]
    events.extend(
        _sse(
            _compact(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": delta_text(i)},
                }
            ),
            "content_block_delta",
        )
        for i in range(n)
    )
    events.append(_sse(_compact({"type": "content_block_stop", "index": 0}), "content_block_stop"))
    events.append(_sse(_compact(end), "message_delta"))
    events.append(_sse(_compact({"type": "message_stop"}), "message_stop"))
    return tuple(events)


@lru_cache(maxsize=16)
def gemini_events(n: int) -> tuple[bytes, ...]:
    """``streamGenerateContent?alt=sse``: one event per delta, the last with the full usage."""

    def event(i: int, final: bool) -> bytes:
        candidate: dict[str, object] = {"content": {"parts": [{"text": delta_text(i)}], "role": "model"}}
        usage: dict[str, object] = {"promptTokenCount": PROMPT_TOKENS, "totalTokenCount": PROMPT_TOKENS}
        if final:
            candidate["finishReason"] = "STOP"
            usage = {
                "promptTokenCount": PROMPT_TOKENS,
                "candidatesTokenCount": n,
                "totalTokenCount": PROMPT_TOKENS + n,
            }
        candidate["index"] = 0
        body = {
            "candidates": [candidate],
            "usageMetadata": usage,
            "modelVersion": "gemini-2.5-flash",
            "responseId": "BenchRespId0001",
        }
        return f"data: {json.dumps(body)}\r\n\r\n".encode()

    if n < 1:
        raise ValueError("a Gemini reply carries at least one delta")
    return tuple(event(i, i == n - 1) for i in range(n))


def event_stream_frame(event_type: str, payload: bytes) -> bytes:
    """One AWS event-stream message: prelude, its CRC, string headers, payload, message CRC."""
    headers = b""
    for name, value in (
        (":event-type", event_type),
        (":content-type", "application/json"),
        (":message-type", "event"),
    ):
        raw_name, raw_value = name.encode(), value.encode()
        headers += (
            struct.pack(">B", len(raw_name)) + raw_name + struct.pack(">BH", 7, len(raw_value)) + raw_value
        )
    total = 12 + len(headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(headers))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


@lru_cache(maxsize=16)
def bedrock_events(n: int) -> tuple[bytes, ...]:
    """A ConverseStream reply: ``n`` ``contentBlockDelta`` frames, ``metadata`` with the usage last."""
    usage = {"inputTokens": PROMPT_TOKENS, "outputTokens": n, "totalTokens": PROMPT_TOKENS + n}
    deltas = tuple(
        event_stream_frame(
            "contentBlockDelta",
            _compact({"contentBlockIndex": 0, "delta": {"text": delta_text(i)}, "p": "abcdefghijk"}).encode(),
        )
        for i in range(n)
    )
    return (
        (event_stream_frame("messageStart", b'{"role":"assistant","p":"abcdefghijklmnopqrst"}'),)
        + deltas
        + (
            event_stream_frame(
                "contentBlockStop", b'{"contentBlockIndex":0,"p":"abcdefghijklmnopqrstuvwxyzABCD"}'
            ),
            event_stream_frame("messageStop", b'{"stopReason":"end_turn","p":"abcd"}'),
            event_stream_frame(
                "metadata", _compact({"metrics": {"latencyMs": 1234}, "usage": usage, "p": "ab"}).encode()
            ),
        )
    )


_ROUTES = (
    ("/chat/completions", openai_events, "text/event-stream; charset=utf-8"),
    ("/messages", anthropic_events, "text/event-stream; charset=utf-8"),
    (":streamGenerateContent", gemini_events, "text/event-stream"),
    ("/converse-stream", bedrock_events, "application/vnd.amazon.eventstream"),
)


@dataclass
class QuotaBucket:
    """The quota of one ``/quota/<Q>/<headers>/<run>`` prefix, and what it served and refused."""

    rate: float
    headers: str
    capacity: float = 0.0
    level: float = 0.0
    updated: float = field(default_factory=time.monotonic)
    served: int = 0
    refused: int = 0

    def __post_init__(self) -> None:
        self.capacity = self.level = max(1.0, self.rate / 20)

    def take(self) -> float:
        """0 when a request may pass now, else the seconds until one may."""
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now
        if self.level >= 1.0:
            self.level -= 1.0
            self.served += 1
            return 0.0
        self.refused += 1
        return (1.0 - self.level) / self.rate

    def limit_headers(self) -> dict[str, str]:
        """OpenAI's request rate-limit headers (``openai`` mode), else none."""
        if self.headers != "openai":
            return {}
        reset_s = (self.capacity - self.level) / self.rate
        return {
            "x-ratelimit-limit-requests": str(int(self.capacity)),
            "x-ratelimit-remaining-requests": str(int(self.level)),
            "x-ratelimit-reset-requests": f"{reset_s * 1000:.0f}ms",
        }


_QUOTA_PATTERN = re.compile(r"^/quota/(\d+(?:\.\d+)?)/(plain|openai)/([\w-]+)(/.*)$")
_QUOTAS: dict[str, QuotaBucket] = {}


async def handle(request: web.Request) -> web.StreamResponse:
    """Stream the reply the path asks for, one write per event (within the quota, in quota mode)."""
    body = await request.read()
    found = _N_PATTERN.search(body)
    n = int(found.group(1)) if found else 10
    path = request.path
    extra: dict[str, str] = {}
    quota = _QUOTA_PATTERN.match(path)
    if quota is not None:
        rate, mode, run, path = quota.groups()
        key = f"{rate}/{mode}/{run}"
        bucket = _QUOTAS.get(key)
        if bucket is None:
            bucket = _QUOTAS[key] = QuotaBucket(float(rate), mode)
        if path == "/stats":
            return web.json_response({"served": bucket.served, "refused": bucket.refused})
        wait = bucket.take()
        extra = bucket.limit_headers()
        if wait > 0:
            extra["retry-after"] = f"{wait:.3f}"
            error = {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}
            return web.json_response({"error": error}, status=429, headers=extra)
    route = next((route for route in _ROUTES if path.endswith(route[0])), None)
    if route is None:
        return web.json_response({"error": {"message": f"bench server: no stream at {path}"}}, status=404)
    _, build, content_type = route
    if build is openai_events and _STREAMED.search(body) is None:
        return web.Response(body=openai_completion(n), content_type="application/json", headers=extra)
    events = build(n)
    response = web.StreamResponse(status=200, headers={"Content-Type": content_type, **extra})
    await response.prepare(request)
    write = response.write
    for event in events:
        await write(event)
    await response.write_eof()
    return response


async def serve(port: int = 0) -> None:
    """Listen on 127.0.0.1 until killed; print ``PORT <n>`` once ready."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=4096)
    await site.start()
    print(f"PORT {runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


def raise_open_files_limit() -> None:
    """Let this process hold the sockets of 1,000+ concurrent streams."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


if __name__ == "__main__":
    raise_open_files_limit()
    try:
        asyncio.run(serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
    except KeyboardInterrupt:
        pass
