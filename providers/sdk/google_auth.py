"""google-auth-library as the reference runs it: service-account JWTs, ADC, token requests.

Two versions sit behind the goldens and both are here, selected per ``GoogleAuth``:

- **10.5.0** (used by @google/genai 1.29.1): ``build/src/auth/googleauth.js`` (ADC and its
  project-id lookups), ``jwtclient.js`` with ``jwtaccess.js`` (self-signed JWTs),
  ``oauth2client.js``, ``refreshclient.js``, ``computeclient.js`` (the metadata server),
  ``impersonated.js``, ``authclient.js`` (request interceptor), with gtoken 8.0.0
  (``POST https://oauth2.googleapis.com/token``), gaxios 7.1.3 (``providers.sdk.gaxios``),
  gcp-metadata 8.1.2 (``providers.sdk.gcp_metadata``) and node-fetch 3.3.2.
- **9.15.1** (used by @anthropic-ai/vertex-sdk 0.7.0): the same files plus ``transporters.js``
  (``DefaultTransporter.processError``), with gtoken 7.1.0
  (``POST https://www.googleapis.com/oauth2/v4/token``), gaxios 6.7.1, gcp-metadata 6.1.1 and
  node-fetch 2.7.0.

``external_account`` and ``external_account_authorized_user`` credentials live in
``providers.sdk.google_external_account``. google-auth (Python) is used only to parse the
service account's PEM key and sign RS256; every request goes out through
``providers.sdk.transport`` with the reference's headers, body and gaxios retry policy. Caches
(the client, the access token, the project id) live on the ``GoogleAuth`` instance, as in the
reference, where every handler builds its own: a new handler starts empty. Expiries are computed
from ``clock`` (``time.time``), which a test may replace.

Use::

    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], credentials=parsed_json, version=V9)
    client = await auth.get_client()            # JWT | UserRefreshClient | Compute | …; .project_id
    headers = await auth.get_request_headers()  # {"Authorization": "Bearer …"} (V9; "authorization" in V10)
    project = await auth.get_project_id()

Failures raise what the reference throws: ``GaxiosError`` (``status``, ``code``) for the token
exchange, ``JSError`` for credential and file problems, with the reference's texts.
"""

from __future__ import annotations

import asyncio
import base64
import errno
import math
import os
import platform
import re
import time
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, TypeAlias, TypeGuard, cast

from . import gaxios, gcp_metadata
from ..js.errors import JSError, JSRangeError, JSTypeError
from .gaxios import GaxiosError
from ..js.jsonjs import dumps, js_get, js_string, js_truthy, loads
from ..js.whatwg_url import url_search_params

if TYPE_CHECKING:
    from .google_external_account import BaseExternalAccountClient, ExternalAccountAuthorizedUserClient

__all__ = [
    "V10",
    "V9",
    "CLOUD_PLATFORM_SCOPE",
    "Compute",
    "GaxiosError",
    "GoogleAuth",
    "Impersonated",
    "JWT",
    "UserRefreshClient",
]

V10 = "10.5.0"
V9 = "9.15.1"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"

DEFAULT_UNIVERSE = "googleapis.com"
DEFAULT_EAGER_REFRESH_THRESHOLD_MILLIS = 5 * 60 * 1000
OAUTH2_TOKEN_URL = "https://oauth2.googleapis.com/token"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
USER_REFRESH_ACCOUNT_TYPE = "authorized_user"
IMPERSONATED_ACCOUNT_TYPE = "impersonated_service_account"
EXTERNAL_ACCOUNT_TYPE = "external_account"
EXTERNAL_ACCOUNT_AUTHORIZED_USER_TYPE = "external_account_authorized_user"
_TARGET_PRINCIPAL = re.compile(r"(?P<target>[^/]+):(generateAccessToken|generateIdToken)$")
_ENV = object()  # "read GOOGLE_CLOUD_QUOTA_PROJECT": #prepareAndCacheClient's default argument

# googleauth.js: GoogleAuthExceptionMessages
NO_PROJECT_ID_FOUND = (
    "Unable to detect a Project Id in the current environment. \n"
    "To learn more about authentication and Google APIs, visit: \n"
    "https://cloud.google.com/docs/authentication/getting-started"
)
NO_ADC_FOUND = (
    "Could not load the default credentials. Browse to "
    "https://cloud.google.com/docs/authentication/getting-started for more information."
)

# gtoken's and the auth clients' RETRY_CONFIG: every method, POST included
RETRY_POST = gaxios.Retry(methods=gaxios.ALL_METHODS_TO_RETRY)

# Node's OpenSSL 3 error for a private key it cannot decode (crypto.createSign().sign()).
UNDECODABLE_KEY_MESSAGE = "error:1E08010C:DECODER routines::unsupported"


def _form_querystring(pairs: list[tuple[str, str]]) -> str:
    """Node's ``querystring.stringify(obj)``."""
    safe = "!'()*~"
    return "&".join(f"{urllib.parse.quote(k, safe=safe)}={urllib.parse.quote(v, safe=safe)}" for k, v in pairs)


