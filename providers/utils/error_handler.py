"""Port of ``src/api/providers/utils/error-handler.ts`` (Roo-Code @ cb83656): provider errors
rewrapped as ``Error("<provider> <prefix> error: <message>")`` keeping status, errorDetails, code
and ``$metadata``.

The reference also logs the original error with ``console.error``; this port logs nothing (the
original is chained as ``__cause__``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..i18n import t
from ..js.errors import JSError, error_message
from ..js.jsonjs import js_string

_UNSET = object()


def _metadata_raw(error: BaseException) -> Any:
    """``error?.error?.metadata?.raw``."""
    body = getattr(error, "error", None)
    metadata = body.get("metadata") if isinstance(body, dict) else None
    return metadata.get("raw") if isinstance(metadata, dict) else None


# error-handler.ts: handleProviderError
def handle_provider_error(
    error: Any,
    provider_name: str,
    *,
    message_prefix: str | None = None,
    message_transformer: Callable[[str], str] | None = None,
) -> JSError:
    """The error to throw in place of ``error``."""
    message_prefix = message_prefix or "completion"

    if isinstance(error, BaseException):
        raw = _metadata_raw(error)
        msg = raw if raw else (error_message(error) or "")

        # an invalid character in the API key (undici's ByteString conversion)
        if "Cannot convert argument to a ByteString" in str(msg):
            wrapped = JSError(t("common:errors.api.invalidKeyInvalidChars"))
        else:
            final_message = (
                message_transformer(msg) if message_transformer else f"{provider_name} {message_prefix} error: {msg}"
            )
            wrapped = JSError(final_message)

        # status and structured details for retry/backoff and the UI
        for source, target in (("status", "status"), ("errorDetails", "errorDetails"), ("code", "code"), ("metadata", "metadata")):
            value = _own_prop(error, source)
            if value is not _UNSET:
                setattr(wrapped, target, value)
        wrapped.__cause__ = error
        return wrapped

    # not an Error: wrapped with the provider's prefix
    wrapped = JSError(f"{provider_name} {message_prefix} error: {js_string(error)}")
    status = error.get("status") if isinstance(error, dict) else getattr(error, "status", None)
    if isinstance(status, (int, float)) and not isinstance(status, bool):
        wrapped.status = status
    return wrapped


# error-handler.ts: handleOpenAIError
def handle_openai_error(error: Any, provider_name: str) -> JSError:
    """``handleProviderError`` with the "completion" prefix (the OpenAI-compatible providers)."""
    return handle_provider_error(error, provider_name, message_prefix="completion")


def _own_prop(error: BaseException, name: str) -> Any:
    """``anyErr[name]`` where it is not undefined, ``_UNSET`` otherwise.

    JS ``null`` and ``undefined`` both read as ``None`` here, and a ``JSError`` carries ``None``
    for either, so a ``None`` field needs no copying.
    """
    value = getattr(error, name, None)
    return _UNSET if value is None else value
