"""google-auth-library's workload identity federation: ``external_account`` credentials.

Both versions behind the goldens (10.5.0 and 9.15.1, see ``google_auth``): ``externalclient.js``
(which client a configuration builds), ``baseexternalclient.js`` (the STS exchange, the optional
service-account impersonation, the project lookup at Cloud Resource Manager),
``identitypoolclient.js`` with ``filesubjecttokensupplier.js`` and ``urlsubjecttokensupplier.js``
(the subject token), ``stscredentials.js`` and ``oauth2common.js`` (the token exchange request and
its OAuth error); ``externalAccountAuthorizedUserClient.js`` (``external_account_authorized_user``:
a workforce user's refresh token); ``awsclient.js`` with ``defaultawssecuritycredentialssupplier.js``
and ``awsrequestsigner.js`` (a signed ``GetCallerIdentity`` request as the subject token).
Executable- and certificate-sourced subject tokens are not ported: they raise ``JSError`` naming
the source.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import math
import os
import re
import time
import urllib.parse
from typing import Any, cast

from . import gaxios
from ..js.errors import JSError, JSRangeError, JSTypeError
from .gaxios import GaxiosError
from .google_auth import (
    CLOUD_PLATFORM_SCOPE,
    DEFAULT_EAGER_REFRESH_THRESHOLD_MILLIS,
    DEFAULT_UNIVERSE,
    RETRY_POST,
    V9,
    V10,
    _api_client_header,
    _date_parse,
    _Library,
    _node_fs_error,
    now_ms,
)
from ..js.jsonjs import dumps, js_get, js_string, js_truthy, loads

__all__ = [
    "AwsClient",
    "BaseExternalAccountClient",
    "ExternalAccountAuthorizedUserClient",
    "IdentityPoolClient",
    "external_account_client_from_json",
]

STS_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
STS_REQUEST_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
DEFAULT_TOKEN_LIFESPAN = 3600
DEFAULT_TOKEN_URL = "https://sts.{universeDomain}/v1/token"
DEFAULT_AUTHORIZED_USER_TOKEN_URL = "https://sts.{universeDomain}/v1/oauthtoken"
WORKFORCE_AUDIENCE_PATTERN = re.compile(r"//iam\.googleapis\.com/locations/[^/]+/workforcePools/[^/]+/providers/.+")
_PROJECT_NUMBER = re.compile(r"/projects/([^/]+)")


def external_account_client_from_json(lib: _Library, options: Any) -> BaseExternalAccountClient:
    """``ExternalAccountClient.fromJSON``: AWS, executable or identity pool by ``credential_source``."""
    source = js_get(options, "credential_source")
    if js_truthy(js_get(source, "environment_id")):
        return AwsClient(lib, options)
    if js_truthy(js_get(source, "executable")):
        raise JSError("google-auth-library external_account credentials with an executable credential_source are not ported")
    return IdentityPoolClient(lib, options)


def _interceptor_headers(lib: _Library, headers: dict[str, str]) -> dict[str, str]:
    """The auth client's request interceptor (10.x) / ``DefaultTransporter.configure`` (9.x): the
    library's user agent (appended to one given), then ``x-goog-api-client`` unless set."""
    names = {name.lower(): name for name in headers}
    user_agent_name = names.get("user-agent")
    if user_agent_name is None:
        headers["User-Agent" if lib.version == V9 else "user-agent"] = lib.user_agent
    elif lib.user_agent not in headers[user_agent_name]:
        headers[user_agent_name] = f"{headers[user_agent_name]} {lib.user_agent}"
    if "x-goog-api-client" not in names:
        headers["x-goog-api-client"] = _api_client_header()
    return headers


