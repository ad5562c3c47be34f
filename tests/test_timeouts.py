"""The timeouts of the HTTP stack under each SDK (issue 15, section 1), against a loopback server
that stalls before the response headers, in the middle of a body, or while connecting.

Node 20's fetch (undici) under openai-node and @google/genai gives up after 10 s connecting,
300 s waiting for headers and 300 s between two body reads; the Anthropic SDK's agentkeepalive
agent destroys a socket silent for the request's timeout + 1 s (at least 5 min); node:http (axios)
never gives up. The tests shorten those through the module constants (the documented test hook)
and check what the caller gets, how many attempts were sent and that each connection was closed.
The expected errors were recorded from the SDKs themselves under Node 20 (openai 5.12.2,
@anthropic-ai/sdk 0.37.0 with agentkeepalive 4.6.0, @google/genai 1.29.1, undici 6.24.1 with
shortened timeouts).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import providers
from providers.sdk import anthropic_sdk, transport
from providers.sdk.anthropic_sdk import Anthropic
from providers.js.errors import JSError
from providers.sdk.genai import GoogleGenAI
from providers.sdk.openai_node import OpenAI
from providers.sdk.stainless import APIConnectionError, APIConnectionTimeoutError, InternalServerError
from providers.utils import timeout_config

SHORT_S = 0.3  # the stack's timeouts in these tests

OPENAI_EVENT = b'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n'
ANTHROPIC_EVENT = (
    b'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":1,"output_tokens":0}}}\n\n'
)
GEMINI_EVENT = b'data: {"candidates":[{"content":{"parts":[{"text":"hi"}],"role":"model"}}]}\r\n\r\n'


@dataclass
class Connection:
    path: str | None = None
    closed: asyncio.Event = field(default_factory=asyncio.Event)


class StallingServer:
    """Plain HTTP on 127.0.0.1: reads a request, then by the path's first segment stalls before
    the headers (``/headers``), after the headers and one chunk of an SSE body (``/sse``), or
    after the headers and the first bytes of a JSON body (``/json``) or of a 500's (``/error``);
    never answers more."""

    def __init__(self) -> None:
        self.connections: list[Connection] = []
        self._server: asyncio.AbstractServer | None = None

    async def __aenter__(self) -> StallingServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Connection()
        self.connections.append(conn)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            conn.path = head.split(b" ")[1].decode()
            mode = conn.path.split("/")[1]
            if mode == "sse":
                event = ANTHROPIC_EVENT if "/messages" in conn.path else (
                    GEMINI_EVENT if "GenerateContent" in conn.path else OPENAI_EVENT
                )
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
                writer.write(b"%x\r\n%s\r\n" % (len(event), event))
            elif mode == "error":
                writer.write(b'HTTP/1.1 500 Internal Server Error\r\ncontent-length: 100\r\n\r\n{"error":')
            elif mode == "json":
                writer.write(b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"id":')
            while await reader.read(65536):  # the request body, then nothing until the client closes
                pass
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            conn.closed.set()
            writer.close()

    async def all_closed(self) -> bool:
        """Whether the client closed every connection (waiting a moment for the FINs)."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(c.closed.wait() for c in self.connections)), 1.0)
        return all(c.closed.is_set() for c in self.connections)


@pytest.fixture
async def server() -> AsyncIterator[StallingServer]:
    async with StallingServer() as srv:
        yield srv
    await providers.aclose()


@pytest.fixture
def short_undici(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "UNDICI_CONNECT_TIMEOUT_S", SHORT_S)
    monkeypatch.setattr(transport, "UNDICI_HEADERS_TIMEOUT_S", SHORT_S)
    monkeypatch.setattr(transport, "UNDICI_BODY_TIMEOUT_S", SHORT_S)


def openai_client(base: str, **options: Any) -> OpenAI:
    return OpenAI(api_key="sk-test", base_url=base, **options)


CHAT = {"model": "m", "messages": [{"role": "user", "content": "x"}]}


async def drain(stream: Any) -> list[Any]:
    return [item async for item in stream]


