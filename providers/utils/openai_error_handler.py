"""Port of ``src/api/providers/utils/openai-error-handler.ts`` (Roo-Code @ cb83656)."""

from __future__ import annotations

from typing import Any

from ..js.errors import JSError
from .error_handler import handle_provider_error


# openai-error-handler.ts: handleOpenAIError
def handle_openai_error(error: Any, provider_name: str) -> JSError:
    """``handleProviderError`` with the "completion" prefix."""
    return handle_provider_error(error, provider_name, message_prefix="completion")