def _finish_headers(lib: _Library, headers: dict[str, str], *, json_response: bool) -> dict[str, str]:
    """What gaxios and node-fetch add: 10.x sorts (a ``Headers`` object) and adds ``accept`` /
    ``accept-encoding``; 9.x appends ``Accept`` (``application/json`` for a JSON response type)
    and ``Accept-Encoding``."""
    if lib.version == V10:
        lowered = {k.lower(): v for k, v in headers.items()}
        lowered.setdefault("accept", "*/*")
        lowered.setdefault("accept-encoding", lib.accept_encoding)
        return dict(sorted(lowered.items()))
    if not any(k.lower() == "accept" for k in headers):
        headers["Accept"] = "application/json" if json_response else "*/*"
    headers["Accept-Encoding"] = lib.accept_encoding
    return headers


async def _post_form(lib: _Library, url: str, headers: dict[str, str], pairs: list[tuple[str, str]]) -> Any:
    """An OAuth form POST through gaxios (retried as POSTs are); an error answer becomes the
    library's OAuth error, a request that got no answer raises as gaxios raised it."""
    try:
        response = await gaxios.request(
            lib.gaxios, "POST", url, headers, lib.form_encode(pairs).encode(),
            response_type="json" if lib.version == V9 else "unknown", retry=RETRY_POST,
            transporter=lib.version == V9,
        )
    except GaxiosError as err:
        if not err.has_response:
            raise
        raise _oauth_error(err) from None
    return response.data


class StsCredentials:
    """``StsCredentials``: the OAuth 2.0 token exchange (RFC 8693) at ``tokenExchangeEndpoint``."""

    def __init__(self, lib: _Library, endpoint: str, client_auth: tuple[str, str] | None) -> None:
        self._lib = lib
        self._endpoint = endpoint
        self._client_auth = client_auth

    async def exchange_token(
        self, options: dict[str, Any], metrics: str, additional_options: dict[str, Any] | None
    ) -> dict[str, Any]:
        """``exchangeToken``: the form POST; an error response becomes ``Error code …``."""
        lib = self._lib
        values = {
            "grant_type": options["grantType"],
            "audience": options["audience"],
            "scope": " ".join(js_string(s) for s in options["scope"]),
            "requested_token_type": options["requestedTokenType"],
            "subject_token": options["subjectToken"],
            "subject_token_type": options["subjectTokenType"],
            "options": dumps(additional_options) if additional_options else None,
        }
        pairs = [(k, js_string(v)) for k, v in values.items() if v is not None]
        headers: dict[str, str]
        if lib.version == V10:  # its own Gaxios: no auth interceptor, node-fetch's user agent
            headers = {"content-type": "application/x-www-form-urlencoded;charset=UTF-8", "user-agent": "node-fetch",
                       "x-goog-api-client": metrics}
        else:
            headers = {"Content-Type": "application/x-www-form-urlencoded", "x-goog-api-client": metrics}
        if self._client_auth is not None:
            client_id, client_secret = self._client_auth
            basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
            headers["authorization" if lib.version == V10 else "Authorization"] = f"Basic {basic}"
        if lib.version == V9:
            headers = _interceptor_headers(lib, headers)
        headers = _finish_headers(lib, headers, json_response=True)
        data = await _post_form(lib, self._endpoint, headers, pairs)
        return dict(data) if isinstance(data, dict) else {}


def _oauth_error(err: GaxiosError) -> JSError:
    """``getErrorFromOAuthErrorResponse``: ``Error code E: description - uri``, the rest kept."""
    data = err.response_data
    message = f"Error code {_js_text(js_get(data, 'error'))}"
    if js_get(data, "error_description") is not None:
        message += f": {_js_text(js_get(data, 'error_description'))}"
    if js_get(data, "error_uri") is not None:
        message += f" - {_js_text(js_get(data, 'error_uri'))}"
    return JSError(message, status=err.status, code=err.code)


def _js_text(value: Any) -> str:
    return "undefined" if value is None else js_string(value)