@dataclass(frozen=True)
class _Library:
    """What differs between google-auth-library 10.5.0 and 9.15.1 (and the stacks under them)."""

    version: str
    gtoken_url: str
    # the content-type the JWT grant ends up with: node-fetch 3 sets it for URLSearchParams;
    # gtoken 7 sets it itself
    jwt_form_content_type: str
    refresh_form_content_type: str
    accept_encoding: str  # node-fetch 3 / node-fetch 2
    form_encode: Callable[[list[tuple[str, str]]], str]
    auth_header_name: str  # Headers (v10, lower-case when iterated) / plain object (v9)
    gaxios: str  # the gaxios (and gcp-metadata) under it

    @property
    def user_agent(self) -> str:
        return f"google-api-nodejs-client/{self.version}"


_LIBRARIES = {
    V10: _Library(
        version=V10,
        gtoken_url="https://oauth2.googleapis.com/token",
        jwt_form_content_type="application/x-www-form-urlencoded;charset=UTF-8",
        refresh_form_content_type="application/x-www-form-urlencoded;charset=UTF-8",
        accept_encoding="gzip, deflate, br",
        form_encode=url_search_params,
        auth_header_name="authorization",
        gaxios=gaxios.V7,
    ),
    V9: _Library(
        version=V9,
        gtoken_url="https://www.googleapis.com/oauth2/v4/token",
        jwt_form_content_type="application/x-www-form-urlencoded",
        refresh_form_content_type="application/x-www-form-urlencoded",
        accept_encoding="gzip,deflate",
        form_encode=_form_querystring,
        auth_header_name="Authorization",
        gaxios=gaxios.V6,
    ),
}


clock: Callable[[], float] = time.time
"""Seconds since the epoch (JavaScript's ``Date.now() / 1000``): every expiry is computed from it,
so a test can put another clock here."""


def now_ms() -> float:
    """``Date.now()`` / ``new Date().getTime()``."""
    return clock() * 1000


def _api_client_header() -> str:
    # authclient.js / transporters.js: `gl-node/${process.version}`; this runtime's equivalent
    return f"gl-python/{platform.python_version()}"


async def _gaxios_post(
    lib: _Library, url: str, headers: dict[str, str], body: str, response_type: str
) -> Any:
    """``transporter.request({method: 'POST', …, retryConfig})``: the response data, or a ``GaxiosError``.

    POST is retried (gtoken and ``RETRY_CONFIG`` both list it): up to 3 times for 408, 429 and
    5xx, up to 2 times when no response came, after 100 ms, 500 ms, 1.5 s.
    """
    response = await gaxios.request(
        lib.gaxios, "POST", url, headers, body.encode(), response_type=response_type,
        retry=RETRY_POST, transporter=lib.version == V9,
    )
    return response.data


# --- gtoken: the JWT-bearer grant ----------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _sign_rs256(private_key: str, payload: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    """``jws.sign({header: {alg: 'RS256', …}, payload, secret})``."""
    from google.auth import crypt  # lazy: only service-account users pay for it

    signing_input = _b64url(dumps(header or {"alg": "RS256"}).encode()) + "." + _b64url(dumps(payload).encode())
    try:
        signer = crypt.RSASigner.from_string(private_key)  # type: ignore[no-untyped-call]
    except (ValueError, TypeError, IndexError):
        raise JSError(UNDECODABLE_KEY_MESSAGE, code="ERR_OSSL_UNSUPPORTED") from None
    return signing_input + "." + _b64url(signer.sign(signing_input.encode()))


class _GoogleToken:
    """gtoken ``GoogleToken`` (7.1.0 / 8.0.0): caches the raw token, signs and posts the grant."""

    def __init__(self, lib: _Library, *, iss: str | None, scope: str | None, key: str | None) -> None:
        self._lib = lib
        self.iss = iss
        self.scope = scope
        self.key = key
        self.raw_token: Any = None
        self.expires_at: float | None = None
        self._in_flight: asyncio.Future[Any] | None = None

    def _is_token_expiring(self) -> bool:
        if self.raw_token is not None and self.expires_at:
            return self.expires_at <= now_ms()
        return True

    async def get_token(self, force_refresh: bool) -> Any:
        """``getToken({forceRefresh})``: one request in flight at a time."""
        if self._in_flight is not None and not force_refresh:
            return await self._in_flight
        self._in_flight = asyncio.ensure_future(self._get_token_inner(force_refresh))
        try:
            return await self._in_flight
        finally:
            self._in_flight = None

    async def _get_token_inner(self, force_refresh: bool) -> Any:
        if not self._is_token_expiring() and not force_refresh:
            return self.raw_token
        if not self.key:
            raise JSError("No key or keyFile set.")
        return await self._request_token()

    async def _request_token(self) -> Any:
        """``#requestToken``: sign the claims, POST the form, keep the token and its expiry."""
        lib = self._lib
        iat = math.floor(now_ms() / 1000)
        payload: dict[str, Any] = {"iss": self.iss, "scope": self.scope, "aud": lib.gtoken_url, "exp": iat + 3600, "iat": iat}
        payload = {k: v for k, v in payload.items() if v is not None}
        assertion = _sign_rs256(self.key or "", payload)
        body = lib.form_encode([("grant_type", JWT_BEARER_GRANT), ("assertion", assertion)])
        headers = _token_headers(lib, lib.jwt_form_content_type, accept="application/json")
        try:
            data = await _gaxios_post(lib, lib.gtoken_url, headers, body, "json")
        except GaxiosError as err:
            self.raw_token = None
            body_data = err.response_data if err.has_response and js_truthy(err.response_data) else {}
            error = js_get(body_data, "error")
            if js_truthy(error):
                description = js_get(body_data, "error_description")
                desc = f": {js_string(description)}" if js_truthy(description) else ""
                err.message = f"{js_string(error)}{desc}"
            raise
        self.raw_token = data
        self.expires_at = _expires_at(iat, js_get(data, "expires_in"))
        return data


