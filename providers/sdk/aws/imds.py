"""Instance credentials from the EC2 instance metadata service (IMDSv2, with the v1 fallback), and
the container metadata service as the remote chain's fallback after ``fromHttp``.

Mirrors @smithy/credential-provider-imds 4.2.4 (``fromInstanceMetadata``, ``fromContainerMetadata``,
``getCmdsUri``,
``getInstanceMetadataProvider``, ``getInstanceMetadataEndpoint``, ``staticStabilityProvider``,
``getExtendedInstanceMetadataCredentials``, ``httpRequest``, ``fromImdsCredentials``). The default
chain builds a new provider each time it runs (``remoteProvider``), so only the extension of
credentials that arrive already expired applies here. Requests go through
``providers.sdk.transport``; ``IMDS_TIMEOUT_S`` bounds each of them (Node's socket timeout).
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import os
import random
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ...js import jsonjs
from ...js.errors import JSError
from .credentials import Credentials, CredentialsProviderError
from .shared_ini import load_config

logger = logging.getLogger(__name__)

IMDS_TIMEOUT_S = 1.0
"""``DEFAULT_TIMEOUT`` (1000 ms) of each metadata request."""

IMDS_PATH = "/latest/meta-data/iam/security-credentials/"
IMDS_TOKEN_PATH = "/latest/api/token"
TOKEN_TTL_SECONDS = "21600"
STATIC_STABILITY_REFRESH_INTERVAL_S = 5 * 60
STATIC_STABILITY_REFRESH_INTERVAL_JITTER_WINDOW_S = 5 * 60
_ENDPOINTS = {"IPv4": "http://169.254.169.254", "IPv6": "http://[fd00:ec2::254]"}


class _ImdsError(CredentialsProviderError):
    """@smithy/property-provider ``ProviderError`` from ``httpRequest`` (tryNextLink true)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status


def _endpoint() -> str:
    """``getInstanceMetadataEndpoint``: the configured endpoint, else the endpoint mode's address."""
    configured = load_config(
        lambda env: env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT"),
        lambda profile, _: profile.get("ec2_metadata_service_endpoint"),
        None,
    )
    if configured:
        return str(configured).rstrip("/")
    mode = load_config(
        lambda env: env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"),
        lambda profile, _: profile.get("ec2_metadata_service_endpoint_mode"),
        "IPv4",
    )
    if mode not in _ENDPOINTS:
        raise JSError(f"Unsupported endpoint mode: {mode}. Select from IPv4,IPv6")
    return _ENDPOINTS[mode]


async def _http_request(method: str, url: str, headers: dict[str, str]) -> bytes:
    """``httpRequest``: the body of a 2xx answer, else a ProviderError."""
    from .. import transport

    async def fetch() -> tuple[Any, bytes]:
        response = await transport.request(method, url, headers=headers, limited=False)
        return response, await response.read()

    try:
        response, body = await asyncio.wait_for(fetch(), IMDS_TIMEOUT_S)
    except asyncio.TimeoutError:
        raise _ImdsError("TimeoutError from instance metadata service") from None
    except OSError as error:  # aiohttp.ClientConnectionError is an OSError
        raise _ImdsError("Unable to connect to instance metadata service") from error
    if response.status < 200 or response.status >= 300:
        raise _ImdsError("Error response received from instance metadata service", response.status)
    return body


def _v1_fallback_blocked() -> None:
    """IMDSv1 is refused when AWS_EC2_METADATA_V1_DISABLED or ``ec2_metadata_v1_disabled`` says so."""
    causes: list[str] = []

    def from_env(env: Any) -> bool | None:
        value = env.get("AWS_EC2_METADATA_V1_DISABLED")
        if value is None:
            return None
        blocked = bool(value) and value != "false"
        if blocked:
            causes.append("process environment variable (AWS_EC2_METADATA_V1_DISABLED)")
        return blocked

    def from_file(profile: Any, _: Any) -> bool:
        value = profile.get("ec2_metadata_v1_disabled")
        blocked = bool(value) and value != "false"
        if blocked:
            causes.insert(0, "config file profile (ec2_metadata_v1_disabled)")
        return blocked

    if load_config(from_env, from_file, False):
        error = CredentialsProviderError(
            "AWS EC2 Metadata v1 fallback has been blocked by AWS SDK configuration in the following: "
            f"[{', '.join(causes)}]."
        )
        error.name = "InstanceMetadataV1FallbackError"
        raise error


