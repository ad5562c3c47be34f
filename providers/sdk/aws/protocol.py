"""The restJson1 protocol of Bedrock Runtime: request serializers and response deserializers, in one place.

Mirrors @aws-sdk/client-bedrock-runtime 3.922.0 (``dist-cjs/index.js``: ``se_ConverseStreamCommand``,
``se_ConverseCommand`` and their ``se_*`` shapes; ``de_ConverseCommand``, ``de_CommandError``, the
``de_*ExceptionRes`` functions, ``de_ConverseStreamOutput`` and the event ``de_*`` shapes), with the
helpers they call: @smithy/smithy-client 4.9.2 (``take``, ``_json``, ``expectString``,
``serializeFloat``, ``extendedEncodeURIComponent``), @aws-sdk/core 3.922.0
(``protocols/json/parseJsonBody.ts``: ``parseJsonBody``, ``loadRestJsonErrorCode``; ``awsExpectUnion``),
@smithy/util-base64 and @smithy/middleware-serde 4.2.4 (``deserializerMiddleware``: the
deserialization-error hint).
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from ...js import jsonjs
from ...js.errors import JSError, JSSyntaxError, JSTypeError
from .exceptions import (
    MODELED_ERRORS,
    BedrockRuntimeServiceException,
    decorate_service_exception,
)
from .http_handler import HttpResponse


# de_ConverseStreamOutput: the exception members of the ConverseStream event union.
STREAM_EXCEPTIONS = {
    "internalServerException": "InternalServerException",
    "modelStreamErrorException": "ModelStreamErrorException",
    "validationException": "ValidationException",
    "throttlingException": "ThrottlingException",
    "serviceUnavailableException": "ServiceUnavailableException",
}


def metadata_from_response(status: int | None, headers: Mapping[str, str]) -> dict[str, Any]:
    """``deserializeMetadata``: undefined members are left out."""
    metadata: dict[str, Any] = {}
    if status is not None:
        metadata["httpStatusCode"] = status
    request_id = headers.get("x-amzn-requestid") or headers.get("x-amzn-request-id") or headers.get("x-amz-request-id")
    for key, value in (
        ("requestId", request_id),
        ("extendedRequestId", headers.get("x-amz-id-2")),
        ("cfId", headers.get("x-amz-cf-id")),
    ):
        if value is not None:
            metadata[key] = value
    return metadata


def _error_name(error: BaseException) -> Any:
    return getattr(error, "name", type(error).__name__)


# ---------------------------------------------------------------------------------------------
# smithy-client helpers: take / _json / expectUnion / expectString
# ---------------------------------------------------------------------------------------------


def _json(obj: Any) -> Any:
    """``_json``: drop null members (recursively); ``null`` itself becomes ``{}``."""
    if obj is None:
        return {}
    if isinstance(obj, list):
        return [_json(item) for item in obj if item is not None]
    if isinstance(obj, dict):
        return {key: _json(value) for key, value in obj.items() if value is not None}
    return obj


def _take(source: Mapping[str, Any], instructions: Mapping[str, Callable[[Any], Any] | None]) -> dict[str, Any]:
    """``take(source, instructions)``: non-null members in the instructions' order, transformed."""
    out: dict[str, Any] = {}
    for key, transform in instructions.items():
        value = source.get(key)
        if value is not None:
            out[key] = transform(value) if transform is not None else value
    return out


def _aws_expect_union(value: Any) -> Any:
    """``awsExpectUnion``: drop ``__type``, then exactly one non-null member."""
    if value is None:
        return None
    if isinstance(value, dict) and "__type" in value:
        del value["__type"]
    if not isinstance(value, dict):
        raise JSTypeError(f"Expected object, got {_js_typeof(value)}: {jsonjs.js_string(value)}")
    if len(value) == 1 and next(iter(value.values())) is not None:
        return value  # the usual shape: one member, set
    set_keys = [key for key, item in value.items() if item is not None]
    if not set_keys:
        raise JSTypeError("Unions must have exactly one non-null member. None were found.")
    if len(set_keys) > 1:
        raise JSTypeError(f"Unions must have exactly one non-null member. Keys {','.join(set_keys)} were not null.")
    return value


def _expect_string(value: Any) -> str | None:
    """``expectString``: numbers and booleans are stringified, other types are a TypeError."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return jsonjs.js_string(value)
    raise JSTypeError(f"Expected string, got {_js_typeof(value)}: {jsonjs.js_string(value)}")


def _js_typeof(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


# ---------------------------------------------------------------------------------------------
# Serializers: se_ConverseStreamCommand / se_ConverseCommand (restJson1)
# ---------------------------------------------------------------------------------------------


def extended_encode_uri_component(value: str) -> str:
    """``extendedEncodeURIComponent``: encodeURIComponent plus ``!'()*``."""
    return quote(value, safe="-_.~")


