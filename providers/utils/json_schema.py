"""Tool JSON Schema normalisation: port of ``normalizeToolSchema`` in ``src/utils/json-schema.ts``
(Roo-Code @ cb83656).

The reference validates with a recursive zod 3.25 object schema (``.passthrough()``) and rewrites
each node in a ``.transform``. What zod does is behaviour here, because it fixes the key order of
the request body: a parsed object lists the schema's known keys first (in the zod shape's order,
where present), then the unknown keys in input order; the transform then rebuilds the node.
When any node fails validation the whole schema is returned unchanged (``safeParse``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..js.jsonjs import js_is_number, js_truthy

# Set of format values supported by OpenAI's Structured Outputs (strict mode).
OPENAI_SUPPORTED_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)

# Array-specific properties that move inside the array variant when converting to anyOf.
ARRAY_SPECIFIC_PROPERTIES = ("items", "minItems", "maxItems", "uniqueItems")

_TYPES = frozenset({"string", "number", "integer", "boolean", "null", "object", "array"})


class _Invalid(Exception):
    """A node failed zod validation (``safeParse`` reports failure)."""


def _is_enum_value(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool)) or js_is_number(value)


def _check(predicate: Callable[[Any], bool]) -> Callable[[Any], Any]:
    def parse(value: Any) -> Any:
        if not predicate(value):
            raise _Invalid
        return value

    return parse


def _parse_type(value: Any) -> Any:
    if isinstance(value, str) and value in _TYPES:
        return value
    if isinstance(value, list) and all(isinstance(t, str) and t in _TYPES for t in value):
        return value
    raise _Invalid


def _parse_record(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid
    return {key: _parse_node(item) for key, item in value.items()}


def _parse_items(value: Any) -> Any:
    if isinstance(value, dict):
        return _parse_node(value)
    if isinstance(value, list):
        return [_parse_node(item) for item in value]
    raise _Invalid


def _parse_additional_properties(value: Any) -> Any:
    return value if isinstance(value, bool) else _parse_node(value)


def _parse_node_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _Invalid
    return [_parse_node(item) for item in value]


def _pass(value: Any) -> Any:
    return value


# The shape of NormalizedToolSchemaInternal, in declaration order: key -> validator/parser.
_SHAPE: dict[str, Callable[[Any], Any]] = {
    "type": _parse_type,
    "properties": _parse_record,
    "items": _parse_items,
    "required": _check(lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v)),
    "additionalProperties": _parse_additional_properties,
    "description": _check(lambda v: isinstance(v, str)),
    "default": _pass,
    "enum": _check(lambda v: isinstance(v, list) and all(_is_enum_value(e) for e in v)),
    "const": _check(_is_enum_value),
    "anyOf": _parse_node_list,
    "oneOf": _parse_node_list,
    "allOf": _parse_node_list,
    "$ref": _check(lambda v: isinstance(v, str)),
    "minimum": _check(js_is_number),
    "maximum": _check(js_is_number),
    "minLength": _check(js_is_number),
    "maxLength": _check(js_is_number),
    "pattern": _check(lambda v: isinstance(v, str)),
    "minItems": _check(js_is_number),
    "maxItems": _check(js_is_number),
    "uniqueItems": _check(lambda v: isinstance(v, bool)),
    "format": _check(lambda v: isinstance(v, str)),
}

# Members whose validator accepts null (z.unknown() and the enum-value union with z.null()).
_NULLABLE = frozenset({"default", "const"})

_DESTRUCTURED = frozenset(
    {"type", "required", "properties", "additionalProperties", "format", "items", "minItems", "maxItems", "uniqueItems"}
)


def _apply_array_properties(target: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """``applyArrayProperties``: copy the array-specific properties that are defined."""
    for prop in ARRAY_SPECIFIC_PROPERTIES:
        if source.get(prop) is not None:
            target[prop] = source[prop]
    return target


def _parse_node(value: Any) -> dict[str, Any]:
    """One ``NormalizedToolSchemaInternal`` node: zod object parse, then the transform."""
    if not isinstance(value, dict):
        raise _Invalid
    schema: dict[str, Any] = {}
    for key, parse in _SHAPE.items():
        if key not in value:
            continue
        if value[key] is None and key not in _NULLABLE:
            raise _Invalid  # .optional() accepts undefined, not null
        schema[key] = parse(value[key])
    for key, item in value.items():
        if key not in _SHAPE:
            schema[key] = item
    return _transform(schema)


def _transform(schema: dict[str, Any]) -> dict[str, Any]:
    """The ``.transform`` of ``NormalizedToolSchemaInternal``."""
    type_ = schema.get("type")
    required = schema.get("required")
    properties = schema.get("properties")
    format_ = schema.get("format")
    result = {key: item for key, item in schema.items() if key not in _DESTRUCTURED}

    is_object_type = type_ == "object" or (isinstance(type_, list) and "object" in type_) or "properties" in schema
    array_props = {prop: schema.get(prop) for prop in ARRAY_SPECIFIC_PROPERTIES}

    if isinstance(type_, list):
        result["anyOf"] = [
            _apply_array_properties({"type": t}, array_props) if t == "array" else {"type": t} for t in type_
        ]
    elif type_ is not None:
        result["type"] = type_
        if type_ == "array":
            _apply_array_properties(result, array_props)

    if format_ and format_ in OPENAI_SUPPORTED_FORMATS:
        result["format"] = format_

    if properties is not None:
        result["properties"] = properties
        if required is not None:
            filtered_required = [key for key in required if key in properties]
            if filtered_required:
                result["required"] = filtered_required
    elif result.get("type") == "object" or (isinstance(type_, list) and "object" in type_):
        result["properties"] = {}

    if is_object_type:
        result["additionalProperties"] = False
    return result


def _flatten_top_level_composition(schema: dict[str, Any]) -> dict[str, Any]:
    """``flattenTopLevelComposition``: merge a top-level anyOf/oneOf/allOf into an object schema."""
    any_of, one_of, all_of = schema.get("anyOf"), schema.get("oneOf"), schema.get("allOf")
    rest = {key: item for key, item in schema.items() if key not in ("anyOf", "oneOf", "allOf")}
    if not js_truthy(any_of) and not js_truthy(one_of) and not js_truthy(all_of):
        return schema
    composition = next(v for v in (any_of, one_of, all_of) if js_truthy(v))
    if not isinstance(composition, list) or len(composition) == 0:
        return schema
    object_variant = next(
        (
            variant
            for variant in composition
            if isinstance(variant, dict) and (variant.get("type") == "object" or "properties" in variant)
        ),
        None,
    )
    if object_variant is not None:
        return {**rest, **object_variant}
    return {"type": "object", "additionalProperties": False, **rest}


def normalize_tool_schema(schema: Any) -> Any:
    """``normalizeToolSchema``: JSON Schema draft 2020-12 form of a tool's input schema."""
    if not isinstance(schema, dict):
        return schema
    flattened = _flatten_top_level_composition(schema)
    try:
        return _parse_node(flattened)
    except _Invalid:
        return flattened
