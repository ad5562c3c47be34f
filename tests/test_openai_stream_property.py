"""Stream property: however a recorded OpenAI/Azure stream is cut into network chunks, the handler
yields the same chunks.

Every ``200 text/event-stream`` body of the ``openai`` and ``azure`` scenarios is re-cut at
arbitrary byte offsets (inside ``data:`` lines, between the two newlines of an event separator,
inside 2-, 3- and 4-byte UTF-8 characters) and served by the loopback fixture server, one write
per piece; OpenAiHandler.create_message (openai-node's LineDecoder and SSE decoder underneath)
must yield what it yields for the body in one piece, which is the golden's list of chunks (and,
for the malformed line, the same SyntaxError after the same chunks).
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parity.runner import run_scenario
from parity.tls import TLSFiles

SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"


def _recorded_streams() -> list[tuple[str, dict[str, Any], dict[str, Any], bytes]]:
    """(name, scenario, golden, body) for every whole event-stream answer of a streaming call;
    the scenario keeps only that answer as its upstream."""
    streams = []
    for provider in ("openai", "azure"):
        for directory in sorted((SCENARIOS / provider).iterdir()):
            scenario = json.loads((directory / "scenario.json").read_text())
            golden = json.loads((directory / "golden.json").read_text())
            for entry in scenario["upstream"]:
                streaming = "event-stream" in entry.get("headers", {}).get("content-type", "")
                if entry["status"] != 200 or not streaming or "destroy_after_chunks" in entry:
                    continue
                if "body_chunks_b64" in entry:
                    body = b"".join(base64.b64decode(chunk) for chunk in entry["body_chunks_b64"])
                else:
                    body = "".join(entry.get("body_chunks", [])).encode()
                streams.append((f"{provider}/{directory.name}", {**scenario, "upstream": [entry]}, golden, body))
    return streams


STREAMS = _recorded_streams()


def _pieces(body: bytes, cuts: list[int]) -> list[bytes]:
    edges = [0, *sorted({cut for cut in cuts if 0 < cut < len(body)}), len(body)]
    return [body[start:end] for start, end in zip(edges, edges[1:])]


def _outcome(scenario: dict[str, Any], body: bytes, cuts: list[int], tls_files: TLSFiles) -> dict[str, Any]:
    """The handler's chunks and error for ``body`` served in the pieces ``cuts`` make."""
    entry = {
        "status": 200,
        "headers": scenario["upstream"][0]["headers"],
        "body_chunks_b64": [base64.b64encode(piece).decode() for piece in _pieces(body, cuts)],
        "delay_ms": 1,
    }
    transcript = asyncio.run(run_scenario({**scenario, "upstream": [entry], "settle_ms": 0}, tls_files))
    error = transcript["error"]
    return {
        "chunks": transcript["chunks"],
        "error": None if error is None else (error["name"], error["message"], error["after_chunks"]),
    }


@pytest.fixture(scope="module")
def whole(tls_files: TLSFiles) -> dict[str, dict[str, Any]]:
    return {name: _outcome(scenario, body, [], tls_files) for name, scenario, _golden, body in STREAMS}


def test_every_recorded_stream_is_covered(whole: dict[str, dict[str, Any]]) -> None:
    """The body in one piece gives the golden's chunks (and error name, after the same chunks)."""
    assert len(STREAMS) >= 12
    for name, _scenario, golden, _body in STREAMS:
        assert whole[name]["chunks"] == golden["chunks"], name
        error = whole[name]["error"]
        expected = golden["error"]
        if expected is None:
            assert error is None, name
        else:
            assert error is not None and (error[0], error[2]) == (expected["name"], expected["after_chunks"]), name


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_split_yields_the_same_chunks(data: st.DataObject, tls_files: TLSFiles, whole: dict[str, dict[str, Any]]) -> None:
    name, scenario, _golden, body = data.draw(st.sampled_from(STREAMS), label="stream")
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=len(body)), max_size=24), label="cuts")
    assert _outcome(scenario, body, cuts, tls_files) == whole[name]


@settings(max_examples=len(STREAMS), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(min_value=0, max_value=len(STREAMS) - 1))
def test_cut_inside_every_multibyte_character(index: int, tls_files: TLSFiles, whole: dict[str, dict[str, Any]]) -> None:
    """A cut after the first byte of every non-ASCII character of the stream."""
    name, scenario, _golden, body = STREAMS[index]
    cuts = [i + 1 for i, byte in enumerate(body) if byte >= 0xC0]
    assert _outcome(scenario, body, cuts, tls_files) == whole[name]
