"""google-auth-library as the reference runs it: service-account JWTs, ADC, token requests.

Two versions sit behind the goldens and both are here, selected per ``GoogleAuth``:

- **10.5.0** (used by @google/genai 1.29.1): ``build/src/auth/googleauth.js``, ``jwtclient.js``,
  ``oauth2client.js``, ``refreshclient.js``, ``authclient.js`` (request interceptor), with
  gtoken 8.0.0 (``POST https://oauth2.googleapis.com/token``), gaxios 7.1.3 (``gaxios.js``,
  ``retry.js``, ``common.js``: ``extractAPIErrorFromResponse``) and node-fetch 3.3.2.
- **9.15.1** (used by @anthropic-ai/vertex-sdk 0.7.0): the same files plus ``transporters.js``
  (``DefaultTransporter.processError``), with gtoken 7.1.0
  (``POST https://www.googleapis.com/oauth2/v4/token``), gaxios 6.7.1 and node-fetch 2.7.0.

google-auth (Python) is used only to parse the service account's PEM key and sign RS256; the
token request goes out through ``providers.sdk.transport`` with the reference's headers, form
body and gaxios retry policy. Caches (the client, the access token) live on the ``GoogleAuth``
instance, as in the reference, where every handler builds its own: a new handler starts empty.

Use::

    auth = GoogleAuth(scopes=[CLOUD_PLATFORM_SCOPE], credentials=parsed_json, version=V9)
    client = await auth.get_client()            # JWT | UserRefreshClient; .project_id
    headers = await auth.get_request_headers()  # {"Authorization": "Bearer …"} (V9; "authorization" in V10)

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
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any, Callable

import aiohttp

from . import transport
from .errors import JSError, JSTypeError
from .jsonjs import dumps, js_get, js_string, js_truthy, loads
from .node_net import node_error_reason as _node_reason
from .whatwg_url import url_search_params

__all__ = [
    "V10",
    "V9",
    "CLOUD_PLATFORM_SCOPE",
    "GaxiosError",
    "GoogleAuth",
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

# googleauth.js: GoogleAuthExceptionMessages
NO_ADC_FOUND = (
    "Could not load the default credentials. Browse to "
    "https://cloud.google.com/docs/authentication/getting-started for more information."
)

# gaxios retry.js defaults (retryConfig present, no `retry` count given)
RETRY_COUNT = 3
NO_RESPONSE_RETRIES = 2
RETRY_DELAY_MS = 100
RETRY_DELAY_MULTIPLIER = 2
STATUS_CODES_TO_RETRY = ((100, 199), (408, 408), (429, 429), (500, 599))

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
    ),
    V9: _Library(
        version=V9,
        gtoken_url="https://www.googleapis.com/oauth2/v4/token",
        jwt_form_content_type="application/x-www-form-urlencoded",
        refresh_form_content_type="application/x-www-form-urlencoded",
        accept_encoding="gzip,deflate",
        form_encode=_form_querystring,
        auth_header_name="Authorization",
    ),
}


def _api_client_header() -> str:
    # authclient.js / transporters.js: `gl-node/${process.version}`; this runtime's equivalent
    return f"gl-python/{platform.python_version()}"


# --- gaxios: one request with the retry policy and the errors it raises ------------------------


class GaxiosError(JSError):
    """gaxios ``GaxiosError`` (``err.name`` stays ``Error``): ``status`` and ``code`` as set."""

    js_constructor = "GaxiosError"

    def __init__(self, message: str, *, response_data: Any = None, has_response: bool = False, **props: Any):
        super().__init__(message, name="Error", **props)
        self.response_data = response_data
        self.has_response = has_response


class _NoResponse(Exception):
    """A request that failed before a response came (node-fetch ``FetchError``)."""

    def __init__(self, message: str, code: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


async def _fetch_once(url: str, headers: dict[str, str], body: bytes) -> tuple[int, str, dict[str, str], bytes]:
    try:
        response = await transport.request("POST", url, headers=headers, body=body, limited=False)
    except (aiohttp.ClientError, OSError) as exc:
        reason, code = _node_reason(exc, url)
        raise _NoResponse(f"request to {url} failed, reason: {reason}", code) from None
    try:
        raw = await response.read()
    except (aiohttp.ClientError, OSError):
        raise _NoResponse(
            f"Invalid response body while trying to fetch {url}: Premature close", "ERR_STREAM_PREMATURE_CLOSE"
        ) from None
    finally:
        response.release()
    resp_headers = {k.lower(): v for k, v in response.headers.items()}
    return response.status, response.reason or "", resp_headers, raw


def _response_data(response_type: str, headers: dict[str, str], raw: bytes, strip_bom: bool) -> Any:
    """``getResponseData``: ``json`` parses when it can; otherwise by content-type. ``res.text()``
    drops a leading BOM on node-fetch 3.3.2 (``strip_bom``, gaxios 7) and keeps it on 2.7."""
    text = raw.decode("utf-8", "replace")
    if strip_bom and text[:1] == "\ufeff":
        text = text[1:]
    if response_type == "json":
        return _parse_or_text(text)
    content_type = headers.get("content-type")
    if content_type is None:
        return text
    content_type = content_type.lower()
    if "application/json" in content_type:
        return _parse_or_text(text)
    if content_type.startswith("text/"):
        return text
    return {}  # a Blob: an object with none of the fields read from it


def _parse_or_text(text: str) -> Any:
    try:
        return loads(text)
    except JSError:
        return text


def _extract_api_error(data: Any, status: int, status_text: str) -> dict[str, Any]:
    """gaxios 7 ``GaxiosError.extractAPIErrorFromResponse``."""
    message: Any = f"Request failed with status code {status}"
    if isinstance(data, str):
        message = data
    error = js_get(data, "error")
    if isinstance(data, dict) and "error" in data and js_truthy(error):
        if isinstance(error, str):
            return {"message": error, "code": status, "status": status_text}
        if isinstance(error, dict):
            if isinstance(error.get("message"), str):
                message = error["message"]
            err_status = error["status"] if isinstance(error.get("status"), str) else status_text
            code = error["code"] if isinstance(error.get("code"), (int, float)) and not isinstance(
                error.get("code"), bool
            ) else status
            errors = error.get("errors")
            if isinstance(errors, list):
                messages = [e["message"] for e in errors if isinstance(e, dict) and isinstance(e.get("message"), str)]
                message = "\n".join(messages) or message
            return {"message": message, "code": code, "status": err_status, **error}
    return {"message": message, "code": status, "status": status_text}


def _status_error(lib: _Library, status: int, status_text: str, data: Any) -> GaxiosError:
    """The error gaxios (and, in 9.x, ``DefaultTransporter.processError``) raises for a status."""
    if lib.version == V10:
        info = _extract_api_error(data, status, status_text)
        code = info.get("code")
        return GaxiosError(
            js_string(info["message"]), response_data=data, has_response=True, status=status,
            code=code if isinstance(code, (str, int, float)) and not isinstance(code, bool) else None,
        )
    err = GaxiosError(f"Request failed with status code {status}", response_data=data, has_response=True, status=status)
    error = js_get(data, "error")
    if js_truthy(data) and js_truthy(error) and status != 200:
        if isinstance(error, str):
            err.message = error
        elif isinstance(js_get(error, "errors"), list):
            messages = (js_get(e, "message") for e in error["errors"])
            err.message = "\n".join("" if m is None else js_string(m) for m in messages)
            err.code = js_get(error, "code")
        else:
            message = js_get(error, "message")
            err.message = "undefined" if message is None else js_string(message)
            err.code = js_get(error, "code")
    elif status >= 400:
        err.message = data if isinstance(data, str) else js_string(data)
    return err


def _retry_delay_ms(attempt: int) -> float:
    """retry.js ``getNextRetryDelay``: 100 ms, then (2^n − 1)/2 s."""
    base = 0 if attempt else RETRY_DELAY_MS
    return base + ((float(RETRY_DELAY_MULTIPLIER) ** attempt - 1) / 2) * 1000


async def _gaxios_post(
    lib: _Library, url: str, headers: dict[str, str], body: str, response_type: str
) -> Any:
    """``transporter.request({method: 'POST', …, retryConfig})``: the response data, or a ``GaxiosError``.

    POST is retried (gtoken and ``RETRY_CONFIG`` both list it): up to 3 times for 408, 429 and
    5xx, up to 2 times when no response came, after 100 ms, 500 ms, 1.5 s.
    """
    data = body.encode()
    attempt = 0
    while True:
        try:
            status, status_text, resp_headers, raw = await _fetch_once(url, headers, data)
        except _NoResponse as exc:
            if attempt < NO_RESPONSE_RETRIES and attempt < RETRY_COUNT:
                await asyncio.sleep(_retry_delay_ms(attempt) / 1000)
                attempt += 1
                continue
            raise GaxiosError(exc.message, code=exc.code) from None
        payload = _response_data(response_type, resp_headers, raw, lib.version == V10)
        if 200 <= status < 300:
            return payload
        if attempt < RETRY_COUNT and any(lo <= status <= hi for lo, hi in STATUS_CODES_TO_RETRY):
            await asyncio.sleep(_retry_delay_ms(attempt) / 1000)
            attempt += 1
            continue
        raise _status_error(lib, status, status_text, payload)


# --- gtoken: the JWT-bearer grant ----------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _sign_rs256(private_key: str, payload: dict[str, Any]) -> str:
    """``jws.sign({header: {alg: 'RS256'}, payload, secret})``."""
    from google.auth import crypt  # lazy: only service-account users pay for it

    signing_input = _b64url(b'{"alg":"RS256"}') + "." + _b64url(dumps(payload).encode())
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
            return self.expires_at <= time.time() * 1000
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
        iat = math.floor(time.time())
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
        return bool(expiry_date) and bool(expiry_date <= time.time() * 1000 + self.eager_refresh_threshold_millis)

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


class JWT(_OAuth2Client):
    """``JWT``: a service account's key, traded for an access token through gtoken."""

    def __init__(self, lib: _Library, *, scopes: list[str] | str | None) -> None:
        super().__init__(lib)
        self.scopes = scopes
        self.email: str | None = None
        self.key: str | None = None
        self.key_id: str | None = None
        self._gtoken: _GoogleToken | None = None
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
        """``JWT.getRequestMetadataAsync``: with scopes, the OAuth2 token flow."""
        has_scopes = bool(self.scopes)
        if (not has_scopes and url) or self.universe_domain != DEFAULT_UNIVERSE:
            # Self-signed JWTs (JWTAccess): the reference's handlers always pass the
            # cloud-platform scope, so only a non-JSON key file or another universe gets here.
            raise JSError("google-auth-library self-signed JWT access (JWTAccess) is not ported")
        if not has_scopes:
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
            tokens["expiry_date"] = time.time() * 1000 + expires_in * 1000
            del tokens["expires_in"]
        return tokens


