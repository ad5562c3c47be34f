"""GeminiHandler / VertexHandler beyond the recorded scenarios, each case read off the reference.

gemini.ts, vertex.ts and @google/genai 1.29.1 (``dist/node/index.mjs``) at the lines named in each
test's docstring; google-auth-library 10.5.0 for the Vertex credentials.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from loopback import Upstream, collect, sample_service_account
from test_gemini_support import Reply, jwt_claims

from providers import aclose, build_api_handler

SYSTEM = "You are Roo."
USER = [{"role": "user", "content": "Say hello."}]
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


def _hello(text: str = "Hello") -> dict[str, Any]:
    return {
        "candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 12, "totalTokenCount": 21},
        "responseId": "resp-1",
    }


def _gemini(upstream: Upstream, **settings: Any) -> Any:
    return build_api_handler(
        {
            "apiProvider": "gemini",
            "apiModelId": "gemini-2.5-flash",
            "geminiApiKey": "AIzaSySAMPLETESTKEY000000000000000000000",
            "googleGeminiBaseUrl": upstream.base_url,
            **settings,
        }
    )


def _vertex(**settings: Any) -> Any:
    return build_api_handler(
        {"apiProvider": "vertex", "apiModelId": "gemini-2.5-flash", "vertexProjectId": "sample-project", **settings}
    )


def _check_token_request(upstream: Upstream) -> None:
    """gtoken 8: a JWT-bearer grant to oauth2.googleapis.com/token, claims iss/scope/aud/exp/iat."""
    (token,) = upstream.requests_to("/token")
    assert token.url == "https://oauth2.googleapis.com/token"
    form = token.form()
    assert list(form) == ["grant_type", "assertion"]
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    header, claims = jwt_claims(form["assertion"])
    assert header == {"alg": "RS256"}
    assert list(claims) == ["iss", "scope", "aud", "exp", "iat"]
    assert claims["iss"] == sample_service_account()["client_email"]
    assert claims["scope"] == CLOUD_PLATFORM
    assert claims["aud"] == "https://oauth2.googleapis.com/token"
    assert claims["exp"] - claims["iat"] == 3600


# --- credentials ----------------------------------------------------------------------------------


async def test_vertex_key_file_credentials(upstream: Upstream, tmp_path: Path) -> None:
    """gemini.ts: ``vertexKeyFile`` → ``googleAuthOptions: {keyFile}``; GoogleAuth reads the JSON file."""
    key_file = tmp_path / "sa.json"
    key_file.write_text(json.dumps(sample_service_account()))
    upstream.token("ya29.from-key-file")
    upstream.route("aiplatform", Reply.sse(_hello()))

    chunks = await collect(_vertex(vertexRegion="us-central1", vertexKeyFile=str(key_file)).create_message(SYSTEM, USER))

    assert [c["type"] for c in chunks] == ["text", "usage"]
    _check_token_request(upstream)
    (call,) = upstream.requests_to("aiplatform")
    assert call.url == (
        "https://us-central1-aiplatform.googleapis.com/v1beta1/projects/sample-project/locations/us-central1"
        "/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    )
    assert call.headers["authorization"] == "Bearer ya29.from-key-file"


async def test_vertex_missing_key_file(upstream: Upstream, tmp_path: Path) -> None:
    """googleauth.js #determineClient: ``fs.createReadStream(path.resolve(keyFile))`` fails with ENOENT."""
    missing = tmp_path / "nope.json"
    with pytest.raises(Exception) as caught:
        await collect(_vertex(vertexRegion="us-central1", vertexKeyFile=str(missing)).create_message(SYSTEM, USER))
    assert caught.value.message == (  # type: ignore[attr-defined]
        f"Gemini generate context stream error: ENOENT: no such file or directory, open '{missing}'"
    )
    assert upstream.seen == []


