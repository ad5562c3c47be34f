"""@anthropic-ai/vertex-sdk 0.7.0 (``src/client.ts``: ``AnthropicVertex``) on the 0.37.0 core.

Claude on Vertex AI speaks the Messages API through ``AnthropicCore`` with these differences:
the base URL is ``https://{region}-aiplatform.googleapis.com/v1``; ``POST /v1/messages`` becomes
``/projects/{project}/locations/{region}/publishers/anthropic/models/{model}:streamRawPredict``
(``:rawPredict`` without ``stream``), with ``model`` taken out of the body and
``anthropic_version: vertex-2023-10-16`` put in instead of the header; the user agent names
``AnthropicVertex``; and before every attempt (``prepareOptions``) google-auth-library 9.15.1
supplies the ``authorization`` header.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .anthropic_sdk import AnthropicCore, read_env
from ..js.errors import JSError
from .google_auth import CLOUD_PLATFORM_SCOPE, V9, GoogleAuth
from ..js.jsonjs import js_string, js_truthy

DEFAULT_VERSION = "vertex-2023-10-16"
_NO_PROJECT_ID = (
    "No projectId was given and it could not be resolved from credentials. The client should be "
    "instantiated with the `projectId` option or the `ANTHROPIC_VERTEX_PROJECT_ID` environment variable "
    "should be set."
)


class AnthropicVertex(AnthropicCore):
    """``new AnthropicVertex({ region, projectId, googleAuth, baseURL, … })``."""

    client_name = "AnthropicVertex"

    # client.ts: constructor
    def __init__(
        self,
        *,
        region: str | None = None,
        project_id: str | None = None,
        google_auth: GoogleAuth | None = None,
        base_url: str | None = None,
        access_token: str | None = None,
        default_headers: Mapping[str, str | None] | None = None,
        default_query: Mapping[str, str] | None = None,
        timeout_ms: float | None = None,
        max_retries: int | None = None,
    ) -> None:
        if base_url is None:
            base_url = read_env("ANTHROPIC_VERTEX_BASE_URL")
        if region is None:
            region = read_env("CLOUD_ML_REGION")
        if project_id is None:
            project_id = read_env("ANTHROPIC_VERTEX_PROJECT_ID")
        if not region:
            raise JSError(
                "No region was given. The client should be instantiated with the `region` option or the "
                "`CLOUD_ML_REGION` environment variable should be set."
            )
        super().__init__(
            base_url=base_url or f"https://{region}-aiplatform.googleapis.com/v1",
            timeout_ms=timeout_ms,
            max_retries=max_retries,
            default_query=default_query,
            default_headers=default_headers,
        )
        self.region = region
        self.project_id = project_id
        self.access_token = access_token
        # The reference starts `getClient()` here; it runs on first use instead (no I/O in
        # constructors), which sends the same requests.
        self._auth = google_auth or GoogleAuth(scopes=CLOUD_PLATFORM_SCOPE, version=V9)

    # client.ts: defaultHeaders
    def default_headers(self) -> dict[str, str | None]:
        return {**super().default_headers(), **self.default_headers_option}

    def build_headers(
        self,
        retry_count: int,
        headers: Mapping[str, str | None] | None,
        timeout_ms: float | None,
        has_body: bool,
    ) -> dict[str, str]:
        """The override of ``buildRequest(options)`` does not pass ``{ retryCount }`` on to the
        core's, so every attempt says ``x-stainless-retry-count: 0``."""
        return super().build_headers(0, headers, timeout_ms, has_body)

    # client.ts: prepareOptions
    async def prepare_options(self, headers: Mapping[str, str | None] | None) -> Mapping[str, str | None] | None:
        """The auth client's headers under the request's own; the project id from credentials."""
        auth_client = await self._auth.get_client()
        auth_headers = await auth_client.get_request_headers()
        project_id = auth_client.project_id
        if project_id is None:
            project_id = auth_headers.get("x-goog-user-project")
        if not self.project_id and project_id:
            self.project_id = project_id
        return {**auth_headers, **(headers or {})}

    # client.ts: buildRequest (POST /v1/messages: the body and the path)
    def messages_path(self, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        payload = dict(body)
        if not js_truthy(payload.get("anthropic_version")):
            payload["anthropic_version"] = DEFAULT_VERSION
        if not self.project_id:
            raise JSError(_NO_PROJECT_ID)
        # options.body.model = undefined: JSON.stringify leaves the key out
        model = js_string(payload.pop("model")) if "model" in payload else "undefined"
        specifier = "streamRawPredict" if js_truthy(payload.get("stream", False)) else "rawPredict"
        path = f"/projects/{self.project_id}/locations/{self.region}/publishers/anthropic/models/{model}:{specifier}"
        return path, payload

    async def messages_create(
        self,
        body: dict[str, Any],
        *,
        headers: Mapping[str, str | None] | None = None,
        timeout_ms: float | None = None,
    ) -> Any:
        """``client.messages.create``; the path needs the project id, which the reference may
        learn from the credentials in ``prepareOptions`` before ``buildRequest`` runs."""
        if not self.project_id:
            await self.prepare_options(None)
        return await super().messages_create(body, headers=headers, timeout_ms=timeout_ms)
