"""The settings the AWS SDK reads beside bedrock.ts's options, and ``awsBedrockEndpoint`` as ``new URL()`` reads it.

Read off @aws-sdk/client-bedrock-runtime 3.922.0 (``runtimeConfig.js``: ``loadConfig`` for
``useFipsEndpoint``, ``useDualstackEndpoint``, ``maxAttempts``, ``retryMode``,
``authSchemePreference``; ``endpoint/ruleset.js``), @smithy/middleware-endpoint 4.3.6
(``getEndpointFromConfig``: ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``, ``AWS_ENDPOINT_URL``, the profile's
``services`` section and ``endpoint_url``; ``ENDPOINT_OVERRIDE`` only for the client's own
endpoint), @smithy/node-config-provider 4.3.4 (a rejected value falls through to the next source),
@smithy/middleware-retry 4.4.6 / util-retry 4.2.4 and @smithy/core 3.17.2 (``RequestBuilder``: the
endpoint's pathname is kept, its query dropped). The query, ``Invalid URL``, environment endpoint,
max-attempts and adaptive-mode cases were also run against the real SDK (Node 20, 3.922.0) with the
same inputs: the paths, feature ids and header values below are what it sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from loopback import Upstream
from test_bedrock_support import SONNET, Reply, collect, settings, text_delta, usage

from parity.runner import serve
from parity.tls import HARD_CODED_HOSTS, make_tls_files
from providers import build_api_handler
from providers.js.errors import JSError

SYSTEM = "You are Roo."
HELLO = [{"role": "user", "content": "Say hello."}]
MODEL_PATH = "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream"
assert SONNET == "anthropic.claude-sonnet-4-5-20250929-v1:0"
OK = Reply(chunks=[text_delta("Hi"), usage()])


@pytest.fixture(autouse=True)
def aws_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Empty shared files; none of the settings under test in the environment."""
    (tmp_path / "config").write_text("")
    (tmp_path / "credentials").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    for name in (
        "AWS_PROFILE",
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_AUTH_SCHEME_PREFERENCE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
        "AWS_USE_FIPS_ENDPOINT",
        "AWS_USE_DUALSTACK_ENDPOINT",
        "AWS_MAX_ATTEMPTS",
        "AWS_RETRY_MODE",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _no_endpoint(upstream: Upstream, **overrides: Any) -> dict[str, Any]:
    return settings(upstream, awsBedrockEndpoint=None, awsBedrockEndpointEnabled=False, **overrides)


def _features(user_agent: str) -> str:
    return next(part for part in user_agent.split(" ") if part.startswith("m/"))


async def _say_hello(handler: Any) -> tuple[list[dict[str, Any]], BaseException | None]:
    return await collect(handler.create_message(SYSTEM, HELLO))


# --- awsBedrockEndpoint as new URL() reads it --------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "path"),
    [
        ("/proxy/?tenant=a#part", "/proxy" + MODEL_PATH),  # the query and fragment are dropped
        ("/a/b/../c/./", "/a/c" + MODEL_PATH),  # dot segments resolved
        ("\\base\\v1", "/base/v1" + MODEL_PATH),  # a backslash separates path segments
        ("/my path/{x}/é", "/my%20path/%7Bx%7D/%C3%A9" + MODEL_PATH),  # the path percent-encode set
        ("/%2e%2E/x", "/x" + MODEL_PATH),
    ],
)
async def test_endpoint_path_as_new_url_reads_it(upstream: Upstream, suffix: str, path: str) -> None:
    upstream.reply(OK)
    handler = build_api_handler(settings(upstream, awsBedrockEndpoint=f"  {upstream.base_url}{suffix}  "))
    _, error = await _say_hello(handler)
    assert error is None
    (request,) = upstream.seen
    assert request.path == path


async def test_invalid_endpoint_is_a_type_error_before_sending(upstream: Upstream) -> None:
    """``new URL("not a url")`` throws ``TypeError: Invalid URL``; bedrock.ts reports it."""
    handler = build_api_handler(settings(upstream, awsBedrockEndpoint="not a url"))
    chunks, error = await _say_hello(handler)
    assert isinstance(error, JSError)
    assert (error.name, error.message) == ("TypeError", "Unknown Error: Invalid URL")
    assert upstream.seen == []


