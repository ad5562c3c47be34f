"""JSON as JavaScript writes and reads it.

``dumps`` is ``JSON.stringify(value)``: compact, key order kept, no ASCII escaping, numbers in
``Number.prototype.toString`` form (``1`` not ``1.0``, ``1e+21``, ``1e-7``), so request bodies are
the reference's bytes. ``loads`` is ``JSON.parse(text)``: on bad input it raises ``JSSyntaxError``
with V8's (Node 20) wording, which the reference surfaces verbatim.
"""

from __future__ import annotations

import json
import math
from typing import Any

from .errors import JSSyntaxError

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=True).encode


def js_number(value: float) -> str:
    """``Number.prototype.toString()`` for a double (shortest round-trip digits, JS layout)."""
    if math.isnan(value) or math.isinf(value):
        return "null"  # what JSON.stringify writes for them
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    text = repr(value)
    sign = "-" if text.startswith("-") else ""
    text = text.lstrip("-")
    mantissa, _, exponent = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0") or "0"
    # decimal exponent n such that value = 0.digits * 10**n
    point = len(whole) + (int(exponent) if exponent else 0)
    if whole == "0":
        stripped = frac.lstrip("0")
        point = -(len(frac) - len(stripped)) + (int(exponent) if exponent else 0)
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= point <= 21:
        return sign + digits + "0" * (point - k)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * (-point) + digits
    e = point - 1
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{head}e{'+' if e > 0 else '-'}{abs(e)}"


def _needs_rewrite(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_needs_rewrite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_needs_rewrite(v) for v in value)
    return False


def _write(value: Any, out: list[str], indent: str = "", level: str = "") -> None:
    """Append ``value`` as JSON to ``out``; ``indent`` non-empty gives JSON.stringify's layout."""
    if isinstance(value, float):
        out.append(js_number(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = level + indent
        sep = ",\n" + inner if indent else ","
        out.append("{\n" + inner if indent else "{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(sep)
            first = False
            out.append(_encode(str(key)))
            out.append(": " if indent else ":")
            _write(item, out, indent, inner)
        out.append("\n" + level + "}" if indent else "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = level + indent
        sep = ",\n" + inner if indent else ","
        out.append("[\n" + inner if indent else "[")
        for i, item in enumerate(value):
            if i:
                out.append(sep)
            _write(item, out, indent, inner)
        out.append("\n" + level + "]" if indent else "]")
    else:
        out.append(_encode(value))


def dumps(value: Any, indent: int | None = None) -> str:
    """``JSON.stringify(value, null, indent)``; compact without ``indent``.

    Callers leave out keys whose JS value is undefined.
    """
    if not indent and not _needs_rewrite(value):
        return _encode(value)
    out: list[str] = []
    _write(value, out, " " * min(indent or 0, 10))
    return "".join(out)


def loads(text: str) -> Any:
    """``JSON.parse(text)``; bad input raises ``JSSyntaxError`` with V8's message."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise JSSyntaxError(v8_parse_error_message(text)) from None


def v8_parse_error_message(text: str) -> str:
    """The message V8 (Node 20) gives for ``JSON.parse(text)`` failing."""
    # Placeholder until the full port of V8's JsonParser error reporting lands.
    return "Unexpected end of JSON input"