class _CachedBearerClient:
    """What both external-account clients share (``AuthClient``'s ``getAccessToken`` and
    ``getRequestHeaders`` over a cached token); each subclass refreshes its own way."""

    _lib: _Library
    quota_project_id: Any
    eager_refresh_threshold_millis: float
    cached_access_token: dict[str, Any] | None

    async def _refresh_access_token_async(self) -> Any:
        raise NotImplementedError

    async def get_access_token(self) -> Any:
        """``getAccessToken()``: the cached token unless it expires within the threshold."""
        if self.cached_access_token is None or _is_expired(self.cached_access_token, self.eager_refresh_threshold_millis):
            await self._refresh_access_token_async()
        assert self.cached_access_token is not None
        return self.cached_access_token.get("access_token")

    async def get_request_headers(self, url: str | None = None) -> dict[str, str]:
        """``getRequestHeaders()``: the bearer token and ``x-goog-user-project``."""
        token = await self.get_access_token()
        headers = {self._lib.auth_header_name: f"Bearer {_js_text(token)}"}
        if self.quota_project_id:
            headers["x-goog-user-project"] = js_string(self.quota_project_id)
        return headers


class BaseExternalAccountClient(_CachedBearerClient):
    """``BaseExternalAccountClient``: subject token → STS → (impersonation) → access token."""

    credential_source_type: str | None = None

    def __init__(self, lib: _Library, options: dict[str, Any]) -> None:
        self._lib = lib
        self.quota_project_id: Any = options.get("quota_project_id")
        self.universe_domain: str = options.get("universe_domain") or DEFAULT_UNIVERSE
        self.eager_refresh_threshold_millis = DEFAULT_EAGER_REFRESH_THRESHOLD_MILLIS
        self.project_id: Any = None
        client_id = options.get("client_id")
        token_url = options.get("token_url")
        self.token_url = token_url if token_url is not None else DEFAULT_TOKEN_URL.replace(
            "{universeDomain}", self.universe_domain
        )
        impersonation = options.get("service_account_impersonation")
        lifetime = js_get(impersonation, "token_lifetime_seconds")
        self.cloud_resource_manager_url = (
            options.get("cloud_resource_manager_url") or f"https://cloudresourcemanager.{self.universe_domain}/v1/projects/"
        )
        self.client_auth = (js_string(client_id), js_string(options.get("client_secret") or "")) if client_id else None
        self.sts_credential = StsCredentials(lib, self.token_url, self.client_auth)
        self.scopes: Any = options.get("scopes") or [CLOUD_PLATFORM_SCOPE]
        self.cached_access_token: dict[str, Any] | None = None
        self.audience: Any = options.get("audience")
        self.subject_token_type = options.get("subject_token_type")
        self.workforce_pool_user_project = options.get("workforce_pool_user_project")
        if self.workforce_pool_user_project and not (
            isinstance(self.audience, str) and WORKFORCE_AUDIENCE_PATTERN.search(self.audience)
        ):
            raise JSError("workforcePoolUserProject should not be set for non-workforce pool credentials.")
        self.service_account_impersonation_url = options.get("service_account_impersonation_url")
        self.config_lifetime_requested = js_truthy(lifetime)
        self.service_account_impersonation_lifetime = lifetime if js_truthy(lifetime) else DEFAULT_TOKEN_LIFESPAN
        self.project_number = self._get_project_number(self.audience)
        self._pending: asyncio.Future[dict[str, Any]] | None = None

    async def get_project_id(self) -> Any:
        """``getProjectId()``: ``GET {cloud_resource_manager_url}{project number}`` (once)."""
        project_number = self.project_number or self.workforce_pool_user_project
        if js_truthy(self.project_id):
            return self.project_id
        if not project_number:
            return None
        lib = self._lib
        headers = _finish_headers(lib, _interceptor_headers(lib, await self.get_request_headers()), json_response=True)
        response = await gaxios.request(
            lib.gaxios, "GET", f"{self.cloud_resource_manager_url}{js_string(project_number)}", headers,
            response_type="json" if lib.version == V9 else "unknown", retry=RETRY_POST, transporter=lib.version == V9,
        )
        self.project_id = js_get(response.data, "projectId")
        return self.project_id

    async def _refresh_access_token_async(self) -> dict[str, Any]:
        """``refreshAccessTokenAsync``: concurrent refreshes share one."""
        if self._pending is None:
            self._pending = asyncio.ensure_future(self._internal_refresh_access_token_async())
        try:
            return await asyncio.shield(self._pending)
        finally:
            self._pending = None

    async def _internal_refresh_access_token_async(self) -> dict[str, Any]:
        subject_token = await self.retrieve_subject_token()
        options = {
            "grantType": STS_GRANT_TYPE,
            "audience": self.audience,
            "requestedTokenType": STS_REQUEST_TOKEN_TYPE,
            "subjectToken": subject_token,
            "subjectTokenType": self.subject_token_type,
            "scope": [CLOUD_PLATFORM_SCOPE] if self.service_account_impersonation_url else self._get_scopes_array(),
        }
        additional = (
            {"userProject": self.workforce_pool_user_project}
            if self.client_auth is None and self.workforce_pool_user_project
            else None
        )
        sts_response = await self.sts_credential.exchange_token(options, self._metrics_header_value(), additional)
        if self.service_account_impersonation_url:
            self.cached_access_token = await self._get_impersonated_access_token(sts_response.get("access_token"))
        elif js_truthy(sts_response.get("expires_in")):
            self.cached_access_token = {
                "access_token": sts_response.get("access_token"),
                "expiry_date": now_ms() + sts_response["expires_in"] * 1000,
            }
        else:
            self.cached_access_token = {"access_token": sts_response.get("access_token")}
        return self.cached_access_token

    @staticmethod
    def _get_project_number(audience: Any) -> str | None:
        if not isinstance(audience, str):
            raise JSTypeError(f"Cannot read properties of {'null' if audience is None else 'undefined'} (reading 'match')")
        match = _PROJECT_NUMBER.search(audience)
        return match.group(1) if match else None

    async def _get_impersonated_access_token(self, token: Any) -> dict[str, Any]:
        """``getImpersonatedAccessToken``: ``POST service_account_impersonation_url``."""
        lib = self._lib
        auth_name = "authorization" if lib.version == V10 else "Authorization"
        content_type = "content-type" if lib.version == V10 else "Content-Type"
        headers = {content_type: "application/json", auth_name: f"Bearer {_js_text(token)}"}
        headers = _finish_headers(lib, _interceptor_headers(lib, headers), json_response=True)
        body = {"scope": self._get_scopes_array(), "lifetime": f"{js_string(self.service_account_impersonation_lifetime)}s"}
        response = await gaxios.request(
            lib.gaxios, "POST", js_string(self.service_account_impersonation_url), headers, dumps(body).encode(),
            response_type="json" if lib.version == V9 else "unknown", retry=RETRY_POST, transporter=lib.version == V9,
        )
        return {
            "access_token": js_get(response.data, "accessToken"),
            "expiry_date": _date_parse(js_get(response.data, "expireTime")),
        }

    def _get_scopes_array(self) -> list[Any]:
        if isinstance(self.scopes, str):
            return [self.scopes]
        return self.scopes or [CLOUD_PLATFORM_SCOPE]

    def _metrics_header_value(self) -> str:
        """``getMetricsHeaderValue``: this runtime's version where the reference names Node's."""
        return (
            f"{_api_client_header()} auth/{self._lib.version} google-byoid-sdk "
            f"source/{self.credential_source_type or 'unknown'} "
            f"sa-impersonation/{'true' if self.service_account_impersonation_url is not None else 'false'} "
            f"config-lifetime/{'true' if self.config_lifetime_requested else 'false'}"
        )

    async def retrieve_subject_token(self) -> Any:
        raise NotImplementedError