def _b64(value: Any) -> str:
    """``toBase64`` of util-base64."""
    return base64.b64encode(bytes(value)).decode("ascii")


def _from_base64(value: Any) -> bytes:
    """``fromBase64`` of util-base64: padded standard base64 only."""
    if not isinstance(value, str) or (len(value) * 3) % 4 != 0:
        raise JSTypeError("Incorrect padding on base64 string.")
    if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", value):
        raise JSTypeError("Invalid base64 string.")
    return base64.b64decode(value)


def _visit_union(value: Mapping[str, Any], members: Mapping[str, Callable[[Any], Any]]) -> dict[str, Any]:
    """A union's ``visit``: the first set member in the model's order, else the raw member."""
    for member, serialize in members.items():
        if value.get(member, _UNDEFINED) is not _UNDEFINED:
            return {member: serialize(value[member])}
    unknown = value.get("$unknown")
    if unknown is None:
        raise JSTypeError("Cannot read properties of undefined (reading '0')")
    return {unknown[0]: unknown[1]}


_UNDEFINED = object()


def _se_list(items: list[Any], serialize: Callable[[Any], Any]) -> list[Any]:
    return [serialize(item) for item in items if item is not None]


def _se_image_block(value: Mapping[str, Any]) -> dict[str, Any]:
    return _take(value, {"format": None, "source": lambda s: _visit_union(s, {"bytes": _b64, "s3Location": _json})})


def _se_video_block(value: Mapping[str, Any]) -> dict[str, Any]:
    return _take(value, {"format": None, "source": lambda s: _visit_union(s, {"bytes": _b64, "s3Location": _json})})


def _se_document_block(value: Mapping[str, Any]) -> dict[str, Any]:
    source_members = {"bytes": _b64, "s3Location": _json, "text": lambda v: v, "content": _json}
    return _take(
        value,
        {
            "citations": _json,
            "context": None,
            "format": None,
            "name": None,
            "source": lambda s: _visit_union(s, source_members),
        },
    )


def _se_guard_content(value: Mapping[str, Any]) -> dict[str, Any]:
    image_members = {"bytes": _b64}
    return _visit_union(
        value,
        {
            "text": _json,
            "image": lambda v: _take(v, {"format": None, "source": lambda s: _visit_union(s, image_members)}),
        },
    )


def _se_tool_result_block(value: Mapping[str, Any]) -> dict[str, Any]:
    members: dict[str, Callable[[Any], Any]] = {
        "json": lambda v: v,
        "text": lambda v: v,
        "image": _se_image_block,
        "document": _se_document_block,
        "video": _se_video_block,
    }
    return _take(
        value,
        {
            "content": lambda c: _se_list(c, lambda b: _visit_union(b, members)),
            "status": None,
            "toolUseId": None,
            "type": None,
        },
    )


def _se_content_block(value: Mapping[str, Any]) -> dict[str, Any]:
    """``se_ContentBlock`` (ContentBlock.visit order)."""
    return _visit_union(
        value,
        {
            "text": lambda v: v,
            "image": _se_image_block,
            "document": _se_document_block,
            "video": _se_video_block,
            "toolUse": lambda v: _take(v, {"input": lambda i: i, "name": None, "toolUseId": None, "type": None}),
            "toolResult": _se_tool_result_block,
            "guardContent": _se_guard_content,
            "cachePoint": _json,
            "reasoningContent": lambda v: _visit_union(v, {"reasoningText": _json, "redactedContent": _b64}),
            "citationsContent": _json,
        },
    )


def _se_message(value: Mapping[str, Any]) -> dict[str, Any]:
    return _take(value, {"content": lambda c: _se_list(c, _se_content_block), "role": None})


def _se_system_content_block(value: Mapping[str, Any]) -> dict[str, Any]:
    return _visit_union(value, {"text": lambda v: v, "guardContent": _se_guard_content, "cachePoint": _json})


def _se_tool(value: Mapping[str, Any]) -> dict[str, Any]:
    spec = {"description": None, "inputSchema": lambda s: _visit_union(s, {"json": lambda v: v}), "name": None}
    return _visit_union(value, {"toolSpec": lambda v: _take(v, spec), "systemTool": _json, "cachePoint": _json})


def _serialize_float(value: Any) -> Any:
    """``serializeFloat``: NaN and the infinities as strings."""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
    return value


