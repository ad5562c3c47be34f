"""AWS credentials: the providers ``bedrock.ts`` configures and the SDK's default chain.

Mirrors, all at 3.922.0 unless named otherwise: @aws-sdk/credential-provider-ini (``fromIni``,
``resolveProfileData``, ``resolveStaticCredentials``, ``resolveAssumeRoleCredentials``,
``resolveCredentialSource``), -env (``fromEnv``), -process (``fromProcess``), -web-identity
(``fromTokenFile``, ``fromWebToken``), -http (``fromHttp``, ``checkUrl``) and -node
(``defaultProvider``, ``memoizeChain``, ``remoteProvider``); @smithy/core 3.17.2
(``memoizeIdentityProvider``, ``isIdentityExpired``); @smithy/property-provider
(``CredentialsProviderError``); @aws-sdk/core (``setCredentialFeature``); @aws-sdk/token-providers
(``fromEnvSigningName``). The network-bound providers live beside it: ``sts`` (role assumption, web
identity), ``sso``, ``imds`` (instance and container metadata); every request goes through
``providers.sdk.transport``.

An identity with an ``expiration`` is fetched again once it is within ``EXPIRATION_S`` of it;
``clock`` is the SDK's ``Date.now`` (epoch seconds), which tests may replace.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import math
import os
import re
import subprocess
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from ...js.errors import JSError
from .shared_ini import parse_known_files


Credentials = dict[str, Any]
"""An AWS credential identity: ``accessKeyId``, ``secretAccessKey``, optional ``sessionToken``,
``credentialScope``, ``accountId``, ``expiration`` (epoch seconds, the JS ``Date``) and ``$source``
(the user-agent feature ids of the providers that produced it, in the order they were set)."""

IdentityProperties = Mapping[str, Any]
"""What the client passes a provider (``awsIdentityProperties.callerClientConfig``): its resolved
``region`` and its ``userAgentAppId`` (the nested STS client inherits both). Within fromIni the
``profile`` being resolved and the ``roleAssumerRegion`` of its first role are added."""

CredentialProvider = Callable[[IdentityProperties], Awaitable[Credentials]]

EXPIRATION_S = 300.0
"""``EXPIRATION_MS`` / the 300000 ms of ``credentialsTreatedAsExpired``: refresh this close to expiry."""

HTTP_PROVIDER_TIMEOUT_S = 1.0
"""fromHttp's ``timeout`` default (connection and request), also its delay between attempts."""

HTTP_PROVIDER_MAX_RETRIES = 3
"""fromHttp's ``maxRetries`` default: one attempt more than this in all."""

clock: Callable[[], float] = time.time
"""The SDK's ``Date.now()`` in seconds (a test hook: expiry is measured against it)."""


class CredentialsProviderError(JSError):
    """@smithy/property-provider ``CredentialsProviderError`` (``tryNextLink`` defaults to true)."""

    js_constructor = "CredentialsProviderError"

    def __init__(self, message: str, *, try_next_link: bool = True) -> None:
        super().__init__(message)
        self.try_next_link = try_next_link


def set_credential_feature(credentials: Credentials, feature: str, value: str) -> Credentials:
    """``setCredentialFeature``."""
    credentials.setdefault("$source", {})[feature] = value
    return credentials


def _is_static_creds_profile(data: Any) -> TypeGuard[dict[str, Any]]:
    return (
        isinstance(data, dict)
        and isinstance(data.get("aws_access_key_id"), str)
        and isinstance(data.get("aws_secret_access_key"), str)
    )


def _is_assume_role_profile(data: Any) -> bool:
    if not isinstance(data, dict) or not isinstance(data.get("role_arn"), str):
        return False
    with_source_profile = isinstance(data.get("source_profile"), str) and "credential_source" not in data
    with_credential_source = isinstance(data.get("credential_source"), str) and "source_profile" not in data
    return with_source_profile or with_credential_source


def _is_web_identity_profile(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("web_identity_token_file"), str)
        and isinstance(data.get("role_arn"), str)
    )


def _is_sso_profile(data: Any) -> bool:
    return isinstance(data, dict) and any(
        isinstance(data.get(key), str)
        for key in ("sso_start_url", "sso_account_id", "sso_session", "sso_region", "sso_role_name")
    )


