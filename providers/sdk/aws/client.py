"""``BedrockRuntimeClient`` and its ``send`` for the ``ConverseStream`` and ``Converse`` commands.

Mirrors @aws-sdk/client-bedrock-runtime 3.922.0 (``BedrockRuntimeClient``, ``ConverseStreamCommand``,
``ConverseCommand``: the middleware stack they run) with @smithy/core 3.17.2
(``httpAuthSchemeMiddleware``, ``httpSigningMiddleware``) and @smithy/middleware-retry 4.4.6
(``retryMiddleware``). The pieces live beside it: ``config``, ``credentials``, ``signing``,
``user_agent``, ``retry``, ``http_handler``, ``protocol`` and ``eventstream``.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .. import transport
from ...js.errors import JSError, JSSyntaxError
from .config import (
    auth_scheme_preference,
    check_region,
    configured_endpoint,
    max_attempts,
    request_url,
    resolve_endpoint,
    retry_mode,
    use_dualstack_endpoint,
    use_fips_endpoint,
)
from .credentials import (
    CredentialProvider,
    Credentials,
    MemoizedIdentityProvider,
    default_provider,
    set_credential_feature,
    token_from_env,
)
from .eventstream import iterate_events
from .http_handler import HttpResponse, abort_response, connection_error, read_body
from .protocol import (
    de_command_error,
    deserialization_error,
    deserialize_converse_output,
    metadata_from_response,
    model_path,
    parse_json_body,
    serialize_converse_input,
)
from ..retries import enabled as sdk_retries
from .retry import (
    ADAPTIVE_RETRY_MODE,
    AdaptiveRetryStrategy,
    NoRetryTokenAvailable,
    StandardRetryStrategy,
    get_retry_error_type,
    retry_after_hint_ms,
)
from .shared_ini import parse_known_files
from .signing import sign_sigv4, updated_clock_offset
from .user_agent import user_agent_headers


@dataclass(frozen=True)
class _Settings:
    """What the client's runtime config loads from the environment and the shared config file."""

    auth_scheme_preference: list[str]
    configured_endpoint: str | None
    use_fips: bool
    use_dualstack: bool
    max_attempts: int
    retry_mode: str


@dataclass
class ConverseStreamOutput:
    """``ConverseStreamCommandOutput``: ``$metadata`` and the event ``stream``.

    ``abort()`` is the abort signal firing while the stream runs (the stream ends where it is);
    ``aclose()`` releases the connection whether or not the stream was iterated.
    """

    metadata: dict[str, Any]
    stream: AsyncGenerator[dict[str, Any], None]
    raw: aiohttp.ClientResponse

    def abort(self) -> None:
        abort_response(self.raw)

    async def aclose(self) -> None:
        await self.stream.aclose()
        self.raw.release()


