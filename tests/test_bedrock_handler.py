"""AwsBedrockHandler beyond the recorded scenarios, each case read off the reference.

bedrock.ts at cb83656 and @aws-sdk/client-bedrock-runtime 3.922.0 with the packages named in each
docstring. The header and credential cases were also run against the real SDK (Node 20, the
lockfile's versions) with the same inputs: the user-agent feature ids, the signed header set and
the session-token header below are what it sent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from loopback import Upstream
from syrupy.assertion import SnapshotAssertion
from test_bedrock_support import (
    SAMPLE_ACCESS_KEY,
    SAMPLE_SECRET_KEY,
    SONNET,
    Reply,
    collect,
    frame,
    settings,
    text_delta,
    usage,
    verify_sigv4,
)

from providers import build_api_handler
from providers.js.errors import JSError

SYSTEM = "You are Roo."
HELLO = [{"role": "user", "content": "Say hello."}]


@pytest.fixture(autouse=True)
def _no_auth_preference_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_BEARER_TOKEN_BEDROCK / AWS_AUTH_SCHEME_PREFERENCE would switch the SDK to bearer auth."""
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    monkeypatch.delenv("AWS_AUTH_SCHEME_PREFERENCE", raising=False)


def _features(user_agent: str) -> str:
    return next(part for part in user_agent.split(" ") if part.startswith("m/"))


def _stable_headers(headers: dict[str, str]) -> dict[str, str]:
    """Request headers without per-request or per-machine values; credentials cut to a prefix."""
    volatile = {"x-amz-date", "amz-sdk-invocation-id", "host"}
    stable = {name: value for name, value in headers.items() if name not in volatile}
    stable["user-agent"] = " ".join(
        part for part in stable["user-agent"].split(" ") if not part.startswith(("os/", "lang/", "md/"))
    )
    credential, _, rest = stable["authorization"].partition("Credential=")[2].partition("/")
    signed_headers = rest.split("SignedHeaders=")[1].split(",")[0]
    stable["authorization"] = f"Credential={credential[:8]}…/…, SignedHeaders={signed_headers}"
    if "x-amz-security-token" in stable:
        stable["x-amz-security-token"] = stable["x-amz-security-token"][:8] + "…"
    return stable


# --- credentials ----------------------------------------------------------------------------------


@pytest.fixture
def aws_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Shared config/credentials files in a temp dir (AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE)."""
    (tmp_path / "credentials").write_text(
        "[dev]\n"
        "aws_access_key_id = AKIAPROFILETEST00000\n"
        "aws_secret_access_key = profileSecret000000000000000000000000000\n"
        "aws_session_token = profileSessionToken\n"
    )
    (tmp_path / "config").write_text("[profile dev]\nregion = eu-west-1\n\n[profile empty]\nregion = us-west-2\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    for name in (
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_BEARER_TOKEN_BEDROCK",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


async def test_profile_credentials_sign_with_the_profile(
    upstream: Upstream, aws_files: Path, snapshot: SnapshotAssertion
) -> None:
    """bedrock.ts: ``awsUseProfile`` → ``fromIni({profile, ignoreCache})``; credential-provider-ini
    ``resolveStaticCredentials`` takes the profile's keys and session token and tags them
    CREDENTIALS_PROFILE ("n"); @aws-sdk/core adds CREDENTIALS_CODE ("e") for configured providers."""
    upstream.reply(Reply(chunks=[text_delta("Hi"), usage()]))
    handler = build_api_handler(
        settings(upstream, awsUseProfile=True, awsProfile="dev", awsAccessKey=None, awsSecretKey=None)
    )
    chunks, error = await collect(handler.create_message(SYSTEM, HELLO))
    assert error is None
    assert chunks[0] == {"type": "text", "text": "Hi"}
    (request,) = upstream.seen
    assert request.headers["x-amz-security-token"] == "profileSessionToken"
    assert _features(request.headers["user-agent"]) == "m/N,E,n,e"
    scope = verify_sigv4(
        request,
        "AKIAPROFILETEST00000",
        "profileSecret000000000000000000000000000",
        "profileSessionToken",
    )
    assert scope.endswith("/us-east-1")  # awsRegion wins over the profile's region
    assert _stable_headers(request.headers) == snapshot


async def test_profile_without_credentials_fails_before_any_request(upstream: Upstream, aws_files: Path) -> None:
    """credential-provider-ini ``resolveProfileData``: no usable credentials → CredentialsProviderError
    with the reference's text; bedrock.ts turns it into the error chunks and an ``Error`` named after it."""
    handler = build_api_handler(
        settings(upstream, awsUseProfile=True, awsProfile="empty", awsAccessKey=None, awsSecretKey=None)
    )
    chunks, error = await collect(handler.create_message(SYSTEM, HELLO))
    message = (
        "Unknown Error: Could not resolve credentials using profile: [empty] in configuration/credentials file(s)."
    )
    assert chunks == [
        {"type": "text", "text": f"Error: {message}"},
        {"type": "usage", "inputTokens": 0, "outputTokens": 0},
    ]
    assert isinstance(error, JSError)
    assert (error.message, error.name, error.status) == (message, "CredentialsProviderError", None)
    assert upstream.seen == []