def _expires_soon(credentials: Credentials) -> bool:
    """``isIdentityExpired`` / ``credentialsTreatedAsExpired``: an expiration less than 5 min away."""
    expiration = credentials.get("expiration")
    return expiration is not None and expiration - clock() < EXPIRATION_S


class MemoizedIdentityProvider:
    """``memoizeIdentityProvider(provider, isIdentityExpired, doesIdentityRequireRefresh)``.

    The first identity is kept; one without ``expiration`` for good, one with an expiration until it
    is within 5 minutes of it, when the caller waits for a new one. Concurrent callers share one fetch.
    """

    def __init__(self, provider: Credentials | CredentialProvider) -> None:
        self._provider = provider
        self._resolved: Credentials | None = None
        self._pending: asyncio.Future[Credentials] | None = None
        self._constant = False

    async def __call__(self, properties: IdentityProperties) -> Credentials:
        if self._resolved is None:
            await self._coalesce(properties)
        assert self._resolved is not None
        if self._constant:
            return self._resolved
        if "expiration" not in self._resolved:
            self._constant = True
            return self._resolved
        if _expires_soon(self._resolved):
            await self._coalesce(properties)
        return self._resolved

    async def _coalesce(self, properties: IdentityProperties) -> None:
        if self._pending is None:
            self._pending = asyncio.ensure_future(self._fetch(properties))
        try:
            self._resolved = await asyncio.shield(self._pending)
        finally:
            self._pending = None

    async def _fetch(self, properties: IdentityProperties) -> Credentials:
        if not callable(self._provider):
            identity = dict(self._provider)
            identity["$source"] = dict(identity.get("$source", {}))
            return identity
        return await self._provider(properties)


class _MemoizedChain:
    """credential-provider-node ``memoizeChain``: the links in order, the result memoized.

    Expired credentials are dropped and fetched again while the caller waits; credentials within
    5 minutes of expiry are still returned while one new fetch runs in the background. A failed
    fetch is never retried: its error is thrown again to every later caller.
    """

    def __init__(self, links: list[Callable[[IdentityProperties], Awaitable[Credentials]]]) -> None:
        self._links = links
        self._credentials: Credentials | None = None
        self._active: asyncio.Future[None] | None = None
        self._passive: asyncio.Future[None] | None = None

    async def __call__(self, properties: IdentityProperties) -> Credentials:
        while True:
            credentials = self._credentials
            if credentials is not None and credentials.get("expiration") is not None:
                if credentials["expiration"] < clock():
                    self._credentials = credentials = None
            if self._active is not None:
                await asyncio.shield(self._active)
            elif credentials is None or _expires_soon(credentials):
                if credentials is not None:
                    if self._passive is None:
                        self._passive = asyncio.ensure_future(self._refresh(properties, "_passive"))
                        self._passive.add_done_callback(_retrieve_exception)  # an unhandled rejection
                else:
                    self._active = asyncio.ensure_future(self._refresh(properties, "_active"))
                    continue  # return provider(options)
            assert self._credentials is not None
            return self._credentials

    async def _refresh(self, properties: IdentityProperties, lock: str) -> None:
        # ``lock = chain(options).then((c) => { credentials = c; lock = undefined; })``: a chain
        # that fails leaves its lock set, so every later call rethrows that error (as the SDK does).
        self._credentials = await self._chain(properties)
        setattr(self, lock, None)

    async def _chain(self, properties: IdentityProperties) -> Credentials:
        """``internalCreateChain``: the first link that does not throw a CredentialsProviderError."""
        last_error: BaseException | None = None
        for link in self._links:
            try:
                return await link(properties)
            except CredentialsProviderError as error:
                last_error = error
                if error.try_next_link:
                    continue
                raise
        assert last_error is not None
        raise last_error


