"""The zod 3 schema semantics the reference's validation relies on, for parsed JSON values.

A schema is a function from a value to its parsed value or ``INVALID``: ``z.number()`` (no NaN,
no booleans), ``z.boolean()``, ``z.string()``, ``z.enum``, ``z.array``, ``z.union`` (first match),
``z.record(z.string(), v)`` and ``z.object(shape)``, which strips unknown keys and writes the
known ones in shape order. Each shape key is ``REQUIRED``, ``OPTIONAL`` (may be absent, not
null) or ``NULLISH`` (absent or null). ``safe_parse`` is ``schema.safeParse``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

INVALID: Final[Any] = object()
Schema = Callable[[Any], Any]

REQUIRED: Final = "required"
OPTIONAL: Final = "optional"
NULLISH: Final = "nullish"


def number(value: Any) -> Any:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value == value
    return value if ok else INVALID


def boolean(value: Any) -> Any:
    return value if isinstance(value, bool) else INVALID


def string(value: Any) -> Any:
    return value if isinstance(value, str) else INVALID


def enum(*values: str) -> Schema:
    return lambda value: value if isinstance(value, str) and value in values else INVALID


def array(item: Schema) -> Schema:
    def parse(value: Any) -> Any:
        if not isinstance(value, list):
            return INVALID
        items = [item(element) for element in value]
        return INVALID if any(element is INVALID for element in items) else items

    return parse


def union(*options: Schema) -> Schema:
    def parse(value: Any) -> Any:
        for option in options:
            parsed = option(value)
            if parsed is not INVALID:
                return parsed
        return INVALID

    return parse


def record(values: Schema) -> Schema:
    def parse(value: Any) -> Any:
        if not isinstance(value, dict):
            return INVALID
        out = {key: values(item) for key, item in value.items()}
        return INVALID if any(item is INVALID for item in out.values()) else out

    return parse


def object_(shape: dict[str, tuple[Schema, str]]) -> Schema:
    """``z.object(shape)`` (strip mode)."""

    def parse(value: Any) -> Any:
        if not isinstance(value, dict):
            return INVALID
        out: dict[str, Any] = {}
        for key, (schema, presence) in shape.items():
            if key not in value:
                if presence == REQUIRED:
                    return INVALID
                continue
            field = value[key]
            if field is None and presence == NULLISH:
                out[key] = None
                continue
            parsed = schema(field)
            if parsed is INVALID:
                return INVALID
            out[key] = parsed
        return out

    return parse


def extend(base: dict[str, tuple[Schema, str]], **more: tuple[Schema, str]) -> dict[str, tuple[Schema, str]]:
    """``schema.extend({...})`` on a shape."""
    return {**base, **more}


def safe_parse(schema: Schema, value: Any) -> tuple[bool, Any]:
    """``schema.safeParse(value)``: ``(success, data)``."""
    parsed = schema(value)
    return (False, None) if parsed is INVALID else (True, parsed)