async def test_default_chain_without_credentials(
    upstream: Upstream, aws_files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """credential-provider-node ``defaultProvider``: env, then the shared files (profile "default"
    has no keys), then IMDS (disabled here), then ``Could not load credentials from any providers``."""
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    handler = build_api_handler(settings(upstream, awsAccessKey=None, awsSecretKey=None))
    chunks, error = await collect(handler.create_message(SYSTEM, HELLO))
    assert chunks[0] == {"type": "text", "text": "Error: Unknown Error: Could not load credentials from any providers"}
    assert isinstance(error, JSError) and error.name == "CredentialsProviderError"
    assert upstream.seen == []


async def test_environment_credentials(upstream: Upstream, aws_files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """credential-provider-env ``fromEnv`` (feature CREDENTIALS_ENV_VARS, "g"; not attributed to code)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "environmentSecret")
    upstream.reply(Reply(chunks=[usage()]))
    handler = build_api_handler(settings(upstream, awsAccessKey=None, awsSecretKey=None))
    await collect(handler.create_message(SYSTEM, HELLO))
    (request,) = upstream.seen
    assert _features(request.headers["user-agent"]) == "m/N,E,g"
    verify_sigv4(request, "AKIAENVIRONMENT00000", "environmentSecret")


async def test_session_token_is_sent_and_signed(upstream: Upstream) -> None:
    """bedrock.ts: ``awsSessionToken`` joins the static credentials; signature-v4 sets
    ``x-amz-security-token`` before signing, so it is among the signed headers."""
    upstream.reply(Reply(chunks=[usage()]))
    handler = build_api_handler(settings(upstream, awsSessionToken="sampleSessionToken"))
    await collect(handler.create_message(SYSTEM, HELLO))
    (request,) = upstream.seen
    assert request.headers["x-amz-security-token"] == "sampleSessionToken"
    assert "x-amz-security-token" in request.headers["authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert _features(request.headers["user-agent"]) == "m/N,E,e"
    verify_sigv4(request, SAMPLE_ACCESS_KEY, SAMPLE_SECRET_KEY, "sampleSessionToken")


async def test_api_key_is_a_bearer_token(upstream: Upstream) -> None:
    """bedrock.ts: ``awsUseApiKey`` → ``token`` + ``authSchemePreference: ["httpBearerAuth"]``;
    HttpBearerAuthSigner sets only ``Authorization: Bearer …`` (no x-amz-date, no payload hash)."""
    upstream.reply(Reply(chunks=[usage()]))
    handler = build_api_handler(settings(upstream, awsUseApiKey=True, awsApiKey="ABSKsampleApiKey"))
    await collect(handler.create_message(SYSTEM, HELLO))
    (request,) = upstream.seen
    assert request.headers["authorization"] == "Bearer ABSKsampleApiKey"
    assert "x-amz-date" not in request.headers and "x-amz-content-sha256" not in request.headers
    assert _features(request.headers["user-agent"]) == "m/N,E"


async def test_default_regional_endpoint(upstream: Upstream) -> None:
    """Without ``awsBedrockEndpoint`` the ruleset's ``https://bedrock-runtime.{region}.amazonaws.com``
    is addressed; there is no ENDPOINT_OVERRIDE ("N") feature and ``host`` is signed."""
    upstream.reply(Reply(chunks=[text_delta("Hi"), usage()]))
    handler = build_api_handler(
        {
            "apiProvider": "bedrock",
            "apiModelId": SONNET,
            "awsRegion": "us-east-1",
            "awsAccessKey": SAMPLE_ACCESS_KEY,
            "awsSecretKey": SAMPLE_SECRET_KEY,
        }
    )
    chunks, error = await collect(handler.create_message(SYSTEM, HELLO))
    assert error is None and chunks[0] == {"type": "text", "text": "Hi"}
    (request,) = upstream.seen
    assert request.headers["host"] == "bedrock-runtime.us-east-1.amazonaws.com"
    assert request.path == "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream"
    assert request.url == "https://bedrock-runtime.us-east-1.amazonaws.com" + request.path  # over TLS
    assert _features(request.headers["user-agent"]) == "m/E,e"
    verify_sigv4(request, SAMPLE_ACCESS_KEY, SAMPLE_SECRET_KEY)


# --- model identification -------------------------------------------------------------------------


async def test_custom_arn_addresses_the_arn_in_its_region(upstream: Upstream) -> None:
    """bedrock.ts ``parseArn``: the ARN's region replaces ``awsRegion``; the model info comes from the
    table entry of the ARN's model id (inference-profile prefix stripped); a non-foundation-model ARN is
    the model id sent (URL-encoded by the SDK's ``extendedEncodeURIComponent``)."""
    arn = "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0"
    upstream.reply(Reply(chunks=[usage()]))
    handler = build_api_handler(settings(upstream, awsCustomArn=arn))
    model = handler.get_model()
    assert model["id"] == arn
    assert model["info"]["contextWindow"] == 200_000 and model["info"]["supportsReasoningBudget"] is True
    await collect(handler.create_message(SYSTEM, HELLO))
    (request,) = upstream.seen
    assert request.path == (
        "/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Ainference-profile%2F"
        "us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse-stream"
    )
    assert verify_sigv4(request, SAMPLE_ACCESS_KEY, SAMPLE_SECRET_KEY).endswith("/us-west-2")
    assert request.json()["additionalModelRequestFields"] == {
        "anthropic_beta": ["fine-grained-tool-streaming-2025-05-14"]
    }


def test_invalid_arn_fails_in_the_constructor() -> None:
    """bedrock.ts constructor: an ARN ``parseArn`` rejects throws ``INVALID_ARN_FORMAT:…``."""
    with pytest.raises(JSError) as raised:
        build_api_handler({"apiProvider": "bedrock", "awsRegion": "us-east-1", "awsCustomArn": "arn:aws:s3:::bucket"})
    assert (
        raised.value.message
        == "INVALID_ARN_FORMAT:Invalid ARN format. ARN should follow the Amazon Bedrock ARN pattern."
    )


@pytest.mark.parametrize(
    ("extra", "expected_id"),
    [
        ({"awsUseCrossRegionInference": True, "awsRegion": "eu-west-1"}, f"eu.{SONNET}"),
        ({"awsUseCrossRegionInference": True, "awsRegion": "ap-southeast-2"}, f"au.{SONNET}"),
        ({"awsUseGlobalInference": True, "awsUseCrossRegionInference": True}, f"global.{SONNET}"),
        ({"apiModelId": "my-custom-model"}, SONNET),
    ],
)
def test_model_id_prefixes(extra: dict[str, Any], expected_id: str) -> None:
    """bedrock.ts ``getModel``: global inference wins over the cross-region prefix of
    ``getPrefixForRegion``; an id missing from the table falls back to the default model id."""
    handler = build_api_handler({"apiProvider": "bedrock", "apiModelId": SONNET, "awsRegion": "us-east-1", **extra})
    assert handler.get_model()["id"] == expected_id


async def test_1m_context_and_service_tier(upstream: Upstream) -> None:
    """bedrock.ts: ``awsBedrock1MContext`` adds the context-1m beta and a 1M window; a service tier is a
    top-level payload field the SDK's serializer does not know, so it never reaches the wire, while
    ``getModel`` applies the tier's price factor (FLEX 0.5)."""
    upstream.reply(Reply(chunks=[usage()]))
    handler = build_api_handler(settings(upstream, awsBedrock1MContext=True))
    assert handler.get_model()["info"]["contextWindow"] == 1_000_000
    await collect(handler.create_message(SYSTEM, HELLO))
    assert upstream.seen[0].json()["additionalModelRequestFields"]["anthropic_beta"] == [
        "context-1m-2025-08-07",
        "fine-grained-tool-streaming-2025-05-14",
    ]
    upstream.reply(Reply(chunks=[usage()]))
    nova = build_api_handler(settings(upstream, apiModelId="amazon.nova-pro-v1:0", awsBedrockServiceTier="FLEX"))
    assert nova.get_model()["info"]["inputPrice"] == 0.8 * 0.5
    await collect(nova.create_message(SYSTEM, HELLO))
    body = upstream.seen[1].json()
    assert "service_tier" not in body and "additionalModelRequestFields" not in body


# --- prompt cache -----------------------------------------------------------------------------------


def _long(word: str, count: int) -> str:
    return " ".join([word] * count)


def _cache_points(body: dict[str, Any]) -> tuple[bool, list[int]]:
    system_cached = any("cachePoint" in block for block in body["system"])
    placed = [i for i, m in enumerate(body["messages"]) if any("cachePoint" in b for b in m["content"])]
    return system_cached, placed


async def test_cache_points_over_a_long_conversation(upstream: Upstream, snapshot: SnapshotAssertion) -> None:
    """MultiPointStrategy, turn by turn on one handler (placements remembered per conversation id):

    the 800-word system prompt (1045 estimated tokens ≥ 1024) takes one of the 4 points; turn 2 places
    a point on the last user message (index 2); turns 3 and 4 keep the earlier points and add one for
    the new user message (4, then 6); on turn 5 no point is left, the new messages (a 4000-word user
    message) outweigh 1.2 × the smallest pair of gaps (points 4 and 6), so those two merge into 6 and
    the freed point goes to the new message: 2, 6, 8. Points are appended to the converted messages.
    """
    handler = build_api_handler(settings(upstream))
    system = _long("rule", 800)
    conversation: list[dict[str, Any]] = [{"role": "user", "content": _long("alpha", 1000)}]
    replies = [_long("beta", 1000), _long("gamma", 1000), _long("delta", 1000), _long("omega", 4000)]
    observed = []
    for turn in range(5):
        upstream.reply(Reply(chunks=[usage()]))
        _, error = await collect(handler.create_message(system, conversation))
        assert error is None
        observed.append(_cache_points(upstream.seen[-1].json()))
        if turn < 4:
            conversation = [
                *conversation,
                {"role": "assistant", "content": "ok"},
                {"role": "user", "content": replies[turn]},
            ]
    assert observed == [(True, []), (True, [2]), (True, [2, 4]), (True, [2, 4, 6]), (True, [2, 6, 8])]
    last = upstream.seen[-1].json()
    assert last["messages"][8]["content"][-1] == {"cachePoint": {"type": "default"}}
    assert last["system"][-1] == {"cachePoint": {"type": "default"}}
    skeleton = [[next(iter(block)) for block in message["content"]] for message in last["messages"]]
    assert (observed, skeleton, last["inferenceConfig"]) == snapshot


async def test_no_cache_points_when_disabled(upstream: Upstream) -> None:
    """bedrock.ts: ``awsUsePromptCache: false`` skips the strategy; the system prompt is one text block."""
    upstream.reply(Reply(chunks=[usage()]))
    handler = build_api_handler(settings(upstream, awsUsePromptCache=False))
    await collect(handler.create_message(_long("rule", 800), [{"role": "user", "content": _long("alpha", 2000)}]))
    assert _cache_points(upstream.seen[0].json()) == (False, [])


# --- reasoning ------------------------------------------------------------------------------------


async def test_redacted_reasoning_and_signatures_yield_nothing(upstream: Upstream, snapshot: SnapshotAssertion) -> None:
    """bedrock.ts only reads ``delta.reasoningContent.text``: the SDK's ``de_ReasoningContentBlockDelta``
    turns ``redactedContent`` into bytes and keeps ``signature``, and neither becomes a chunk. In the
    history, thinking and redacted_thinking blocks are unknown to bedrock-converse-format.ts."""
    upstream.reply(
        Reply(
            chunks=[
                frame("messageStart", {"role": "assistant"}),
                frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "Hmm."}}}),
                frame(
                    "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "c2ln"}}}
                ),
                frame("contentBlockStop", {"contentBlockIndex": 0}),
                frame(
                    "contentBlockDelta",
                    {"contentBlockIndex": 1, "delta": {"reasoningContent": {"redactedContent": "cmVkYWN0ZWQ="}}},
                ),
                frame("contentBlockStop", {"contentBlockIndex": 1}),
                text_delta("Done.", 2),
                frame("messageStop", {"stopReason": "end_turn"}),
                usage(20, 7, cacheReadInputTokens=3, cacheWriteInputTokens=4),
            ]
        )
    )
    handler = build_api_handler(settings(upstream, enableReasoningEffort=True))
    history = [
        {"role": "user", "content": "Think."},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "earlier", "signature": "c2ln"},
                {"type": "redacted_thinking", "data": "cmVkYWN0ZWQ="},
                {"type": "text", "text": "Earlier answer."},
            ],
        },
        {"role": "user", "content": "Again."},
    ]
    chunks, error = await collect(handler.create_message(SYSTEM, history))
    assert error is None
    assert chunks == [
        {"type": "reasoning", "text": "Hmm."},
        {"type": "text", "text": "Done."},
        {"type": "usage", "inputTokens": 20, "outputTokens": 7, "cacheReadTokens": 3, "cacheWriteTokens": 4},
    ]
    body = upstream.seen[0].json()
    assert body["messages"][1]["content"] == [
        {"text": "[Unknown Block Type]"},
        {"text": "[Unknown Block Type]"},
        {"text": "Earlier answer."},
    ]
    # enableReasoningEffort: thinking with the default budget (8192 capped at 80% of 16384), temperature 1
    assert body["additionalModelRequestFields"]["thinking"] == {"type": "enabled", "budget_tokens": 8192}
    assert body["inferenceConfig"] == {"maxTokens": 16384, "temperature": 1}
    assert "anthropic_version" not in body
    assert body == snapshot