def _parse_date(value: str) -> float:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


async def from_instance_metadata(clock: Callable[[], float]) -> Credentials:
    """One run of ``fromInstanceMetadata()()``: token (PUT), role name, then the role's credentials."""
    endpoint = _endpoint()
    headers: dict[str, str] = {}
    try:
        token = await _http_request("PUT", endpoint + IMDS_TOKEN_PATH, {"x-aws-ec2-metadata-token-ttl-seconds": TOKEN_TTL_SECONDS})
        headers["x-aws-ec2-metadata-token"] = token.decode("utf-8", "replace")
    except _ImdsError as error:
        if error.status_code == 400:
            raise _ImdsError("EC2 Metadata token request returned error", 400) from None
    if "x-aws-ec2-metadata-token" not in headers:
        _v1_fallback_blocked()
    profile = (await _http_request("GET", endpoint + IMDS_PATH, headers)).decode("utf-8", "replace").strip()
    data = jsonjs.loads((await _http_request("GET", endpoint + IMDS_PATH + profile, headers)).decode("utf-8", "replace"))
    credentials = _imds_credentials(data)
    if credentials["expiration"] < clock():
        credentials = _extended(credentials, clock)
    return credentials


def _imds_credentials(data: Any) -> Credentials:
    """``isImdsCredentials`` then ``fromImdsCredentials``."""
    if not (
        isinstance(data, dict)
        and all(isinstance(data.get(key), str) for key in ("AccessKeyId", "SecretAccessKey", "Token", "Expiration"))
    ):
        raise CredentialsProviderError("Invalid response received from instance metadata service.")
    credentials: Credentials = {
        "accessKeyId": data["AccessKeyId"],
        "secretAccessKey": data["SecretAccessKey"],
        "sessionToken": data["Token"],
        "expiration": _parse_date(data["Expiration"]),
    }
    if data.get("AccountId"):
        credentials["accountId"] = data["AccountId"]
    return credentials


async def from_container_metadata() -> Credentials:
    """``fromContainerMetadata()()``: one GET of the container credentials URI (the relative URI
    first, here), only to the link-local or a local host, with AWS_CONTAINER_AUTHORIZATION_TOKEN."""
    relative = os.environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    full = os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    if relative:
        url = f"http://169.254.170.2{relative}"
    elif full:
        parts = urlsplit(full)
        if not parts.hostname or parts.hostname not in ("localhost", "127.0.0.1"):
            raise CredentialsProviderError(
                f"{parts.hostname} is not a valid container metadata service hostname", try_next_link=False
            )
        if parts.scheme not in ("http", "https"):
            raise CredentialsProviderError(
                f"{parts.scheme}: is not a valid container metadata service protocol", try_next_link=False
            )
        url = full
    else:
        raise CredentialsProviderError(
            "The container metadata credential provider cannot be used unless the "
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or AWS_CONTAINER_CREDENTIALS_FULL_URI environment variable is set",
            try_next_link=False,
        )
    token = os.environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    headers = {"Authorization": token} if token else {}
    return _imds_credentials(jsonjs.loads((await _http_request("GET", url, headers)).decode("utf-8", "replace")))


def _extended(credentials: Credentials, clock: Callable[[], float]) -> Credentials:
    """``getExtendedInstanceMetadataCredentials``: expired credentials kept for 5 to 10 more minutes."""
    interval = STATIC_STABILITY_REFRESH_INTERVAL_S + random.randrange(STATIC_STABILITY_REFRESH_INTERVAL_JITTER_WINDOW_S)
    expiration = clock() + interval
    logger.warning(
        "Attempting credential expiration extension due to a credential service availability issue. A refresh of "
        "these credentials will be attempted after %s.\nFor more information, please visit: "
        "https://docs.aws.amazon.com/sdkref/latest/guide/feature-static-credentials.html",
        datetime.datetime.fromtimestamp(expiration, datetime.timezone.utc).isoformat(),
    )
    return {**credentials, "originalExpiration": credentials["expiration"], "expiration": expiration}