# --- openai-node on undici ---------------------------------------------------------------------


async def test_openai_headers_timeout_is_request_timed_out_after_three_attempts(
    server: StallingServer, short_undici: None
) -> None:
    # undici's headersTimeout (before the SDK's 10 min): fetch failed (HeadersTimeoutError),
    # which openai-node counts as a timeout; retried twice, then APIConnectionTimeoutError
    with pytest.raises(APIConnectionTimeoutError) as caught:
        await openai_client(server.base + "/headers").chat_completions_create({**CHAT, "stream": True})
    error = caught.value
    assert (error.js_constructor, error.name, error.message) == ("APIConnectionTimeoutError", "Error", "Request timed out.")
    assert [c.path for c in server.connections] == ["/headers/chat/completions"] * 3
    assert await server.all_closed()


async def test_openai_own_timeout_below_undicis_wins(server: StallingServer) -> None:
    # apiRequestTimeout under 300 s: the SDK's own abort comes first, with the same outcome
    with pytest.raises(APIConnectionTimeoutError, match="^Request timed out.$"):
        await openai_client(server.base + "/headers", timeout_ms=SHORT_S * 1000, max_retries=0).chat_completions_create(CHAT)
    assert len(server.connections) == 1
    assert await server.all_closed()


async def test_openai_stream_silent_mid_body_is_terminated_by_body_timeout(
    server: StallingServer, short_undici: None
) -> None:
    stream = await openai_client(server.base + "/sse").chat_completions_create({**CHAT, "stream": True})
    chunks: list[Any] = []
    with pytest.raises(JSError) as caught:
        async for chunk in stream:
            chunks.append(chunk)
    assert chunks == [{"choices": [{"delta": {"content": "hi"}}]}]
    error = caught.value
    assert (error.js_constructor, error.name, error.message) == ("TypeError", "TypeError", "terminated")
    cause = error.cause
    assert (cause.js_constructor, cause.name, cause.message, cause.code) == (
        "BodyTimeoutError", "BodyTimeoutError", "Body Timeout Error", "UND_ERR_BODY_TIMEOUT"
    )
    assert len(server.connections) == 1  # a cut body is not retried
    assert await server.all_closed()


async def test_body_timeout_applies_from_the_headers_on(server: StallingServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # headersTimeout and bodyTimeout are separate settings: once the headers are in, the body's
    # silence is bounded by bodyTimeout (here far shorter than the headers' bound)
    monkeypatch.setattr(transport, "UNDICI_HEADERS_TIMEOUT_S", 30.0)
    monkeypatch.setattr(transport, "UNDICI_BODY_TIMEOUT_S", SHORT_S)
    stream = await openai_client(server.base + "/sse").chat_completions_create({**CHAT, "stream": True})
    with pytest.raises(JSError, match="^terminated$"):
        await asyncio.wait_for(drain(stream), 5.0)


async def test_openai_json_body_silent_is_terminated_by_body_timeout(
    server: StallingServer, short_undici: None
) -> None:
    with pytest.raises(JSError) as caught:
        await openai_client(server.base + "/json").chat_completions_create(CHAT)
    assert (caught.value.name, caught.value.message, caught.value.cause.name) == ("TypeError", "terminated", "BodyTimeoutError")
    assert len(server.connections) == 1
    assert await server.all_closed()


async def test_openai_error_body_silent_reads_as_terminated(server: StallingServer, short_undici: None) -> None:
    # response.text().catch(e => e.message): the status error's message is "terminated"
    with pytest.raises(InternalServerError) as caught:
        await openai_client(server.base + "/error", max_retries=0).chat_completions_create(CHAT)
    assert (caught.value.message, caught.value.status) == ("500 terminated", 500)
    assert await server.all_closed()


async def test_openai_connect_timeout_is_request_timed_out(short_undici: None) -> None:
    # a listener whose accept queue is full: the SYN goes unanswered, undici's connect timeout
    # (ConnectTimeoutError, a "timeout" to openai-node) fires
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    filler = socket.create_connection(listener.getsockname())
    try:
        host, port = listener.getsockname()
        with pytest.raises(APIConnectionTimeoutError, match="^Request timed out.$"):
            await openai_client(f"http://{host}:{port}", max_retries=0).chat_completions_create(CHAT)
    finally:
        filler.close()
        listener.close()
        await providers.aclose()


# --- @anthropic-ai/sdk on node-fetch with agentkeepalive ---------------------------------------


@pytest.fixture
def short_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(anthropic_sdk, "KEEPALIVE_AGENT_TIMEOUT_MS", SHORT_S * 1000)


def anthropic_client(base: str, **options: Any) -> Anthropic:
    return Anthropic(api_key="sk-ant-test", base_url=base, **options)


MESSAGE = {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}]}