async def test_vertex_adc_from_google_application_credentials(
    upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No credentials in the settings: ``getApplicationDefaultAsync`` reads GOOGLE_APPLICATION_CREDENTIALS."""
    key_file = tmp_path / "adc.json"
    key_file.write_text(json.dumps(sample_service_account()))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    upstream.token("ya29.from-adc")
    upstream.route("aiplatform", Reply.sse(_hello()))

    chunks = await collect(_vertex(vertexRegion="europe-west4").create_message(SYSTEM, USER))

    assert chunks[0] == {"type": "text", "text": "Hello"}
    _check_token_request(upstream)
    (call,) = upstream.requests_to("aiplatform")
    assert call.url.startswith("https://europe-west4-aiplatform.googleapis.com/v1beta1/projects/sample-project/")
    assert call.headers["authorization"] == "Bearer ya29.from-adc"


async def test_vertex_adc_file_missing(upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``_getApplicationCredentialsFromFilePath``: realpath/lstat failure, text as googleauth.js composes it."""
    missing = tmp_path / "absent.json"
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(missing))
    with pytest.raises(Exception) as caught:
        await collect(_vertex(vertexRegion="us-central1").create_message(SYSTEM, USER))
    assert caught.value.message == (  # type: ignore[attr-defined]
        f"Gemini generate context stream error: The file at {missing} does not exist, or it is not a file. "
        f"ENOENT: no such file or directory, lstat '{missing}'"
    )