# --- errors and retries ---------------------------------------------------------------------------


async def test_throttling_exhausts_the_retries_then_raises_as_is(upstream: Upstream) -> None:
    """util-retry StandardRetryStrategy: 3 attempts, each retry after floor(U · 2ⁿ⁻¹ · 500) ms for a
    throttling error; bedrock.ts re-throws the SDK's ThrottlingException itself, without chunks."""
    upstream.reply(
        *[Reply.error(429, "ThrottlingException", "Too many requests, please wait before trying again.")] * 3
    )
    handler = build_api_handler(settings(upstream))
    chunks, error = await collect(handler.create_message(SYSTEM, HELLO))
    assert chunks == []
    assert getattr(error, "js_constructor", None) == "ThrottlingException"
    assert isinstance(error, JSError) and error.name == "ThrottlingException"
    assert error.message == "Too many requests, please wait before trying again."
    metadata = error.metadata  # type: ignore[attr-defined]
    assert (metadata["httpStatusCode"], metadata["attempts"]) == (429, 3)
    assert [s.headers["amz-sdk-request"] for s in upstream.seen] == [f"attempt={n}; max=3" for n in (1, 2, 3)]
    assert len({s.headers["amz-sdk-invocation-id"] for s in upstream.seen}) == 1
    for n, (before, after) in enumerate(zip(upstream.seen, upstream.seen[1:]), start=1):
        assert before.t_end_ms is not None
        gap_ms = after.t_ms - before.t_end_ms
        assert -5 <= gap_ms <= 500 * 2 ** (n - 1) + 50
    assert isinstance(metadata["totalRetryDelay"], int)