# --- endpoint URLs from the environment and the config file -----------------------------------


async def test_service_endpoint_variable_wins_over_the_general_one(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", f"{upstream.base_url}/service")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"{upstream.base_url}/general")
    upstream.reply(OK)
    _, error = await _say_hello(build_api_handler(_no_endpoint(upstream)))
    assert error is None
    (request,) = upstream.seen
    assert request.path == "/service" + MODEL_PATH
    assert _features(request.headers["user-agent"]) == "m/E,e"  # no ENDPOINT_OVERRIDE


async def test_general_endpoint_variable(upstream: Upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"{upstream.base_url}/general")
    upstream.reply(OK)
    await _say_hello(build_api_handler(_no_endpoint(upstream)))
    assert upstream.seen[0].path == "/general" + MODEL_PATH


async def test_client_endpoint_wins_over_the_environment(upstream: Upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://unused.invalid")
    upstream.reply(OK)
    await _say_hello(build_api_handler(settings(upstream)))
    (request,) = upstream.seen
    assert request.path == MODEL_PATH
    assert _features(request.headers["user-agent"]) == "m/N,E,e"


async def test_profile_services_section_then_endpoint_url(
    upstream: Upstream, aws_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (aws_home / "config").write_text(
        "[default]\n"
        f"endpoint_url = {upstream.base_url}/profile\n"
        "[profile dev]\n"
        "services = local\n"
        f"endpoint_url = {upstream.base_url}/profile-dev\n"
        "[services local]\n"
        "bedrock_runtime =\n"
        f"  endpoint_url = {upstream.base_url}/services-section\n"
    )
    upstream.reply(OK, OK)
    await _say_hello(build_api_handler(_no_endpoint(upstream)))  # the default profile
    monkeypatch.setenv("AWS_PROFILE", "dev")
    await _say_hello(build_api_handler(_no_endpoint(upstream)))
    assert [seen.path for seen in upstream.seen] == ["/profile" + MODEL_PATH, "/services-section" + MODEL_PATH]


# --- FIPS and dual-stack ------------------------------------------------------------------------


@pytest.fixture
async def dualstack_upstream(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Upstream]:
    """The loopback upstream with a certificate that also names the dual-stack hosts."""
    tls = make_tls_files(tmp_path_factory.mktemp("tls-dualstack"), (*HARD_CODED_HOSTS, "*.us-east-1.api.aws"))
    async with serve(tls) as server:
        yield Upstream(server)


@pytest.mark.parametrize(
    ("environment", "url"),
    [
        ({"AWS_USE_FIPS_ENDPOINT": "true"}, "https://bedrock-runtime-fips.us-east-1.amazonaws.com"),
        ({"AWS_USE_DUALSTACK_ENDPOINT": "true"}, "https://bedrock-runtime.us-east-1.api.aws"),
        (
            {"AWS_USE_FIPS_ENDPOINT": "true", "AWS_USE_DUALSTACK_ENDPOINT": "true"},
            "https://bedrock-runtime-fips.us-east-1.api.aws",
        ),
        # booleanSelector rejects "yes"; loadConfig falls through to the default (false)
        ({"AWS_USE_FIPS_ENDPOINT": "yes"}, "https://bedrock-runtime.us-east-1.amazonaws.com"),
    ],
)
async def test_fips_and_dualstack_endpoints(
    dualstack_upstream: Upstream, monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], url: str
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    dualstack_upstream.reply(OK)
    _, error = await _say_hello(build_api_handler(_no_endpoint(dualstack_upstream)))
    assert error is None
    assert dualstack_upstream.seen[0].url == url + MODEL_PATH


async def test_fips_from_the_profile(dualstack_upstream: Upstream, aws_home: Path) -> None:
    (aws_home / "config").write_text("[default]\nuse_fips_endpoint = true\n")
    dualstack_upstream.reply(OK)
    await _say_hello(build_api_handler(_no_endpoint(dualstack_upstream)))
    assert dualstack_upstream.seen[0].url.startswith("https://bedrock-runtime-fips.us-east-1.amazonaws.com/")


@pytest.mark.parametrize(
    ("variable", "message"),
    [
        ("AWS_USE_FIPS_ENDPOINT", "Invalid Configuration: FIPS and custom endpoint are not supported"),
        ("AWS_USE_DUALSTACK_ENDPOINT", "Invalid Configuration: Dualstack and custom endpoint are not supported"),
    ],
)
async def test_fips_or_dualstack_with_a_custom_endpoint(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch, variable: str, message: str
) -> None:
    monkeypatch.setenv(variable, "true")
    _, error = await _say_hello(build_api_handler(settings(upstream)))
    assert isinstance(error, JSError)
    assert (error.name, error.message) == ("EndpointError", f"Unknown Error: {message}")
    assert upstream.seen == []


# --- max attempts and retry mode ------------------------------------------------------------------


def _unavailable() -> Reply:
    return Reply.error(503, "ServiceUnavailableException", "Service unavailable")


async def test_max_attempts_from_the_environment(upstream: Upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    upstream.reply(_unavailable(), OK)
    _, error = await _say_hello(build_api_handler(settings(upstream)))
    assert isinstance(error, JSError) and error.name == "ServiceUnavailableException"
    (request,) = upstream.seen  # no retry
    assert request.headers["amz-sdk-request"] == "attempt=1; max=1"


async def test_max_attempts_from_the_profile(upstream: Upstream, aws_home: Path) -> None:
    (aws_home / "config").write_text("[default]\nmax_attempts = 4\n")
    upstream.reply(_unavailable(), _unavailable(), _unavailable(), OK)
    chunks, error = await _say_hello(build_api_handler(settings(upstream)))
    assert error is None and chunks[0] == {"type": "text", "text": "Hi"}
    assert [seen.headers["amz-sdk-request"] for seen in upstream.seen] == [
        f"attempt={n}; max=4" for n in (1, 2, 3, 4)
    ]


async def test_adaptive_retry_mode(upstream: Upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    """``AWS_RETRY_MODE=adaptive``: AdaptiveRetryStrategy (feature RETRY_MODE_ADAPTIVE, "F"), which
    retries a throttled request as the standard strategy does."""
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    upstream.reply(Reply.error(429, "ThrottlingException", "Too many requests"), OK)
    chunks, error = await _say_hello(build_api_handler(settings(upstream)))
    assert error is None and chunks[0] == {"type": "text", "text": "Hi"}
    first, second = upstream.seen
    assert _features(first.headers["user-agent"]) == "m/N,F,e"
    assert second.headers["amz-sdk-request"] == "attempt=2; max=3"


def test_adaptive_rate_limiter_stays_disabled() -> None:
    """The SDK's adaptive strategy hands its rate limiter the retry loop's ``errorInfo``, which
    ``isThrottlingError`` never matches: the token bucket never turns on, sends never wait."""
    from providers.sdk.aws.retry import AdaptiveRetryStrategy

    strategy = AdaptiveRetryStrategy()
    token = strategy.refresh_retry_token_for_retry(strategy.acquire_initial_retry_token(), "THROTTLING", None)
    strategy.record_success(token)
    assert strategy.rate_limiter.enabled is False


# --- auth scheme preference from the config file -------------------------------------------------


async def test_auth_scheme_preference_from_the_profile(upstream: Upstream, aws_home: Path) -> None:
    """``auth_scheme_preference = httpBearerAuth`` puts bearer auth first; without a token in
    AWS_BEARER_TOKEN_BEDROCK the token provider throws before anything is sent."""
    (aws_home / "config").write_text("[default]\nauth_scheme_preference = httpBearerAuth, sigv4\n")
    _, error = await _say_hello(build_api_handler(settings(upstream)))
    assert isinstance(error, JSError)
    assert (error.name, error.message) == (
        "TokenProviderError",
        "Unknown Error: Token not present in 'AWS_BEARER_TOKEN_BEDROCK' environment variable",
    )
    assert upstream.seen == []