AuthClient = JWT | UserRefreshClient


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
    @anthropic-ai/vertex-sdk). ``credentials`` is the parsed service-account (or
    ``authorized_user``) JSON; ``key_file`` a path to one.
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

    async def get_request_headers(self, url: str | None = None) -> dict[str, str]:
        """``getRequestHeaders(url)``: e.g. ``{"authorization": "Bearer ya29…"}``."""
        client = await self.get_client()
        return await client.get_request_headers(url)

    async def _determine_client(self) -> AuthClient:
        if self.json_content is not None:
            return self._cache_client_from_json(self.json_content)
        if self.key_filename:
            return self._from_file(os.path.abspath(self.key_filename))
        return self._get_application_default()

    def from_json(self, json_: Any) -> AuthClient:
        """``fromJSON``: ``authorized_user`` → ``UserRefreshClient``, anything else → ``JWT``."""
        if json_ is None:
            raise JSTypeError("Cannot read properties of null (reading 'type')")
        client: AuthClient
        if js_get(json_, "type") == USER_REFRESH_ACCOUNT_TYPE:
            client = UserRefreshClient(self._lib)
        elif js_get(json_, "type") in ("impersonated_service_account", "external_account", "external_account_authorized_user"):
            raise JSError(f"google-auth-library credentials of type {json_['type']!r} are not ported")
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

    def _get_application_default(self) -> AuthClient:
        """``getApplicationDefaultAsync``: ``GOOGLE_APPLICATION_CREDENTIALS``, then gcloud's file."""
        credentials_path = os.environ.get("GOOGLE_APPLICATION_CREDENTIALS") or os.environ.get(
            "google_application_credentials"
        )
        location: str | None = None
        if credentials_path:
            location = credentials_path
        else:
            home = os.environ.get("APPDATA") if platform.system() == "Windows" else os.environ.get("HOME")
            if home:
                well_known = os.path.join(
                    home if platform.system() == "Windows" else os.path.join(home, ".config"),
                    "gcloud",
                    "application_default_credentials.json",
                )
                location = well_known if os.path.exists(well_known) else None
        if location is None:
            # Compute Engine's metadata server (the reference's last resort) is not ported.
            raise JSError(NO_ADC_FOUND)
        client = self._from_checked_path(location)
        if isinstance(client, JWT):
            client.scopes = self.scopes
        quota_project = os.environ.get("GOOGLE_CLOUD_QUOTA_PROJECT")
        if quota_project:
            client.quota_project_id = quota_project
        return client

    def _from_checked_path(self, file_path: str) -> AuthClient:
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