class BedrockRuntimeClient:
    """``new BedrockRuntimeClient(config)`` and its ``send`` for Converse / ConverseStream.

    ``config`` keys as in ``BedrockRuntimeClientConfig``: ``region``, ``endpoint``,
    ``userAgentAppId``, ``credentials`` (an identity dict or a provider such as ``from_ini(…)``),
    ``token`` (``{"token": …}``), ``authSchemePreference``. Without credentials the default chain
    (env, shared files, container/IMDS) resolves them on first use; the identity is memoized.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        region = config.get("region")
        if region is not None and not region:
            raise JSError("Region is missing")
        self._region: str | None = region
        self._endpoint: str | None = config.get("endpoint")
        self._app_id: str | None = config.get("userAgentAppId") or os.environ.get("AWS_SDK_UA_APP_ID")
        credentials = config.get("credentials")
        # resolveAwsSdkSigV4Config: caller-supplied credentials are memoized and attributed to code;
        # without them the default chain (memoized itself) is used.
        self._credentials_supplied = credentials is not None
        self._credentials: CredentialProvider = (
            MemoizedIdentityProvider(credentials) if credentials is not None else default_provider()
        )
        self._token: Mapping[str, Any] | None = config.get("token")
        preference = config.get("authSchemePreference")
        self._auth_scheme_preference: list[str] | None = list(preference) if preference is not None else None
        self._settings: _Settings | None = None
        self.system_clock_offset = 0.0

    async def converse_stream(self, input: Mapping[str, Any]) -> ConverseStreamOutput:
        """``client.send(new ConverseStreamCommand(input))``."""
        response, metadata = await self._send("converse-stream", input)
        return ConverseStreamOutput(metadata=metadata, stream=iterate_events(response.raw), raw=response.raw)

    async def converse(self, input: Mapping[str, Any]) -> dict[str, Any]:
        """``client.send(new ConverseCommand(input))``: the deserialized output."""
        response, metadata = await self._send("converse", input)
        body = await read_body(response.raw)
        try:
            data = parse_json_body(body)
        except JSSyntaxError as error:
            raise deserialization_error(error, response) from None
        return {"$metadata": metadata, **deserialize_converse_output(data)}

    # -- the middleware stack ------------------------------------------------------------------

    def _loaded_settings(self) -> _Settings:
        """The runtime config's ``loadConfig`` providers, read on first use and memoized (building a
        client reads nothing)."""
        if self._settings is None:
            self._settings = _Settings(
                auth_scheme_preference=(
                    self._auth_scheme_preference
                    if self._auth_scheme_preference is not None
                    else auth_scheme_preference()
                ),
                configured_endpoint=None if self._endpoint else configured_endpoint(),
                use_fips=use_fips_endpoint(),
                use_dualstack=use_dualstack_endpoint(),
                max_attempts=max_attempts(),
                retry_mode=retry_mode(),
            )
        return self._settings

    async def _send(self, operation: str, input: Mapping[str, Any]) -> tuple[HttpResponse, dict[str, Any]]:
        settings = self._loaded_settings()
        region = self._resolve_region()
        real_region = check_region(region)
        scheme, identity, source = await self._select_auth(real_region, settings.auth_scheme_preference)
        endpoint = self._endpoint or settings.configured_endpoint
        base_url = resolve_endpoint(region, endpoint, settings.use_fips, settings.use_dualstack)
        url, host = request_url(base_url, model_path(input.get("modelId"), operation))
        body = serialize_converse_input(input)
        # endpointMiddleware sets ENDPOINT_OVERRIDE for the client's own endpoint only (one read
        # from the environment or the config file is applied to a copy of the config).
        features = {"ENDPOINT_OVERRIDE": "N"} if self._endpoint else {}
        # retryMiddleware builds a new strategy for every command (resolveRetryConfig)
        # (ours: a caller that retries itself turns the SDK's retries off, providers.sdk.retries)
        max_attempts = settings.max_attempts if sdk_retries.get() else 1
        strategy: StandardRetryStrategy
        if settings.retry_mode == ADAPTIVE_RETRY_MODE:
            strategy = AdaptiveRetryStrategy(max_attempts=max_attempts)
            features["RETRY_MODE_ADAPTIVE"] = "F"
        else:
            strategy = StandardRetryStrategy(max_attempts=max_attempts)
            features["RETRY_MODE_STANDARD"] = "E"
        if identity.get("accountId"):
            features["RESOLVED_ACCOUNT_ID"] = "T"
        features.update(source)
        x_amz_user_agent, user_agent = user_agent_headers(features, self._app_id)
        headers = {
            "host": host,
            "content-type": "application/json",
            "content-length": str(len(body)),
            "x-amz-user-agent": x_amz_user_agent,
            "user-agent": user_agent,
            "amz-sdk-invocation-id": str(uuid.uuid4()),
        }
        return await self._retry_loop(strategy, url, headers, body, scheme, identity, real_region)

    async def _retry_loop(
        self,
        strategy: StandardRetryStrategy,
        url: str,
        headers: dict[str, str],
        body: bytes,
        scheme: str,
        identity: Credentials,
        region: str,
    ) -> tuple[HttpResponse, dict[str, Any]]:
        """``retryMiddleware`` (standard or adaptive strategy) around signing, sending and deserializing."""
        if isinstance(strategy, AdaptiveRetryStrategy):
            await strategy.rate_limiter.get_send_token()
        token = strategy.acquire_initial_retry_token()
        attempts = 0
        total_retry_delay: float = 0
        while True:
            headers["amz-sdk-request"] = f"attempt={attempts + 1}; max={strategy.max_attempts}"
            try:
                response = await self._attempt(url, headers, body, scheme, identity, region)
                strategy.record_success(token)
                output_metadata = metadata_from_response(response.status, response.headers)
                output_metadata.update(attempts=attempts + 1, totalRetryDelay=total_retry_delay)
                return response, output_metadata
            except JSError as error:
                try:
                    token = strategy.refresh_retry_token_for_retry(
                        token, get_retry_error_type(error), retry_after_hint_ms(error)
                    )
                except NoRetryTokenAvailable:
                    metadata = getattr(error, "metadata", None)
                    if metadata is None:
                        metadata = {}
                        setattr(error, "metadata", metadata)
                    metadata["attempts"] = attempts + 1
                    metadata["totalRetryDelay"] = total_retry_delay
                    raise error from None
                attempts = token.retry_count
                delay = token.get_retry_delay()
                total_retry_delay += delay
                await asyncio.sleep(delay / 1000)

    async def _attempt(
        self, url: str, headers: dict[str, str], body: bytes, scheme: str, identity: Credentials, region: str
    ) -> HttpResponse:
        """One attempt: sign (httpSigningMiddleware), send, deserialize an error status.

        The SigV4 signer (``SignatureV4.signRequest``) asks the credentials provider again rather than
        using the identity the auth scheme selected: within 5 minutes of expiry that is a second
        fetch, and its keys sign the request."""
        if scheme == "sigv4":
            signing_identity = await self._credentials({"region": region, "userAgentAppId": self._app_id})
            signing_date = time.time() + self.system_clock_offset / 1000
            request_headers = sign_sigv4("POST", url, headers, body, signing_identity, region, signing_date)
        else:
            if not identity.get("token"):
                raise JSError("request could not be signed with `token` since the `token` is not defined")
            request_headers = {**headers, "authorization": f"Bearer {identity['token']}"}
        parts = urlsplit(url)
        try:
            raw = await transport.request("POST", url, headers=request_headers, body=body)
        except (aiohttp.ClientError, OSError) as exc:
            raise connection_error(exc, parts.hostname or "") from None
        response = HttpResponse(
            status=raw.status,
            headers={key.lower(): value for key, value in raw.headers.items()},
            raw=raw,
        )
        if response.status != 200 and response.status >= 300:
            data = await read_body(raw)
            failure: JSError
            try:
                failure = de_command_error(response, parse_json_body(data))
            except JSSyntaxError as syntax_error:
                failure = deserialization_error(syntax_error, response)
            if scheme == "sigv4":
                self._correct_clock_skew(failure)
            raise failure
        if scheme == "sigv4":
            date = response.headers.get("date")
            if date:
                self.system_clock_offset = updated_clock_offset(date, self.system_clock_offset)
        return response

    def _correct_clock_skew(self, error: JSError) -> None:
        """``AwsSdkSigV4Signer.errorHandler``: a server clock ≥ 5 min away moves the signing clock."""
        response: HttpResponse | None = getattr(error, "response", None)
        server_time = getattr(error, "ServerTime", None) or (response.headers.get("date") if response else None)
        if not server_time:
            return
        before = self.system_clock_offset
        self.system_clock_offset = updated_clock_offset(server_time, before)
        metadata = getattr(error, "metadata", None)
        if self.system_clock_offset != before and metadata is not None:
            metadata["clockSkewCorrected"] = True

    def _resolve_region(self) -> str:
        """The ``region`` provider: the configured region, else ``AWS_REGION``, else the profile's."""
        region = self._region or os.environ.get("AWS_REGION")
        if not region:
            profile = parse_known_files().get(os.environ.get("AWS_PROFILE") or "default", {})
            region = profile.get("region")
        if not region:
            raise JSError("Region is missing")
        return str(region)

    async def _select_auth(self, region: str, preference: list[str]) -> tuple[str, Credentials, dict[str, str]]:
        """``httpAuthSchemeMiddleware``: the preferred scheme and its identity, fetched again when
        it is about to expire (``memoizeIdentityProvider`` / ``memoizeChain``)."""
        candidates = ["sigv4", "httpBearerAuth"]
        ordered = [s for p in preference for s in candidates if s == p]
        ordered += [s for s in candidates if s not in ordered]
        if ordered[0] == "httpBearerAuth":
            token = self._token or token_from_env()
            return "httpBearerAuth", dict(token), dict(token.get("$source", {}))
        identity = await self._credentials({"region": region, "userAgentAppId": self._app_id})
        if self._credentials_supplied:
            set_credential_feature(identity, "CREDENTIALS_CODE", "e")
        return "sigv4", identity, dict(identity.get("$source", {}))
