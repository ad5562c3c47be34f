"""Decoder property: however an Anthropic stream is cut into network chunks, the same events.

Every recorded ``text/event-stream`` body of the ``anthropic`` and ``anthropic-vertex`` scenarios
is re-cut at arbitrary byte offsets (inside lines, inside ``\\r\\n``-free event separators, inside
multi-byte UTF-8 characters) and decoded as @anthropic-ai/sdk 0.37.0's ``Stream.fromSSEResponse``
does (``providers.sdk.sse`` + the Anthropic event filter); the events, and so the chunks the
handlers build from them, must equal those of the body in one piece.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from providers.js.errors import JSError
from providers.js.jsonjs import loads
from providers.sdk.sse import iter_sse_messages

SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"
DATA_EVENTS = {"message_start", "message_delta", "message_stop", "content_block_start", "content_block_delta", "content_block_stop"}


def _recorded_streams() -> list[tuple[str, bytes]]:
    streams = []
    for provider in ("anthropic", "anthropic-vertex"):
        for scenario in sorted((SCENARIOS / provider).iterdir()):
            for index, entry in enumerate(json.loads((scenario / "scenario.json").read_text())["upstream"]):
                if "event-stream" not in entry.get("headers", {}).get("content-type", ""):
                    continue
                if "body_chunks_b64" in entry:
                    body = b"".join(base64.b64decode(c) for c in entry["body_chunks_b64"])
                else:
                    body = "".join(entry.get("body_chunks", [])).encode()
                streams.append((f"{provider}/{scenario.name}#{index}", body))
    return streams


STREAMS = _recorded_streams()


async def _pieces(body: bytes, cuts: list[int]) -> AsyncIterator[bytes]:
    start = 0
    for cut in [*sorted(set(cuts)), len(body)]:
        if cut > start:
            yield body[start:cut]
            start = cut


async def _decode(body: bytes, cuts: list[int]) -> list[object]:
    """The Anthropic SDK's view of the body: parsed data events, ``error`` events, or the
    SyntaxError a malformed data line raises (with the events before it)."""
    events: list[object] = []
    try:
        async for sse in iter_sse_messages(_pieces(body, cuts)):
            if sse.event in DATA_EVENTS or sse.event == "completion":
                events.append(loads(sse.data))
            elif sse.event == "error":
                events.append(("error", sse.data))
    except JSError as exc:
        events.append((type(exc).__name__, exc.message))
    return events


WHOLE = {name: asyncio.run(_decode(body, [])) for name, body in STREAMS}


def test_every_recorded_stream_is_covered() -> None:
    assert len(STREAMS) >= 15
    assert all(bool(WHOLE[name]) == bool(body) for name, body in STREAMS)  # empty_200_stream: none


@settings(max_examples=1000, deadline=None)
@given(data=st.data())
def test_any_split_yields_the_same_events(data: st.DataObject) -> None:
    name, body = data.draw(st.sampled_from(STREAMS), label="stream")
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(body)), max_size=40), label="cuts")
    assert asyncio.run(_decode(body, cuts)) == WHOLE[name]


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_byte_by_byte_yields_the_same_events(data: st.DataObject) -> None:
    name, body = data.draw(st.sampled_from(STREAMS), label="stream")
    assert asyncio.run(_decode(body, list(range(len(body))))) == WHOLE[name]
