"""MCP server and tool names in API function names: port of ``src/utils/mcp-name.ts`` (Roo-Code @ cb83656)."""

from __future__ import annotations

import re

MCP_TOOL_SEPARATOR = "--"
"""Separator between the MCP prefix, the server name and the tool name."""

MCP_TOOL_PREFIX = "mcp"
"""Prefix of every MCP tool function name."""

# JavaScript's `\s` (ECMAScript WhiteSpace and LineTerminator), which differs from Python's.
_JS_WHITESPACE_RUN = re.compile("[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+")
_NOT_NAME_CHAR = re.compile(r"[^a-zA-Z0-9_\-]")
_HYPHEN_RUN = re.compile(r"--+")
_NAME_START = re.compile(r"[a-zA-Z_]")
_SEPARATORS = re.compile(r"__|--")


def normalize_for_comparison(name: str) -> str:
    """``normalizeForComparison``: hyphens become underscores."""
    return name.replace("-", "_")


def normalize_mcp_tool_name(tool_name: str) -> str:
    """``normalizeMcpToolName``: ``mcp__server__tool`` -> ``mcp--server--tool``."""
    normalized = normalize_for_comparison(tool_name)
    if normalized.startswith("mcp__"):
        parts = _SEPARATORS.split(tool_name)
        if len(parts) >= 3 and parts[0].lower() == "mcp":
            server_name = parts[1]
            tool_name_part = MCP_TOOL_SEPARATOR.join(parts[2:])
            return f"{MCP_TOOL_PREFIX}{MCP_TOOL_SEPARATOR}{server_name}{MCP_TOOL_SEPARATOR}{tool_name_part}"
    return tool_name


def is_mcp_tool(tool_name: str) -> bool:
    """``isMcpTool``: the name starts with ``mcp--`` or ``mcp__``."""
    return normalize_for_comparison(tool_name).startswith(f"{MCP_TOOL_PREFIX}__")


def sanitize_mcp_name(name: str) -> str:
    """``sanitizeMcpName``: only ``[a-zA-Z0-9_-]``, no ``--``, starting with a letter or ``_``."""
    if not name:
        return "_"
    sanitized = _JS_WHITESPACE_RUN.sub("_", name)
    sanitized = _NOT_NAME_CHAR.sub("", sanitized)
    sanitized = _HYPHEN_RUN.sub("-", sanitized)
    if sanitized and not _NAME_START.match(sanitized):
        sanitized = "_" + sanitized
    if not sanitized:
        sanitized = "_unnamed"
    return sanitized


def build_mcp_tool_name(server_name: str, tool_name: str) -> str:
    """``buildMcpToolName``: ``mcp--{server}--{tool}``, cut to 64 characters."""
    full_name = (
        f"{MCP_TOOL_PREFIX}{MCP_TOOL_SEPARATOR}{sanitize_mcp_name(server_name)}"
        f"{MCP_TOOL_SEPARATOR}{sanitize_mcp_name(tool_name)}"
    )
    return full_name[:64]


def parse_mcp_tool_name(mcp_tool_name: str) -> dict[str, str] | None:
    """``parseMcpToolName``: ``{"serverName", "toolName"}``, or ``None`` if it is not one."""
    normalized_name = normalize_mcp_tool_name(mcp_tool_name)
    prefix = MCP_TOOL_PREFIX + MCP_TOOL_SEPARATOR
    if not normalized_name.startswith(prefix):
        return None
    remainder = normalized_name[len(prefix) :]
    separator_index = remainder.find(MCP_TOOL_SEPARATOR)
    if separator_index == -1:
        return None
    server_name = remainder[:separator_index]
    tool_name = remainder[separator_index + len(MCP_TOOL_SEPARATOR) :]
    if not server_name or not tool_name:
        return None
    return {"serverName": server_name, "toolName": tool_name}


def tool_names_match(name1: str, name2: str) -> bool:
    """``toolNamesMatch``: equal when hyphens and underscores are treated alike."""
    return normalize_for_comparison(name1) == normalize_for_comparison(name2)