class IdentityPoolClient(BaseExternalAccountClient):
    """``IdentityPoolClient``: the subject token from a file or a URL."""

    def __init__(self, lib: _Library, options: dict[str, Any]) -> None:
        super().__init__(lib, options)
        source = options.get("credential_source")
        if not js_truthy(source):
            raise JSError("A credential source or subject token supplier must be specified.")
        format_ = js_get(source, "format")
        self.format_type = js_get(format_, "type") or "text"
        self.field_name = js_get(format_, "subject_token_field_name")
        if self.format_type not in ("json", "text"):
            raise JSError(f'Invalid credential_source format "{js_string(self.format_type)}"')
        if self.format_type == "json" and not js_truthy(self.field_name):
            raise JSError("Missing subject_token_field_name for JSON credential_source format")
        self.file, self.url = js_get(source, "file"), js_get(source, "url")
        certificate = js_get(source, "certificate")
        chosen = [name for name, value in (("file", self.file), ("url", self.url), ("certificate", certificate))
                  if js_truthy(value)]
        if len(chosen) != 1:
            raise JSError(
                'No valid Identity Pool "credential_source" provided, must be either file, url, or certificate.'
            )
        if chosen[0] == "certificate":
            raise JSError("google-auth-library external_account credentials with a certificate credential_source are not ported")
        self.credential_source_type = chosen[0]
        self.url_headers = js_get(source, "headers")

    async def retrieve_subject_token(self) -> Any:
        if self.credential_source_type == "file":
            return self._file_subject_token()
        return await self._url_subject_token()

    def _file_subject_token(self) -> Any:
        """``FileSubjectTokenSupplier.getSubjectToken``."""
        path = js_string(self.file)
        try:
            resolved = os.path.realpath(path, strict=True)
        except OSError as exc:
            failing = exc.filename if isinstance(exc.filename, str) else path
            error = _node_fs_error(exc, "lstat", failing)
            raise JSError(f"The file at {path} does not exist, or it is not a file. {error.message}", code=error.code) from None
        if not os.path.isfile(resolved):
            raise JSError(f"The file at {resolved} does not exist, or it is not a file. ")
        with open(resolved, "rb") as handle:
            raw_text = handle.read().decode("utf-8", "replace")
        token = raw_text if self.format_type == "text" else js_get(loads(raw_text), js_string(self.field_name))
        if not js_truthy(token):
            raise JSError("Unable to parse the subject_token from the credential_source file")
        return token

    async def _url_subject_token(self) -> Any:
        """``UrlSubjectTokenSupplier.getSubjectToken``: ``GET url`` with the configured headers."""
        lib = self._lib
        given = {js_string(k): js_string(v) for k, v in self.url_headers.items()} if isinstance(self.url_headers, dict) else {}
        headers = _finish_headers(lib, _interceptor_headers(lib, given), json_response=self.format_type == "json")
        response = await gaxios.request(
            lib.gaxios, "GET", js_string(self.url), headers,
            response_type=js_string(self.format_type) if lib.version == V9 else "unknown",
            retry=RETRY_POST, transporter=lib.version == V9,
        )
        token = response.data if self.format_type == "text" else js_get(response.data, js_string(self.field_name))
        if not js_truthy(token):
            raise JSError("Unable to parse the subject_token from the credential_source URL")
        return token