def serialize_converse_input(input: Mapping[str, Any]) -> bytes:
    """The JSON body of ``se_ConverseStreamCommand`` / ``se_ConverseCommand`` (members in model
    order, members the model lacks dropped)."""
    body = _take(
        input,
        {
            "additionalModelRequestFields": lambda v: v,
            "additionalModelResponseFieldPaths": _json,
            "guardrailConfig": _json,
            "inferenceConfig": lambda v: _take(
                v,
                {"maxTokens": None, "stopSequences": _json, "temperature": _serialize_float, "topP": _serialize_float},
            ),
            "messages": lambda v: _se_list(v, _se_message),
            "performanceConfig": _json,
            "promptVariables": _json,
            "requestMetadata": _json,
            "system": lambda v: _se_list(v, _se_system_content_block),
            "toolConfig": lambda v: _take(v, {"toolChoice": _json, "tools": lambda t: _se_list(t, _se_tool)}),
        },
    )
    return jsonjs.dumps(body).encode()


def model_path(model_id: Any, operation: str) -> str:
    """``b.bp("/model/{modelId}/…")`` with the label resolved."""
    if model_id is None:
        raise JSError("No value provided for input HTTP label: modelId.")
    if len(model_id) <= 0:
        raise JSError("Empty value provided for input HTTP label: modelId.")
    return f"/model/{extended_encode_uri_component(model_id)}/{operation}"


# ---------------------------------------------------------------------------------------------
# Deserializers: de_CommandError, de_ConverseCommand, de_ConverseStreamOutput's events
# ---------------------------------------------------------------------------------------------


def parse_json_body(data: bytes) -> Any:
    """``parseJsonBody``: ``{}`` for an empty body, else ``JSON.parse`` of the UTF-8 text."""
    text = data.decode("utf-8", "replace")
    if not text:
        return {}
    try:
        return jsonjs.loads(text)
    except JSSyntaxError as error:
        setattr(error, "response_body_text", text)
        raise