def _expires_at(iat: int, expires_in: Any) -> float | None:
    """``(iat + r.data.expires_in) * 1000``, with JavaScript's ``+`` (a string concatenates)."""
    if expires_in is None:
        return None
    if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool):
        return (iat + expires_in) * 1000
    try:
        return float(f"{iat}{js_string(expires_in)}") * 1000
    except ValueError:
        return None  # NaN: as falsy as undefined where it is read


def _token_headers(lib: _Library, content_type: str, *, accept: str) -> dict[str, str]:
    """The token request's headers: gaxios's, the auth library's interceptor's and node-fetch's."""
    return {
        "content-type": content_type,
        "accept": accept,
        "user-agent": lib.user_agent,
        "x-goog-api-client": _api_client_header(),
        "accept-encoding": lib.accept_encoding,
    }


# --- auth clients --------------------------------------------------------------------------------


class _OAuth2Client:
    """``OAuth2Client``: cached credentials, refresh on expiry, the ``authorization`` header."""

    def __init__(self, lib: _Library) -> None:
        self._lib = lib
        self.credentials: dict[str, Any] = {}
        self.project_id: str | None = None
        self.quota_project_id: str | None = None
        self.universe_domain = DEFAULT_UNIVERSE
        self.eager_refresh_threshold_millis = DEFAULT_EAGER_REFRESH_THRESHOLD_MILLIS
        self._refreshing: dict[str, asyncio.Future[dict[str, Any]]] = {}

    def is_token_expiring(self) -> bool:
        """``isTokenExpiring()``."""
        expiry_date: Any = self.credentials.get("expiry_date")
        return bool(expiry_date) and bool(expiry_date <= now_ms() + self.eager_refresh_threshold_millis)

    def _add_shared_metadata_headers(self, headers: dict[str, str]) -> dict[str, str]:
        if "x-goog-user-project" not in headers and self.quota_project_id:
            headers["x-goog-user-project"] = self.quota_project_id
        return headers

    def _auth_headers(self, value: str) -> dict[str, str]:
        return self._add_shared_metadata_headers({self._lib.auth_header_name: value})

    async def get_request_headers(self, url: str | None = None) -> dict[str, str]:
        """``getRequestHeaders(url)`` → ``getRequestMetadataAsync``."""
        creds = self.credentials
        if not creds.get("access_token") and not creds.get("refresh_token"):
            raise JSError("No access, refresh token, API key or refresh handler callback is set.")
        if creds.get("access_token") and not self.is_token_expiring():
            creds["token_type"] = creds.get("token_type") or "Bearer"
            return self._auth_headers(f"{creds['token_type']} {creds['access_token']}")
        try:
            tokens = await self._refresh_token(creds.get("refresh_token"))
        except GaxiosError as err:
            if err.has_response and err.status in (403, 404):
                err.message = f"Could not refresh access token: {err.message}"
            raise
        creds["token_type"] = creds.get("token_type") or "Bearer"
        tokens["refresh_token"] = creds.get("refresh_token")
        self.credentials = tokens
        access_token = tokens.get("access_token")
        return self._auth_headers(f"{creds['token_type']} {js_string(access_token) if access_token is not None else 'undefined'}")

    async def _refresh_token(self, refresh_token: str | None) -> dict[str, Any]:
        """``refreshToken``: concurrent refreshes with the same token share one request."""
        if not refresh_token:
            return await self.refresh_token_no_cache(refresh_token)
        pending = self._refreshing.get(refresh_token)
        if pending is None:
            pending = asyncio.ensure_future(self.refresh_token_no_cache(refresh_token))
            self._refreshing[refresh_token] = pending
            pending.add_done_callback(lambda _f: self._refreshing.pop(refresh_token, None))
        return await asyncio.shield(pending)

    async def refresh_token_no_cache(self, refresh_token: str | None) -> dict[str, Any]:
        raise NotImplementedError

    async def get_access_token(self) -> Any:
        """``getAccessToken()``: the cached token, or a refreshed one (no message rewriting)."""
        creds = self.credentials
        if not creds.get("access_token") or self.is_token_expiring():
            if not creds.get("refresh_token"):
                raise JSError("No refresh token or refresh handler callback is set.")
            tokens = await self._refresh_token(creds.get("refresh_token"))
            tokens["refresh_token"] = creds.get("refresh_token")
            self.credentials = tokens
            if not js_truthy(tokens.get("access_token")):
                raise JSError("Could not refresh access token.")
        return self.credentials.get("access_token")

    async def request_json(self, url: str, data: Any) -> Any:
        """``request({url, data, method: 'POST', ...RETRY_CONFIG})``: the client's own headers on a
        JSON POST through the auth transporter (9.x: ``DefaultTransporter``)."""
        lib = self._lib
        auth = await self.get_request_headers()
        if lib.version == V10:
            headers = {"accept": "*/*", "accept-encoding": lib.accept_encoding, "content-type": "application/json",
                       "user-agent": lib.user_agent, "x-goog-api-client": _api_client_header(), **auth}
            headers = dict(sorted(headers.items()))
        else:
            headers = {**{k: v for k, v in auth.items() if k == "x-goog-user-project"},
                       **{k: v for k, v in auth.items() if k != "x-goog-user-project"},
                       "User-Agent": lib.user_agent, "x-goog-api-client": _api_client_header(),
                       "Content-Type": "application/json", "Accept": "*/*", "Accept-Encoding": lib.accept_encoding}
        response = await gaxios.request(
            lib.gaxios, "POST", url, headers, dumps(data).encode(), retry=RETRY_POST, transporter=lib.version == V9
        )
        return response.data