async def test_vertex_without_any_credentials(upstream: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No settings, no GOOGLE_APPLICATION_CREDENTIALS, no gcloud file: NO_ADC_FOUND."""
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(Exception) as caught:
        await collect(_vertex(vertexRegion="us-central1").create_message(SYSTEM, USER))
    assert caught.value.message == (  # type: ignore[attr-defined]
        "Gemini generate context stream error: Could not load the default credentials. Browse to "
        "https://cloud.google.com/docs/authentication/getting-started for more information."
    )


async def test_vertex_global_region(upstream: Upstream) -> None:
    """ApiClient.baseUrlFromProjectLocation: ``global`` uses aiplatform.googleapis.com."""
    upstream.token()
    upstream.route("aiplatform", Reply.json(_hello("pong")))
    handler = _vertex(vertexRegion="global", vertexJsonCredentials=json.dumps(sample_service_account()))

    assert await handler.complete_prompt("Reply pong.") == "pong"

    (call,) = upstream.requests_to("aiplatform")
    assert call.url == (
        "https://aiplatform.googleapis.com/v1beta1/projects/sample-project/locations/global"
        "/publishers/google/models/gemini-2.5-flash:generateContent"
    )


async def test_token_cached_per_handler(upstream: Upstream) -> None:
    """OAuth2Client.getRequestMetadataAsync: a live token is reused; each handler has its own GoogleAuth."""
    upstream.token(times=2)
    upstream.route("aiplatform", Reply.sse(_hello()), times=3)
    settings = {"vertexRegion": "us-central1", "vertexJsonCredentials": json.dumps(sample_service_account())}
    handler = _vertex(**settings)

    await collect(handler.create_message(SYSTEM, USER))
    await collect(handler.create_message(SYSTEM, USER))
    assert len(upstream.requests_to("/token")) == 1

    await collect(_vertex(**settings).create_message(SYSTEM, USER))
    assert len(upstream.requests_to("/token")) == 2
    assert len(upstream.requests_to("aiplatform")) == 3


async def test_token_refreshed_within_five_minutes_of_expiry(upstream: Upstream) -> None:
    """isTokenExpiring: ``expiry_date <= now + eagerRefreshThresholdMillis`` (5 minutes)."""
    upstream.token(expires_in=200, times=2)
    upstream.route("aiplatform", Reply.sse(_hello()), times=2)
    handler = _vertex(vertexRegion="us-central1", vertexJsonCredentials=json.dumps(sample_service_account()))

    await collect(handler.create_message(SYSTEM, USER))
    await collect(handler.create_message(SYSTEM, USER))

    assert len(upstream.requests_to("/token")) == 2


async def test_token_exchange_invalid_grant(upstream: Upstream) -> None:
    """gtoken: ``${body.error}: ${body.error_description}``; a 400 is not retried."""
    upstream.route(
        "/token", Reply.json({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, status=400)
    )
    handler = _vertex(vertexRegion="us-central1", vertexJsonCredentials=json.dumps(sample_service_account()))
    with pytest.raises(Exception) as caught:
        await collect(handler.create_message(SYSTEM, USER))
    assert caught.value.message == "Gemini generate context stream error: invalid_grant: Invalid JWT Signature."  # type: ignore[attr-defined]
    assert len(upstream.requests_to("/token")) == 1
    assert upstream.requests_to("aiplatform") == []


async def test_token_exchange_forbidden(upstream: Upstream) -> None:
    """OAuth2Client.getRequestMetadataAsync: a 403/404 gets ``Could not refresh access token: ``."""
    upstream.route("/token", Reply.json({"error": {"code": 403, "message": "denied", "status": "PERMISSION_DENIED"}}, 403))
    handler = _vertex(vertexRegion="us-central1", vertexJsonCredentials=json.dumps(sample_service_account()))
    with pytest.raises(Exception) as caught:
        await collect(handler.create_message(SYSTEM, USER))
    # body.error is an object: gtoken's template literal makes it "[object Object]"
    assert caught.value.message == (  # type: ignore[attr-defined]
        "Gemini generate context stream error: Could not refresh access token: [object Object]"
    )


async def test_token_exchange_retried_on_503(upstream: Upstream) -> None:
    """gaxios retry.js: POST retried on 5xx after 100 ms, then 500 ms."""
    unavailable = Reply(503, {"content-type": "text/plain"}, [b"unavailable"])
    ok = Reply.json({"access_token": "ya29.third-time", "expires_in": 3599, "token_type": "Bearer"})
    upstream.route("/token", unavailable, unavailable, ok)
    upstream.route("aiplatform", Reply.sse(_hello()))
    handler = _vertex(vertexRegion="us-central1", vertexJsonCredentials=json.dumps(sample_service_account()))

    await collect(handler.create_message(SYSTEM, USER))

    tokens = upstream.requests_to("/token")
    assert len(tokens) == 3
    gaps = [(b.t_ms - a.t_ms) / 1000 for a, b in zip(tokens, tokens[1:])]
    assert 0.095 <= gaps[0] < 0.4 and 0.495 <= gaps[1] < 0.8
    assert upstream.requests_to("aiplatform")[0].headers["authorization"] == "Bearer ya29.third-time"


# --- request body ---------------------------------------------------------------------------------


async def test_url_context_and_grounding_settings_add_no_tools(upstream: Upstream) -> None:
    """gemini.ts at cb83656: createMessage sends only function declarations, completePrompt no tools,
    whatever ``enableUrlContext`` / ``enableGrounding`` say (gemini-handler.spec.ts pins the same)."""
    upstream.route("streamGenerateContent", Reply.sse(_hello()))
    upstream.route(":generateContent", Reply.json(_hello("ok")))
    handler = _gemini(upstream, enableUrlContext=True, enableGrounding=True)

    await collect(handler.create_message(SYSTEM, USER))
    assert await handler.complete_prompt("hi") == "ok"

    stream_body = upstream.requests_to("streamGenerateContent")[0].json()
    assert stream_body["tools"] == [{"functionDeclarations": []}]
    prompt_body = upstream.requests_to(":generateContent")[0].json()
    assert list(prompt_body) == ["contents", "generationConfig"]


async def test_vertex_function_declarations_put_description_first(upstream: Upstream) -> None:
    """functionDeclarationToVertex builds description, name, parametersJsonSchema; toolChoice → ANY + name."""
    upstream.token()
    upstream.route("aiplatform", Reply.sse(_hello()))
    tool = {"type": "function", "function": {"name": "read_file", "description": "Read.", "parameters": {"type": "object"}}}
    handler = _vertex(vertexRegion="us-central1", vertexJsonCredentials=json.dumps(sample_service_account()))

    await collect(
        handler.create_message(
            SYSTEM, USER, {"taskId": "t", "tools": [tool], "tool_choice": {"type": "function", "function": {"name": "read_file"}}}
        )
    )

    body = upstream.requests_to("aiplatform")[0].body.decode()
    assert (
        '"tools":[{"functionDeclarations":[{"description":"Read.","name":"read_file",'
        '"parametersJsonSchema":{"type":"object"}}]}],'
        '"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["read_file"]}}' in body
    )


async def test_empty_conversation(upstream: Upstream) -> None:
    """tContents([]) throws ``contents are required`` inside the handler's try."""
    with pytest.raises(Exception) as caught:
        await collect(_gemini(upstream).create_message(SYSTEM, []))
    assert caught.value.message == "Gemini generate context stream error: contents are required"  # type: ignore[attr-defined]
    assert upstream.seen == []


async def test_unknown_tool_result_id_is_not_wrapped(upstream: Upstream) -> None:
    """gemini-format.ts throws before the try block: the raw Error text reaches the caller."""
    messages = [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_x", "content": "done"}]}]
    with pytest.raises(Exception) as caught:
        await collect(_gemini(upstream).create_message(SYSTEM, messages))
    assert caught.value.message == (  # type: ignore[attr-defined]
        'Unable to find tool name for tool_use_id "toolu_x". This indicates the conversation history is '
        "missing the corresponding tool_use block. Available tool IDs: none"
    )


# --- responses ------------------------------------------------------------------------------------


async def test_grounding_sources(upstream: Upstream) -> None:
    """extractGroundingSources keeps chunks with a web.uri (title falls back to the uri)."""
    grounding = {
        "groundingChunks": [
            {"web": None},
            {"web": {"uri": "https://example.com", "title": "Example Site"}},
            {"web": {"uri": "https://untitled.example"}},
            {},
        ]
    }
    event = _hello("test response")
    event["candidates"][0]["groundingMetadata"] = grounding
    upstream.route("streamGenerateContent", Reply.sse(event))
    upstream.route(":generateContent", Reply.json(event))
    handler = _gemini(upstream)

    chunks = await collect(handler.create_message(SYSTEM, USER))
    completion = await handler.complete_prompt("hi")

    sources = [
        {"title": "Example Site", "url": "https://example.com"},
        {"title": "https://untitled.example", "url": "https://untitled.example"},
    ]
    assert chunks[:2] == [{"type": "text", "text": "test response"}, {"type": "grounding", "sources": sources}]
    assert completion == "test response\n\nSources: [1](https://example.com), [2](https://untitled.example)"


async def test_error_object_inside_ok_stream(upstream: Upstream) -> None:
    """processStreamResponse: a chunk that parses as ``{"error": {code 4xx/5xx}}`` throws ApiError."""
    error = {"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}}
    upstream.route("streamGenerateContent", Reply(200, {"content-type": "text/event-stream"}, [json.dumps(error).encode()]))
    with pytest.raises(Exception) as caught:
        await collect(_gemini(upstream).create_message(SYSTEM, USER))
    assert caught.value.message == (  # type: ignore[attr-defined]
        'Gemini generate context stream error: got status: INTERNAL. '
        '{"error":{"code":500,"message":"Internal error","status":"INTERNAL"}}'
    )


async def test_event_framing(upstream: Upstream) -> None:
    """responseLineRE: leading whitespace, then ``data: …`` ended by \\n\\n, \\r\\r or \\r\\n\\r\\n."""
    events = [json.dumps(_hello(text)).encode() for text in ("a", "b", "c")]
    body = b"\n data: " + events[0] + b"\n\ndata: " + events[1] + b"\r\rdata: " + events[2] + b"\r\n\r\n"
    upstream.route("streamGenerateContent", Reply(200, {"content-type": "text/event-stream"}, [body[:30], body[30:]]))
    chunks = await collect(_gemini(upstream).create_message(SYSTEM, USER))
    assert [c["text"] for c in chunks if c["type"] == "text"] == ["a", "b", "c"]


async def test_incomplete_segment_at_end(upstream: Upstream) -> None:
    """processStreamResponse: leftover text at the end is ``Incomplete JSON segment at the end``."""
    reply = Reply.sse(_hello("first"))
    reply.chunks.append(b'data: {"candidates": []}\n')
    upstream.route("streamGenerateContent", reply)
    chunks: list[dict[str, Any]] = []
    with pytest.raises(Exception) as caught:
        async for chunk in _gemini(upstream).create_message(SYSTEM, USER):
            chunks.append(chunk)
    assert chunks == [{"type": "text", "text": "first"}]
    assert caught.value.message == "Gemini generate context stream error: Incomplete JSON segment at the end"  # type: ignore[attr-defined]


async def test_connection_cut_mid_stream(upstream: Upstream) -> None:
    """undici rejects the body read with ``TypeError: terminated``."""
    reply = Reply.sse(_hello("first"), _hello("second"))
    reply.chunks[1] = reply.chunks[1][:20]  # the cut comes inside the second event
    reply.cut_after = 2
    upstream.route("streamGenerateContent", reply)
    chunks: list[dict[str, Any]] = []
    with pytest.raises(Exception) as caught:
        async for chunk in _gemini(upstream).create_message(SYSTEM, USER):
            chunks.append(chunk)
    assert chunks == [{"type": "text", "text": "first"}]
    assert caught.value.message == "Gemini generate context stream error: terminated"  # type: ignore[attr-defined]


async def test_connection_refused() -> None:
    """ApiClient.apiCall: ``exception ${e} sending request`` with undici's ``TypeError: fetch failed``."""
    handler = build_api_handler(
        {"apiProvider": "gemini", "apiModelId": "gemini-2.5-flash", "geminiApiKey": "k", "googleGeminiBaseUrl": "http://127.0.0.1:9"}
    )
    try:
        with pytest.raises(Exception) as caught:
            await handler.complete_prompt("hi")
    finally:
        await aclose()
    assert caught.value.message == "Gemini completion error: exception TypeError: fetch failed sending request"  # type: ignore[attr-defined]


async def test_non_json_error_body(upstream: Upstream) -> None:
    """throwErrorIfNotOK without a JSON content-type: ``{error: {message: text, code, status: statusText}}``."""
    upstream.route("generateContent", Reply(502, {"content-type": "text/html"}, [b"<html>bad gateway</html>"]))
    with pytest.raises(Exception) as caught:
        await _gemini(upstream).complete_prompt("hi")
    assert caught.value.message == (  # type: ignore[attr-defined]
        'Gemini completion error: {"error":{"message":"<html>bad gateway</html>","code":502,"status":"Bad Gateway"}}'
    )


async def test_break_out_releases_the_stream(upstream: Upstream) -> None:
    """Closing the generator early closes the response; the next call works on the same handler."""
    upstream.route("streamGenerateContent", Reply.sse(_hello("a"), _hello("b"), _hello("c")), times=2)
    handler = _gemini(upstream)
    stream = handler.create_message(SYSTEM, USER)
    assert await stream.__anext__() == {"type": "text", "text": "a"}
    await stream.aclose()
    chunks = await collect(handler.create_message(SYSTEM, USER))
    assert [c["text"] for c in chunks if c["type"] == "text"] == ["a", "b", "c"]


def test_get_model_adds_edit_and_drops_apply_diff() -> None:
    """getModel: excludedTools + apply_diff, includedTools + edit; `:thinking` dropped from the id."""
    vertex = build_api_handler({"apiProvider": "vertex", "apiModelId": "gemini-2.5-flash-preview-05-20:thinking"})
    model = vertex.get_model()
    assert model["id"] == "gemini-2.5-flash-preview-05-20"
    assert model["info"]["excludedTools"] == ["apply_diff"]
    assert model["info"]["includedTools"] == ["edit"]
    assert model["reasoning"] == {"thinkingBudget": 8192, "includeThoughts": True}
