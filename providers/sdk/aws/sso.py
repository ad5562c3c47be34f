"""SSO credentials: the cached SSO token, refreshed through SSO OIDC when it is about to expire, and
the role's credentials from the SSO portal.

Mirrors @aws-sdk/credential-provider-sso 3.922.0 (``fromSSO``, ``validateSsoProfile``,
``resolveSSOCredentials``), @aws-sdk/token-providers 3.922.0 (``fromSso``, ``getNewSsoOidcToken``,
``validateTokenKey``, ``validateTokenExpiry``, ``writeSSOTokenToFile``), @smithy/shared-ini-file-loader
(``getSSOTokenFilepath``, ``getSSOTokenFromFile``) and the nested SSO / SSO OIDC clients
(``se_GetRoleCredentialsCommand``: ``GET https://portal.sso.{region}.{dnsSuffix}/federation/credentials``;
``CreateToken``: ``POST https://oidc.{region}.{dnsSuffix}/token``). Both calls are unsigned, go
through ``providers.sdk.transport`` and are made once (the clients' retries are not reproduced).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .. import transport
from ...js import jsonjs
from ...js.errors import JSError, JSTypeError
from .config import configured_endpoint, dns_suffix, request_url
from .credentials import Credentials, CredentialsProviderError, set_credential_feature
from .http_handler import connection_error, read_body
from .protocol import extended_encode_uri_component
from .retry import send_with_retries
from .shared_ini import load_sso_session_data
from .user_agent import user_agent_headers

EXPIRE_WINDOW_S = 5 * 60
"""token-providers ``EXPIRE_WINDOW_MS``: a token this close to expiry is refreshed."""

REFRESH_ATTEMPT_INTERVAL_S = 30
"""At most one refresh attempt per 30 s (the module-wide ``lastRefreshAttemptTime``)."""

REFRESH_MESSAGE = "To refresh this SSO session run 'aws sso login' with the corresponding profile."
_SSO_REFRESH_MESSAGE = "To refresh this SSO session run aws sso login with the corresponding profile."
"""credential-provider-sso's wording (token-providers' has quotes around the command)."""

_last_refresh_attempt = 0.0


class TokenProviderError(CredentialsProviderError):
    """@smithy/property-provider ``TokenProviderError``."""

    js_constructor = "TokenProviderError"


def _token_error(message: str) -> TokenProviderError:
    error = TokenProviderError(message, try_next_link=False)
    error.name = "TokenProviderError"
    return error


def sso_token_filepath(identifier: str) -> str:
    """``getSSOTokenFilepath``: ``~/.aws/sso/cache/<sha1 of the session name or start URL>.json``."""
    digest = hashlib.sha1(identifier.encode()).hexdigest()
    return os.path.join(os.path.expanduser("~"), ".aws", "sso", "cache", f"{digest}.json")


def _read_token(identifier: str) -> dict[str, Any]:
    """``getSSOTokenFromFile``."""
    with open(sso_token_filepath(identifier), encoding="utf-8") as file:
        token: dict[str, Any] = json.loads(file.read())
    return token


def _parse_date(value: str) -> float:
    parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.timestamp()


def _iso(epoch: float) -> str:
    """``Date.prototype.toISOString``."""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _validate_token_key(key: str, value: Any, for_refresh: bool = False) -> None:
    """``validateTokenKey``."""
    if value is None:
        cannot = ". Cannot refresh" if for_refresh else ""
        raise _token_error(f"Value not present for '{key}' in SSO Token{cannot}. {REFRESH_MESSAGE}")


async def _from_sso_token(profile_name: str, profile: Mapping[str, Any], clock: Callable[[], float], app_id: str | None) -> tuple[str, float]:
    """token-providers ``fromSso()()``: (access token, expiration), refreshed when it expires within
    5 minutes (and no refresh was attempted in the last 30 s)."""
    global _last_refresh_attempt
    session_name = profile["sso_session"]
    session = load_sso_session_data().get(session_name)
    if not session:
        raise _token_error(f"Sso session '{session_name}' could not be found in shared credentials file.")
    for key in ("sso_start_url", "sso_region"):
        if not session.get(key):
            raise _token_error(f"Sso session '{session_name}' is missing required property '{key}'.")
    try:
        token = _read_token(session_name)
    except (OSError, ValueError):
        raise _token_error(
            f"The SSO session token associated with profile={profile_name} was not found or is invalid. {REFRESH_MESSAGE}"
        ) from None
    _validate_token_key("accessToken", token.get("accessToken"))
    _validate_token_key("expiresAt", token.get("expiresAt"))
    expiration = _parse_date(token["expiresAt"])
    if expiration - clock() > EXPIRE_WINDOW_S:
        return token["accessToken"], expiration
    if clock() - _last_refresh_attempt < REFRESH_ATTEMPT_INTERVAL_S:
        if expiration < clock():
            raise _token_error(f"Token is expired. {REFRESH_MESSAGE}")
        return token["accessToken"], expiration
    for key in ("clientId", "clientSecret", "refreshToken"):
        _validate_token_key(key, token.get(key), True)
    try:
        _last_refresh_attempt = clock()
        new_token = await _create_token(token, session["sso_region"], app_id)
        _validate_token_key("accessToken", new_token.get("accessToken"))
        _validate_token_key("expiresIn", new_token.get("expiresIn"))
        new_expiration = clock() + new_token["expiresIn"]
        try:
            refreshed = {**token, "accessToken": new_token["accessToken"], "expiresAt": _iso(new_expiration)}
            if new_token.get("refreshToken") is not None:
                refreshed["refreshToken"] = new_token["refreshToken"]
            else:
                refreshed.pop("refreshToken", None)  # JSON.stringify drops the undefined member
            with open(sso_token_filepath(session_name), "w", encoding="utf-8") as file:
                file.write(json.dumps(refreshed, indent=2, ensure_ascii=False))  # JSON.stringify(token, null, 2)
        except OSError:
            pass
        return new_token["accessToken"], new_expiration
    except Exception:  # noqa: BLE001 - the SDK falls back to the cached token on any failure
        if expiration < clock():
            raise _token_error(f"Token is expired. {REFRESH_MESSAGE}") from None
        return token["accessToken"], expiration


async def _create_token(token: Mapping[str, Any], region: str, app_id: str | None) -> dict[str, Any]:
    """SSO OIDC ``CreateToken`` with the refresh token (``grantType: refresh_token``)."""
    url, host = request_url(configured_endpoint("SSO OIDC") or f"https://oidc.{region}.{dns_suffix(region)}", "/token")
    body = jsonjs.dumps(
        {
            "clientId": token["clientId"],
            "clientSecret": token["clientSecret"],
            "grantType": "refresh_token",
            "refreshToken": token["refreshToken"],
        }
    ).encode()
    headers = {"content-type": "application/json", "content-length": str(len(body)), **_headers(host, app_id, "api/sso-oidc")}
    data = await _call("POST", url, headers, body)
    return data


def _headers(host: str, app_id: str | None, api: str) -> dict[str, str]:
    """The headers the middleware stack adds after the serializer's, in the SDK's order."""
    x_amz_user_agent, user_agent = user_agent_headers({"RETRY_MODE_STANDARD": "E"}, app_id, api)
    return {
        "x-amz-user-agent": x_amz_user_agent,
        "user-agent": user_agent,
        "host": host,
        "amz-sdk-invocation-id": str(uuid.uuid4()),
    }


async def _call(method: str, url: str, headers: dict[str, str], body: bytes | None = None) -> dict[str, Any]:
    """A restJson1 call with the standard retries: the parsed body, or the modeled error."""

    async def attempt(request_header: str) -> dict[str, Any]:
        headers["amz-sdk-request"] = request_header
        return await _attempt(method, url, headers, body)

    return await send_with_retries(attempt)


async def _attempt(method: str, url: str, headers: dict[str, str], body: bytes | None) -> dict[str, Any]:
    try:
        response = await transport.request(method, url, headers=headers, body=body, limited=False)
    except (aiohttp.ClientError, OSError) as error:
        raise connection_error(error, urlsplit(url).hostname or "") from None
    text = (await read_body(response)).decode("utf-8", "replace")
    data = jsonjs.loads(text) if text else {}
    if response.status >= 300:
        error_type = response.headers.get("x-amzn-errortype") or (data.get("__type") if isinstance(data, dict) else None)
        name = str(error_type or response.status).split(":")[0].split("#")[-1]
        message = (data.get("message") or data.get("Message")) if isinstance(data, dict) else None
        raise JSError(message or "UnknownError", name=name, metadata={"httpStatusCode": response.status})
    if not isinstance(data, dict):
        raise JSError("Expected object")
    return data


def _validate_sso_profile(profile: Mapping[str, Any]) -> None:
    """``validateSsoProfile``."""
    if not all(profile.get(key) for key in ("sso_start_url", "sso_account_id", "sso_region", "sso_role_name")):
        raise CredentialsProviderError(
            'Profile is configured with invalid SSO credentials. Required parameters "sso_account_id", '
            f'"sso_region", "sso_role_name", "sso_start_url". Got {", ".join(profile)}\n'
            "Reference: https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sso.html",
            try_next_link=False,
        )


async def from_sso(
    profile_name: str, profile: Mapping[str, Any], clock: Callable[[], float], app_id: str | None
) -> Credentials:
    """``fromSSO({profile})()`` for an SSO profile (``sso_session`` or the legacy ``sso_start_url``)."""
    profile = dict(profile)
    if profile.get("sso_session"):
        session = load_sso_session_data().get(profile["sso_session"])
        if session is None:
            raise JSTypeError("Cannot read properties of undefined (reading 'sso_region')")
        profile["sso_region"] = session.get("sso_region")
        profile["sso_start_url"] = session.get("sso_start_url")
    _validate_sso_profile(profile)
    if profile.get("sso_session"):
        try:
            access_token, expires_at = await _from_sso_token(profile_name, profile, clock, app_id)
        except CredentialsProviderError as error:
            raise CredentialsProviderError(error.message, try_next_link=False) from None
    else:
        try:
            token = _read_token(profile["sso_start_url"])
            access_token, expires_at = token["accessToken"], _parse_date(token["expiresAt"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise CredentialsProviderError(
                f"The SSO session associated with this profile is invalid. {_SSO_REFRESH_MESSAGE}", try_next_link=False
            ) from None
    if expires_at - clock() <= 0:
        raise CredentialsProviderError(
            f"The SSO session associated with this profile has expired. {_SSO_REFRESH_MESSAGE}", try_next_link=False
        )
    region = profile["sso_region"]
    url, host = request_url(
        configured_endpoint("SSO") or f"https://portal.sso.{region}.{dns_suffix(region)}", "/federation/credentials"
    )
    query = "&".join(
        f"{key}={extended_encode_uri_component(str(profile[member]))}"
        for key, member in (("account_id", "sso_account_id"), ("role_name", "sso_role_name"))  # sorted by name
    )
    headers = {"x-amz-sso_bearer_token": access_token, **_headers(host, app_id, "api/sso")}
    try:
        response = await _call("GET", f"{url}?{query}", headers)
    except JSError as error:
        # new CredentialsProviderError(e): the message is String(e), "name: message"
        raise CredentialsProviderError(f"{error.name}: {error.message}", try_next_link=False) from None
    role = response.get("roleCredentials") or {}
    if not all(role.get(key) for key in ("accessKeyId", "secretAccessKey", "sessionToken", "expiration")):
        raise CredentialsProviderError("SSO returns an invalid temporary credential.", try_next_link=False)
    credentials: Credentials = {
        "accessKeyId": role["accessKeyId"],
        "secretAccessKey": role["secretAccessKey"],
        "sessionToken": role["sessionToken"],
        "expiration": role["expiration"] / 1000,
    }
    if role.get("credentialScope"):
        credentials["credentialScope"] = role["credentialScope"]
    if role.get("accountId"):
        credentials["accountId"] = role["accountId"]
    if profile.get("sso_session"):
        return set_credential_feature(credentials, "CREDENTIALS_SSO", "s")
    return set_credential_feature(credentials, "CREDENTIALS_SSO_LEGACY", "u")