class _JWTAccess:
    """``JWTAccess``: self-signed JWTs, cached per URL and scopes (an LRU of 500; its one-hour
    age limit never outlives a token), re-signed 5 minutes before they expire."""

    CAPACITY = 500

    def __init__(self, lib: _Library, email: str | None, key: str | None, key_id: str | None) -> None:
        self._lib = lib
        self.email = email
        self.key = key
        self.key_id = key_id
        self.eager_refresh_threshold_millis = DEFAULT_EAGER_REFRESH_THRESHOLD_MILLIS
        self._cache: dict[str, tuple[float, dict[str, str]]] = {}  # key → (expiration, headers), by use

    @staticmethod
    def _cache_key(url: str | None, scopes: list[str] | str | None) -> str:
        key: str | None = url
        if isinstance(scopes, list) and scopes:
            key = f"{url}_{'_'.join(scopes)}" if url else "_".join(scopes)
        elif isinstance(scopes, str):
            key = f"{url}_{scopes}" if url else scopes
        if not key:
            raise JSError("Scopes or url must be provided")
        return key

    def get_request_headers(self, url: str | None, scopes: list[str] | str | None) -> dict[str, str]:
        """``getRequestHeaders(url, additionalClaims, scopes)``: ``scope`` claims when scopes are
        given, else ``aud`` = the URL."""
        key = self._cache_key(url, scopes)
        now = now_ms()
        cached = self._cache.pop(key, None)
        if cached is not None:
            self._cache[key] = cached  # most recently used
            if cached[0] - now > self.eager_refresh_threshold_millis:
                return dict(cached[1])
        iat = math.floor(now / 1000)
        exp = iat + 3600
        scope = " ".join(scopes) if isinstance(scopes, list) else scopes
        claims: dict[str, Any] = {"iss": self.email, "sub": self.email}
        claims.update({"scope": scope} if scope else {"aud": url})
        claims.update({"exp": exp, "iat": iat})
        header: dict[str, Any] = {"alg": "RS256", "typ": "JWT", **({"kid": self.key_id} if self.key_id else {})}
        signed = _sign_rs256(self.key or "", {k: v for k, v in claims.items() if v is not None}, header)
        headers = {self._lib.auth_header_name: f"Bearer {signed}"}
        self._cache.pop(key, None)
        self._cache[key] = (exp * 1000, headers)
        while len(self._cache) > self.CAPACITY:
            del self._cache[next(iter(self._cache))]
        return dict(headers)


class JWT(_OAuth2Client):
    """``JWT``: a service account's key, traded for an access token through gtoken."""

    def __init__(self, lib: _Library, *, scopes: list[str] | str | None) -> None:
        super().__init__(lib)
        self.scopes = scopes
        self.email: str | None = None
        self.key: str | None = None
        self.key_id: str | None = None
        self._gtoken: _GoogleToken | None = None
        self._access: _JWTAccess | None = None
        # start with an expired placeholder so the first request fetches a token
        self.credentials = {"refresh_token": "jwt-placeholder", "expiry_date": 1}

    def from_json(self, json_: Any) -> None:
        """``JWT.fromJSON``."""
        if not js_truthy(json_):
            raise JSError("Must pass in a JSON object containing the service account auth settings.")
        if not js_truthy(js_get(json_, "client_email")):
            raise JSError("The incoming JSON object does not contain a client_email field")
        if not js_truthy(js_get(json_, "private_key")):
            raise JSError("The incoming JSON object does not contain a private_key field")
        self.email = json_["client_email"]
        self.key = json_["private_key"]
        self.key_id = json_.get("private_key_id")
        self.project_id = json_.get("project_id")
        self.quota_project_id = json_.get("quota_project_id")
        self.universe_domain = json_.get("universe_domain") or self.universe_domain

    async def get_request_headers(self, url: str | None = None) -> dict[str, str]:
        """``JWT.getRequestMetadataAsync``: a self-signed JWT (``JWTAccess``) without scopes but
        with a URL, or in a universe other than googleapis.com; else, with scopes, the OAuth2
        token flow."""
        has_user_scopes = bool(self.scopes)
        other_universe = self.universe_domain != DEFAULT_UNIVERSE
        if (not has_user_scopes and url) or other_universe:
            if self._access is None:
                self._access = _JWTAccess(self._lib, self.email, self.key, self.key_id)
            scopes = self.scopes if has_user_scopes else None
            headers = self._access.get_request_headers(url, scopes if other_universe else None)
            return self._add_shared_metadata_headers(headers)
        if not has_user_scopes:
            return {}
        return await super().get_request_headers(url)

    def _create_gtoken(self) -> _GoogleToken:
        if self._gtoken is None:
            scope = " ".join(self.scopes) if isinstance(self.scopes, list) else self.scopes
            self._gtoken = _GoogleToken(self._lib, iss=self.email, scope=scope, key=self.key)
        return self._gtoken

    async def refresh_token_no_cache(self, refresh_token: str | None) -> dict[str, Any]:
        """``JWT.refreshTokenNoCache``."""
        gtoken = self._create_gtoken()
        token = await gtoken.get_token(force_refresh=self.is_token_expiring())
        return {
            "access_token": js_get(token, "access_token"),
            "token_type": "Bearer",
            "expiry_date": gtoken.expires_at,
            "id_token": js_get(token, "id_token"),
        }