async def test_exception_frame_for_throttling_is_raised_without_chunks(upstream: Upstream) -> None:
    """eventstream-serde ``getMessageUnmarshaller``: an exception message throws the modeled exception;
    a ThrottlingException mid-stream is THROTTLING for ``getErrorType``, so no error chunks follow."""
    upstream.reply(
        Reply(chunks=[text_delta("Part"), frame("throttlingException", {"message": "Slow down."}, "exception")])
    )
    handler = build_api_handler(settings(upstream))
    chunks, error = await collect(handler.create_message(SYSTEM, HELLO))
    assert chunks == [{"type": "text", "text": "Part"}]
    assert getattr(error, "js_constructor", None) == "ThrottlingException"
    assert error is not None and error.metadata == {}  # type: ignore[attr-defined]


async def test_stream_cut_at_a_message_boundary_just_ends(upstream: Upstream) -> None:
    """Over HTTP/2 a reset stream ends the body without an error (checked with the real SDK), and
    getChunkedStream has no partial message to complain about."""
    upstream.reply(Reply(chunks=[text_delta("One"), text_delta("Two")], cut_after=2))
    handler = build_api_handler(settings(upstream))
    chunks, error = await collect(handler.create_message(SYSTEM, HELLO))
    assert (chunks, error) == ([{"type": "text", "text": "One"}, {"type": "text", "text": "Two"}], None)


