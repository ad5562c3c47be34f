"""Port of ``src/api/providers/utils/timeout-config.ts`` (Roo-Code @ cb83656).

The reference reads ``roo-cline.apiRequestTimeout`` (seconds, default 600) from the VS Code
configuration. Here ``WORKSPACE_CONFIGURATION`` stands in for that configuration section: a
caller sets ``WORKSPACE_CONFIGURATION["apiRequestTimeout"]`` before building a handler.
"""

from __future__ import annotations

import math
from typing import Any, Final

# vscode.workspace.getConfiguration(Package.name): the "roo-cline" section
WORKSPACE_CONFIGURATION: dict[str, Any] = {}

DEFAULT_API_REQUEST_TIMEOUT_S: Final = 600


# timeout-config.ts: getApiRequestTimeout
def get_api_request_timeout() -> float | None:
    """The request timeout in ms; ``None`` (no timeout of ours: the SDK's default) for 0 or less."""
    config_timeout = WORKSPACE_CONFIGURATION.get("apiRequestTimeout", DEFAULT_API_REQUEST_TIMEOUT_S)

    # not a number (or NaN): the default
    if not isinstance(config_timeout, (int, float)) or isinstance(config_timeout, bool) or math.isnan(config_timeout):
        return DEFAULT_API_REQUEST_TIMEOUT_S * 1000

    # 0 or negative means "no timeout": openai-node reads 0 as "abort at once", so undefined
    if config_timeout <= 0:
        return None

    return config_timeout * 1000