class UserRefreshClient(_OAuth2Client):
    """``UserRefreshClient``: an ``authorized_user`` ADC file (``gcloud auth application-default login``)."""

    def __init__(self, lib: _Library) -> None:
        super().__init__(lib)
        self._client_id: str | None = None
        self._client_secret: str | None = None
        self._refresh_token_value: str | None = None

    def from_json(self, json_: Any) -> None:
        """``UserRefreshClient.fromJSON``."""
        if not js_truthy(json_):
            raise JSError("Must pass in a JSON object containing the user refresh token")
        if js_get(json_, "type") != USER_REFRESH_ACCOUNT_TYPE:
            raise JSError('The incoming JSON object does not have the "authorized_user" type')
        for field in ("client_id", "client_secret", "refresh_token"):
            if not js_truthy(js_get(json_, field)):
                raise JSError(f"The incoming JSON object does not contain a {field} field")
        self._client_id = json_["client_id"]
        self._client_secret = json_["client_secret"]
        self._refresh_token_value = json_["refresh_token"]
        self.credentials["refresh_token"] = json_["refresh_token"]
        self.quota_project_id = json_.get("quota_project_id")
        self.universe_domain = json_.get("universe_domain") or self.universe_domain

    async def refresh_token_no_cache(self, refresh_token: str | None) -> dict[str, Any]:
        """``OAuth2Client.refreshTokenNoCache`` with the client's own refresh token."""
        refresh_token = self._refresh_token_value
        if not refresh_token:
            raise JSError("No refresh token is set.")
        lib = self._lib
        pairs = [
            ("refresh_token", refresh_token),
            ("client_id", self._client_id or ""),
            ("client_secret", self._client_secret or ""),
            ("grant_type", "refresh_token"),
        ]
        headers = _token_headers(lib, lib.refresh_form_content_type, accept="*/*")
        try:
            data = await _gaxios_post(lib, OAUTH2_TOKEN_URL, headers, lib.form_encode(pairs), "unknown")
        except GaxiosError as err:
            description = js_get(err.response_data, "error_description")
            if err.message == "invalid_grant" and js_truthy(err.response_data) and isinstance(description, str) and (
                "reauth" in description.lower()
            ):
                err.message = dumps(err.response_data)
            raise
        tokens: dict[str, Any] = dict(data) if isinstance(data, dict) else {}
        expires_in: Any = tokens.get("expires_in")
        if js_truthy(expires_in):
            tokens["expiry_date"] = now_ms() + cast(float, expires_in) * 1000
            del tokens["expires_in"]
        return tokens


class Compute(_OAuth2Client):
    """``Compute``: the access token of the instance's service account, from the metadata server."""

    def __init__(self, lib: _Library, *, scopes: list[str] | str | None) -> None:
        super().__init__(lib)
        # an expired placeholder so the first request fetches a token
        self.credentials = {"expiry_date": 1, "refresh_token": "compute-placeholder"}
        self.service_account_email = "default"
        self.scopes = scopes if isinstance(scopes, list) else [scopes] if scopes else []

    async def refresh_token_no_cache(self, refresh_token: str | None) -> dict[str, Any]:
        """``Compute.refreshTokenNoCache``: ``instance/service-accounts/default/token?scopes=…``."""
        params = {"scopes": ",".join(self.scopes)} if self.scopes else None
        try:
            data = await gcp_metadata.instance(
                self._lib.gaxios, f"service-accounts/{self.service_account_email}/token", params
            )
        except GaxiosError as err:
            err.message = f"Could not refresh access token: {err.message}"
            self._wrap_error(err)
            raise
        tokens: dict[str, Any] = dict(data) if isinstance(data, dict) else {}
        expires_in = tokens.get("expires_in")
        if js_truthy(data) and js_truthy(expires_in):
            tokens["expiry_date"] = now_ms() + cast(float, expires_in) * 1000
            del tokens["expires_in"]
        return tokens

    @staticmethod
    def _wrap_error(err: GaxiosError) -> None:
        """``wrapError``: what a 403 or 404 from the metadata server means."""
        if not err.has_response or not err.status:
            return
        if err.status == 403:
            err.message = (
                "A Forbidden error was returned while attempting to retrieve an access token for the Compute "
                "Engine built-in service account. This may be because the Compute Engine instance does not "
                f"have the correct permission scopes specified: {err.message}"
            )
        elif err.status == 404:
            err.message = (
                "A Not Found error was returned while attempting to retrieve an accesstoken for the Compute "
                "Engine built-in service account. This may be because the Compute Engine instance does not "
                f"have any permission scopes specified: {err.message}"
            )


