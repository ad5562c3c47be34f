"""The event-stream layer of providers.sdk.aws: framing, CRC checks, unmarshalling.

@smithy/eventstream-serde-universal 4.2.4 ``getChunkedStream`` reassembles messages from any body
chunking; the property below holds the port to that over every recorded Bedrock stream.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from providers.sdk.aws import EventMessageChunker, decode_message, unmarshal_event
from providers.js.errors import JSError

SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios" / "bedrock"


def _recorded_bodies() -> list[bytes]:
    bodies = []
    for scenario in sorted(SCENARIOS.glob("*/scenario.json")):
        for entry in json.loads(scenario.read_text())["upstream"]:
            chunks = entry.get("body_chunks_b64")
            if chunks:
                bodies.append(b"".join(base64.b64decode(chunk) for chunk in chunks))
    return bodies


BODIES = _recorded_bodies()


def _decode(pieces: list[bytes]) -> list[Any]:
    """Events (or the exception raised) for a body delivered in ``pieces``."""
    chunker = EventMessageChunker()
    events: list[Any] = []
    try:
        for piece in pieces:
            for message in chunker.feed(piece):
                event = unmarshal_event(decode_message(message))
                if event is not None:
                    events.append(event)
        chunker.end()
    except JSError as error:
        events.append((getattr(error, "js_constructor", None), error.name, error.message))
    return events


def test_recorded_bodies_exist() -> None:
    assert len(BODIES) == 6


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_split_decodes_to_the_same_events(data: st.DataObject) -> None:
    body = data.draw(st.sampled_from(BODIES))
    cuts = sorted(data.draw(st.sets(st.integers(min_value=1, max_value=len(body) - 1), max_size=40)))
    pieces = [body[start:end] for start, end in zip([0, *cuts], [*cuts, len(body)])]
    assert _decode(pieces) == _decode([body])


def test_midstream_exception_is_the_modeled_exception() -> None:
    """de_ModelStreamErrorException_event: message from the body, ``$metadata`` empty."""
    (body,) = [b for b in BODIES if b"modelStreamErrorException" in b]
    events = _decode([body])
    assert events[-1] == (
        "ModelStreamErrorException",
        "ModelStreamErrorException",
        "Model stream error: the model produced an invalid sequence.",
    )


@pytest.mark.parametrize(
    ("cut", "expected"),
    [(2, []), (20, [("Error", "Error", "Truncated event message received.")])],
)
def test_body_ending_early(cut: int, expected: list[Any]) -> None:
    """getChunkedStream: ending inside the length prefix is a clean end; inside a message, truncated."""
    assert _decode([BODIES[0][:cut]]) == expected


def test_prelude_checksum_mismatch_wording() -> None:
    """eventstream-codec splitMessage: the prelude CRC is checked first, expected value first."""
    body = bytearray(BODIES[0])
    body[9] ^= 1
    message_length = int.from_bytes(body[:4], "big")
    (error,) = _decode([bytes(body[:message_length])])
    expected = int.from_bytes(body[8:12], "big")
    assert error[2] == (
        f"The prelude checksum specified in the message ({expected}) does not match the calculated "
        f"CRC32 checksum ({expected ^ (1 << 16)})"
    )