async def test_stream_cut_inside_a_message_is_truncated(upstream: Upstream) -> None:
    """getChunkedStream: the body ends inside a message → ``Truncated event message received.``,
    which bedrock.ts reports as an unknown error after the chunks already yielded."""
    upstream.reply(Reply(chunks=[text_delta("One"), text_delta("Two")[:20]], cut_after=2))
    handler = build_api_handler(settings(upstream))
    chunks, error = await collect(handler.create_message(SYSTEM, HELLO))
    message = "Unknown Error: Truncated event message received."
    assert chunks == [
        {"type": "text", "text": "One"},
        {"type": "text", "text": f"Error: {message}"},
        {"type": "usage", "inputTokens": 0, "outputTokens": 0},
    ]
    assert isinstance(error, JSError) and (error.message, error.name) == (message, "Error")


async def test_corrupt_message_crc(upstream: Upstream) -> None:
    """eventstream-codec ``splitMessage``: the message CRC mismatch text, calculated value first."""
    bad = bytearray(text_delta("Hi"))
    bad[-1] ^= 1
    upstream.reply(Reply(chunks=[bytes(bad)]))
    handler = build_api_handler(settings(upstream))
    _, error = await collect(handler.create_message(SYSTEM, HELLO))
    expected = int.from_bytes(bad[-4:], "big")
    assert isinstance(error, JSError)
    assert error.message == (
        f"Unknown Error: The message checksum ({expected ^ 1}) did not match the expected value of {expected}"
    )