class Impersonated(_OAuth2Client):
    """``Impersonated``: a source client's token traded at IAM Credentials for a target account's."""

    def __init__(
        self,
        lib: _Library,
        *,
        source_client: _OAuth2Client,
        target_principal: str,
        target_scopes: list[Any],
        delegates: Any,
        lifetime: Any,
        universe_domain: Any,
    ) -> None:
        super().__init__(lib)
        self.credentials = {"expiry_date": 1, "refresh_token": "impersonated-placeholder"}
        self.source_client = source_client
        self.target_principal = target_principal
        self.delegates = delegates if delegates is not None else []
        self.target_scopes = target_scopes
        self.lifetime = lifetime if lifetime is not None else 3600
        if not js_truthy(universe_domain):
            self.universe_domain = source_client.universe_domain
        else:
            self.universe_domain = universe_domain
            if source_client.universe_domain != universe_domain:
                raise JSRangeError(
                    f"Universe domain {source_client.universe_domain} in source credentials does not match "
                    f"{universe_domain} universe domain set for impersonated credentials."
                )
        self.endpoint = f"https://iamcredentials.{self.universe_domain}"

    async def _refresh_token(self, refresh_token: str | None) -> dict[str, Any]:
        """``Impersonated.refreshToken``: ``POST {endpoint}/v1/projects/-/serviceAccounts/{target}:generateAccessToken``."""
        try:
            await self.source_client.get_access_token()
            url = f"{self.endpoint}/v1/projects/-/serviceAccounts/{self.target_principal}:generateAccessToken"
            body = {"delegates": self.delegates, "scope": self.target_scopes, "lifetime": f"{js_string(self.lifetime)}s"}
            data = await self.source_client.request_json(url, body)
        except JSError as err:
            error = js_get(err.response_data if isinstance(err, GaxiosError) else None, "error")
            status, message = js_get(error, "status"), js_get(error, "message")
            if js_truthy(status) and js_truthy(message):
                err.message = f"{js_string(status)}: unable to impersonate: {js_string(message)}"
            else:
                err.message = f"unable to impersonate: {err.name}: {err.message}"
            raise
        self.credentials["access_token"] = js_get(data, "accessToken")
        self.credentials["expiry_date"] = _date_parse(js_get(data, "expireTime"))
        return self.credentials


