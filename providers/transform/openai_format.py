"""Port of ``src/api/transform/openai-format.ts`` (Roo-Code @ cb83656): Anthropic-style messages
to OpenAI chat messages, and the reasoning_details helpers OpenRouter uses.

Messages are plain dicts; the output dicts are new (the input is never mutated), with keys in
the reference's order and ``undefined`` keys left out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypedDict

from ..js.jsonjs import dumps, js_truthy

# ReasoningDetail: OpenRouter's reasoning detail elements
# (type, text?, summary?, data?, signature?, id?, format?, index?), as plain dicts.
ReasoningDetail = dict[str, Any]


class ConvertToOpenAiMessagesOptions(TypedDict, total=False):
    """``ConvertToOpenAiMessagesOptions``."""

    # applied to every tool_use id and tool_result tool_use_id (providers with strict id rules)
    normalize_tool_call_id: Callable[[str], str]
    # merge text after tool_results into the last tool message instead of a new user message
    merge_tool_result_text: bool


def _template(value: Any) -> str:
    """A value as a JS template literal writes it (``undefined`` for a missing one)."""
    if value is None:
        return "undefined"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _join(parts: list[Any], separator: str) -> str:
    """``Array.prototype.join``: undefined/null items become empty strings."""
    return separator.join("" if part is None else _template(part) for part in parts)


_UNDEFINED = object()


def _js_get(value: Any, key: str) -> Any:
    """``value.key`` keeping undefined (``_UNDEFINED``) apart from null (``None``)."""
    return value.get(key, _UNDEFINED) if isinstance(value, dict) else _UNDEFINED


def _without_undefined(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if value is not None}


# openai-format.ts: consolidateReasoningDetails
def consolidate_reasoning_details(reasoning_details: list[ReasoningDetail] | None) -> list[ReasoningDetail]:
    """Group by index: text concatenated (last signature/id/format kept), summary likewise when
    there is no text, and only the last encrypted block; encrypted blocks without data dropped."""
    if not reasoning_details:
        return []

    grouped_by_index: dict[Any, list[ReasoningDetail]] = {}
    for detail in reasoning_details:
        # a corrupted encrypted block (no data) would fail the request
        if detail.get("type") == "reasoning.encrypted" and not js_truthy(detail.get("data")):
            continue
        index = detail.get("index")
        grouped_by_index.setdefault(0 if index is None else index, []).append(detail)

    consolidated: list[ReasoningDetail] = []
    for index, details in grouped_by_index.items():
        concatenated_text = ""
        concatenated_summary = ""
        signature: Any = None
        id_: Any = None
        format_: Any = "unknown"
        type_: Any = "reasoning.text"

        for detail in details:
            if js_truthy(detail.get("text")):
                concatenated_text += detail["text"]
            if js_truthy(detail.get("summary")):
                concatenated_summary += detail["summary"]
            if js_truthy(detail.get("signature")):
                signature = detail["signature"]
            if js_truthy(detail.get("id")):
                id_ = detail["id"]
            if js_truthy(detail.get("format")):
                format_ = detail["format"]
            if js_truthy(detail.get("type")):
                type_ = detail["type"]

        if concatenated_text:
            consolidated.append(
                _without_undefined(
                    {"type": type_, "text": concatenated_text, "signature": signature, "id": id_, "format": format_, "index": index}
                )
            )

        # the summary (some providers) when there is no text
        if concatenated_summary and not concatenated_text:
            consolidated.append(
                _without_undefined(
                    {"type": type_, "summary": concatenated_summary, "signature": signature, "id": id_, "format": format_, "index": index}
                )
            )

        # encrypted data: only the last one
        last_data_entry: ReasoningDetail | None = None
        for detail in details:
            if js_truthy(detail.get("data")):
                # type and format as they are (null kept); signature and id `?? undefined`
                last_data_entry = {}
                if "type" in detail:
                    last_data_entry["type"] = detail["type"]
                last_data_entry["data"] = detail["data"]
                last_data_entry.update(_without_undefined({"signature": detail.get("signature"), "id": detail.get("id")}))
                if "format" in detail:
                    last_data_entry["format"] = detail["format"]
                last_data_entry["index"] = index
        if last_data_entry is not None:
            consolidated.append(last_data_entry)

    return consolidated


# openai-format.ts: sanitizeGeminiMessages
def sanitize_gemini_messages(messages: list[dict[str, Any]], model_id: str) -> list[dict[str, Any]]:
    """For Gemini models: keep only tool calls that have matching reasoning_details (their
    thought signatures), and drop the tool results of the calls dropped."""
    if "gemini" not in model_id:
        return messages

    dropped_tool_call_ids: set[Any] = set()
    sanitized: list[dict[str, Any]] = []

    for msg in messages:
        if msg.get("role") == "assistant":
            tool_calls = msg.get("tool_calls")
            reasoning_details = msg.get("reasoning_details")

            if isinstance(tool_calls, list) and len(tool_calls) > 0:
                has_reasoning_details = isinstance(reasoning_details, list) and len(reasoning_details) > 0

                if not has_reasoning_details:
                    # no reasoning_details at all: every tool call goes, the text stays
                    for tc in tool_calls:
                        if isinstance(tc, dict) and js_truthy(tc.get("id")):
                            dropped_tool_call_ids.add(tc["id"])
                    if js_truthy(msg.get("content")):
                        sanitized.append({"role": "assistant", "content": msg["content"]})
                    continue

                assert isinstance(reasoning_details, list)
                valid_tool_calls: list[dict[str, Any]] = []
                valid_reasoning_details: list[ReasoningDetail] = []
                for tc in tool_calls:
                    # d.id === tc.id: undefined and null differ
                    matching_details = [d for d in reasoning_details if d.get("id", _UNDEFINED) == _js_get(tc, "id")]
                    if matching_details:
                        valid_tool_calls.append(tc)
                        valid_reasoning_details.extend(matching_details)
                    elif isinstance(tc, dict) and js_truthy(tc.get("id")):
                        dropped_tool_call_ids.add(tc["id"])

                # details without an id (legacy format) stay
                valid_reasoning_details.extend(d for d in reasoning_details if not js_truthy(d.get("id")))

                content = msg.get("content")
                sanitized_msg: dict[str, Any] = {"role": "assistant", "content": "" if content is None else content}
                if valid_reasoning_details:
                    sanitized_msg["reasoning_details"] = consolidate_reasoning_details(valid_reasoning_details)
                if valid_tool_calls:
                    sanitized_msg["tool_calls"] = valid_tool_calls
                sanitized.append(sanitized_msg)
                continue

        if msg.get("role") == "tool":
            tool_call_id = msg.get("tool_call_id")
            if js_truthy(tool_call_id) and tool_call_id in dropped_tool_call_ids:
                # the result of a dropped tool call
                continue

        sanitized.append(msg)

    return sanitized


def _map_reasoning_details(details: Any) -> list[Any] | None:
    """``mapReasoningDetails``: openai-responses-v1 blocks lose their ``id`` (the Responses API
    404s on ids it was not asked to store)."""
    if not isinstance(details, list):
        return None
    return [
        {key: value for key, value in detail.items() if key != "id"}
        if isinstance(detail, dict) and detail.get("format") == "openai-responses-v1" and js_truthy(detail.get("id"))
        else detail
        for detail in details
    ]


def _image_url(part: Mapping[str, Any]) -> dict[str, Any]:
    """An Anthropic image block as an OpenAI ``image_url`` part (a base64 data URL)."""
    source = part.get("source") or {}
    return {
        "type": "image_url",
        "image_url": {"url": f"data:{_template(source.get('media_type'))};base64,{_template(source.get('data'))}"},
    }


# openai-format.ts: convertToOpenAiMessages
def convert_to_openai_messages(
    anthropic_messages: Sequence[Mapping[str, Any]],
    options: ConvertToOpenAiMessagesOptions | None = None,
) -> list[dict[str, Any]]:
    """Anthropic messages as OpenAI chat messages: tool_result blocks become ``tool`` messages
    (before the rest of their user message), tool_use blocks ``tool_calls``."""
    options = options or {}
    open_ai_messages: list[dict[str, Any]] = []
    normalize_id: Callable[[str], str] = options.get("normalize_tool_call_id") or (lambda id_: id_)

    for anthropic_message in anthropic_messages:
        role = anthropic_message.get("role")
        content: Any = anthropic_message.get("content")
        if isinstance(content, str):
            # a single text block compacted to a string; reasoning_details still kept
            base_message: dict[str, Any] = {"role": role, "content": content}
            if role == "assistant":
                mapped = _map_reasoning_details(anthropic_message.get("reasoning_details"))
                if mapped is not None:
                    base_message["reasoning_details"] = mapped
            open_ai_messages.append(base_message)
        elif role == "user":
            non_tool_messages = [part for part in content if part.get("type") in ("text", "image")]
            tool_messages = [part for part in content if part.get("type") == "tool_result"]

            # tool results first: they must follow the tool use messages
            tool_result_images: list[Mapping[str, Any]] = []
            for tool_message in tool_messages:
                # OpenAI tool results are one string: the parts joined
                tool_content = tool_message.get("content")
                if isinstance(tool_content, str):
                    text = tool_content
                elif tool_content is None:
                    text = ""
                else:
                    pieces: list[Any] = []
                    for part in tool_content:
                        if part.get("type") == "image":
                            tool_result_images.append(part)
                            pieces.append("(see following user message for image)")
                        else:
                            pieces.append(part.get("text"))
                    text = _join(pieces, "\n")
                open_ai_messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": normalize_id(tool_message.get("tool_use_id")),
                        # "(empty)" for providers that reject empty content (Gemini via OpenRouter)
                        "content": text or "(empty)",
                    }
                )

            # empty text blocks dropped (Gemini via OpenRouter rejects parts without content)
            filtered_non_tool_messages = [
                part for part in non_tool_messages if part.get("type") == "image" or js_truthy(part.get("text"))
            ]
            if filtered_non_tool_messages:
                has_only_text_content = all(part.get("type") == "text" for part in filtered_non_tool_messages)
                should_merge_into_tool_message = (
                    js_truthy(options.get("merge_tool_result_text")) and len(tool_messages) > 0 and has_only_text_content
                )
                if should_merge_into_tool_message:
                    # reasoning models drop earlier reasoning_content after a user message
                    last_tool_message = open_ai_messages[-1] if open_ai_messages else None
                    if last_tool_message is not None and last_tool_message.get("role") == "tool":
                        additional_text = _join([part.get("text") for part in filtered_non_tool_messages], "\n")
                        last_tool_message["content"] = f"{last_tool_message['content']}\n\n{additional_text}"
                else:
                    open_ai_messages.append(
                        {
                            "role": "user",
                            "content": [
                                _image_url(part)
                                if part.get("type") == "image"
                                else _without_undefined({"type": "text", "text": part.get("text")})
                                for part in filtered_non_tool_messages
                            ],
                        }
                    )
        elif role == "assistant":
            non_tool_parts = [part for part in content if part.get("type") in ("text", "image")]
            tool_uses = [part for part in content if part.get("type") == "tool_use"]

            text_content: str | None = None
            if non_tool_parts:
                # the assistant cannot send images
                text_content = _join(
                    ["" if part.get("type") == "image" else part.get("text") for part in non_tool_parts], "\n"
                )

            tool_calls = [
                {
                    "id": normalize_id(tool_use.get("id")),
                    "type": "function",
                    "function": _without_undefined(
                        {
                            "name": tool_use.get("name"),
                            "arguments": dumps(tool_use["input"]) if "input" in tool_use else None,
                        }
                    ),
                }
                for tool_use in tool_uses
            ]

            # "" rather than undefined: some providers need content on every message;
            # reasoning_details before tool_calls (key order matters to some APIs)
            assistant_message: dict[str, Any] = {
                "role": "assistant",
                "content": "" if text_content is None else text_content,
            }
            mapped = _map_reasoning_details(anthropic_message.get("reasoning_details"))
            if mapped is not None:
                assistant_message["reasoning_details"] = mapped
            # never an empty array: the API rejects one
            if tool_calls:
                assistant_message["tool_calls"] = tool_calls
            open_ai_messages.append(assistant_message)

    return open_ai_messages
