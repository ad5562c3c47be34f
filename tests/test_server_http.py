"""The HTTP gateway's behaviour around the API (real sockets, a loopback upstream): auth, a table
of malformed requests, upstream errors and their redaction, a stream that breaks, a client that
goes away, per-request options, strategies by model name, /v1/models, /ready, /metrics, the
access log and the configuration's checks. The ``openai`` SDK is the client wherever a request
is well-formed; raw aiohttp sends what no SDK would."""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import threading
from pathlib import Path
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import openai
import pytest
from gateway_server import KEY, OTHER_KEY, gateway, key_table
from loopback import Reply, Upstream

from gateway.__main__ import main
from gateway.server.config import check_exposure, load_gateway_config
from tools.bench.clients import OPENAI_KEY, port_settings
from tools.bench.server import anthropic_events, openai_events

SSE = {"content-type": "text/event-stream; charset=utf-8"}
HI = [{"role": "user", "content": "Hi"}]
TEXT = " tok0 tok1 tok2"


def ok(n: int = 3, **options: Any) -> Reply:
    return Reply(200, SSE, list(openai_events(n)), **options)


def config(upstream: Upstream, **extra: Any) -> dict[str, Any]:
    """Two deployments on the one upstream (``main`` in group ``smart``, and ``cheap``), a key
    for everything and one for ``cheap`` only; no retries, so each request is one upstream
    request."""
    return {
        "router": {"max_retries": 0, "timeout_s": 10},
        "keys": [key_table("team", KEY), key_table("intern", OTHER_KEY, models=["cheap"])],
        "deployments": [
            {"name": "main", "group": "smart", "settings": port_settings("openai", f"{upstream.base_url}/main")},
            {"name": "cheap", "settings": port_settings("openai", f"{upstream.base_url}/cheap")},
        ],
        **extra,
    }


Sdk = Callable[..., openai.AsyncOpenAI]


@pytest.fixture
async def sdk() -> AsyncIterator[Sdk]:
    """``sdk(origin, key=KEY)``: an ``openai.AsyncOpenAI`` client of the gateway (closed after
    the test)."""
    made: list[openai.AsyncOpenAI] = []

    def make(origin: str, key: str = KEY) -> openai.AsyncOpenAI:
        made.append(openai.AsyncOpenAI(base_url=f"{origin}/v1", api_key=key, max_retries=0))
        return made[-1]

    yield make
    for client in made:
        await client.close()


def assert_openai_error(body: Any, code: str | None = None) -> None:
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body


# --- auth -------------------------------------------------------------------------------------


async def test_auth(upstream: Upstream, sdk: Sdk) -> None:
    upstream.reply(ok(), ok(), ok())
    async with gateway(config(upstream)) as origin:
        async with aiohttp.ClientSession() as http:
            url = f"{origin}/v1/chat/completions"
            body = {"model": "main", "messages": HI}
            async with http.post(url, json=body) as missing:
                assert missing.status == 401
                assert_openai_error(await missing.json(), "invalid_api_key")
            async with http.post(url, json=body, headers={"Authorization": "Basic " + KEY}) as basic:
                assert basic.status == 401
            async with http.post(url, json=body, headers={"x-api-key": KEY}) as by_header:
                assert by_header.status == 200
                assert (await by_header.json())["choices"][0]["message"]["content"] == TEXT
        with pytest.raises(openai.AuthenticationError) as wrong:
            await sdk(origin, "gw-wrong-key").chat.completions.create(model="main", messages=HI)
        assert wrong.value.code == "invalid_api_key"
        completion = await sdk(origin).chat.completions.create(model="smart", messages=HI)  # Bearer, a group
        assert completion.choices[0].message.content == TEXT
        with pytest.raises(openai.PermissionDeniedError) as denied:
            await sdk(origin, OTHER_KEY).chat.completions.create(model="main", messages=HI)
        assert denied.value.code == "model_not_allowed"
        completion = await sdk(origin, OTHER_KEY).chat.completions.create(model="cheap", messages=HI)
        assert completion.choices[0].message.content == TEXT
        assert [m.id for m in (await sdk(origin).models.list()).data] == ["main", "cheap", "smart"]
        assert [m.id for m in (await sdk(origin, OTHER_KEY).models.list()).data] == ["cheap"]
    assert [seen.path for seen in upstream.seen] == ["/main/v1/chat/completions", "/main/v1/chat/completions",
                                                     "/cheap/v1/chat/completions"]