async def test_complete_prompt_error_text(upstream: Upstream) -> None:
    """bedrock.ts ``completePrompt``: ``Bedrock completion error: `` + the formatted message, with the
    SDK exception's name and ``$metadata`` on the thrown ``Error``."""
    upstream.reply(
        Reply.error(403, "AccessDeniedException", "You don't have access to the model with the specified model ID.")
    )
    handler = build_api_handler(settings(upstream))
    with pytest.raises(JSError) as raised:
        await handler.complete_prompt("Hi")
    assert raised.value.message.startswith("Bedrock completion error: You don't have access to the model specified.")
    assert raised.value.name == "AccessDeniedException"
    assert raised.value.metadata == {  # type: ignore[attr-defined]
        "httpStatusCode": 403,
        "requestId": "rid-error",
        "attempts": 1,
        "totalRetryDelay": 0,
    }


async def test_complete_prompt_reads_the_first_text_block(upstream: Upstream) -> None:
    """bedrock.ts: the first content block's text when non-blank, else ``""``; no system blocks sent."""
    upstream.reply(Reply.json({"output": {"message": {"role": "assistant", "content": [{"text": "  "}]}}}))
    handler = build_api_handler(settings(upstream))
    assert await handler.complete_prompt("Hi") == ""
    body = upstream.seen[0].json()
    assert list(body) == ["inferenceConfig", "messages"]
    assert json.dumps(body["messages"]) == json.dumps([{"content": [{"text": "Hi"}], "role": "user"}])