class ExternalAccountAuthorizedUserClient(_CachedBearerClient):
    """``ExternalAccountAuthorizedUserClient`` (``externalAccountAuthorizedUserClient.js``): a
    workforce user's refresh token, traded at ``token_url`` with the client id as HTTP Basic."""

    def __init__(self, lib: _Library, options: dict[str, Any]) -> None:
        self._lib = lib
        self.universe_domain: str = options.get("universe_domain") or DEFAULT_UNIVERSE
        self.project_id: Any = None
        self.scopes: Any = None
        self.refresh_token = options.get("refresh_token")
        token_url = options.get("token_url")
        self.token_url = js_string(token_url if token_url is not None else DEFAULT_AUTHORIZED_USER_TOKEN_URL.replace(
            "{universeDomain}", self.universe_domain
        ))
        self.client_auth = (_js_text(options.get("client_id")), js_string(options.get("client_secret") or ""))
        self.quota_project_id: Any = options.get("quota_project_id")
        self.eager_refresh_threshold_millis = DEFAULT_EAGER_REFRESH_THRESHOLD_MILLIS
        self.cached_access_token: dict[str, Any] | None = None

    async def get_project_id(self) -> Any:
        return self.project_id

    async def _refresh_access_token_async(self) -> None:
        """``ExternalAccountAuthorizedUserHandler.refreshToken`` through the client's transporter."""
        lib = self._lib
        basic = base64.b64encode(":".join(self.client_auth).encode()).decode("ascii")
        if lib.version == V10:
            headers = {"authorization": f"Basic {basic}", "content-type": "application/x-www-form-urlencoded;charset=UTF-8"}
        else:
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"}
        headers = _finish_headers(lib, _interceptor_headers(lib, headers), json_response=True)
        pairs = [("grant_type", "refresh_token"), ("refresh_token", _js_text(self.refresh_token))]
        data = await _post_form(lib, self.token_url, headers, pairs)
        self.cached_access_token = {
            "access_token": js_get(data, "access_token"),
            "expiry_date": now_ms() + _number(js_get(data, "expires_in")) * 1000,
        }
        if js_get(data, "refresh_token") is not None:
            self.refresh_token = data["refresh_token"]