def test_anthropic_agent_timeout_is_the_request_timeout_plus_one_second() -> None:
    # buildRequest raises the agent's 5 min to timeout + 1000 (the reference's 600 s: 601 s)
    assert anthropic_sdk.ANTHROPIC_SDK.stack_timeouts(600_000) == transport.StackTimeouts(None, 601.0, 601.0)
    assert anthropic_sdk.ANTHROPIC_SDK.stack_timeouts(1_000) == transport.StackTimeouts(None, 300.0, 300.0)


async def test_anthropic_headers_wait_is_request_timed_out_after_three_attempts(server: StallingServer) -> None:
    # the SDK's own timer (AbortError) fires before the agent's socket timeout (timeout + 1 s)
    with pytest.raises(APIConnectionTimeoutError) as caught:
        await anthropic_client(server.base + "/headers", timeout_ms=SHORT_S * 1000).messages_create({**MESSAGE, "stream": True})
    assert (caught.value.js_constructor, caught.value.message) == ("APIConnectionTimeoutError", "Request timed out.")
    assert [c.path for c in server.connections] == ["/headers/v1/messages"] * 3
    assert await server.all_closed()


async def test_anthropic_stream_silent_mid_body_is_socket_timeout(server: StallingServer, short_agent: None) -> None:
    client = anthropic_client(server.base + "/sse", timeout_ms=100)  # agent: max(0.3 s, 0.1 s + 1 s)
    stream = await client.messages_create({**MESSAGE, "stream": True})
    events: list[Any] = []
    with pytest.raises(JSError) as caught:
        async for event in stream:
            events.append(event)
    assert [e["type"] for e in events] == ["message_start"]
    error = caught.value
    assert (error.js_constructor, error.name, error.message, error.code, error.timeout) == (
        "Error", "Error", "Socket timeout", "ERR_SOCKET_TIMEOUT", 1100
    )
    assert len(server.connections) == 1
    assert await server.all_closed()


async def test_anthropic_json_body_silent_is_fetch_error(server: StallingServer, short_agent: None) -> None:
    with pytest.raises(JSError) as caught:
        await anthropic_client(server.base + "/json", timeout_ms=100).messages_create(MESSAGE)
    error = caught.value
    assert (error.js_constructor, error.name, error.code, error.type) == (
        "FetchError", "FetchError", "ERR_SOCKET_TIMEOUT", "system"
    )
    assert error.message == f"Invalid response body while trying to fetch {server.base}/json/v1/messages: Socket timeout"
    assert await server.all_closed()


async def test_anthropic_error_body_silent_reads_as_fetch_error_message(
    server: StallingServer, short_agent: None
) -> None:
    with pytest.raises(InternalServerError) as caught:
        await anthropic_client(server.base + "/error", timeout_ms=100, max_retries=0).messages_create(MESSAGE)
    assert caught.value.message == (
        f"500 Invalid response body while trying to fetch {server.base}/error/v1/messages: Socket timeout"
    )
    assert await server.all_closed()