def _load_rest_json_error_code(headers: Mapping[str, str], data: Any) -> str | None:
    """``loadRestJsonErrorCode``: ``x-amzn-errortype`` header, else the body's code/__type."""

    def sanitize(raw: Any) -> str:
        value = jsonjs.js_string(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else raw
        if not isinstance(value, str):
            raise JSTypeError("cleanValue.indexOf is not a function")
        if "," in value:
            value = value.split(",")[0]
        if ":" in value:
            value = value.split(":")[0]
        if "#" in value:
            value = value.split("#")[1]
        return value

    header = next((k for k in headers if k.lower() == "x-amzn-errortype"), None)
    if header is not None:
        return sanitize(headers[header])
    if isinstance(data, dict):
        code_key = next((k for k in data if k.lower() == "code"), None)
        if code_key is not None and data[code_key] is not None:
            return sanitize(data[code_key])
        if data.get("__type") is not None:
            return sanitize(data["__type"])
    return None


def de_command_error(response: HttpResponse, body: Any) -> BedrockRuntimeServiceException:
    """``de_CommandError``: the modeled exception for the error code, else the base exception."""
    if isinstance(body, dict):
        body["message"] = body["message"] if body.get("message") is not None else body.get("Message")
    error_code = _load_rest_json_error_code(response.headers, body)
    metadata = metadata_from_response(response.status, response.headers)
    exception: BedrockRuntimeServiceException
    if error_code in MODELED_ERRORS:
        exception = modeled_exception(error_code, body, metadata)
    else:
        parsed = body if isinstance(body, dict) else {}
        name = parsed.get("code") or parsed.get("Code") or error_code or str(response.status) or "UnknownError"
        exception = BedrockRuntimeServiceException("", name=name, metadata=metadata)
        exception.fault = "client"
        exception = decorate_service_exception(exception, parsed)
    exception.response = response
    return exception


def modeled_exception(error_code: str, body: Any, metadata: dict[str, Any]) -> BedrockRuntimeServiceException:
    """``de_<Name>ExceptionRes``: the members the model takes, then ``decorateServiceException``."""
    cls, members = MODELED_ERRORS[error_code]
    parsed = body if isinstance(body, dict) else {}
    contents = _take(
        parsed,
        {
            member: _expect_string if member in ("message", "originalMessage", "resourceName") else None
            for member in members
        },
    )
    exception = cls(contents.pop("message", "") or "", name=error_code, metadata=metadata, **contents)
    return decorate_service_exception(exception, parsed)


def deserialization_error(error: JSError, response: HttpResponse) -> JSError:
    """middleware-serde: a non-service error gains the hint and ``$metadata`` from the headers."""
    if getattr(error, "metadata", None) is None:
        error.message += (
            "\n  Deserialization error: to see the raw response, inspect the hidden field "
            "{error}.$response on this object."
        )
        error.args = (error.message,)

        def find(pattern: str) -> str | None:
            return next((v for k, v in response.headers.items() if re.match(pattern, k)), None)

        metadata: dict[str, Any] = {"httpStatusCode": response.status}
        for key, pattern in (
            ("requestId", r"^x-[\w-]+-request-?id$"),
            ("extendedRequestId", r"^x-[\w-]+-id-2$"),
            ("cfId", r"^x-[\w-]+-cf-id$"),
        ):
            value = find(pattern)
            if value is not None:
                metadata[key] = value
        setattr(error, "metadata", metadata)
        setattr(error, "response", response)
    return error


def _de_content_block_delta(value: Any) -> dict[str, Any]:
    """``de_ContentBlockDelta``."""
    delta = _aws_expect_union(value)
    text = delta.get("text")
    if isinstance(text, str):
        return {"text": text}  # the usual member (only one is set: citation and the rest are not)
    if delta.get("citation") is not None:
        return {"citation": _json(delta["citation"])}
    if delta.get("reasoningContent") is not None:
        reasoning = _aws_expect_union(delta["reasoningContent"])
        if reasoning.get("redactedContent") is not None:
            return {"reasoningContent": {"redactedContent": _from_base64(reasoning["redactedContent"])}}
        for member in ("signature", "text"):
            text = _expect_string(reasoning.get(member))
            if text is not None:
                return {"reasoningContent": {member: text}}
        return {"reasoningContent": {"$unknown": next(iter(reasoning.items()))}}
    text = _expect_string(delta.get("text"))
    if text is not None:
        return {"text": text}
    for member in ("toolResult", "toolUse"):
        if delta.get(member) is not None:
            return {member: _json(delta[member])}
    return {"$unknown": next(iter(delta.items()))}


# de_ContentBlockDeltaEvent's `take` instructions, built once (they run per streamed delta)
_CONTENT_BLOCK_DELTA_EVENT: dict[str, Callable[[Any], Any] | None] = {
    "contentBlockIndex": None,
    "delta": _de_content_block_delta,
}

EVENT_DESERIALIZERS: dict[str, Callable[[Any], Any]] = {
    "messageStart": _json,
    "contentBlockStart": _json,
    "contentBlockDelta": lambda data: _take(data, _CONTENT_BLOCK_DELTA_EVENT),
    "contentBlockStop": _json,
    "messageStop": lambda data: _take(data, {"additionalModelResponseFields": None, "stopReason": _expect_string}),
    "metadata": lambda data: _take(
        data,
        {
            "metrics": _json,
            "performanceConfig": _json,
            "trace": lambda t: _take(t, {"guardrail": None, "promptRouter": _json}),
            "usage": _json,
        },
    ),
}


def deserialize_converse_output(data: Any) -> dict[str, Any]:
    """``de_ConverseCommand``'s body: the output members (``$metadata`` is the caller's)."""
    if not isinstance(data, dict):
        raise JSTypeError(f"Expected object, got {_js_typeof(data)}: {jsonjs.js_string(data)}")
    return _take(
        data,
        {
            "additionalModelResponseFields": None,
            "metrics": _json,
            "output": lambda o: _de_converse_output(_aws_expect_union(o)),
            "performanceConfig": _json,
            "stopReason": _expect_string,
            "trace": None,
            "usage": _json,
        },
    )


def _de_converse_output(output: Mapping[str, Any]) -> dict[str, Any]:
    """``de_ConverseOutput``: the message and its content blocks."""
    if output.get("message") is not None:
        message = output["message"]
        return {
            "message": _take(
                message,
                {
                    "content": lambda blocks: [
                        _de_content_block(_aws_expect_union(block)) for block in blocks if block is not None
                    ],
                    "role": _expect_string,
                },
            )
        }
    return {"$unknown": next(iter(output.items()))}


def _de_content_block(block: Mapping[str, Any]) -> dict[str, Any]:
    """``de_ContentBlock``: text as a string, other members as sent."""
    for member in ("cachePoint", "citationsContent", "document", "guardContent", "image", "reasoningContent"):
        if block.get(member) is not None:
            return {member: block[member]}
    text = _expect_string(block.get("text"))
    if text is not None:
        return {"text": text}
    for member in ("toolResult", "toolUse", "video"):
        if block.get(member) is not None:
            return {member: block[member]}
    return {"$unknown": next(iter(block.items()))}
