"""JavaScript error objects, as the harness and callers see them.

The reference throws JS errors; a faithful port raises exceptions that carry the same things:
``message``, ``name`` (JS ``err.name``), the constructor name (``js_constructor``, or the class
name), and the error's own fields (``status``, ``error``, ``code``, ``headers``, …) as attributes.
SDK-specific families (openai-node / Anthropic SDK ``APIError`` and its subclasses, AWS service
exceptions) derive from ``JSError`` in their own modules.
"""

from __future__ import annotations

from typing import Any


class JSError(Exception):
    """A JS ``Error``: ``new Error(message)`` plus whatever fields the code attached to it.

    ``name`` defaults to the constructor's; extra keyword arguments become attributes (JS code
    often does ``Object.assign(err, {status, code})``). ``status``, ``error``, ``code`` and
    ``headers`` are always present (``None`` where JS has ``undefined``).
    """

    js_constructor = "Error"

    def __init__(self, message: str = "", *, name: str | None = None, **props: Any) -> None:
        super().__init__(message)
        self.message = message
        self.name = name if name is not None else self.js_constructor
        self.status: Any = None
        self.error: Any = None
        self.code: Any = None
        self.headers: Any = None
        for key, value in props.items():
            setattr(self, key, value)

    def __str__(self) -> str:
        return self.message


class JSTypeError(JSError):
    """A JS ``TypeError`` (undici's ``terminated`` and the like)."""

    js_constructor = "TypeError"


class JSRangeError(JSError):
    """A JS ``RangeError`` (google-auth-library's configuration checks)."""

    js_constructor = "RangeError"


class JSSyntaxError(JSError):
    """A JS ``SyntaxError`` (``JSON.parse`` failures)."""

    js_constructor = "SyntaxError"


def error_message(error: BaseException) -> str:
    """JS ``error.message``: the ``message`` attribute of a ported error, else ``str(error)``."""
    message = getattr(error, "message", None)
    return message if isinstance(message, str) else str(error)
