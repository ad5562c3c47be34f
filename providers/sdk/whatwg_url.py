"""``new URL(text).host`` as Node 20 computes it (the WHATWG URL standard), for the handlers that
branch on a base URL's host; ``URL.canParse``; and the ``URLSearchParams`` serializer.

Covers what a base URL can hold: the special schemes' authority (user info dropped, host
lower-cased, the scheme's default port dropped) and opaque hosts of other schemes. Text that
``new URL`` rejects raises ``JSTypeError("Invalid URL")``, as Node does.
"""

from __future__ import annotations

import re
import urllib.parse

from .errors import JSTypeError

_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21", "file": None}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_FORBIDDEN_HOST_CHARS = re.compile(r"[\x00\t\n\r #/:<>?@\[\\\]^|%]")


def url_host(text: str) -> str:
    """``new URL(text).host``: host and non-default port, ``""`` for hostless URLs."""
    # leading/trailing C0 controls and spaces go, tabs and newlines anywhere too
    text = re.sub(r"[\t\n\r]", "", text.strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f"
                                               "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "))
    match = _SCHEME.match(text)
    if not match:
        raise JSTypeError("Invalid URL", code="ERR_INVALID_URL")
    scheme = match.group(1).lower()
    rest = text[match.end():]
    special = scheme in _DEFAULT_PORTS
    if scheme == "file":
        if not rest.startswith(("//", "\\\\", "/\\", "\\/")):
            return ""
        authority = re.split(r"[/\\?#]", rest[2:], maxsplit=1)[0]
        return "" if authority.lower() == "localhost" else authority.lower()
    if special:
        rest = rest.lstrip("/\\")
        authority = re.split(r"[/\\?#]", rest, maxsplit=1)[0]
    elif rest.startswith("//"):
        authority = re.split(r"[/?#]", rest[2:], maxsplit=1)[0]
    else:
        return ""
    host_port = authority.rsplit("@", 1)[-1]
    host, port = _split_port(host_port)
    if special:
        host = host.lower()
        if not host:
            raise JSTypeError("Invalid URL", code="ERR_INVALID_URL")
        if not host.startswith("[") and _FORBIDDEN_HOST_CHARS.search(host):
            raise JSTypeError("Invalid URL", code="ERR_INVALID_URL")
    if port is None or port == "":
        return host
    if not port.isdigit() or int(port) > 65535:
        raise JSTypeError("Invalid URL", code="ERR_INVALID_URL")
    port = str(int(port))
    if _DEFAULT_PORTS.get(scheme) == port:
        return host
    return f"{host}:{port}"


def _split_port(host_port: str) -> tuple[str, str | None]:
    """``host[:port]``, an IPv6 literal's brackets kept."""
    if host_port.startswith("["):
        end = host_port.find("]")
        if end < 0:
            raise JSTypeError("Invalid URL", code="ERR_INVALID_URL")
        rest = host_port[end + 1 :]
        return host_port[: end + 1], rest[1:] if rest.startswith(":") else None
    host, sep, port = host_port.partition(":")
    return host, port if sep else None


def url_can_parse(text: str) -> bool:
    """``URL.canParse(text)``: ``new URL(text)`` would not throw."""
    try:
        url_host(text)
    except JSTypeError:
        return False
    return True


def url_search_params(pairs: list[tuple[str, str]]) -> str:
    """``new URLSearchParams(pairs).toString()`` (the application/x-www-form-urlencoded serializer)."""
    return "&".join(f"{_form_encode(k)}={_form_encode(v)}" for k, v in pairs)


def _form_encode(text: str) -> str:
    """The form-urlencoded percent-encode set: all but ASCII alphanumerics and ``*-._`` (Python
    leaves ``~`` as it is; URLSearchParams does not)."""
    return urllib.parse.quote_plus(text, safe="*").replace("~", "%7E")
