"""Pure pieces of providers.sdk.aws, read off the AWS SDK for JavaScript packages they mirror."""

from __future__ import annotations

import email.utils
import time

import pytest

from providers.sdk import aws
from providers.js.errors import JSError


@pytest.mark.parametrize(
    ("region", "url"),
    [
        ("us-east-1", "https://bedrock-runtime.us-east-1.amazonaws.com"),
        ("cn-north-1", "https://bedrock-runtime.cn-north-1.amazonaws.com.cn"),
        ("us-gov-west-1", "https://bedrock-runtime.us-gov-west-1.amazonaws.com"),
        ("fips-us-east-1", "https://bedrock-runtime-fips.us-east-1.amazonaws.com"),
        ("mars-1", "https://bedrock-runtime.mars-1.amazonaws.com"),
    ],
)
def test_regional_endpoint(region: str, url: str) -> None:
    """client-bedrock-runtime ``endpoint/ruleset.js`` with util-endpoints' partitions (unknown → aws)."""
    assert aws.resolve_endpoint(region, None) == url


def test_region_must_be_a_host_label() -> None:
    """config-resolver ``checkRegion``."""
    with pytest.raises(JSError) as raised:
        aws.check_region("us east 1")
    assert raised.value.message == 'Region not accepted: region="us east 1" is not a valid hostname component.'


def test_custom_endpoint_rejects_fips() -> None:
    with pytest.raises(JSError) as raised:
        aws.resolve_endpoint("fips-us-east-1", "http://127.0.0.1:1")
    assert raised.value.message == "Invalid Configuration: FIPS and custom endpoint are not supported"


def test_backoff_formula() -> None:
    """util-retry ``getDefaultRetryBackoffStrategy``: floor(min(20000, U · 2^retries · base))."""
    strategy = aws.StandardRetryStrategy(random=lambda: 0.999)
    first = strategy.refresh_retry_token_for_retry(strategy.acquire_initial_retry_token(), "THROTTLING", None)
    second = strategy.refresh_retry_token_for_retry(first, "TRANSIENT", None)
    assert (first.get_retry_delay(), second.get_retry_delay()) == (499, 199)
    assert strategy.capacity == 500 - 5 - 10
    with pytest.raises(aws.NoRetryTokenAvailable):  # the third attempt was the last
        strategy.refresh_retry_token_for_retry(second, "THROTTLING", None)
    strategy.record_success(second)
    assert strategy.capacity == 500


def test_client_errors_are_not_retried() -> None:
    strategy = aws.StandardRetryStrategy()
    with pytest.raises(aws.NoRetryTokenAvailable):
        strategy.refresh_retry_token_for_retry(strategy.acquire_initial_retry_token(), "CLIENT_ERROR", None)


def test_retry_after_seconds_are_read_as_an_epoch_date() -> None:
    """middleware-retry ``getRetryAfterHint``: ``new Date(Number(value) * 1000)``, so a number of
    seconds is a date in 1970 and the backoff wins; an HTTP date in the future wins over it."""
    strategy = aws.StandardRetryStrategy(random=lambda: 0.5)
    token = strategy.acquire_initial_retry_token()
    assert strategy.refresh_retry_token_for_retry(token, "THROTTLING", 5 * 1000.0).get_retry_delay() == 250
    future = email.utils.formatdate(time.time() + 3, usegmt=True)
    hint = email.utils.parsedate_to_datetime(future).timestamp() * 1000
    delay = strategy.refresh_retry_token_for_retry(token, "THROTTLING", hint).get_retry_delay()
    assert 1000 < delay <= 3000


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (aws.ThrottlingException("x", metadata={"httpStatusCode": 400}), "THROTTLING"),
        (aws.BedrockRuntimeServiceException("x", name="Foo", metadata={"httpStatusCode": 429}), "THROTTLING"),
        (aws.InternalServerException("x", metadata={"httpStatusCode": 500}), "TRANSIENT"),
        (aws.ModelNotReadyException("x", metadata={"httpStatusCode": 400}), "TRANSIENT"),
        (aws.BedrockRuntimeServiceException("x", name="Foo", metadata={"httpStatusCode": 501}), "SERVER_ERROR"),
        (JSError("x", code="ERR_HTTP2_STREAM_CANCEL", cause=JSError("y", code="ECONNREFUSED")), "TRANSIENT"),
        (aws.ValidationException("x", metadata={"httpStatusCode": 400}), "CLIENT_ERROR"),
    ],
)
def test_retry_error_types(error: JSError, kind: str) -> None:
    """service-error-classification 4.2.4 via middleware-retry ``getRetryErrorType``."""
    assert aws.get_retry_error_type(error) == kind


def test_user_agent() -> None:
    """middleware-user-agent: escaped sections, ``m/`` features, ``app/`` last; x-amz-user-agent keeps
    the ``aws-sdk-`` section only."""
    x_amz, user_agent = aws.user_agent_headers({"ENDPOINT_OVERRIDE": "N", "RETRY_MODE_STANDARD": "E"}, "RooCode#3.52.1")
    assert x_amz == "aws-sdk-js/3.922.0"
    parts = [p for p in user_agent.split(" ") if not p.startswith(("os/", "lang/", "md/"))]
    assert parts == ["aws-sdk-js/3.922.0", "ua/2.1", "api/bedrock-runtime#3.922.0", "m/N,E", "app/RooCode#3.52.1"]


def test_serializer_keeps_model_order_and_drops_unknown_members() -> None:
    """se_ConverseStreamCommand: ``take()`` in the model's member order; ``modelId`` is the URI label,
    ``anthropic_version``/``service_tier`` are not members; images are base64 ``bytes``."""
    body = aws.serialize_converse_input(
        {
            "modelId": "m",
            "toolConfig": {"tools": [], "toolChoice": None},
            "messages": [{"role": "user", "content": [{"image": {"source": {"bytes": b"\x89PNG"}, "format": "png"}}]}],
            "service_tier": "FLEX",
            "inferenceConfig": {"temperature": 0.3, "maxTokens": 10},
            "anthropic_version": "bedrock-2023-05-31",
        }
    )
    assert body == (
        b'{"inferenceConfig":{"maxTokens":10,"temperature":0.3},"messages":[{"content":[{"image":'
        b'{"format":"png","source":{"bytes":"iVBORw=="}}}],"role":"user"}],"toolConfig":{"tools":[]}}'
    )


def test_model_path_encoding() -> None:
    """smithy ``extendedEncodeURIComponent`` of the modelId label."""
    assert aws.model_path("a:b/c(d)!", "converse") == "/model/a%3Ab%2Fc%28d%29%21/converse"
