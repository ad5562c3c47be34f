"""AWS credentials that expire, the default chain's web-identity step and MFA profiles.

Read off @smithy/core 3.17.2 (``memoizeIdentityProvider``: a caller-supplied provider's identity is
kept until it is within 5 minutes of its ``expiration``, then the caller waits for a new one),
@aws-sdk/credential-provider-node 3.922.0 (``memoizeChain``: the default chain's credentials are
fetched again in the background when within 5 minutes of expiry and while the caller waits once
expired; ``fromTokenFile`` between ``fromProcess`` and ``remoteProvider``),
credential-provider-process, -http, -web-identity and -ini 3.922.0 and the nested STS client.
The SDK's clock (``Date.now``) is ``providers.sdk.aws.credentials.clock``, replaced here.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from loopback import Upstream
from test_bedrock_support import Reply, collect, settings, text_delta, usage, verify_sigv4

from parity.runner import serve
from parity.tls import HARD_CODED_HOSTS, make_tls_files
from providers import build_api_handler
from providers.sdk.aws import credentials as aws_credentials
from providers.js.errors import JSError

SYSTEM = "You are Roo."
HELLO = [{"role": "user", "content": "Say hello."}]
T0 = 1_900_000_000.0  # 2030-03-17T17:46:40Z
EXPIRES = "2030-03-17T18:46:40Z"  # T0 + 1 h
EXPIRES_AT = T0 + 3600


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(T0)
    monkeypatch.setattr(aws_credentials, "clock", fake)
    return fake


@pytest.fixture
def aws_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME with empty shared files and no AWS credentials in the environment."""
    (tmp_path / "config").write_text("")
    (tmp_path / "credentials").write_text("")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in (
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_BEARER_TOKEN_BEDROCK",
        "AWS_AUTH_SCHEME_PREFERENCE",
        "AWS_REGION",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_ROLE_SESSION_NAME",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _no_keys(upstream: Upstream, **overrides: Any) -> dict[str, Any]:
    return settings(upstream, awsAccessKey=None, awsSecretKey=None, **overrides)


def _access_key(seen_authorization: str) -> str:
    return seen_authorization.split("Credential=")[1].split("/")[0]


def _features(user_agent: str) -> str:
    return next(part for part in user_agent.split(" ") if part.startswith("m/"))


async def _say_hello(handler: Any) -> list[dict[str, Any]]:
    chunks, error = await collect(handler.create_message(SYSTEM, HELLO))
    assert error is None, error
    return chunks


def _process_profile(home: Path, expiration: str) -> Path:
    """A ``credential_process`` profile whose command hands out key 1, 2, … (one per run)."""
    counter = home / "runs"
    script = home / "creds.py"
    script.write_text(
        "import json, pathlib\n"
        f"counter = pathlib.Path({str(counter)!r})\n"
        "n = int(counter.read_text()) + 1 if counter.exists() else 1\n"
        "counter.write_text(str(n))\n"
        "print(json.dumps({'Version': 1, 'AccessKeyId': f'AKIAPROCESS{n:09d}', 'SecretAccessKey': f'secret{n}',\n"
        f"                  'SessionToken': f'token{{n}}', 'Expiration': {expiration!r}}}))\n"
    )
    (home / "config").write_text(f"[profile proc]\ncredential_process = {sys.executable} {script}\n")
    return counter


async def test_process_credentials_are_fetched_again_within_five_minutes_of_expiry(
    upstream: Upstream, aws_home: Path, clock: Clock
) -> None:
    """``fromIni`` → ``credential_process`` (expiration kept): the client reuses the identity until
    ``expiration - now < 300 s``, then fetches it again. The process hands out the same expiration
    each time, so within the window every call of the memoized provider runs it again: the auth
    scheme's call and then the signer's own (``SignatureV4`` asks its credential provider), whose
    keys sign. Recorded from the SDK (Node 20, 3.922.0, Date.now set as here): keys 1, 1, 3 and
    three runs."""
    counter = _process_profile(aws_home, EXPIRES)
    upstream.route("/converse-stream", Reply(chunks=[text_delta("Hi"), usage()]), times=3)
    handler = build_api_handler(_no_keys(upstream, awsUseProfile=True, awsProfile="proc"))

    await _say_hello(handler)
    clock.now = EXPIRES_AT - 301  # still more than 5 minutes left
    await _say_hello(handler)
    clock.now = EXPIRES_AT - 299  # within 5 minutes: fetched again, the caller waits
    await _say_hello(handler)

    keys = [_access_key(seen.headers["authorization"]) for seen in upstream.seen]
    assert keys == ["AKIAPROCESS000000001", "AKIAPROCESS000000001", "AKIAPROCESS000000003"]
    assert counter.read_text() == "3"
    assert [seen.headers["x-amz-security-token"] for seen in upstream.seen] == ["token1", "token1", "token3"]
    verify_sigv4(upstream.seen[2], "AKIAPROCESS000000003", "secret3", "token3")
    # CREDENTIALS_PROCESS "w", CREDENTIALS_PROFILE_PROCESS "v", then CREDENTIALS_CODE "e"
    assert _features(upstream.seen[0].headers["user-agent"]) == "m/N,E,w,v,e"


async def test_process_credentials_already_expired(upstream: Upstream, aws_home: Path, clock: Clock) -> None:
    """credential-provider-process ``getValidatedProcessCredentials``: an expiration in the past."""
    _process_profile(aws_home, EXPIRES)
    clock.now = EXPIRES_AT + 1
    handler = build_api_handler(_no_keys(upstream, awsUseProfile=True, awsProfile="proc"))
    chunks, error = await collect(handler.create_message(SYSTEM, HELLO))
    assert isinstance(error, JSError) and error.name == "CredentialsProviderError"
    assert error.message == "Unknown Error: Profile proc credential_process returned expired credentials."
    assert upstream.seen == []


def _container_reply(n: int, expiration: str = EXPIRES) -> Reply:
    body = {"AccessKeyId": f"AKIACONTAINER0000{n:03d}", "SecretAccessKey": f"containerSecret{n}", "Token": f"ctoken{n}",
            "Expiration": expiration}
    return Reply.json(body)


async def test_container_credentials_refresh_in_the_background_then_block_once_expired(
    upstream: Upstream, aws_home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Default chain → ``remoteProvider`` → ``fromHttp`` (AWS_CONTAINER_CREDENTIALS_FULL_URI with
    AWS_CONTAINER_AUTHORIZATION_TOKEN). ``memoizeChain``: within 5 minutes of expiry the request is
    signed with the old keys while new ones are fetched; once expired the caller waits for new ones.
    Recorded from the SDK (Node 20, 3.922.0, Date.now set as here): keys 1, 1, 2, 3, three fetches."""
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"{upstream.base_url}/v2/credentials/abc")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token")
    later, latest = "2030-03-17T19:46:40Z", "2030-03-17T20:46:40Z"  # EXPIRES_AT + 1 h, + 2 h
    upstream.route("/v2/credentials/abc", _container_reply(1), _container_reply(2, later), _container_reply(3, latest))
    upstream.route("/converse-stream", Reply(chunks=[text_delta("Hi"), usage()]), times=4)
    handler = build_api_handler(_no_keys(upstream))

    await _say_hello(handler)  # fetch 1
    clock.now = EXPIRES_AT - 100  # treated as expired: old keys now, fetch 2 behind
    await _say_hello(handler)
    while len(upstream.requests_to("/v2/credentials/abc")) < 2:  # the background fetch went out
        await asyncio.sleep(0.01)
    await upstream.idle()
    await asyncio.sleep(0.05)  # and its reply was read
    await _say_hello(handler)  # the background fetch's keys
    clock.now = EXPIRES_AT + 3600 + 1  # the second keys expired: fetch 3 first
    await _say_hello(handler)

    bedrock = upstream.requests_to("/converse-stream")
    assert [_access_key(seen.headers["authorization"]) for seen in bedrock] == [
        "AKIACONTAINER0000001",
        "AKIACONTAINER0000001",
        "AKIACONTAINER0000002",
        "AKIACONTAINER0000003",
    ]
    fetches = upstream.requests_to("/v2/credentials/abc")
    assert len(fetches) == 3
    assert all(seen.method == "GET" and seen.headers["authorization"] == "container-auth-token" for seen in fetches)
    assert _features(bedrock[0].headers["user-agent"]) == "m/N,E,z"  # CREDENTIALS_HTTP, not attributed to code


STS_RESPONSE = """<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:default:roo</SubjectFromWebIdentityToken>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/roo-role/roo-session</Arn>
      <AssumedRoleId>AROAEXAMPLE:roo-session</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>webIdentitySessionToken</SessionToken>
      <SecretAccessKey>webIdentitySecret</SecretAccessKey>
      <Expiration>{expiration}</Expiration>
      <AccessKeyId>AKIAWEBIDENTITY{n:05d}</AccessKeyId>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>rid-sts</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
"""


def _sts_reply(n: int, expiration: str = EXPIRES) -> Reply:
    body = STS_RESPONSE.format(n=n, expiration=expiration).encode()
    return Reply(200, {"content-type": "text/xml", "x-amzn-requestid": "rid-sts"}, [body])


async def test_default_chain_web_identity_token_file(
    upstream: Upstream, aws_home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fromTokenFile`` (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, as on EKS): the token file's
    text goes to STS ``AssumeRoleWithWebIdentity`` in the client's region, unsigned, as the form
    ``se_AssumeRoleWithWebIdentityCommand`` writes; the role's keys sign the Bedrock request."""
    token_file = aws_home / "token"
    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.sample-web-identity-token")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/roo-role")
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "roo-session")
    upstream.route("sts.us-east-1.amazonaws.com", _sts_reply(1))
    upstream.route("/converse-stream", Reply(chunks=[text_delta("Hi"), usage()]))
    handler = build_api_handler(_no_keys(upstream))

    assert (await _say_hello(handler))[0] == {"type": "text", "text": "Hi"}

    sts, bedrock = upstream.seen
    assert (sts.method, sts.url) == ("POST", "https://sts.us-east-1.amazonaws.com/")
    assert sts.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "authorization" not in sts.headers
    # recorded from the SDK (Node 20, 3.922.0): the nested STS client's headers and features
    # (in that order, but for host, which aiohttp writes first)
    assert [name for name in sts.headers if name != "host"] == [
        "content-type",
        "content-length",
        "x-amz-user-agent",
        "user-agent",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
    ]
    assert sts.headers["x-amz-user-agent"] == "aws-sdk-js/3.922.0"
    assert sts.headers["amz-sdk-request"] == "attempt=1; max=3"
    assert " api/sts#3.922.0 m/E app/RooCode#" in sts.headers["user-agent"]
    assert sts.body == (
        b"RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Froo-role&RoleSessionName=roo-session"
        b"&WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.sample-web-identity-token"
        b"&Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
    )
    verify_sigv4(bedrock, "AKIAWEBIDENTITY00001", "webIdentitySecret", "webIdentitySessionToken")
    # recorded from the SDK: RESOLVED_ACCOUNT_ID "T", CREDENTIALS_STS_ASSUME_ROLE_WEB_ID "k",
    # CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN "h"
    assert _features(bedrock.headers["user-agent"]) == "m/N,E,T,k,h"


