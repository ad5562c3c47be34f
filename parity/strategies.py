"""Strategy parity: each transcript of ``fixtures/strategies/`` (optillm 0.4.0 driven by a
scripted client) replayed through the port's strategies and a real handler.

For each transcript a loopback OpenAI-compatible server answers every chat request from the
transcript's script, chosen as the recorder chose (``parity.strategy_script``), and streams it
with the script's token counts. The port runs the same strategy through an ``openai`` handler at
that server; its requests must be the recorded calls (messages, temperature, max tokens; an
``n``-call counts as ``n`` requests): in order, except within a MARS phase, whose calls optillm
makes from a thread pool in no defined order and which are compared as a multiset. The answer
and the completion tokens must be optillm's; for MARS the configuration must map onto the
recorded ``request_config``.

``python -m parity --strategies`` (or ``python -m parity.strategies``) prints the table; exit
code 0 only when every transcript matches.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from .server import Entry, FixtureServer
from .strategy_script import Script, canonical, prompt_tokens, tokens

DEFAULT_TRANSCRIPTS = Path(__file__).resolve().parent.parent / "fixtures" / "strategies"
COMPARED = ("messages", "temperature", "max_tokens")


@dataclass
class ScriptServer(FixtureServer):
    """The fixture server answering each chat completion from a transcript's script."""

    script: Script | None = None

    async def _answer(self, request: web.Request, t_ms: float) -> web.StreamResponse:
        body = json.loads(await request.read())
        self.requests.append({"method": request.method, "url": request.raw_path, "body": body, "t_ms": t_ms})
        assert self.script is not None
        messages = body["messages"]
        answer = self.script.answer(messages)
        return await self._serve(request, Entry.from_spec(sse_reply(answer, messages)))


def sse_reply(answer: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """An ``upstream`` entry streaming ``answer`` with the script's usage."""
    usage = {"prompt_tokens": prompt_tokens(messages), "completion_tokens": tokens(answer)}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    events = [
        {"id": "chatcmpl-script", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"role": "assistant", "content": answer}, "finish_reason": None}]},
        {"id": "chatcmpl-script", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {"id": "chatcmpl-script", "object": "chat.completion.chunk", "choices": [], "usage": usage},
    ]
    chunks = [f"data: {json.dumps(e)}\n\n" for e in events] + ["data: [DONE]\n\n"]
    return {"status": 200, "headers": {"content-type": "text/event-stream"}, "body_chunks": chunks, "delay_ms": 0}


@dataclass
class Outcome:
    name: str
    strategy: str
    expected_requests: int
    port_requests: int
    problems: list[str] = field(default_factory=list)
    tokens: int = 0  # input + output tokens the port's run used (the script's counts)

    @property
    def matches(self) -> bool:
        return not self.problems


def port_config(transcript: dict[str, Any]) -> Any:
    """The port's configuration for a transcript (a MARS budget left out: optillm has none)."""
    from gateway.strategies import MarsConfig, MCTSConfig

    port = transcript.get("port") or {}
    if "mars_preset" in port:
        return dataclasses.replace(MarsConfig.preset(port["mars_preset"]), token_budget=None)
    if "mars" in port:
        return MarsConfig(**port["mars"])
    if "mcts" in port:
        return MCTSConfig(**port["mcts"])
    if transcript["strategy"] == "mcts":
        return MCTSConfig()
    return port.get("config")