def _retrieve_exception(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


async def _resolve_profile_data(
    profile: str,
    profiles: Mapping[str, dict[str, Any]],
    properties: IdentityProperties,
    visited: Mapping[str, bool] | None = None,
    is_assume_role_recursive_call: bool = False,
) -> Credentials:
    """``resolveProfileData`` of credential-provider-ini, tagged with the feature ids the JS
    providers set. ``visited`` holds the source profiles followed so far."""
    data = profiles.get(profile)
    if visited and _is_static_creds_profile(data):
        return _static_profile_credentials(data)
    if is_assume_role_recursive_call or _is_assume_role_profile(data):
        return await _resolve_assume_role_credentials(profile, profiles, properties, visited or {})
    if _is_static_creds_profile(data):
        return _static_profile_credentials(data)
    if _is_web_identity_profile(data):
        assert data is not None
        identity = await _from_token_file(
            properties,
            token_file=data["web_identity_token_file"],
            role_arn=data["role_arn"],
            role_session_name=data.get("role_session_name"),
        )
        return set_credential_feature(identity, "CREDENTIALS_PROFILE_STS_WEB_ID_TOKEN", "q")
    if isinstance(data, dict) and isinstance(data.get("credential_process"), str):
        identity = await _resolve_process_credentials(profile, profiles)
        return set_credential_feature(identity, "CREDENTIALS_PROFILE_PROCESS", "v")
    if _is_sso_profile(data):
        from .sso import from_sso

        assert data is not None
        feature = (
            ("CREDENTIALS_PROFILE_SSO", "r") if data.get("sso_session") else ("CREDENTIALS_PROFILE_SSO_LEGACY", "t")
        )
        identity = await from_sso(profile, data, lambda: clock(), properties.get("userAgentAppId"))
        return set_credential_feature(identity, *feature)
    raise CredentialsProviderError(
        f"Could not resolve credentials using profile: [{profile}] in configuration/credentials file(s)."
    )


async def _resolve_assume_role_credentials(
    profile: str, profiles: Mapping[str, dict[str, Any]], properties: IdentityProperties, visited: Mapping[str, bool]
) -> Credentials:
    """``resolveAssumeRoleCredentials``: the source credentials (``source_profile``, resolved
    recursively, or ``credential_source``), then STS ``AssumeRole`` signed with them in the first
    role profile's region, else the calling client's. ``mfa_serial`` without an MFA code provider
    throws once the source is under way, as the SDK does."""
    from .sts import assume_role

    data = profiles[profile]
    source_profile = data.get("source_profile")
    region = properties.get("roleAssumerRegion") or data.get("region") or properties.get("region") or _sts_region({})
    properties = {**properties, "roleAssumerRegion": region}  # options.roleAssumer: made once, for the first role
    if source_profile and source_profile in visited:
        raise CredentialsProviderError(
            f"Detected a cycle attempting to resolve credentials for profile {properties.get('profile')}. "
            f"Profiles visited: {', '.join(visited)}"
        )
    source: asyncio.Future[Credentials] = asyncio.ensure_future(
        _resolve_profile_data(
            source_profile,
            profiles,
            properties,
            {**visited, source_profile: True},
            _is_credential_source_without_role_arn(profiles.get(source_profile) or {}),
        )
        if source_profile
        else _resolve_credential_source(data.get("credential_source"), profile, properties)
    )
    source.add_done_callback(_retrieve_exception)
    if _is_credential_source_without_role_arn(data):
        return set_credential_feature(await source, "CREDENTIALS_PROFILE_SOURCE_PROFILE", "o")
    params = {
        "RoleArn": data["role_arn"],
        "RoleSessionName": data.get("role_session_name") or f"aws-sdk-js-{int(clock() * 1000)}",
        "ExternalId": data.get("external_id"),
        "DurationSeconds": _parse_int(data.get("duration_seconds") or "3600"),
    }
    if data.get("mfa_serial"):
        raise CredentialsProviderError(
            f"Profile {profile} requires multi-factor authentication, but no MFA code callback was provided.",
            try_next_link=False,
        )
    credentials = await assume_role(region, await source, params, properties.get("userAgentAppId"))
    return set_credential_feature(credentials, "CREDENTIALS_PROFILE_SOURCE_PROFILE", "o")


def _is_credential_source_without_role_arn(section: Mapping[str, Any]) -> bool:
    return not section.get("role_arn") and bool(section.get("credential_source"))


def _parse_int(value: str) -> float:
    """``parseInt(value, 10)`` (NaN when no digits lead)."""
    match = re.match(r"\s*([+-]?\d+)", value)
    return int(match.group(1)) if match else math.nan


async def _resolve_credential_source(source: Any, profile: str, properties: IdentityProperties) -> Credentials:
    """``resolveCredentialSource``: EcsContainer, Ec2InstanceMetadata or Environment, tagged
    CREDENTIALS_PROFILE_NAMED_PROVIDER ("p")."""
    from .imds import from_container_metadata, from_instance_metadata

    if source == "EcsContainer":
        url = _http_provider_url()
        try:
            credentials = await _from_http(url)
        except CredentialsProviderError as error:
            if not error.try_next_link:
                raise
            credentials = await from_container_metadata()
    elif source == "Ec2InstanceMetadata":
        credentials = await from_instance_metadata(lambda: clock())
    elif source == "Environment":
        credentials = _from_env()
    else:
        raise CredentialsProviderError(
            f"Unsupported credential source in profile {profile}. Got {source}, "
            "expected EcsContainer or Ec2InstanceMetadata or Environment."
        )
    return set_credential_feature(credentials, "CREDENTIALS_PROFILE_NAMED_PROVIDER", "p")


def _static_profile_credentials(data: Mapping[str, Any]) -> Credentials:
    """``resolveStaticCredentials``."""
    credentials: Credentials = {
        "accessKeyId": data["aws_access_key_id"],
        "secretAccessKey": data["aws_secret_access_key"],
    }
    if data.get("aws_session_token") is not None:
        credentials["sessionToken"] = data["aws_session_token"]
    if data.get("aws_credential_scope"):
        credentials["credentialScope"] = data["aws_credential_scope"]
    if data.get("aws_account_id"):
        credentials["accountId"] = data["aws_account_id"]
    return set_credential_feature(credentials, "CREDENTIALS_PROFILE", "n")


def from_ini(profile: str | None = None, ignore_cache: bool = True) -> CredentialProvider:  # noqa: ARG001
    """``fromIni({profile, ignoreCache})``: a provider reading the shared config files when called.

    The files are read afresh on every call, which is what ``ignoreCache: true`` asks for.
    """

    async def provider(properties: IdentityProperties) -> Credentials:
        name = profile or os.environ.get("AWS_PROFILE") or "default"
        return await _resolve_profile_data(name, parse_known_files(), {**properties, "profile": name})

    return provider


def _from_env() -> Credentials:
    """``fromEnv`` of credential-provider-env."""
    access_key = os.environ.get("AWS_ACCESS_KEY_ID")
    secret_key = os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not (access_key and secret_key):
        raise CredentialsProviderError("Unable to find environment variable credentials.")
    credentials: Credentials = {"accessKeyId": access_key, "secretAccessKey": secret_key}
    for key, env in (
        ("sessionToken", "AWS_SESSION_TOKEN"),
        ("credentialScope", "AWS_CREDENTIAL_SCOPE"),
        ("accountId", "AWS_ACCOUNT_ID"),
    ):
        if os.environ.get(env):
            credentials[key] = os.environ[env]
    if os.environ.get("AWS_CREDENTIAL_EXPIRATION"):
        credentials["expiration"] = _parse_date(os.environ["AWS_CREDENTIAL_EXPIRATION"])
    return set_credential_feature(credentials, "CREDENTIALS_ENV_VARS", "g")


def _parse_date(value: str) -> float:
    """``new Date(value)`` for the ISO 8601 / RFC 3339 timestamps credential sources write."""
    parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.timestamp()


async def _resolve_process_credentials(profile: str, profiles: Mapping[str, dict[str, Any]]) -> Credentials:
    """``resolveProcessCredentials`` of credential-provider-process: run ``credential_process``
    in a shell (``child_process.exec``) and validate its JSON (``getValidatedProcessCredentials``)."""
    data = profiles.get(profile)
    if not data:
        raise CredentialsProviderError(f"Profile {profile} could not be found in shared credentials file.")
    command = data.get("credential_process")
    if command is None:
        raise CredentialsProviderError(f"Profile {profile} did not contain credential_process.")
    completed = await asyncio.to_thread(subprocess.run, command, shell=True, capture_output=True, text=True)
    if completed.returncode != 0:
        raise CredentialsProviderError(f"Command failed: {command}\n{completed.stderr}")
    try:
        output = json.loads(completed.stdout.strip())
    except ValueError:
        raise CredentialsProviderError(f"Profile {profile} credential_process returned invalid JSON.") from None
    if not isinstance(output, dict) or output.get("Version") != 1:
        raise CredentialsProviderError(f"Profile {profile} credential_process did not return Version 1.")
    if output.get("AccessKeyId") is None or output.get("SecretAccessKey") is None:
        raise CredentialsProviderError(f"Profile {profile} credential_process returned invalid credentials.")
    expiration = _parse_date(output["Expiration"]) if output.get("Expiration") else None
    if expiration is not None and expiration < clock():
        raise CredentialsProviderError(f"Profile {profile} credential_process returned expired credentials.")
    account_id = output.get("AccountId") or data.get("aws_account_id")
    credentials: Credentials = {"accessKeyId": output["AccessKeyId"], "secretAccessKey": output["SecretAccessKey"]}
    if output.get("SessionToken"):
        credentials["sessionToken"] = output["SessionToken"]
    if expiration is not None:
        credentials["expiration"] = expiration
    if output.get("CredentialScope"):
        credentials["credentialScope"] = output["CredentialScope"]
    if account_id:
        credentials["accountId"] = account_id
    return set_credential_feature(credentials, "CREDENTIALS_PROCESS", "w")


async def _from_process(properties: IdentityProperties) -> Credentials:  # noqa: ARG001
    """``fromProcess()`` of the default chain (the profile of ``AWS_PROFILE``, else ``default``)."""
    return await _resolve_process_credentials(os.environ.get("AWS_PROFILE") or "default", parse_known_files())


async def _from_token_file(
    properties: IdentityProperties,
    *,
    token_file: str | None = None,
    role_arn: str | None = None,
    role_session_name: str | None = None,
) -> Credentials:
    """``fromTokenFile`` with ``fromWebToken``: the token file's token exchanged at STS
    (``AssumeRoleWithWebIdentity``); the environment names the file and role when the profile does not."""
    from .sts import assume_role_with_web_identity

    web_identity_token_file = token_file if token_file is not None else os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE")
    arn = role_arn if role_arn is not None else os.environ.get("AWS_ROLE_ARN")
    session_name = role_session_name if role_session_name is not None else os.environ.get("AWS_ROLE_SESSION_NAME")
    if not web_identity_token_file or not arn:
        raise CredentialsProviderError("Web identity configuration not specified")
    with open(web_identity_token_file, encoding="ascii") as file:
        token = file.read()
    credentials = await assume_role_with_web_identity(
        _sts_region(properties),
        {
            "RoleArn": arn,
            "RoleSessionName": session_name or f"aws-sdk-js-session-{int(clock() * 1000)}",
            "WebIdentityToken": token,
        },
        properties.get("userAgentAppId"),
    )
    if web_identity_token_file == os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        set_credential_feature(credentials, "CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN", "h")
    return credentials


def _sts_region(properties: IdentityProperties) -> str:
    """nested STS ``resolveRegion``: the calling client's region, else AWS_REGION, the profile's, us-east-1."""
    region = properties.get("region")
    if region:
        return str(region)
    profile = parse_known_files().get(os.environ.get("AWS_PROFILE") or "default", {})
    return str(os.environ.get("AWS_REGION") or profile.get("region") or "us-east-1")


# checkUrl's hosts besides 127.0.0.0/8 (WHATWG hostnames, IPv6 without its brackets here)
_HTTP_PROVIDER_HOSTS = frozenset(
    {"169.254.170.2", "169.254.170.23", "fd00:ec2::23", "::1", "0000:0000:0000:0000:0000:0000:0000:0001", "localhost"}
)


def _check_url(url: str) -> None:
    """credential-provider-http ``checkUrl``: HTTPS, the ECS/EKS container hosts or loopback only."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" or host in _HTTP_PROVIDER_HOSTS:
        return
    components = host.split(".")
    if len(components) == 4 and components[0] == "127" and all(0 <= _parse_int(part) <= 255 for part in components[1:]):
        return
    raise CredentialsProviderError(
        "URL not accepted. It must either be HTTPS or match one of the following:\n"
        "  - loopback CIDR 127.0.0.0/8 or [::1/128]\n"
        "  - ECS container host 169.254.170.2\n"
        "  - EKS container host 169.254.170.23 or [fd00:ec2::23]"
    )


def _http_provider_url() -> str:
    """fromHttp's URL: the full URI, else the relative one on the ECS host; checked (``checkUrl``)
    when the provider is made."""
    full = os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    relative = os.environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    url = full if full else f"http://169.254.170.2{relative}"
    _check_url(url)
    return url


async def _from_http(url: str) -> Credentials:
    """``fromHttp(init)()`` of credential-provider-http: container credentials, 1 s timeouts,
    3 retries 1 s apart."""
    for attempt in range(HTTP_PROVIDER_MAX_RETRIES + 1):
        try:
            return await _fetch_http_credentials(url)
        except CredentialsProviderError:
            if attempt == HTTP_PROVIDER_MAX_RETRIES:
                raise
            await asyncio.sleep(HTTP_PROVIDER_TIMEOUT_S)
    raise AssertionError("unreachable")


async def _fetch_http_credentials(url: str) -> Credentials:
    from .. import transport

    headers: dict[str, str] = {}
    token = os.environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    token_file = os.environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
    if token:
        headers["Authorization"] = token
    elif token_file:
        with open(token_file, encoding="utf-8") as file:
            headers["Authorization"] = file.read()
    async def fetch() -> tuple[Any, str]:
        response = await transport.request("GET", url, headers=headers, limited=False)
        return response, (await response.read()).decode("utf-8", "replace")

    try:
        response, text = await asyncio.wait_for(fetch(), HTTP_PROVIDER_TIMEOUT_S)
    except CredentialsProviderError:
        raise
    except Exception as error:  # noqa: BLE001 - fromHttp wraps whatever the request threw
        raise CredentialsProviderError(f"Error: {error}") from None
    if response.status == 200:
        parsed = json.loads(text)
        if not all(isinstance(parsed.get(key), str) for key in ("AccessKeyId", "SecretAccessKey", "Token", "Expiration")):
            raise CredentialsProviderError(
                "HTTP credential provider response not of the required format, an object matching: "
                "{ AccessKeyId: string, SecretAccessKey: string, Token: string, Expiration: string(rfc3339) }"
            )
        credentials: Credentials = {
            "accessKeyId": parsed["AccessKeyId"],
            "secretAccessKey": parsed["SecretAccessKey"],
            "sessionToken": parsed["Token"],
            "expiration": _parse_date(parsed["Expiration"]),
        }
        return set_credential_feature(credentials, "CREDENTIALS_HTTP", "z")
    raise CredentialsProviderError(f"Server responded with status: {response.status}")


async def _from_remote(properties: IdentityProperties) -> Credentials:  # noqa: ARG001
    """``remoteProvider``: container credentials (``fromHttp``, then ``fromContainerMetadata``), else
    instance metadata (``imds``)."""
    from .imds import from_container_metadata, from_instance_metadata

    if os.environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") or os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        url = _http_provider_url()  # fromHttp(init) throws before the chain is made
        try:  # chain(fromHttp(init), fromContainerMetadata(init))
            return await _from_http(url)
        except CredentialsProviderError as error:
            if not error.try_next_link:
                raise
        return await from_container_metadata()
    disabled = os.environ.get("AWS_EC2_METADATA_DISABLED")
    if disabled and disabled != "false":
        raise CredentialsProviderError("EC2 Instance Metadata Service access disabled")
    credentials = await from_instance_metadata(lambda: clock())  # the clock as patched at call time
    return set_credential_feature(credentials, "CREDENTIALS_IMDS", "0")


def default_provider() -> CredentialProvider:
    """``defaultProvider`` of credential-provider-node: env, ini, process, web-identity token file,
    remote, then the final error, memoized as ``memoizeChain`` does (one per client)."""
    return _MemoizedChain(
        [_default_from_env, _default_from_ini, _from_process, _from_token_file, _from_remote, _no_more_providers]
    )


async def _default_from_env(properties: IdentityProperties) -> Credentials:  # noqa: ARG001
    if os.environ.get("AWS_PROFILE"):
        raise CredentialsProviderError("AWS_PROFILE is set, skipping fromEnv provider.")
    return _from_env()


async def _default_from_ini(properties: IdentityProperties) -> Credentials:
    name = os.environ.get("AWS_PROFILE") or "default"
    return await _resolve_profile_data(name, parse_known_files(), {**properties, "profile": name})


async def _no_more_providers(properties: IdentityProperties) -> Credentials:  # noqa: ARG001
    raise CredentialsProviderError("Could not load credentials from any providers", try_next_link=False)


def token_from_env() -> dict[str, Any]:
    """``fromEnvSigningName({signingName: "bedrock"})``."""
    token = os.environ.get("AWS_BEARER_TOKEN_BEDROCK")
    if token is None:
        raise JSError("Token not present in 'AWS_BEARER_TOKEN_BEDROCK' environment variable", name="TokenProviderError")
    return {"token": token, "$source": {"BEARER_SERVICE_ENV_VARS": "3"}}