def _number(value: Any) -> float:
    """JavaScript's ``*`` on a response field: NaN for anything not a number."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan


def _is_expired(token: dict[str, Any], eager_refresh_threshold_millis: float) -> bool:
    """``isExpired``: no (or a NaN) expiry never expires."""
    expiry_date = token.get("expiry_date")
    if not js_truthy(expiry_date) or expiry_date != expiry_date:
        return False
    return bool(now_ms() >= cast(float, expiry_date) - eager_refresh_threshold_millis)


class AwsClient(BaseExternalAccountClient):
    """``AwsClient``: the subject token is a ``GetCallerIdentity`` request signed (SigV4) with AWS
    credentials from the environment or the EC2 metadata service (IMDSv2 when configured)."""

    credential_source_type = "aws"

    def __init__(self, lib: _Library, options: dict[str, Any]) -> None:
        super().__init__(lib, options)
        source = options.get("credential_source")
        self.environment_id = js_get(source, "environment_id")
        self.region_url = js_get(source, "region_url")
        self.security_credentials_url = js_get(source, "url")
        self.imdsv2_session_token_url = js_get(source, "imdsv2_session_token_url")
        self.regional_cred_verification_url = js_get(source, "regional_cred_verification_url")
        match = re.match(r"^(aws)(\d+)$", self.environment_id) if isinstance(self.environment_id, str) else None
        if not match or not js_truthy(self.regional_cred_verification_url):
            raise JSError('No valid AWS "credential_source" provided')
        if int(match.group(2)) != 1:
            raise JSError(f'aws version "{match.group(2)}" is not supported in the current build.')
        self.region: str | None = None

    async def retrieve_subject_token(self) -> Any:
        """``retrieveSubjectToken``: the signed request as URL-encoded JSON."""
        if self.region is None:
            self.region = await self._get_aws_region()
        credentials = await self._get_aws_security_credentials()
        url = js_string(self.regional_cred_verification_url).replace("{region}", self.region)
        signed = _aws_signed_headers(self._lib, url, "POST", self.region, credentials)
        target = ("x-goog-cloud-target-resource", js_string(self.audience))
        if self._lib.version == V10:  # a Headers object: lower-case names, sorted
            headers = sorted([target, *((k.lower(), v) for k, v in signed)])
        else:
            headers = [target, *signed]
        token = dumps({"url": url, "method": "POST", "headers": [{"key": k, "value": v} for k, v in headers]})
        return urllib.parse.quote(token, safe="-_.!~*'()")

    async def _get_aws_region(self) -> str:
        """``getAwsRegion``: ``AWS_REGION`` / ``AWS_DEFAULT_REGION``, else the zone without its letter."""
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if region:
            return region
        headers: dict[str, str] = {}
        if self.imdsv2_session_token_url:
            headers["x-aws-ec2-metadata-token"] = js_string(await self._get_imdsv2_session_token())
        if not self.region_url:
            raise JSRangeError('Unable to determine AWS region due to missing "options.credential_source.region_url"')
        zone = await self._metadata_request("GET", js_string(self.region_url), headers, "text")
        return js_string(zone)[:-1]

    async def _get_aws_security_credentials(self) -> dict[str, Any]:
        """``getAwsSecurityCredentials``: the environment's keys, else the instance role's."""
        key_id, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
        if key_id and secret:
            return {"accessKeyId": key_id, "secretAccessKey": secret, "token": os.environ.get("AWS_SESSION_TOKEN")}
        headers: dict[str, str] = {}
        if self.imdsv2_session_token_url:
            headers["x-aws-ec2-metadata-token"] = js_string(await self._get_imdsv2_session_token())
        if not self.security_credentials_url:
            raise JSError('Unable to determine AWS role name due to missing "options.credential_source.url"')
        role = await self._metadata_request("GET", js_string(self.security_credentials_url), dict(headers), "text")
        creds = await self._metadata_request(
            "GET", f"{js_string(self.security_credentials_url)}/{js_string(role)}", dict(headers), "json"
        )
        return {"accessKeyId": js_get(creds, "AccessKeyId"), "secretAccessKey": js_get(creds, "SecretAccessKey"),
                "token": js_get(creds, "Token")}

    async def _get_imdsv2_session_token(self) -> Any:
        headers = {"x-aws-ec2-metadata-token-ttl-seconds": "300"}
        return await self._metadata_request("PUT", js_string(self.imdsv2_session_token_url), headers, "text")

    async def _metadata_request(self, method: str, url: str, headers: dict[str, str], v9_type: str) -> Any:
        """One metadata request through the client's transporter (no retries configured)."""
        lib = self._lib
        headers = _finish_headers(lib, _interceptor_headers(lib, headers), json_response=v9_type == "json")
        response = await gaxios.request(
            lib.gaxios, method, url, headers, b"" if method == "PUT" else None,
            response_type=v9_type if lib.version == V9 else "unknown", transporter=lib.version == V9,
        )
        return response.data