async def test_anthropic_connect_failure_that_timed_out_is_connection_error(server: StallingServer) -> None:
    # core.ts counts only an AbortError as a timeout: a connection that failed with "timed out"
    # (here a lookup that timed out) is "Connection error." after the retries
    class TimedOutResolver(transport.aiohttp.abc.AbstractResolver):
        async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[Any]:
            raise OSError(110, "Connection timed out")

        async def close(self) -> None:
            return None

    await providers.aclose()
    transport.configure(resolver=TimedOutResolver)
    try:
        with pytest.raises(APIConnectionError) as caught:
            await anthropic_client("http://stalled.invalid", max_retries=0).messages_create(MESSAGE)
    finally:
        await providers.aclose()
        transport.configure()
    assert type(caught.value) is APIConnectionError
    assert caught.value.message == "Connection error."
    assert "timed out" in caught.value.cause.message


# --- @google/genai on undici -------------------------------------------------------------------


def genai(base: str) -> GoogleGenAI:
    return GoogleGenAI({"apiKey": "gemini-test", "httpOptions": {"baseUrl": base}})


PARAMS = {"model": "gemini-x", "contents": "hi"}


async def test_genai_headers_timeout_is_fetch_failed(server: StallingServer, short_undici: None) -> None:
    with pytest.raises(JSError) as caught:
        await genai(server.base + "/headers").models.generate_content_stream(PARAMS)
    assert (caught.value.js_constructor, caught.value.message) == ("Error", "exception TypeError: fetch failed sending request")
    assert len(server.connections) == 1  # the SDK does not retry
    assert await server.all_closed()


async def test_genai_stream_silent_mid_body_is_terminated(server: StallingServer, short_undici: None) -> None:
    stream = await genai(server.base + "/sse").models.generate_content_stream(PARAMS)
    with pytest.raises(JSError) as caught:
        await drain(stream)
    assert (caught.value.js_constructor, caught.value.message) == ("TypeError", "terminated")
    assert (caught.value.cause.name, caught.value.cause.code) == ("BodyTimeoutError", "UND_ERR_BODY_TIMEOUT")
    assert await server.all_closed()


async def test_genai_json_body_silent_is_terminated(server: StallingServer, short_undici: None) -> None:
    with pytest.raises(JSError) as caught:
        await genai(server.base + "/json").models.generate_content(PARAMS)
    assert (caught.value.js_constructor, caught.value.message, caught.value.cause.name) == (
        "TypeError", "terminated", "BodyTimeoutError"
    )
    assert await server.all_closed()


# --- through the handlers ----------------------------------------------------------------------


def openai_handler(base: str) -> Any:
    return providers.build_api_handler(
        {"apiProvider": "openai", "openAiBaseUrl": base, "openAiApiKey": "sk-test", "openAiModelId": "gpt-4o"}
    )


async def test_openai_handler_api_request_timeout_bounds_each_attempt(
    server: StallingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # openai.ts passes getApiRequestTimeout() (the setting, in seconds) as the SDK's timeout;
    # handleOpenAIError wraps the SDK's error after its retries
    monkeypatch.setattr(timeout_config, "WORKSPACE_CONFIGURATION", {"apiRequestTimeout": SHORT_S})
    with pytest.raises(JSError) as caught:
        await drain(openai_handler(server.base + "/headers").create_message("You are Roo.", [{"role": "user", "content": "Hi"}]))
    assert caught.value.message == "OpenAI completion error: Request timed out."
    assert len(server.connections) == 3
    assert await server.all_closed()


async def test_openai_handler_stream_silent_mid_body_ends_with_terminated(
    server: StallingServer, short_undici: None
) -> None:
    # the stream is read outside openai.ts's try: undici's TypeError reaches the caller as is,
    # after the text that came before it
    chunks: list[Any] = []
    with pytest.raises(JSError) as caught:
        async for chunk in openai_handler(server.base + "/sse").create_message("You are Roo.", [{"role": "user", "content": "Hi"}]):
            chunks.append(chunk)
    assert chunks == [{"type": "text", "text": "hi"}]
    assert (caught.value.name, caught.value.message, caught.value.cause.name) == ("TypeError", "terminated", "BodyTimeoutError")
    assert await server.all_closed()