def expected_segments(transcript: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The recorded requests by segment: a refused call sends nothing, an ``n``-call ``n``."""
    segments: dict[int, list[dict[str, Any]]] = {}
    for call in transcript["calls"]:
        if call.get("refused"):
            continue
        request = {key: call[key] for key in COMPARED}
        segments.setdefault(call["segment"], []).extend(request for _ in range(call.get("n") or 1))
    return [segments[k] for k in sorted(segments)]


def sent_request(body: dict[str, Any]) -> dict[str, Any]:
    """What the handler sent, in optillm's terms (``max_completion_tokens`` is its max tokens)."""
    return {"messages": body.get("messages"), "temperature": body.get("temperature"), "max_tokens": body.get("max_completion_tokens")}


def _comparable(request: dict[str, Any]) -> str:
    """One request as canonical text; a temperature compared as a number (JSON has one number
    type: the handler's serializer writes optillm's ``1.0`` as ``1``)."""
    temperature = request.get("temperature")
    if isinstance(temperature, int) and not isinstance(temperature, bool):
        request = {**request, "temperature": float(temperature)}
    return canonical([request])


def compare(transcript: dict[str, Any], bodies: Sequence[dict[str, Any]], result: Any) -> list[str]:
    problems = []
    segments = expected_segments(transcript)
    sent = [sent_request(b) for b in bodies]
    expected_total = sum(len(s) for s in segments)
    if len(sent) != expected_total:
        problems.append(f"{len(sent)} requests sent, {expected_total} recorded")
    position = 0
    for index, segment in enumerate(segments):
        got = sent[position : position + len(segment)]
        position += len(segment)
        want_keys = sorted(_comparable(r) for r in segment)
        got_keys = sorted(_comparable(r) for r in got)
        if want_keys != got_keys:
            first = next((i for i, (a, b) in enumerate(zip(want_keys, got_keys)) if a != b), min(len(want_keys), len(got_keys)))
            problems.append(f"segment {index} ({len(segment)} request(s)) differs at sorted request {first}")
            break
    recorded = transcript["result"]
    if result.output != recorded["answer"]:
        problems.append(f"answer {result.output[:60]!r} != recorded {recorded['answer'][:60]!r}")
    if result.metadata.get("completion_tokens") != recorded["completion_tokens"]:
        problems.append(f"completion tokens {result.metadata.get('completion_tokens')} != recorded {recorded['completion_tokens']}")
    if transcript["strategy"] == "mars":
        mapped = port_config(transcript).request_config()
        if mapped != transcript["request_config"]:
            problems.append(f"config maps to {mapped}, recorded {transcript['request_config']}")
    return problems


async def run_transcript(transcript: dict[str, Any]) -> Outcome:
    """Serve the transcript's script and run the port's strategy against it."""
    import providers
    from gateway.strategies import run_strategy

    server = await ScriptServer([], script=Script(transcript["script"])).start()
    try:
        settings = {
            "apiProvider": "openai",
            "openAiBaseUrl": f"{server.base_url}/v1",
            "openAiApiKey": "sk-test-strategies",
            "openAiModelId": transcript["model"],
        }
        frozen = datetime.fromisoformat(transcript["clock"])
        seed = transcript.get("seed")
        result = await run_strategy(
            transcript["strategy"],
            transcript["system_prompt"],
            transcript["query"],
            settings,
            config=port_config(transcript),
            rng=random.Random(seed),
            clock=lambda: frozen,
        )
        bodies = [r["body"] for r in server.requests]
    finally:
        await providers.aclose()
        await server.close()
    expected = sum(len(s) for s in expected_segments(transcript))
    problems = compare(transcript, bodies, result)
    return Outcome(transcript["name"], transcript["strategy"], expected, len(bodies), problems, result.usage["totalTokens"])


def load(directory: Path, names: Sequence[str] | None = None) -> list[dict[str, Any]]:
    paths = sorted(directory.glob("*.json"))
    transcripts = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    return [t for t in transcripts if not names or t["name"] in names]


def table(outcomes: Sequence[Outcome]) -> str:
    lines = [f"{'transcript':<28} {'strategy':<17} {'requests':>9} {'port':>5} {'tokens':>7}  status", "-" * 80]
    for o in outcomes:
        status = "match" if o.matches else "MISMATCH"
        lines.append(f"{o.name:<28} {o.strategy:<17} {o.expected_requests:>9} {o.port_requests:>5} {o.tokens:>7}  {status}")
        lines.extend(f"    {p}" for p in o.problems)
    matched = sum(o.matches for o in outcomes)
    lines.append(f"\n{matched}/{len(outcomes)} strategy transcripts match")
    return "\n".join(lines)


async def run_all(transcripts: Sequence[dict[str, Any]]) -> list[Outcome]:
    """Each transcript in turn; a run that raises is a mismatch naming the exception."""
    outcomes = []
    for transcript in transcripts:
        try:
            outcomes.append(await run_transcript(transcript))
        except Exception as exc:
            expected = sum(len(s) for s in expected_segments(transcript))
            outcomes.append(Outcome(transcript["name"], transcript["strategy"], expected, 0, [f"raised {exc!r}"]))
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m parity.strategies", description=__doc__.split("\n")[0])
    parser.add_argument("--transcripts-dir", type=Path, default=DEFAULT_TRANSCRIPTS)
    parser.add_argument("--transcript", action="append", help="only this transcript (repeatable)")
    args = parser.parse_args(argv)
    try:
        transcripts = load(args.transcripts_dir, args.transcript)
    except (OSError, ValueError) as exc:
        print(f"unreadable transcript: {exc}", file=sys.stderr)
        return 2
    if not transcripts:
        print(f"no transcripts selected under {args.transcripts_dir}", file=sys.stderr)
        return 2
    outcomes = asyncio.run(run_all(transcripts))
    print(table(outcomes))
    return 0 if all(o.matches for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
