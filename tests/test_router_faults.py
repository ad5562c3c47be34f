"""gateway.router's fault catalogue, in the OpenAI, Anthropic and Bedrock wire formats.

Real handlers against the tests' loopback upstream (tests/loopback.py: the harness's fixture
server); the healthy replies are the benchmark server's streams (tools/bench/server.py). Each
case: which deployments were tried, how many attempts, their spacing, what the caller got.
Deployments are told apart by a path prefix on the one server (``/main``, ``/backup``, ``/big``).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from loopback import Reply, Upstream, collect
from service_env import CONTENT_TYPE, EVENTS, TEXTS, ok

from gateway.errors import AttemptTimedOut, NoDeploymentAvailable, StreamIncomplete, StreamInterrupted
from gateway.router import AttemptRecord, Router
from tools.bench import clients

WIRES = ("openai", "anthropic", "bedrock")
MESSAGES = [{"role": "user", "content": "Hi"}]
# ok(wire): a healthy 3-delta reply; TEXTS: what it gives the caller (then the usage)


def error_reply(wire: str, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    """An error response as each upstream words it."""
    if wire == "openai":
        body: dict[str, Any] = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    elif wire == "anthropic":
        body = {"type": "error", "error": {"type": kind, "message": message}}
    else:
        body = {"message": message}
        headers = {"x-amzn-errortype": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/", **(headers or {})}
    return Reply.json(body, status, headers)


AWS_KIND = {429: "ThrottlingException", 500: "InternalServerException", 503: "ServiceUnavailableException",
            401: "UnrecognizedClientException", 400: "ValidationException"}
STAINLESS_KIND = {429: "rate_limit_error", 500: "api_error", 503: "overloaded_error",
                  401: "authentication_error", 400: "invalid_request_error"}


def fault(wire: str, status: int, message: str = "upstream failure", headers: dict[str, str] | None = None) -> Reply:
    kind = (AWS_KIND if wire == "bedrock" else STAINLESS_KIND)[status]
    return error_reply(wire, status, kind, message, headers)


def malformed(wire: str) -> Reply:
    """A 200 whose body cannot be read: broken JSON in the first SSE event, or a frame whose
    prelude CRC is wrong."""
    if wire == "openai":
        chunks = [b'data: {"id":"chatcmpl-1","choices":[{"delta":{"content":\n\n']
    elif wire == "anthropic":
        chunks = [b'event: message_start\ndata: {"type":"message_start","message":\n\n']
    else:
        chunks = [b"\x00\x00\x00\x20\x00\x00\x00\x00\xde\xad\xbe\xef" + b"x" * 20]
    return Reply(200, {"content-type": CONTENT_TYPE[wire]}, chunks)


def split(wire: str, head: int) -> list[bytes]:
    """The healthy reply in three writes: the first ``head`` events (a chunk's worth), the next
    event, the rest."""
    events = EVENTS[wire](3)
    return [b"".join(events[:head]), events[head], b"".join(events[head + 1 :])]


# events up to and including the first delta, per wire
FIRST_DELTA = {"openai": 2, "anthropic": 3, "bedrock": 2}


class Recorder:
    """The router's attempt records, in order."""

    def __init__(self) -> None:
        self.records: list[AttemptRecord] = []

    def __call__(self, record: AttemptRecord) -> None:
        self.records.append(record)

    @property
    def tried(self) -> list[str]:
        return [r.deployment for r in self.records]


def router(upstream: Upstream, wire: str, names: tuple[str, ...] = ("main", "backup"), **options: Any) -> tuple[Router, Recorder]:
    origins: dict[str, str] = options.pop("origins", {})
    recorder = Recorder()
    deployments = [
        {"name": name, "settings": clients.port_settings(wire, origins.get(name, f"{upstream.base_url}/{name}"))}
        for name in names
    ]
    options.setdefault("timeout_s", 5.0)
    return Router(deployments, on_attempt=recorder, **options), recorder


def texts(chunks: list[dict[str, Any]]) -> list[str]:
    return [c["text"] for c in chunks if c["type"] == "text" and c["text"]]  # Anthropic starts with ""


def arrivals(upstream: Upstream) -> list[tuple[str, float]]:
    """(deployment, t_ms) of each request the model API got."""
    return [(seen.path.split("/")[1], seen.t_ms) for seen in upstream.seen]


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def slammer() -> AsyncIterator[str]:
    """An origin that accepts each connection and resets it before any response byte."""

    def reset(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.transport.abort()

    server = await asyncio.start_server(reset, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    server.close()
    await server.wait_closed()


async def fails_over(upstream: Upstream, wire: str, **options: Any) -> tuple[Router, Recorder, list[dict[str, Any]]]:
    """One request on main (faulty) then backup, asked as soon as main failed (no backoff between
    deployments): the backup's reply reaches the caller whole."""
    upstream.route("/backup/", ok(wire))
    r, rec = router(upstream, wire, **options)
    chunks = await collect(r.create_message("sys", MESSAGES))
    assert texts(chunks) == TEXTS and chunks[-1]["type"] == "usage"
    assert rec.tried == ["main", "backup"]
    assert [x.outcome for x in rec.records] == ["error", "ok"]
    assert rec.records[1].usage.input_tokens == 21 and rec.records[1].usage.output_tokens >= 3
    main, backup = rec.records
    assert backup.started_at - (main.started_at + main.latency_s) < 0.05
    return r, rec, chunks


# --- before the first chunk: fail over at once, to the next deployment ------------------------


@pytest.mark.parametrize("wire", WIRES)
async def test_429_with_retry_after_fails_over_and_cools_main_down_for_the_longer_wait(upstream: Upstream, wire: str) -> None:
    upstream.route("/main/", fault(wire, 429, "slow down", {"retry-after": "30"}))
    r, rec, _ = await fails_over(upstream, wire, cooldown_s=5)
    assert rec.records[0].status == 429
    health = await r.health()
    assert health["main"]["available"] is False and health["backup"]["available"] is True
    # retry-after (30 s) is longer than cooldown_s (5 s)
    assert 25 < health["main"]["available_at"] - rec.records[0].started_at < 31
    # the next request does not touch main
    upstream.route("/backup/", ok(wire))
    await collect(r.create_message("sys", MESSAGES))
    assert rec.tried == ["main", "backup", "backup"]
    assert r.stats()["main"]["cooldowns"] == 1


def google_error(status: int, state: str, message: str, retry_delay: str | None = None) -> Reply:
    """A Google API error body (the Gemini handler rewraps genai's ApiError in a plain Error)."""
    error: dict[str, Any] = {"code": status, "message": message, "status": state}
    if retry_delay is not None:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}]
    return Reply.json({"error": error}, status)


async def test_gemini_429_cools_main_down_for_googles_retry_delay(upstream: Upstream) -> None:
    """The status and the wait are read through the handler's rewrapped error (its ``__cause__``,
    genai's ApiError) and Google's RetryInfo in the body: no retry on main, a 30 s cooldown."""
    upstream.route("/main/", google_error(429, "RESOURCE_EXHAUSTED", "quota", "30s"))
    r, rec, _ = await fails_over(upstream, "gemini", cooldown_s=5)
    assert rec.records[0].status == 429
    assert [name for name, _ in arrivals(upstream)] == ["main", "backup"]
    health = await r.health()
    assert health["main"]["available"] is False
    assert 25 < health["main"]["available_at"] - rec.records[0].started_at < 31


async def test_gemini_401_fails_over_without_a_retry(upstream: Upstream) -> None:
    upstream.route("/main/", google_error(401, "UNAUTHENTICATED", "API key not valid"))
    _, rec, _ = await fails_over(upstream, "gemini")
    assert rec.records[0].status == 401
    assert [name for name, _ in arrivals(upstream)] == ["main", "backup"]


@pytest.mark.parametrize("wire", WIRES)
async def test_429_without_retry_after_fails_over_without_cooling_down(upstream: Upstream, wire: str) -> None:
    upstream.route("/main/", fault(wire, 429, "slow down"))
    r, rec, _ = await fails_over(upstream, wire)
    assert rec.records[0].status == 429
    stats = r.stats()["main"]
    assert (stats["failures"], stats["cooldowns"], stats["cooling_down"]) == (1, 0, False)


@pytest.mark.parametrize("status", [500, 503])
@pytest.mark.parametrize("wire", WIRES)
async def test_server_error_fails_over_once_without_sdk_retries(upstream: Upstream, wire: str, status: int) -> None:
    upstream.route("/main/", fault(wire, status))
    _, rec, _ = await fails_over(upstream, wire)
    assert rec.records[0].status == status
    # one request to main: the SDK's own retries are off under the router
    assert [name for name, _ in arrivals(upstream)] == ["main", "backup"]


@pytest.mark.parametrize("wire", WIRES)
async def test_connection_refused_fails_over(upstream: Upstream, wire: str, closed_port: int) -> None:
    _, rec, _ = await fails_over(upstream, wire, origins={"main": f"http://127.0.0.1:{closed_port}"})
    assert rec.records[0].status is None
    assert [name for name, _ in arrivals(upstream)] == ["backup"]


@pytest.mark.parametrize("wire", WIRES)
async def test_reset_before_headers_fails_over(upstream: Upstream, wire: str, slammer: str) -> None:
    _, rec, _ = await fails_over(upstream, wire, origins={"main": slammer})
    assert rec.records[0].status is None


@pytest.mark.parametrize("wire", WIRES)
async def test_malformed_200_fails_over(upstream: Upstream, wire: str) -> None:
    upstream.route("/main/", malformed(wire))
    _, rec, _ = await fails_over(upstream, wire)
    assert rec.records[0].ttfc_s is None


@pytest.mark.parametrize("wire", WIRES)
async def test_401_fails_over_to_a_deployment_with_its_own_key(upstream: Upstream, wire: str) -> None:
    upstream.route("/main/", fault(wire, 401, "invalid key"))
    _, rec, _ = await fails_over(upstream, wire)
    assert rec.records[0].status == 401


@pytest.mark.parametrize("wire", WIRES)
async def test_stall_before_first_byte_times_out_then_fails_over(upstream: Upstream, wire: str) -> None:
    stalled = ok(wire).entry("/main/")
    stalled["headers_delay_ms"] = 1000
    upstream.server.add(stalled)
    _, rec, _ = await fails_over(upstream, wire, timeout_s=0.3)
    assert rec.records[0].error_class == "AttemptTimedOut"
    # the watchdog looks every timeout/4: the wait ends between 0.3 and 0.375 s (+ scheduling)
    assert 0.3 <= rec.records[0].latency_s < 0.9
    (_, t_main), (_, t_backup) = arrivals(upstream)
    assert 280 <= t_backup - t_main < 900  # (the server stamps a request once its body is read)


# --- caller errors and context length ----------------------------------------------------------


@pytest.mark.parametrize("wire", WIRES)
async def test_caller_400_is_raised_at_once(upstream: Upstream, wire: str) -> None:
    upstream.route("/main/", fault(wire, 400, "messages: field required"))
    r, rec = router(upstream, wire)
    with pytest.raises(Exception) as raised:
        await collect(r.create_message("sys", MESSAGES))
    assert getattr(raised.value, "status", None) == 400 or raised.value.metadata["httpStatusCode"] == 400
    assert rec.tried == ["main"]
    assert r.stats()["main"]["failures"] == 0  # the request's fault, not the deployment's


CONTEXT_MESSAGES = {
    "openai": "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.",
    "anthropic": "prompt is too long: 210000 tokens > 200000 maximum",
    "bedrock": "Input is too long for requested model.",
}


@pytest.mark.parametrize("wire", WIRES)
async def test_context_length_400_goes_to_the_context_window_fallback(upstream: Upstream, wire: str) -> None:
    upstream.route("/main/", fault(wire, 400, CONTEXT_MESSAGES[wire]))
    upstream.route("/big/", ok(wire))
    r, rec = router(upstream, wire, ("main", "backup", "big"), context_window_fallbacks={"main": ["big"]})
    chunks = await collect(r.create_message("sys", MESSAGES))
    assert texts(chunks) == TEXTS
    assert rec.tried == ["main", "big"]


@pytest.mark.parametrize("wire", WIRES)
async def test_context_length_400_without_fallbacks_is_raised(upstream: Upstream, wire: str) -> None:
    upstream.route("/main/", fault(wire, 400, CONTEXT_MESSAGES[wire]))
    r, rec = router(upstream, wire)
    with pytest.raises(Exception):
        await collect(r.create_message("sys", MESSAGES))
    assert rec.tried == ["main"]


# --- after the first chunk: never a silent truncation -------------------------------------------


@pytest.mark.parametrize("wire", WIRES)
async def test_stream_cut_after_first_chunk_raises_stream_interrupted(upstream: Upstream, wire: str) -> None:
    upstream.route("/main/", Reply(200, {"content-type": CONTENT_TYPE[wire]}, split(wire, FIRST_DELTA[wire]), delay_ms=50, cut_after=2))
    upstream.route("/backup/", ok(wire))
    r, rec = router(upstream, wire)
    got: list[dict[str, Any]] = []
    with pytest.raises(StreamInterrupted) as raised:
        async for chunk in r.create_message("sys", MESSAGES):
            got.append(chunk)
    assert raised.value.deployment == "main"
    assert raised.value.chunks == len(got) >= 1
    assert " tok0" in texts(got)
    assert raised.value.__cause__ is not None
    assert rec.tried == ["main"] and rec.records[0].outcome == "interrupted"
    assert [name for name, _ in arrivals(upstream)] == ["main"]


@pytest.mark.parametrize("wire", WIRES)
async def test_stall_mid_stream_times_out_as_stream_interrupted(upstream: Upstream, wire: str) -> None:
    upstream.route("/main/", Reply(200, {"content-type": CONTENT_TYPE[wire]}, split(wire, FIRST_DELTA[wire]), delay_ms=1000))
    r, rec = router(upstream, wire, timeout_s=0.3)
    got: list[dict[str, Any]] = []
    with pytest.raises(StreamInterrupted) as raised:
        async for chunk in r.create_message("sys", MESSAGES):
            got.append(chunk)
    assert isinstance(raised.value.__cause__, AttemptTimedOut)
    assert raised.value.chunks == len(got) >= 1
    assert 0.3 <= rec.records[0].latency_s < 0.95  # (the server would have gone on at 1 s)


@pytest.mark.parametrize("wire", WIRES)
async def test_stream_ending_without_the_providers_end_is_interrupted(upstream: Upstream, wire: str) -> None:
    events = EVENTS[wire](3)
    upstream.route("/main/", Reply(200, {"content-type": CONTENT_TYPE[wire]}, [b"".join(events[: FIRST_DELTA[wire] + 1])]))
    r, rec = router(upstream, wire)
    with pytest.raises(StreamInterrupted) as raised:
        await collect(r.create_message("sys", MESSAGES))
    assert isinstance(raised.value.__cause__, StreamIncomplete)
    assert rec.records[0].outcome == "interrupted"


# --- retrying the same deployment: the SDK's backoff, done once, by the router -------------------


@pytest.mark.parametrize("wire", WIRES)
async def test_one_deployment_is_retried_with_its_sdks_backoff(upstream: Upstream, wire: str) -> None:
    upstream.route("/main/", fault(wire, 503), ok(wire))
    r, rec = router(upstream, wire, ("main",))
    chunks = await collect(r.create_message("sys", MESSAGES))
    assert texts(chunks) == TEXTS
    assert rec.tried == ["main", "main"]
    (_, first), (_, second) = arrivals(upstream)
    gap = second - first
    if wire == "bedrock":
        assert gap < 150  # the AWS standard strategy: random × 100 ms before the first retry
    else:
        assert 370 <= gap < 600  # Stainless: 0.5 s minus up to 25 % jitter


@pytest.mark.parametrize("wire", WIRES)
async def test_retries_stop_after_max_retries_with_the_upstreams_error(upstream: Upstream, wire: str) -> None:
    upstream.route("/main/", fault(wire, 500), fault(wire, 500))
    r, rec = router(upstream, wire, ("main",), max_retries=1)
    with pytest.raises(Exception) as raised:
        await collect(r.create_message("sys", MESSAGES))
    assert not isinstance(raised.value, (StreamInterrupted, NoDeploymentAvailable))
    assert rec.tried == ["main", "main"]


async def test_sdk_retries_true_restores_the_sdks_own(upstream: Upstream) -> None:
    upstream.route("/main/", fault("anthropic", 503), fault("anthropic", 503), ok("anthropic"))
    r, rec = router(upstream, "anthropic", ("main",), max_retries=0, sdk_retries=True)
    chunks = await collect(r.create_message("sys", MESSAGES))
    assert texts(chunks) == TEXTS
    assert rec.tried == ["main"]  # one router attempt
    assert [name for name, _ in arrivals(upstream)] == ["main"] * 3  # the SDK's 2 retries


# --- cooldowns: fail fast, then back -----------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("wire", WIRES)
async def test_outage_of_10_s_ends_and_main_serves_again_after_its_cooldown(upstream: Upstream, wire: str) -> None:
    clock = FakeClock()
    # main is down for the first 10 s: it fails whatever reaches it before then
    upstream.route("/main/", fault(wire, 503), fault(wire, 503), ok(wire), ok(wire))
    upstream.route("/backup/", ok(wire), times=10)
    r, rec = router(upstream, wire, allowed_fails=1, cooldown_s=5, clock=clock)
    served_by, main_tried_at = [], []
    for second in range(12):
        clock.now = 1000.0 + second
        before = len(rec.records)
        chunks = await collect(r.create_message("sys", MESSAGES))
        assert texts(chunks) == TEXTS
        served_by.append(rec.records[-1].deployment)
        main_tried_at += [second for x in rec.records[before:] if x.deployment == "main"]
    # main fails at 0 s and 5 s (each time cooling down for 5 s) and serves again from 10 s
    assert main_tried_at == [0, 5, 10, 11]
    assert served_by == ["backup"] * 10 + ["main"] * 2
    assert r.stats()["main"]["cooldowns"] == 2


async def test_every_deployment_cooling_down_fails_fast_with_the_earliest_time(upstream: Upstream) -> None:
    clock = FakeClock()
    upstream.route("/main/", fault("openai", 429, "slow", {"retry-after": "20"}))
    upstream.route("/backup/", fault("openai", 429, "slow", {"retry-after": "8"}))
    r, rec = router(upstream, "openai", cooldown_s=5, clock=clock)
    with pytest.raises(Exception):
        await collect(r.create_message("sys", MESSAGES))
    with pytest.raises(NoDeploymentAvailable) as raised:
        await collect(r.create_message("sys", MESSAGES))
    assert raised.value.available_at is not None
    assert 7 < raised.value.available_at - rec.records[-1].started_at < 9  # backup's 8 s comes first
    assert len(upstream.seen) == 2  # nothing was sent for the second request
    clock.now += 8
    upstream.route("/backup/", ok("openai"))
    assert texts(await collect(r.create_message("sys", MESSAGES))) == TEXTS


async def test_allowed_fails_within_a_minute_start_a_cooldown(upstream: Upstream) -> None:
    clock = FakeClock()
    upstream.route("/main/", fault("openai", 500), times=2)
    upstream.route("/backup/", ok("openai"), times=4)
    r, rec = router(upstream, "openai", allowed_fails=2, cooldown_s=5, clock=clock)
    for _ in range(3):
        await collect(r.create_message("sys", MESSAGES))
        clock.now += 1
    # fails at 0 s and 1 s: cooling from 1 s to 6 s, so the request at 2 s skips main
    assert rec.tried == ["main", "backup", "main", "backup", "backup"]
    clock.now += 61
    upstream.route("/main/", ok("openai"))
    await collect(r.create_message("sys", MESSAGES))
    assert rec.tried[-1] == "main"


async def test_a_cooldown_seen_through_an_options_view_holds_for_every_view(upstream: Upstream) -> None:
    # the gateway and the manager call a router at each request's temperature and output limit
    # (Router.with_options): the failures behind one view cool the deployment down for all
    clock = FakeClock()
    upstream.route("/main/", fault("openai", 429, "slow", {"retry-after": "20"}))
    upstream.route("/backup/", ok("openai"), times=3)
    r, rec = router(upstream, "openai", cooldown_s=5, clock=clock)
    hot, capped = r.with_options(temperature=0.9), r.with_options(max_tokens=64)
    assert texts(await collect(hot.create_message("sys", MESSAGES))) == TEXTS
    assert rec.tried == ["main", "backup"]
    for view in (r, capped, r.for_model("main")):
        assert view.stats()["main"]["cooling_down"] and view.stats()["main"]["cooldowns"] == 1
        assert (await view.health())["main"]["available"] is False
    assert texts(await collect(capped.create_message("sys", MESSAGES))) == TEXTS
    assert texts(await collect(r.create_message("sys", MESSAGES))) == TEXTS
    assert rec.tried == ["main", "backup", "backup", "backup"]  # main not tried again while it cools
    assert [s["requests"] for s in (r.stats()["main"], r.stats()["backup"])] == [1, 3]
    assert len(upstream.seen) == 4


# --- complete_prompt --------------------------------------------------------------------------


def completion(wire: str) -> Reply:
    if wire == "openai":
        return Reply.json({"id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-4o",
                           "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"},
                                        "finish_reason": "stop"}],
                           "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}})
    return Reply.json({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
                       "content": [{"type": "text", "text": "hello"}], "stop_reason": "end_turn",
                       "usage": {"input_tokens": 5, "output_tokens": 1}})


@pytest.mark.parametrize("wire", ["openai", "anthropic"])
async def test_complete_prompt_fails_over(upstream: Upstream, wire: str) -> None:
    upstream.route("/main/", fault(wire, 500))
    upstream.route("/backup/", completion(wire))
    r, rec = router(upstream, wire)
    assert await r.complete_prompt("Say hi") == "hello"
    assert rec.tried == ["main", "backup"]

