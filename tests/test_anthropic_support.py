"""Anthropic / Claude-on-Vertex helpers for the Anthropic tests (no tests of its own).

The upstream is conftest.py's (tests/loopback.py): plain HTTP for ``anthropicBaseUrl``, TLS for the
hosts the reference hard-codes (``api.anthropic.com``, ``www.googleapis.com``,
``*-aiplatform.googleapis.com``). Here: the Messages API's stream events, and a request as a
snapshot shows it.
"""

from __future__ import annotations

import json
from typing import Any

import loopback
from loopback import PLATFORM_HEADERS, Seen

SAMPLE_API_KEY = "sk-ant-api03-SAMPLETESTKEY000000000000000000000000000000"

# Headers whose values belong to the platform or the connection, not to the port's choices.
NOT_SHOWN = PLATFORM_HEADERS | {"host", "x-goog-api-client"}


class Reply(loopback.Reply):
    @classmethod
    def sse(cls, *events: dict[str, Any]) -> Reply:
        """``event: <type>`` / ``data: <json>`` per event, as Anthropic's API writes them."""
        chunks = [f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events]
        return cls(200, {"content-type": "text/event-stream; charset=utf-8"}, chunks)


def request_transcript(seen: Seen) -> dict[str, Any]:
    """What a snapshot shows: the request without platform headers; a JSON body as sent (its key
    order and layout are part of the behaviour), a form body by its field names (the JWT in a
    token request changes with the clock)."""
    headers = {k: _redact(k, v) for k, v in seen.headers.items() if k not in NOT_SHOWN}
    if "json" in headers.get("content-type", ""):
        body: Any = seen.body.decode()
    else:
        body = {"form_fields": [part.split("=", 1)[0] for part in seen.body.decode().split("&")]}
    return {"method": seen.method, "url": seen.url, "headers": headers, "body": body}


def _redact(name: str, value: str) -> str:
    """Credentials cut to a short prefix: snapshots show no key or token."""
    if name == "x-api-key":
        return value[:10] + "…"
    if name == "authorization":
        scheme, _, credential = value.partition(" ")
        return f"{scheme} {credential[:6]}…"
    return value


# --- the Messages API's stream events ---------------------------------------------------------


def message_start(input_tokens: int = 10, output_tokens: int = 1, **usage: int) -> dict[str, Any]:
    return {
        "type": "message_start",
        "message": {
            "id": "msg_01Sample",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5-20250929",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, **usage, "output_tokens": output_tokens},
        },
    }


def block_start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def block_delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def block_stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


def message_end(output_tokens: int = 5) -> list[dict[str, Any]]:
    return [
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": output_tokens}},
        {"type": "message_stop"},
    ]


def text_stream(text: str = "Hello!") -> Reply:
    """A minimal stream: one text block."""
    return Reply.sse(
        message_start(),
        block_start(0, {"type": "text", "text": ""}),
        block_delta(0, {"type": "text_delta", "text": text}),
        block_stop(0),
        *message_end(),
    )