def _aws_signed_headers(
    lib: _Library, url: str, method: str, region: str, credentials: dict[str, Any]
) -> list[tuple[str, str]]:
    """``AwsRequestSigner.getRequestOptions`` for a body-less request: ``x-amz-date``,
    ``authorization``, ``host`` and, with a session token, ``x-amz-security-token``."""
    parts = urllib.parse.urlsplit(url)
    host, canonical_uri, query = parts.netloc, parts.path or "/", parts.query
    service = host.split(".")[0]
    now = time.gmtime(now_ms() / 1000)
    amz_date, date_stamp = time.strftime("%Y%m%dT%H%M%SZ", now), time.strftime("%Y%m%d", now)
    token = credentials.get("token")
    amz_headers = {"host": host, "x-amz-date": amz_date, **({"x-amz-security-token": js_string(token)} if token else {})}
    signed_headers = ";".join(sorted(amz_headers))
    canonical_headers = "".join(f"{k}:{amz_headers[k]}\n" for k in sorted(amz_headers))
    payload_hash = hashlib.sha256(b"").hexdigest()
    canonical_request = f"{method}\n{canonical_uri}\n{query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}"
    scope = f"{date_stamp}/{region}/{service}/aws4_request"
    string_to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    key = f"AWS4{_js_text(credentials.get('secretAccessKey'))}".encode()
    for part in (date_stamp, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = (f"AWS4-HMAC-SHA256 Credential={_js_text(credentials.get('accessKeyId'))}/{scope}, "
                     f"SignedHeaders={signed_headers}, Signature={signature}")
    auth_name = "authorization" if lib.version == V10 else "Authorization"
    headers = [("x-amz-date", amz_date), (auth_name, authorization), ("host", host)]
    if token:
        headers.append(("x-amz-security-token", js_string(token)))
    return headers