async def test_web_identity_rejected_by_sts(
    upstream: Upstream, aws_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An STS error ends the chain (it is no CredentialsProviderError): ``de_CommandError`` names the
    modeled exception after the code (``InvalidIdentityToken`` → ``InvalidIdentityTokenException``)."""
    token_file = aws_home / "token"
    token_file.write_text("expired-token")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/roo-role")
    error_body = (
        b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        b"<Code>InvalidIdentityToken</Code><Message>Token has expired.</Message></Error>"
        b"<RequestId>rid-sts</RequestId></ErrorResponse>"
    )
    upstream.route("sts.us-east-1.amazonaws.com", Reply(400, {"content-type": "text/xml"}, [error_body]))
    handler = build_api_handler(_no_keys(upstream))
    _, error = await collect(handler.create_message(SYSTEM, HELLO))
    assert isinstance(error, JSError)
    assert (error.name, error.message) == ("InvalidIdentityTokenException", "Unknown Error: Token has expired.")
    assert [seen.url for seen in upstream.seen] == ["https://sts.us-east-1.amazonaws.com/"]


async def test_assume_role_with_mfa_serial_fails_without_prompting(upstream: Upstream, aws_home: Path) -> None:
    """credential-provider-ini ``resolveAssumeRoleCredentials``: ``mfa_serial`` without an
    ``mfaCodeProvider`` throws (tryNextLink false) before STS is called; nothing reads the terminal."""
    (aws_home / "credentials").write_text(
        "[base]\naws_access_key_id = AKIABASE000000000000\naws_secret_access_key = baseSecret\n"
    )
    (aws_home / "config").write_text(
        "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\n"
        "mfa_serial = arn:aws:iam::123456789012:mfa/roo\n"
    )
    handler = build_api_handler(_no_keys(upstream, awsUseProfile=True, awsProfile="admin"))
    chunks, error = await collect(handler.create_message(SYSTEM, HELLO))
    message = "Profile admin requires multi-factor authentication, but no MFA code callback was provided."
    assert isinstance(error, JSError)
    assert (error.name, error.message) == ("CredentialsProviderError", f"Unknown Error: {message}")
    assert chunks[0] == {"type": "text", "text": f"Error: Unknown Error: {message}"}
    assert upstream.seen == []


async def test_web_identity_sts_server_error_is_retried(
    upstream: Upstream, aws_home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The nested STS client runs the standard retry strategy: a 503 is retried (attempt=2; max=3)."""
    token_file = aws_home / "token"
    token_file.write_text("token")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/roo-role")
    unavailable = b"<ErrorResponse><Error><Code>ServiceUnavailable</Code><Message>busy</Message></Error></ErrorResponse>"
    upstream.route("sts.us-east-1.amazonaws.com", Reply(503, {"content-type": "text/xml"}, [unavailable]), _sts_reply(7))
    upstream.route("/converse-stream", Reply(chunks=[text_delta("Hi"), usage()]))
    await _say_hello(build_api_handler(_no_keys(upstream)))
    first, second = upstream.requests_to("sts.us-east-1.amazonaws.com")
    assert (first.headers["amz-sdk-request"], second.headers["amz-sdk-request"]) == ("attempt=1; max=3", "attempt=2; max=3")
    assert first.form()["RoleSessionName"] == f"aws-sdk-js-session-{int(T0 * 1000)}"  # Date.now() at the call
    verify_sigv4(upstream.requests_to("/converse-stream")[0], "AKIAWEBIDENTITY00007", "webIdentitySecret", "webIdentitySessionToken")


ASSUME_ROLE_RESPONSE = """<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/admin/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
    <Credentials>
      <AccessKeyId>AKIAASSUMEDROLE{n:05d}</AccessKeyId><SecretAccessKey>assumedSecret{n}</SecretAccessKey>
      <SessionToken>assumedToken{n}</SessionToken><Expiration>{expiration}</Expiration>
    </Credentials>
  </AssumeRoleResult>
</AssumeRoleResponse>
"""


async def test_assumed_role_credentials_are_fetched_again_within_five_minutes_of_expiry(
    upstream: Upstream, aws_home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fromIni`` → assume-role profile: STS ``AssumeRole`` (at AWS_ENDPOINT_URL_STS, which the
    nested STS client honours) signed with the source profile's keys; the role's expiration is
    kept, so the client assumes the role again once within 5 minutes of it. The STS request's form,
    header order, signed headers and feature ids were recorded from the SDK (Node 20, 3.922.0)."""
    (aws_home / "credentials").write_text(
        "[base]\naws_access_key_id = AKIABASE000000000000\naws_secret_access_key = baseSecret\n"
    )
    (aws_home / "config").write_text(
        "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\n"
    )
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"{upstream.base_url}/sts")
    replies = [  # the second role session lasts an hour longer than the first
        Reply(200, {"content-type": "text/xml"}, [ASSUME_ROLE_RESPONSE.format(n=n, expiration=expiration).encode()])
        for n, expiration in ((1, EXPIRES), (2, "2030-03-17T19:46:40Z"))
    ]
    upstream.route("/sts", *replies)
    upstream.route("/converse-stream", Reply(chunks=[text_delta("Hi"), usage()]), times=3)
    handler = build_api_handler(_no_keys(upstream, awsUseProfile=True, awsProfile="admin"))

    await _say_hello(handler)
    await _say_hello(handler)
    clock.now = EXPIRES_AT - 299
    await _say_hello(handler)

    first_sts, _ = upstream.requests_to("/sts")
    assert (first_sts.method, first_sts.path) == ("POST", "/sts/")
    assert first_sts.body.decode() == (
        f"RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fadmin&RoleSessionName=aws-sdk-js-{int(T0 * 1000)}"
        "&DurationSeconds=3600&Action=AssumeRole&Version=2011-06-15"
    )
    assert [name for name in first_sts.headers if name != "host"] == [
        "content-type",
        "content-length",
        "x-amz-user-agent",
        "user-agent",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
        "x-amz-date",
        "x-amz-content-sha256",
        "authorization",
    ]
    authorization = first_sts.headers["authorization"]
    assert re.match(r"AWS4-HMAC-SHA256 Credential=AKIABASE000000000000/\d{8}/us-east-1/sts/aws4_request, ", authorization)
    assert "SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;" \
        "x-amz-content-sha256;x-amz-date;x-amz-user-agent," in authorization
    assert _features(first_sts.headers["user-agent"]) == "m/E,n"  # the source keys' CREDENTIALS_PROFILE
    bedrock = upstream.requests_to("/converse-stream")
    keys = [_access_key(seen.headers["authorization"]) for seen in bedrock]
    assert keys == ["AKIAASSUMEDROLE00001", "AKIAASSUMEDROLE00001", "AKIAASSUMEDROLE00002"]
    # RESOLVED_ACCOUNT_ID, CREDENTIALS_STS_ASSUME_ROLE "i", CREDENTIALS_PROFILE_SOURCE_PROFILE "o", code
    assert _features(bedrock[0].headers["user-agent"]) == "m/N,E,T,i,o,e"


async def test_a_failed_default_chain_is_not_tried_again(
    upstream: Upstream, aws_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``memoizeChain`` leaves a rejected ``activeLock`` in place: once the default chain failed,
    every later call of the same client rethrows that error, even after credentials appeared
    (recorded from the SDK: the second send failed with the same CredentialsProviderError)."""
    handler = build_api_handler(_no_keys(upstream))
    _, first = await collect(handler.create_message(SYSTEM, HELLO))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "environmentSecret")
    _, second = await collect(handler.create_message(SYSTEM, HELLO))
    for error in (first, second):
        assert isinstance(error, JSError)
        assert (error.name, error.message) == (
            "CredentialsProviderError",
            "Unknown Error: Could not load credentials from any providers",
        )
    assert upstream.seen == []


def _imds_routes(upstream: Upstream, token_reply: Reply, n: int) -> None:
    role = {"Code": "Success", "AccessKeyId": f"AKIAINSTANCE00000{n:03d}", "SecretAccessKey": f"instanceSecret{n}",
            "Token": f"itoken{n}", "Expiration": EXPIRES, "Type": "AWS-HMAC"}
    upstream.server.add(
        token_reply.entry("/latest/api/token"),
        Reply(200, {"content-type": "text/plain"}, [b"roo-instance-role\n"]).entry(r"/security-credentials/$"),
        Reply.json(role).entry("/security-credentials/roo-instance-role"),
    )


async def test_instance_metadata_credentials(
    upstream: Upstream, aws_home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Default chain → ``fromInstanceMetadata`` (AWS_EC2_METADATA_SERVICE_ENDPOINT names the service):
    an IMDSv2 token (PUT, 6-hour TTL), the role name, then its credentials, each GET with the token."""
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", upstream.base_url)
    _imds_routes(upstream, Reply(200, {"content-type": "text/plain"}, [b"imds-session-token"]), 1)
    upstream.route("/converse-stream", Reply(chunks=[text_delta("Hi"), usage()]))
    await _say_hello(build_api_handler(_no_keys(upstream)))

    token, profile, role, bedrock = upstream.seen
    assert (token.method, token.path, token.headers["x-aws-ec2-metadata-token-ttl-seconds"]) == (
        "PUT",
        "/latest/api/token",
        "21600",
    )
    assert [(seen.method, seen.path) for seen in (profile, role)] == [
        ("GET", "/latest/meta-data/iam/security-credentials/"),
        ("GET", "/latest/meta-data/iam/security-credentials/roo-instance-role"),
    ]
    assert profile.headers["x-aws-ec2-metadata-token"] == role.headers["x-aws-ec2-metadata-token"] == "imds-session-token"
    verify_sigv4(bedrock, "AKIAINSTANCE00000001", "instanceSecret1", "itoken1")
    assert _features(bedrock.headers["user-agent"]) == "m/N,E,0"  # CREDENTIALS_IMDS


async def test_instance_metadata_v1_fallback_can_be_blocked(
    upstream: Upstream, aws_home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token request answered 403 falls back to IMDSv1 (no token header) unless
    AWS_EC2_METADATA_V1_DISABLED blocks it; the chain then ends with its final error."""
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", upstream.base_url)
    _imds_routes(upstream, Reply(403), 1)
    upstream.route("/converse-stream", Reply(chunks=[text_delta("Hi"), usage()]))
    await _say_hello(build_api_handler(_no_keys(upstream)))
    assert "x-aws-ec2-metadata-token" not in upstream.requests_to("/security-credentials/")[0].headers

    monkeypatch.setenv("AWS_EC2_METADATA_V1_DISABLED", "true")
    _imds_routes(upstream, Reply(403), 2)
    _, error = await collect(build_api_handler(_no_keys(upstream)).create_message(SYSTEM, HELLO))
    assert isinstance(error, JSError)
    assert error.message == "Unknown Error: Could not load credentials from any providers"


@pytest.fixture
async def sso_upstream(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Upstream]:
    """The loopback upstream with a certificate that also names the SSO portal."""
    hosts = (*HARD_CODED_HOSTS, "portal.sso.us-east-1.amazonaws.com")
    async with serve(make_tls_files(tmp_path_factory.mktemp("tls-sso"), hosts)) as server:
        yield Upstream(server)


def _sso_files(home: Path, token: dict[str, Any]) -> Path:
    (home / "config").write_text(
        "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = RooDeveloper\n"
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
    )
    cache = home / ".aws" / "sso" / "cache" / (hashlib.sha1(b"corp").hexdigest() + ".json")
    cache.parent.mkdir(parents=True)
    cache.write_text(json.dumps(token))
    return cache


def _portal_reply(n: int) -> Reply:
    """Role credentials n, expiring n - 1 hours after EXPIRES_AT."""
    role = {"accessKeyId": f"AKIASSOROLE000000{n:03d}", "secretAccessKey": f"ssoSecret{n}",
            "sessionToken": f"ssoToken{n}", "expiration": int((EXPIRES_AT + (n - 1) * 3600) * 1000)}
    return Reply.json({"roleCredentials": role})


async def test_sso_credentials_and_token_refresh(
    sso_upstream: Upstream, aws_home: Path, clock: Clock
) -> None:
    """``fromIni`` → SSO profile with an ``sso-session``: the cached token goes to the portal's
    GetRoleCredentials; when the role credentials near expiry they are fetched again, and the
    token, itself within 5 minutes of expiry, is first refreshed through SSO OIDC ``CreateToken``
    and written back to the cache."""
    upstream = sso_upstream
    cache = _sso_files(
        aws_home,
        {"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1", "accessToken": "sso-access-1",
         "expiresAt": EXPIRES, "clientId": "client-id", "clientSecret": "client-secret", "refreshToken": "refresh-1"},
    )
    upstream.route("portal.sso.us-east-1.amazonaws.com", _portal_reply(1), _portal_reply(2))
    upstream.route("oidc.us-east-1.amazonaws.com", Reply.json(
        {"accessToken": "sso-access-2", "expiresIn": 28800, "refreshToken": "refresh-2", "tokenType": "Bearer"}))
    upstream.route("/converse-stream", Reply(chunks=[text_delta("Hi"), usage()]), times=2)
    handler = build_api_handler(_no_keys(upstream, awsUseProfile=True, awsProfile="dev"))

    await _say_hello(handler)
    clock.now = EXPIRES_AT - 299
    await _say_hello(handler)

    first_portal, second_portal = upstream.requests_to("portal.sso")
    assert first_portal.method == "GET"
    # recorded from the SDK (Node 20, 3.922.0): the query, the header order and the feature ids
    assert first_portal.url == (
        "https://portal.sso.us-east-1.amazonaws.com/federation/credentials?account_id=123456789012&role_name=RooDeveloper"
    )
    assert [name for name in first_portal.headers if name != "host"] == [
        "x-amz-sso_bearer_token",
        "x-amz-user-agent",
        "user-agent",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
    ]
    assert _features(first_portal.headers["user-agent"]) == "m/E"
    assert (first_portal.headers["x-amz-sso_bearer_token"], second_portal.headers["x-amz-sso_bearer_token"]) == (
        "sso-access-1",
        "sso-access-2",
    )
    (oidc,) = upstream.requests_to("oidc.us-east-1.amazonaws.com")
    assert (oidc.method, oidc.url) == ("POST", "https://oidc.us-east-1.amazonaws.com/token")
    assert [name for name in oidc.headers if name != "host"] == [
        "content-type",
        "content-length",
        "x-amz-user-agent",
        "user-agent",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
    ]
    assert oidc.json() == {"clientId": "client-id", "clientSecret": "client-secret", "grantType": "refresh_token",
                           "refreshToken": "refresh-1"}
    cached = json.loads(cache.read_text())
    assert (cached["accessToken"], cached["refreshToken"]) == ("sso-access-2", "refresh-2")
    assert cached["expiresAt"] == "2030-03-18T02:41:41.000Z"  # now + 28800 s, toISOString()
    bedrock = upstream.requests_to("/converse-stream")
    verify_sigv4(bedrock[1], "AKIASSOROLE000000002", "ssoSecret2", "ssoToken2")
    # CREDENTIALS_SSO "s", CREDENTIALS_PROFILE_SSO "r", CREDENTIALS_CODE "e"
    assert _features(bedrock[0].headers["user-agent"]) == "m/N,E,s,r,e"


async def test_sso_legacy_profile_with_an_expired_token(upstream: Upstream, aws_home: Path, clock: Clock) -> None:
    """credential-provider-sso ``resolveSSOCredentials``: a legacy profile's cached token (keyed by
    its start URL) that has expired ends the chain with the SDK's text; the portal is not called."""
    (aws_home / "config").write_text(
        "[profile legacy]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
        "sso_account_id = 123456789012\nsso_role_name = RooDeveloper\n"
    )
    cache = aws_home / ".aws" / "sso" / "cache" / (hashlib.sha1(b"https://corp.awsapps.com/start").hexdigest() + ".json")
    cache.parent.mkdir(parents=True)
    cache.write_text(json.dumps({"accessToken": "old", "expiresAt": "2030-03-17T17:00:00Z"}))
    handler = build_api_handler(_no_keys(upstream, awsUseProfile=True, awsProfile="legacy"))
    _, error = await collect(handler.create_message(SYSTEM, HELLO))
    assert isinstance(error, JSError) and error.name == "CredentialsProviderError"
    assert error.message == (
        "Unknown Error: The SSO session associated with this profile has expired. "
        "To refresh this SSO session run aws sso login with the corresponding profile."
    )
    assert upstream.seen == []


async def test_role_with_environment_credential_source(
    upstream: Upstream, aws_home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``credential_source = Environment``: the environment's keys (CREDENTIALS_ENV_VARS "g",
    CREDENTIALS_PROFILE_NAMED_PROVIDER "p") sign the AssumeRole call, in the profile's region."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "environmentSecret")
    (aws_home / "config").write_text(
        "[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ops\ncredential_source = Environment\n"
        "region = eu-west-1\nrole_session_name = roo\nduration_seconds = 900\n"
    )
    upstream.route("sts.eu-west-1.amazonaws.com", Reply(
        200, {"content-type": "text/xml"}, [ASSUME_ROLE_RESPONSE.format(n=3, expiration=EXPIRES).encode()]))
    upstream.route("/converse-stream", Reply(chunks=[text_delta("Hi"), usage()]))
    await _say_hello(build_api_handler(_no_keys(upstream, awsUseProfile=True, awsProfile="ops")))
    sts, bedrock = upstream.seen
    assert sts.url == "https://sts.eu-west-1.amazonaws.com/"
    assert sts.form() == {"RoleArn": "arn:aws:iam::123456789012:role/ops", "RoleSessionName": "roo",
                          "DurationSeconds": "900", "Action": "AssumeRole", "Version": "2011-06-15"}
    assert "Credential=AKIAENVIRONMENT00000/" in sts.headers["authorization"]
    assert "/eu-west-1/sts/aws4_request" in sts.headers["authorization"]
    assert _features(sts.headers["user-agent"]) == "m/E,g,p"
    verify_sigv4(bedrock, "AKIAASSUMEDROLE00003", "assumedSecret3", "assumedToken3")


async def test_source_profile_cycle(upstream: Upstream, aws_home: Path) -> None:
    """Two role profiles naming each other as source: the SDK's cycle error, nothing sent."""
    (aws_home / "config").write_text(
        "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
        "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n"
    )
    _, error = await collect(build_api_handler(_no_keys(upstream, awsUseProfile=True, awsProfile="a")).create_message(
        SYSTEM, HELLO))
    assert isinstance(error, JSError)
    assert error.message == (
        "Unknown Error: Detected a cycle attempting to resolve credentials for profile a. Profiles visited: b, a"
    )
    assert upstream.seen == []


async def test_container_credentials_url_must_be_local_or_https(
    upstream: Upstream, aws_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """credential-provider-http ``checkUrl`` refuses a plain-HTTP host that is neither loopback nor
    a container host; the chain goes on to its final error without a request."""
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://credentials.example/v2/abc")
    _, error = await collect(build_api_handler(_no_keys(upstream)).create_message(SYSTEM, HELLO))
    assert isinstance(error, JSError)
    assert error.message == "Unknown Error: Could not load credentials from any providers"
    assert upstream.seen == []


async def test_container_metadata_is_the_fallback_after_http_provider_failures(
    upstream: Upstream, aws_home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``chain(fromHttp, fromContainerMetadata)``: after fromHttp's four failed attempts
    (1 s apart, shortened here), fromContainerMetadata asks once more; its keys carry no feature id."""
    monkeypatch.setattr(aws_credentials, "HTTP_PROVIDER_TIMEOUT_S", 0.05)
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f"{upstream.base_url}/v2/credentials/abc")
    upstream.route("/v2/credentials/abc", *(Reply(500) for _ in range(4)), _container_reply(5))
    upstream.route("/converse-stream", Reply(chunks=[text_delta("Hi"), usage()]))
    await _say_hello(build_api_handler(_no_keys(upstream)))
    assert len(upstream.requests_to("/v2/credentials/abc")) == 5
    (bedrock,) = upstream.requests_to("/converse-stream")
    verify_sigv4(bedrock, "AKIACONTAINER0000005", "containerSecret5", "ctoken5")
    assert _features(bedrock.headers["user-agent"]) == "m/N,E"