def _date_parse(value: Any) -> float:
    """``Date.parse`` of an RFC 3339 timestamp (NaN when it is not one)."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(js_string(value).replace("Z", "+00:00")).timestamp() * 1000
    except ValueError:
        return math.nan


AuthClient: TypeAlias = "_OAuth2Client | BaseExternalAccountClient | ExternalAccountAuthorizedUserClient"


# --- GoogleAuth: which client, from where --------------------------------------------------------


def _node_fs_error(exc: OSError, syscall: str, path: str) -> JSError:
    """A Node ``fs`` error (``ENOENT: no such file or directory, open '/x'``)."""
    code = errno.errorcode.get(exc.errno or 0, "EIO")
    text = {
        "ENOENT": "no such file or directory",
        "EACCES": "permission denied",
        "EISDIR": "illegal operation on a directory",
        "ENOTDIR": "not a directory",
    }.get(code, (exc.strerror or "").lower())
    return JSError(f"{code}: {text}, {syscall} '{path}'", code=code)


class GoogleAuth:
    """``GoogleAuth``: explicit credentials, a key file, or Application Default Credentials.

    ``version`` picks google-auth-library 10.5.0 (``V10``, @google/genai) or 9.15.1 (``V9``,
    @anthropic-ai/vertex-sdk). ``credentials`` is the parsed credentials JSON (a service account,
    ``authorized_user``, ``impersonated_service_account`` or ``external_account``); ``key_file``
    a path to one. Without either, ADC: ``GOOGLE_APPLICATION_CREDENTIALS``, gcloud's file, then
    the metadata server.
    """

    def __init__(
        self,
        *,
        scopes: list[str] | str | None = None,
        credentials: Any = None,
        key_file: str | None = None,
        version: str = V10,
    ) -> None:
        self._lib = _LIBRARIES[version]
        self.scopes = scopes
        self.json_content = credentials if js_truthy(credentials) else None
        self.key_filename = key_file or None
        self.cached_credential: AuthClient | None = None
        self._pending_client: asyncio.Future[AuthClient] | None = None
        self._cached_project_id: Any = None
        self._find_project_id: asyncio.Future[Any] | None = None
        self._is_gce: bool | None = None

    async def get_project_id(self) -> Any:
        """``getProjectId()``: found once (``findAndCacheProjectId``), then cached."""
        if js_truthy(self._cached_project_id):
            return self._cached_project_id
        if self._find_project_id is None:
            self._find_project_id = asyncio.ensure_future(self._find_and_cache_project_id())
        return await asyncio.shield(self._find_project_id)

    async def _get_project_id_optional(self) -> Any:
        """``getProjectIdOptional``: ``None`` where no project id is found, other errors raised."""
        try:
            return await self.get_project_id()
        except JSError as err:
            if err.message == NO_PROJECT_ID_FOUND:
                return None
            raise

    async def _find_and_cache_project_id(self) -> Any:
        """``findAndCacheProjectId``: the environment, the credential file, gcloud, the metadata
        server, then an external account's project, each only while none was found."""
        project_id = self._get_production_project_id()
        project_id = project_id or await self._get_file_project_id()
        project_id = project_id or await self._get_default_service_project_id()
        project_id = project_id or await self._get_gce_project_id()
        project_id = project_id or await self._get_external_account_client_project_id()
        if not js_truthy(project_id):
            raise JSError(NO_PROJECT_ID_FOUND)
        self._cached_project_id = project_id
        return project_id

    async def _get_application_default(self) -> AuthClient:
        """``getApplicationDefaultAsync``: ``GOOGLE_APPLICATION_CREDENTIALS``, gcloud's file, then
        Compute Engine's metadata server."""
        if self.cached_credential is not None:
            return await self._prepare_and_cache_client(self.cached_credential, None)
        credential = self._try_get_application_credentials_from_environment_variable()
        if credential is None:
            credential = self._try_get_application_credentials_from_well_known_file()
        if credential is not None:
            if isinstance(credential, JWT):
                credential.scopes = self.scopes
            elif _is_external_account_client(credential):
                credential.scopes = self.scopes
            return await self._prepare_and_cache_client(credential)
        if await self._check_is_gce():
            return await self._prepare_and_cache_client(Compute(self._lib, scopes=self.scopes))
        raise JSError(NO_ADC_FOUND)

    async def _prepare_and_cache_client(self, credential: AuthClient, quota_project_id_override: Any = _ENV) -> AuthClient:
        """``#prepareAndCacheClient``: the project id is looked up (and cached) first."""
        if quota_project_id_override is _ENV:
            quota_project_id_override = os.environ.get("GOOGLE_CLOUD_QUOTA_PROJECT") or None
        await self._get_project_id_optional()
        if quota_project_id_override:
            credential.quota_project_id = quota_project_id_override
        self.cached_credential = credential
        return credential

    async def _check_is_gce(self) -> bool:
        """``_checkIsGCE``: resident on Google Cloud, or the metadata server answers."""
        if self._is_gce is None:
            self._is_gce = gcp_metadata.gcp_residency() or await gcp_metadata.is_available(self._lib.gaxios)
        return self._is_gce

    def _try_get_application_credentials_from_environment_variable(self) -> AuthClient | None:
        credentials_path = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS") or os.environ.get(
            "google_application_credentials"
        )
        if not credentials_path:
            return None
        return self._get_application_credentials_from_file_path(credentials_path)

    def _try_get_application_credentials_from_well_known_file(self) -> AuthClient | None:
        windows = platform.system() == "Windows"
        location = os.environ.get("APPDATA") if windows else None
        home = os.environ.get("HOME")
        if not windows and home:
            location = os.path.join(home, ".config")
        if not location:
            return None
        location = os.path.join(location, "gcloud", "application_default_credentials.json")
        if not os.path.exists(location):
            return None
        return self._get_application_credentials_from_file_path(location)

    def _get_application_credentials_from_file_path(self, file_path: str) -> AuthClient:
        """``_getApplicationCredentialsFromFilePath``: the path must name a file."""
        try:
            resolved = os.path.realpath(file_path, strict=True)
        except OSError as exc:
            failing = exc.filename if isinstance(exc.filename, str) else file_path
            raise JSError(
                f"The file at {file_path} does not exist, or it is not a file. "
                f"{_node_fs_error(exc, 'lstat', failing).message}"
            ) from None
        if not os.path.isfile(resolved) or os.path.islink(resolved):
            raise JSError(f"The file at {resolved} does not exist, or it is not a file. ")
        return self._from_file(resolved)

    def _from_impersonated_json(self, json_: Any) -> Impersonated:
        """``fromImpersonatedJSON``: the source credentials, and the target from the URL."""
        if not js_truthy(json_):
            raise JSError("Must pass in a JSON object containing an  impersonated refresh token")
        if js_get(json_, "type") != IMPERSONATED_ACCOUNT_TYPE:
            raise JSError(f'The incoming JSON object does not have the "{IMPERSONATED_ACCOUNT_TYPE}" type')
        if not js_truthy(js_get(json_, "source_credentials")):
            raise JSError("The incoming JSON object does not contain a source_credentials field")
        url = js_get(json_, "service_account_impersonation_url")
        if not js_truthy(url):
            raise JSError("The incoming JSON object does not contain a service_account_impersonation_url field")
        # a user or service account here; an external account as the source is not ported
        source_client = cast("_OAuth2Client", self.from_json(json_["source_credentials"]))
        if isinstance(url, str) and len(url) > 256:
            raise JSRangeError(f"Target principal is too long: {url}")
        match = _TARGET_PRINCIPAL.search(url) if isinstance(url, str) else None
        if match is None:
            raise JSRangeError(f"Cannot extract target principal from {js_string(url)}")
        target_scopes = self.scopes or json_.get("scopes") or []
        client = Impersonated(
            self._lib,
            source_client=source_client,
            target_principal=match.group("target"),
            target_scopes=target_scopes if isinstance(target_scopes, list) else [target_scopes],
            delegates=json_.get("delegates"),
            lifetime=json_.get("lifetime"),
            universe_domain=json_.get("universe_domain"),
        )
        client.quota_project_id = json_.get("quota_project_id")
        return client

    def from_json(self, json_: Any) -> AuthClient:
        """``fromJSON``: the client the credentials' ``type`` names (a service account's ``JWT``
        otherwise)."""
        if json_ is None:
            raise JSTypeError("Cannot read properties of null (reading 'type')")
        client: AuthClient
        kind = js_get(json_, "type")
        if kind == USER_REFRESH_ACCOUNT_TYPE:
            client = UserRefreshClient(self._lib)
            client.from_json(json_)
        elif kind == IMPERSONATED_ACCOUNT_TYPE:
            client = self._from_impersonated_json(json_)
        elif kind == EXTERNAL_ACCOUNT_TYPE:
            from .google_external_account import external_account_client_from_json

            client = external_account_client_from_json(self._lib, json_)
            client.scopes = self.scopes
        elif kind == EXTERNAL_ACCOUNT_AUTHORIZED_USER_TYPE:
            from .google_external_account import ExternalAccountAuthorizedUserClient

            client = ExternalAccountAuthorizedUserClient(self._lib, json_)
        else:
            client = JWT(self._lib, scopes=self.scopes)
            client.from_json(json_)
        return client

    def _cache_client_from_json(self, json_: Any) -> AuthClient:
        client = self.from_json(json_)
        self.json_content = json_
        self.cached_credential = client
        return client

    def _from_file(self, path: str) -> AuthClient:
        """``fromStreamAsync(fs.createReadStream(path))``: read, ``JSON.parse``, ``fromJSON``.

        A key file that is not JSON becomes a ``JWT`` with only ``keyFile`` set, as in the
        reference (which then reads it as PEM through gtoken; that path is not ported).
        """
        try:
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8", "replace")
        except IsADirectoryError:
            raise JSError("EISDIR: illegal operation on a directory, read", code="EISDIR") from None
        except OSError as exc:
            raise _node_fs_error(exc, "open", path) from None
        try:
            data = loads(text)
        except JSError:
            if not self.key_filename:
                raise
            client = JWT(self._lib, scopes=None)
            self.cached_credential = client
            return client
        return self._cache_client_from_json(data)

    def _get_production_project_id(self) -> Any:
        """``getProductionProjectId``: the project the environment names."""
        env = os.environ
        return env.get("GCLOUD_PROJECT") or env.get("GOOGLE_CLOUD_PROJECT") or env.get("gcloud_project") or env.get(
            "google_cloud_project"
        )

    async def _get_file_project_id(self) -> Any:
        """``getFileProjectId``: the cached client's project, or the ADC file's."""
        if self.cached_credential is not None:
            return self.cached_credential.project_id
        if self.key_filename:
            creds = await self.get_client()
            if js_truthy(creds.project_id):
                return creds.project_id
        client = self._try_get_application_credentials_from_environment_variable()
        return client.project_id if client is not None else None

    async def _get_default_service_project_id(self) -> Any:
        """``getDefaultServiceProjectId``: ``gcloud config config-helper --format json`` (its
        ``configuration.properties.core.project``), ``None`` on any failure."""
        try:
            process = await asyncio.create_subprocess_shell(
                "gcloud config config-helper --format json",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
            stdout, _ = await process.communicate()
        except OSError:
            return None
        if process.returncode or not stdout:
            return None
        try:
            return loads(stdout.decode("utf-8", "replace"))["configuration"]["properties"]["core"].get("project")
        except (JSError, KeyError, TypeError, AttributeError):
            return None

    async def _get_gce_project_id(self) -> Any:
        """``getGCEProjectId``: the metadata server's ``project/project-id``, ``None`` on any failure."""
        try:
            return await gcp_metadata.project(self._lib.gaxios, "project-id")
        except (JSError, OSError):
            return None

    async def _get_external_account_client_project_id(self) -> Any:
        """``getExternalAccountClientProjectId``: errors are not suppressed."""
        if self.json_content is None or js_get(self.json_content, "type") != EXTERNAL_ACCOUNT_TYPE:
            return None
        creds = cast("BaseExternalAccountClient", await self.get_client())
        return await creds.get_project_id()

    async def get_client(self) -> AuthClient:
        """``getClient()``: determined once, then cached on this instance."""
        if self.cached_credential is not None:
            return self.cached_credential
        if self._pending_client is None:
            self._pending_client = asyncio.ensure_future(self._determine_client())
        try:
            return await asyncio.shield(self._pending_client)
        finally:
            self._pending_client = None

    async def _determine_client(self) -> AuthClient:
        if self.json_content is not None:
            return self._cache_client_from_json(self.json_content)
        if self.key_filename:
            return self._from_file(os.path.abspath(self.key_filename))
        return await self._get_application_default()

    async def get_request_headers(self, url: str | None = None) -> dict[str, str]:
        """``getRequestHeaders(url)``: e.g. ``{"authorization": "Bearer ya29…"}``."""
        client = await self.get_client()
        return await client.get_request_headers(url)


def _is_external_account_client(client: Any) -> TypeGuard[BaseExternalAccountClient]:
    from .google_external_account import BaseExternalAccountClient

    return isinstance(client, BaseExternalAccountClient)
