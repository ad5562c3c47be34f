"""The reference's exceptions as JSON (ours): one serialiser for the parity harness (a
golden's ``error``, ``fixtures/FORMAT.md`` "The port's side of a transcript") and the gateway's
native endpoints (``gateway.server.native_api``), so both say exactly the same thing about an
error. Imports nothing but the standard library."""

from __future__ import annotations

import json
from typing import Any


def error_transcript(exc: BaseException, after_chunks: int) -> dict[str, Any]:
    """The exception as the golden's ``error`` (FORMAT.md, "The port's side")."""
    name = getattr(exc, "js_constructor", None) or type(exc).__name__
    message = getattr(exc, "message", None)
    if not isinstance(message, str):
        message = str(exc)
    props: dict[str, Any] = {}
    for prop in ("status", "error", "code", "headers", "request_id", "$metadata"):
        value = getattr(exc, prop.lstrip("$"), None) if prop != "$metadata" else getattr(exc, "metadata", None)
        if value is not None:
            props[prop] = as_json(value)
    transcript: dict[str, Any] = {
        "name": name,
        "message": message,
        "status": as_json(getattr(exc, "status", None)),
        "after_chunks": after_chunks,
        "props": props,
    }
    name_attribute = getattr(exc, "name", None)
    if isinstance(name_attribute, str) and name_attribute != name:
        transcript["error_name_property"] = name_attribute
    return transcript


def as_json(value: Any) -> Any:
    """A JSON-able copy (what the golden could hold); anything else as its ``repr``."""
    try:
        return json.loads(json.dumps(value, default=_default))
    except (TypeError, ValueError):
        return repr(value)


def _default(value: Any) -> Any:
    if hasattr(value, "items"):
        return dict(value.items())
    raise TypeError(type(value).__name__)