async def test_key_limiter(upstream: Upstream, sdk: Sdk) -> None:
    """A key's limiter (2 at once, then 60 a minute, no waiting): the third request at once is
    refused with 429 and retry-after, nothing sent upstream for it; the other key is not limited."""
    upstream.reply(ok(), ok(), ok())
    limited = config(upstream)
    limited["keys"][0]["limiter"] = {"requests_per_minute": 60, "burst": 2, "max_wait_s": 0}
    async with gateway(limited) as origin:
        client = sdk(origin)
        for _ in range(2):
            await client.chat.completions.create(model="main", messages=HI)
        with pytest.raises(openai.RateLimitError) as refused:
            await client.chat.completions.create(model="main", messages=HI)
        assert refused.value.code == "rate_limit_exceeded" and refused.value.response.headers["retry-after"] == "1"
        async with aiohttp.ClientSession(headers={"x-api-key": KEY}) as http:  # the same limiter on every API
            for path, body in (("/v1/messages", {"model": "main", "max_tokens": 10, "messages": HI}),
                               ("/v1/handler/create-message", {"deployment": "main", "systemPrompt": "", "messages": HI}),
                               ("/v1/handler/complete-prompt", {"deployment": "main", "prompt": "Hi"})):
                async with http.post(origin + path, json=body) as response:
                    assert response.status == 429 and response.headers["retry-after"] == "1", path
        await sdk(origin, OTHER_KEY).chat.completions.create(model="cheap", messages=HI)
    assert len(upstream.seen) == 3


async def test_key_budget(upstream: Upstream, tmp_path: Path, sdk: Sdk) -> None:
    """A key's own budget (the ledger's, with key = its id): a request whose estimate would pass
    it is refused with 429 before anything is sent; the other key is not bound by it."""
    upstream.reply(ok())
    budgeted = config(upstream, ledger={"url": f"sqlite:///{tmp_path}/usage.db"})
    budgeted["keys"][0]["budgets"] = [{"tokens": 100, "per": "day"}]
    long = [{"role": "user", "content": "word " * 300}]  # about 300 tokens estimated
    async with gateway(budgeted) as origin:
        with pytest.raises(openai.RateLimitError) as refused:
            await sdk(origin).chat.completions.create(model="main", messages=long)
        assert refused.value.code == "budget_exceeded" and int(refused.value.response.headers["retry-after"]) > 0
        assert "budget exceeded: day key=team allows 100 tokens" in refused.value.message
        await sdk(origin, OTHER_KEY).chat.completions.create(model="cheap", messages=long)
    assert [seen.path for seen in upstream.seen] == ["/cheap/v1/chat/completions"]


# --- bad input --------------------------------------------------------------------------------


def chat(**fields: Any) -> bytes:
    return json.dumps({"model": "main", "messages": HI, **fields}).encode()


def message(**fields: Any) -> bytes:
    return chat(messages=[fields])


BIG = json.dumps({"model": "main", "messages": [{"role": "user", "content": "x" * 5000}]}).encode()

