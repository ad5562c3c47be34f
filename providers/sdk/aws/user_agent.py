"""The ``x-amz-user-agent`` and ``user-agent`` headers.

Mirrors @aws-sdk/middleware-user-agent 3.922.0 (``userAgentMiddleware``, ``escapeUserAgent``,
``encodeFeatures``) and @aws-sdk/util-user-agent-node 3.922.0 (``createDefaultUserAgentProvider``).
"""

from __future__ import annotations

import os
import platform
import re
import sys
from collections.abc import Mapping


SDK_VERSION = "3.922.0"
"""@aws-sdk/client-bedrock-runtime version (``aws-sdk-js/…`` and ``api/bedrock-runtime#…``)."""


_UA_NAME_ESCAPE = re.compile(r"[^!$%&'*+\-.^_`|~\w]")
_UA_VALUE_ESCAPE = re.compile(r"[^!$%&'*+\-.^_`|~\w#]")
_FEATURE_BYTE_LIMIT = 1024


def _escape_user_agent(name: str, version: str | None = None) -> str:
    """``escapeUserAgent([name, version])``."""
    name = "/".join(_UA_NAME_ESCAPE.sub("-", part) for part in name.split("/"))
    version = _UA_VALUE_ESCAPE.sub("-", version) if version is not None else None
    prefix, sep, ua_name = name.partition("/")
    if not sep:
        prefix, ua_name = "", name
    if prefix == "api":
        ua_name = ua_name.lower()
    items = [item for item in (prefix, ua_name, version) if item]
    out = ""
    for index, item in enumerate(items):
        out = item if index == 0 else f"{out}/{item}" if index == 1 else f"{out}#{item}"
    return out


def _encode_features(features: Mapping[str, str]) -> str:
    """``encodeFeatures``: comma-joined feature ids up to 1024 bytes."""
    buffer = ""
    for value in features.values():
        if len(buffer) + len(value) + 1 > _FEATURE_BYTE_LIMIT:
            break
        buffer = f"{buffer},{value}" if buffer else value
    return buffer


def user_agent_headers(
    features: Mapping[str, str], app_id: str | None, api: str = "api/Bedrock Runtime"
) -> tuple[str, str]:
    """(``x-amz-user-agent``, ``user-agent``) as the SDK builds them for the client ``api``
    (``api/sts`` for the nested STS client).

    The ``os/``, ``lang/`` and ``md/`` sections describe this Python process.
    """
    sections = [
        _escape_user_agent("aws-sdk-js", SDK_VERSION),
        _escape_user_agent("ua", "2.1"),
        _escape_user_agent(f"os/{sys.platform}", platform.release()),
        _escape_user_agent("lang/python"),
        _escape_user_agent("md/python", platform.python_version()),
        _escape_user_agent(api, SDK_VERSION),
    ]
    if os.environ.get("AWS_EXECUTION_ENV"):
        sections.append(_escape_user_agent(f"exec-env/{os.environ['AWS_EXECUTION_ENV']}"))
    sections.append(f"m/{_encode_features(features)}")
    if app_id:
        sections.append(_escape_user_agent("app", app_id))
    normal = " ".join(section for section in sections if section.startswith("aws-sdk-"))
    return normal, " ".join(sections)