# (id, method, path, body, status, code or None)
MALFORMED = [
    ("not-json", "POST", "/v1/chat/completions", b"{model: main", 400, "invalid_json"),
    ("not-utf8", "POST", "/v1/chat/completions", b'{"model": "\xff"}', 400, "invalid_json"),
    ("empty-body", "POST", "/v1/chat/completions", b"", 400, "invalid_json"),
    ("array-body", "POST", "/v1/chat/completions", b"[1, 2]", 400, "invalid_json"),
    ("string-body", "POST", "/v1/chat/completions", b'"hi"', 400, "invalid_json"),
    ("no-model", "POST", "/v1/chat/completions", json.dumps({"messages": HI}).encode(), 400, "missing_field"),
    ("model-number", "POST", "/v1/chat/completions", chat(model=7), 400, "invalid_type"),
    ("no-messages", "POST", "/v1/chat/completions", b'{"model": "main"}', 400, "missing_field"),
    ("messages-object", "POST", "/v1/chat/completions", chat(messages={"role": "user"}), 400, "invalid_type"),
    ("messages-empty", "POST", "/v1/chat/completions", chat(messages=[]), 400, "invalid_value"),
    ("message-string", "POST", "/v1/chat/completions", chat(messages=["Hi"]), 400, "invalid_type"),
    ("unknown-role", "POST", "/v1/chat/completions", message(role="robot", content="Hi"), 400, "invalid_value"),
    ("content-number", "POST", "/v1/chat/completions", message(role="user", content=3), 400, "invalid_type"),
    ("part-unknown", "POST", "/v1/chat/completions", message(role="user", content=[{"type": "audio"}]), 400, "invalid_value"),
    ("part-text-number", "POST", "/v1/chat/completions", message(role="user", content=[{"type": "text", "text": 1}]), 400, "invalid_type"),
    ("image-http-url", "POST", "/v1/chat/completions",
     message(role="user", content=[{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]), 400, "invalid_value"),
    ("image-bad-base64", "POST", "/v1/chat/completions",
     message(role="user", content=[{"type": "image_url", "image_url": {"url": "data:image/png;base64,a"}}]), 400, "invalid_value"),
    ("tool-no-call-id", "POST", "/v1/chat/completions", message(role="tool", content="42"), 400, "missing_field"),
    ("tool-calls-object", "POST", "/v1/chat/completions", message(role="assistant", content=None, tool_calls={}), 400, "invalid_type"),
    ("tool-arguments-not-json", "POST", "/v1/chat/completions",
     message(role="assistant", tool_calls=[{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{"}}]),
     400, "invalid_value"),
    ("temperature-string", "POST", "/v1/chat/completions", chat(temperature="hot"), 400, "invalid_type"),
    ("temperature-range", "POST", "/v1/chat/completions", chat(temperature=3), 400, "invalid_value"),
    ("max-tokens-zero", "POST", "/v1/chat/completions", chat(max_tokens=0), 400, "invalid_value"),
    ("max-tokens-float", "POST", "/v1/chat/completions", chat(max_completion_tokens=1.5), 400, "invalid_type"),
    ("max-tokens-bool", "POST", "/v1/chat/completions", chat(max_tokens=True), 400, "invalid_type"),
    ("stream-string", "POST", "/v1/chat/completions", chat(stream="yes"), 400, "invalid_type"),
    ("stream-options-list", "POST", "/v1/chat/completions", chat(stream=True, stream_options=[]), 400, "invalid_type"),
    ("tools-object", "POST", "/v1/chat/completions", chat(tools={"type": "function"}), 400, "invalid_type"),
    ("tool-no-name", "POST", "/v1/chat/completions", chat(tools=[{"type": "function", "function": {}}]), 400, "missing_field"),
    ("tool-choice-bad", "POST", "/v1/chat/completions", chat(tool_choice="always"), 400, "invalid_value"),
    ("n-two", "POST", "/v1/chat/completions", chat(n=2), 400, "invalid_value"),
    ("approach-unknown", "POST", "/v1/chat/completions", chat(optillm_approach="z3"), 400, "invalid_value"),
    ("approach-combined", "POST", "/v1/chat/completions", chat(model="moa-bon-main"), 400, None),
    ("unknown-model", "POST", "/v1/chat/completions", chat(model="gpt-9"), 404, "model_not_found"),
    ("unknown-strategy-model", "POST", "/v1/chat/completions", chat(model="moa-gpt-9"), 404, "model_not_found"),
    ("too-large", "POST", "/v1/chat/completions", BIG, 413, "request_too_large"),
    ("wrong-method", "GET", "/v1/chat/completions", b"", 405, "method_not_allowed"),
    ("unknown-route", "POST", "/v1/chat/complete", chat(), 404, "unknown_route"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), [case[1:] for case in MALFORMED],
                         ids=[case[0] for case in MALFORMED])
async def test_malformed_request(upstream: Upstream, method: str, path: str, body: bytes, status: int, code: str | None) -> None:
    upstream.reply(ok())
    async with gateway(config(upstream, server={"max_body_bytes": 4096})) as origin:
        async with aiohttp.ClientSession() as http:
            headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
            async with http.request(method, f"{origin}{path}", data=body, headers=headers) as response:
                assert response.status == status
                assert response.content_type == "application/json"
                assert len(response.headers["x-request-id"]) == 32
                assert_openai_error(await response.json(), code)
            assert upstream.seen == []  # nothing went upstream
            # the server is unharmed: a good request on the same connection
            async with http.post(f"{origin}/v1/chat/completions", data=chat(), headers=headers) as good:
                assert good.status == 200
                assert (await good.json())["choices"][0]["message"]["content"] == TEXT
    assert len(upstream.seen) == 1


def test_the_table_is_large_enough() -> None:
    assert len(MALFORMED) >= 20 and len({case[0] for case in MALFORMED}) == len(MALFORMED)


# --- upstream errors --------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "kind", "sdk_error"), [
    (401, "invalid_request_error", openai.AuthenticationError),
    (429, "rate_limit_error", openai.RateLimitError),
    (503, "server_error", openai.InternalServerError),
])
async def test_upstream_error_before_the_first_chunk(upstream: Upstream, status: int, kind: str, sdk_error: type, sdk: Sdk) -> None:
    """The upstream's status, in OpenAI's shape, the provider key redacted (the upstream quotes it)."""
    quoted = {"error": {"message": f"Incorrect API key provided: {OPENAI_KEY}.", "type": kind, "param": None, "code": None}}
    upstream.reply(Reply.json(quoted, status, {"retry-after": "7"}), Reply.json(quoted, status, {"retry-after": "7"}))
    for stream in (False, True):
        async with gateway(config(upstream)) as origin:  # (a 429 cools the deployment down)
            with pytest.raises(sdk_error) as raised:
                result = await sdk(origin).chat.completions.create(model="main", messages=HI, stream=stream)
                async for _ in result:  # type: ignore[union-attr]
                    pass
            assert raised.value.status_code == status
            assert raised.value.response.headers.get("retry-after") == ("7" if status in (429, 503) else None)
            text = raised.value.response.text
            assert OPENAI_KEY not in text and "[redacted]" in text
            assert_openai_error(json.loads(text))


async def test_the_upstreams_wait_in_other_forms_becomes_retry_after(upstream: Upstream, sdk: Sdk) -> None:
    """``retry-after-ms`` (OpenAI's) and OpenAI's "Please try again in 1.5s" reach the client
    as whole seconds of ``retry-after``, rounded up."""
    slow = {"error": {"message": "Rate limit reached. Please try again in 2.5s.", "type": "rate_limit_error"}}
    upstream.reply(Reply.json(slow, 429, {"retry-after-ms": "1200"}), Reply.json(slow, 429))
    for expected in ("2", "3"):
        async with gateway(config(upstream)) as origin:
            with pytest.raises(openai.RateLimitError) as raised:
                await sdk(origin).chat.completions.create(model="main", messages=HI)
            assert raised.value.response.headers.get("retry-after") == expected

async def test_stream_broken_after_the_first_chunk(upstream: Upstream, sdk: Sdk) -> None:
    """An error object in the stream, no [DONE]; the SDK raises instead of ending cleanly."""
    upstream.reply(ok(cut_after=3), ok(cut_after=3))
    async with gateway(config(upstream)) as origin:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{origin}/v1/chat/completions", data=chat(stream=True),
                                 headers={"Authorization": f"Bearer {KEY}"}) as response:
                assert response.status == 200 and len(response.headers["x-request-id"]) == 32
                events = [line for line in (await response.text()).split("\n\n") if line]
        assert events[-1].startswith("data: ") and "[DONE]" not in "".join(events)
        error = json.loads(events[-1][len("data: "):])
        assert_openai_error(error)
        # the router's StreamInterrupted, with the upstream's error (undici's "terminated")
        assert error["error"]["message"] == "stream from deployment 'main' broke after 2 chunk(s): terminated"
        assert (error["error"]["type"], error["error"]["code"]) == ("api_error", "stream_interrupted")
        deltas = [json.loads(e[6:])["choices"][0]["delta"].get("content") for e in events[:-1]]
        assert deltas == ["", " tok0", " tok1"]
        texts = []
        with pytest.raises(openai.APIError):
            async for chunk in await sdk(origin).chat.completions.create(model="main", messages=HI, stream=True):
                texts.append(chunk.choices[0].delta.content)
        assert texts == ["", " tok0", " tok1"]


async def test_client_disconnect_closes_the_upstream_request(upstream: Upstream, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gateway.access")
    upstream.reply(ok(50, delay_ms=100))
    async with gateway(config(upstream)) as origin:
        async with aiohttp.ClientSession() as http:
            response = await http.post(f"{origin}/v1/chat/completions", data=chat(stream=True),
                                       headers={"Authorization": f"Bearer {KEY}"})
            assert b"tok0" in await response.content.readuntil(b"tok0")
            response.close()  # the connection goes away mid-stream
        await asyncio.wait_for(upstream.idle(), 2.0)  # the upstream's reply ended: its client went away
        (seen,) = upstream.seen
        assert seen.t_end_ms is not None and seen.t_end_ms < 1500  # not the 5 s the whole reply takes
    (line,) = [r.getMessage() for r in caplog.records if r.name == "gateway.access"]
    assert "key=team deployment=main status=499" in line


# --- per-request options, strategies ----------------------------------------------------------


async def test_temperature_and_max_tokens_go_upstream(upstream: Upstream, sdk: Sdk) -> None:
    upstream.reply(ok(), ok(), ok())
    async with gateway(config(upstream)) as origin:
        client = sdk(origin)
        await client.chat.completions.create(model="main", messages=HI, temperature=0.3, max_tokens=50)
        await client.chat.completions.create(model="main", messages=HI, max_completion_tokens=3)
        completion = await client.chat.completions.create(model="main", messages=HI)
    first, second, third = (seen.json() for seen in upstream.seen)
    assert (first["temperature"], first["max_completion_tokens"]) == (0.3, 50)
    assert (second["temperature"], second["max_completion_tokens"]) == (0, 3)
    assert (third["temperature"], "max_completion_tokens" in third) == (0, False)
    assert completion.choices[0].finish_reason == "stop"


async def test_finish_reason_length(upstream: Upstream, sdk: Sdk) -> None:
    upstream.reply(ok(3))
    async with gateway(config(upstream)) as origin:
        completion = await sdk(origin).chat.completions.create(model="main", messages=HI, max_tokens=3)
    assert completion.choices[0].finish_reason == "length"


async def test_images_go_upstream_inline(upstream: Upstream, sdk: Sdk) -> None:
    """An image_url data URL becomes the reference's base64 image block; the OpenAI handler sends
    it back as a data URL, the Anthropic handler as a base64 source."""
    pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    parts = [{"type": "text", "text": "What is this?"},
             {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{pixel}"}}]
    anthropic_reply = Reply(200, SSE, list(anthropic_events(3)))
    upstream.route("/main/", ok())
    upstream.route("/claude/", anthropic_reply)
    two = config(upstream)
    two["deployments"].append({"name": "claude", "settings": port_settings("anthropic", f"{upstream.base_url}/claude")})
    async with gateway(two) as origin:
        for model in ("main", "claude"):
            completion = await sdk(origin).chat.completions.create(model=model, messages=[{"role": "user", "content": parts}])
            assert completion.choices[0].message.content == TEXT
    openai_body, anthropic_body = (seen.json() for seen in upstream.seen)
    assert openai_body["messages"][1]["content"] == [
        {"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{pixel}"}},
    ]
    assert [b.get("source") for b in anthropic_body["messages"][0]["content"]] == [
        None, {"type": "base64", "media_type": "image/png", "data": pixel},
    ]


@pytest.mark.parametrize("how", ["prefix", "body", "stream"])
async def test_strategy_by_model_name_or_body(upstream: Upstream, how: str, sdk: Sdk) -> None:
    """bon (n 3): three samples and three ratings upstream, optillm's answer back."""
    upstream.route("/main/", ok(), times=6)
    async with gateway(config(upstream)) as origin:
        client = sdk(origin)
        if how == "prefix":
            completion = await client.chat.completions.create(model="bon-main", messages=HI)
        elif how == "body":
            completion = await client.chat.completions.create(model="main", messages=HI, extra_body={"optillm_approach": "bon"})
        else:
            async with client.chat.completions.stream(model="bon-main", messages=HI,
                                                      stream_options={"include_usage": True}) as stream:
                completion = await stream.get_final_completion()
    assert completion.choices[0].message.content == TEXT and completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens == 6 * 21 and completion.usage.completion_tokens == 6 * 3
    bodies = [seen.json() for seen in upstream.seen]
    assert len(bodies) == 6
    assert [b["temperature"] for b in bodies] == [1, 1, 1, 0.1, 0.1, 0.1]
    assert bodies[0]["messages"][1] == {"role": "user", "content": "User: Hi"}  # optillm's parse_conversation


# --- /ready, /metrics, access log -------------------------------------------------------------


async def test_ready_health_and_metrics(upstream: Upstream, tmp_path: Path, caplog: pytest.LogCaptureFixture, sdk: Sdk) -> None:
    upstream.route("/main/", ok())
    upstream.route("/cheap/", Reply.json({"error": {"message": "slow down"}}, 429, {"retry-after": "30"}))
    ledger = {"url": f"sqlite:///{tmp_path}/usage.db"}
    caplog.set_level(logging.INFO, logger="gateway.access")
    async with gateway(config(upstream, ledger=ledger)) as origin:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{origin}/health") as health:
                assert (health.status, await health.json()) == (200, {"status": "ok"})
            async with http.get(f"{origin}/ready") as ready:
                assert ready.status == 200
            completion = await sdk(origin).chat.completions.with_raw_response.create(model="main", messages=HI)
            request_id = completion.headers["x-request-id"]
            with pytest.raises(openai.RateLimitError):
                await sdk(origin).chat.completions.create(model="cheap", messages=HI)
            async with http.get(f"{origin}/metrics") as metrics:
                assert metrics.status == 200 and metrics.content_type == "text/plain"
                exposition = await metrics.text()
            assert 'gateway_requests_total{deployment="main",model="gpt-4o",outcome="ok"} 1.0' in exposition
            assert 'gateway_requests_total{deployment="cheap",model="gpt-4o",outcome="error"} 1.0' in exposition
            assert KEY not in exposition and OPENAI_KEY not in exposition
            # main still serves; with cheap cooling down (retry-after 30) the gateway is ready,
            # a view of cheap alone is not
            async with http.get(f"{origin}/ready") as ready:
                assert ready.status == 200 and (await ready.json())["available"] == ["main"]
    lines = [r.getMessage() for r in caplog.records if r.name == "gateway.access"]
    (line,) = [line for line in lines if line.startswith(request_id)]
    assert "POST /v1/chat/completions key=team deployment=main status=200 tokens=24 latency_ms=" in line
    assert any("key=team deployment=cheap status=429" in line for line in lines)
    assert not any(KEY in line or OPENAI_KEY in line for line in lines)


async def test_the_access_log_line_comes_after_the_reply(upstream: Upstream) -> None:
    """A non-streamed reply has gone out when its access log line is written: a log handler that
    holds the server's loop until a client in another thread has read the whole reply is not
    kept waiting (it would be, for its 2 s, were the line written first)."""
    upstream.reply(ok())
    received = threading.Event()
    waited: list[bool] = []

    class HoldingHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            waited.append(received.wait(2))

    def fetch(port: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("POST", "/v1/chat/completions", body=chat(),
                           headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
        reply = connection.getresponse()
        assert reply.status == 200 and json.loads(reply.read())["choices"][0]["message"]["content"] == TEXT
        received.set()
        connection.close()

    access = logging.getLogger("gateway.access")
    handler = HoldingHandler(logging.INFO)
    access.addHandler(handler)
    level = access.level
    access.setLevel(logging.INFO)
    try:
        async with gateway(config(upstream)) as origin:
            await asyncio.to_thread(fetch, int(origin.rsplit(":", 1)[1]))
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    assert waited == [True]


async def test_not_ready_when_every_deployment_cools_down(upstream: Upstream, sdk: Sdk) -> None:
    upstream.reply(Reply.json({"error": {"message": "slow down"}}, 429, {"retry-after": "30"}))
    one = config(upstream)
    one["deployments"] = one["deployments"][:1]
    one["keys"] = one["keys"][:1]
    async with gateway(one) as origin:
        with pytest.raises(openai.RateLimitError):
            await sdk(origin).chat.completions.create(model="main", messages=HI)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{origin}/ready") as ready:
                assert (ready.status, (await ready.json())["available"]) == (503, [])
        with pytest.raises(openai.InternalServerError) as unavailable:  # 503, nothing sent
            await sdk(origin).chat.completions.create(model="main", messages=HI)
        assert unavailable.value.status_code == 503 and unavailable.value.code == "no_deployment_available"
    assert len(upstream.seen) == 1


# --- configuration ----------------------------------------------------------------------------


def test_configuration_checks(upstream: Upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    good = config(upstream)
    assert [k.id for k in load_gateway_config(good).keys] == ["team", "intern"]
    for broken, message in [
        ({**good, "sever": {}}, "unknown tables ['sever']"),
        ({**good, "server": {"prot": 1}}, "[server]: unknown keys ['prot']"),
        ({**good, "server": {"port": "80"}}, "port must be an integer"),
        ({**good, "keys": [{"id": "x", "key": "secret"}]}, "[[keys]] #1: unknown keys ['key']"),
        ({**good, "keys": [{"id": "x"}]}, "exactly one of key_env or key_sha256"),
        ({**good, "keys": [{"id": "x", "key_sha256": "abc"}]}, "64 hex digits"),
        ({**good, "keys": [{"id": "x", "key_env": "GATEWAY_TEST_UNSET_KEY"}]}, "GATEWAY_TEST_UNSET_KEY is not set"),
        ({**good, "keys": [key_table("x", KEY, limiter={"rpm": 5})]}, "limiter takes requests_per_minute"),
        ({**good, "keys": [key_table("x", KEY, limiter={"requests_per_minute": -1})]}, "must be a positive number"),
        ({"keys": []}, "no [[deployments]]"),
    ]:
        with pytest.raises(ValueError) as raised:
            load_gateway_config(broken)
        assert message in str(raised.value)
    monkeypatch.setenv("GATEWAY_TEST_KEY", KEY)
    from_env = load_gateway_config({**good, "keys": [{"id": "env", "key_env": "GATEWAY_TEST_KEY", "budgets": [{"usd": 5.0, "per": "month"}]}]})
    assert from_env.keys[0].digest == load_gateway_config(good).keys[0].digest
    assert from_env.router["budgets"] == [{"usd": 5.0, "per": "month", "key": "env"}]
    open_config = load_gateway_config({**good, "keys": []})
    check_exposure(open_config, "127.0.0.1")
    check_exposure(open_config, "::1")
    with pytest.raises(ValueError, match="refusing to serve without"):
        check_exposure(open_config, "0.0.0.0")
    check_exposure(load_gateway_config(good), "0.0.0.0")


def test_serve_refuses_an_open_gateway_off_loopback(upstream: Upstream, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = port_settings("openai", upstream.base_url)
    inline = ", ".join(f"{k} = {json.dumps(v)}" for k, v in settings.items())
    path = tmp_path / "gateway.toml"
    path.write_text(f'[[deployments]]\nname = "main"\nsettings = {{ {inline} }}\n')
    assert main(["serve", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "No such file or directory" in capsys.readouterr().err
    assert main(["serve", "--config", str(path), "--host", "0.0.0.0"]) == 2
    assert "refusing to serve without [[keys]] on '0.0.0.0'" in capsys.readouterr().err
    path.write_text(path.read_text() + "[server]\nport = 4000\nhots = 1\n")
    assert main(["serve", "--config", str(path)]) == 2
    assert "[server]: unknown keys ['hots']" in capsys.readouterr().err
