"""Port of ``src/api/transform/r1-format.ts`` (Roo-Code @ cb83656): Anthropic-style messages to
OpenAI chat messages with consecutive same-role messages merged (DeepSeek Reasoner rejects
successive messages of one role), keeping DeepSeek's ``reasoning_content``.

The output dicts are new (the input is never mutated), with the reference's key order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..js.jsonjs import dumps, js_truthy


def _template(value: Any) -> str:
    """A value as a JS template literal writes it (``undefined`` for a missing one)."""
    if value is None:
        return "undefined"
    return str(value)


def _tool_result_text(content: Any) -> str:
    """A tool_result's content as one string: text parts, "(image)" for images, "\\n"-joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces: list[str] = []
        for part in content:
            if part.get("type") == "text":
                text = part.get("text")
                pieces.append("" if text is None else str(text))
            elif part.get("type") == "image":
                pieces.append("(image)")
            else:
                pieces.append("")
        return "\n".join(pieces)
    return ""


# r1-format.ts: convertToR1Format
def convert_to_r1_format(
    messages: Sequence[Mapping[str, Any]],
    merge_tool_result_text: bool = False,
) -> list[dict[str, Any]]:
    """Messages for DeepSeek Reasoner. With ``merge_tool_result_text`` (the reference's
    ``options.mergeToolResultText``), text after tool results goes into the last tool message
    rather than a user message, which would make DeepSeek drop its reasoning_content."""
    result: list[dict[str, Any]] = []

    for message in messages:
        # reasoning_content at the top level (DeepSeek interleaved thinking)
        reasoning_content = message.get("reasoning_content")
        role = message.get("role")
        content: Any = message.get("content")

        if role == "user":
            if isinstance(content, list):
                text_parts: list[str] = []
                image_parts: list[dict[str, Any]] = []
                tool_results: list[tuple[Any, str]] = []

                for part in content:
                    part_type = part.get("type")
                    if part_type == "text":
                        text_parts.append(part.get("text"))
                    elif part_type == "image":
                        source = part.get("source") or {}
                        image_parts.append(
                            {
                                "type": "image_url",
                                "image_url": {
                                    "url": f"data:{_template(source.get('media_type'))};base64,{_template(source.get('data'))}"
                                },
                            }
                        )
                    elif part_type == "tool_result":
                        tool_results.append((part.get("tool_use_id"), _tool_result_text(part.get("content"))))

                # tool messages first: they must follow the assistant's tool_use
                for tool_use_id, tool_content in tool_results:
                    result.append({"role": "tool", "tool_call_id": tool_use_id, "content": tool_content})

                if text_parts or image_parts:
                    should_merge_into_tool_message = merge_tool_result_text and len(tool_results) > 0 and not image_parts
                    if should_merge_into_tool_message:
                        last_tool_message = result[-1] if result else None
                        if last_tool_message is not None and last_tool_message.get("role") == "tool":
                            additional_text = "\n".join(_template(text) for text in text_parts)
                            last_tool_message["content"] = f"{last_tool_message['content']}\n\n{additional_text}"
                    else:
                        user_content: Any
                        if image_parts:
                            parts: list[dict[str, Any]] = []
                            if text_parts:
                                parts.append({"type": "text", "text": "\n".join(_template(t) for t in text_parts)})
                            parts.extend(image_parts)
                            user_content = parts
                        else:
                            user_content = "\n".join(_template(t) for t in text_parts)

                        last_message = result[-1] if result else None
                        if last_message is not None and last_message.get("role") == "user":
                            last_content: Any = last_message.get("content")
                            if isinstance(last_content, str) and isinstance(user_content, str):
                                last_message["content"] = f"{last_content}\n{user_content}"
                            else:
                                previous = (
                                    last_content
                                    if isinstance(last_content, list)
                                    else [{"type": "text", "text": last_content if js_truthy(last_content) else ""}]
                                )
                                new = user_content if isinstance(user_content, list) else [{"type": "text", "text": user_content}]
                                last_message["content"] = [*previous, *new]
                        else:
                            result.append({"role": "user", "content": user_content})
            else:
                # plain string content
                last_message = result[-1] if result else None
                if last_message is not None and last_message.get("role") == "user":
                    last_content = last_message.get("content")
                    if isinstance(last_content, str):
                        last_message["content"] = f"{last_content}\n{_template(content)}"
                    else:
                        last_message["content"] = [*last_content, {"type": "text", "text": content}]
                else:
                    result.append({"role": "user", "content": content})
        elif role == "assistant":
            if isinstance(content, list):
                assistant_text: list[str] = []
                tool_calls: list[dict[str, Any]] = []
                extracted_reasoning: Any = None

                for part in content:
                    part_type = part.get("type")
                    if part_type == "text":
                        assistant_text.append(part.get("text"))
                    elif part_type == "tool_use":
                        function: dict[str, Any] = {"name": part.get("name")}
                        if "input" in part:
                            function["arguments"] = dumps(part["input"])
                        tool_calls.append({"id": part.get("id"), "type": "function", "function": function})
                    elif part_type == "reasoning" and js_truthy(part.get("text")):
                        # reasoning stored as a content block (as Task stores it)
                        extracted_reasoning = part["text"]

                final_reasoning = reasoning_content if js_truthy(reasoning_content) else extracted_reasoning

                assistant_message: dict[str, Any] = {
                    "role": "assistant",
                    "content": "\n".join(_template(t) for t in assistant_text) if assistant_text else None,
                }
                if tool_calls:
                    assistant_message["tool_calls"] = tool_calls
                # reasoning_content preserved for DeepSeek interleaved thinking
                if js_truthy(final_reasoning):
                    assistant_message["reasoning_content"] = final_reasoning

                # merged into the previous assistant message only when neither has tool calls
                last_message = result[-1] if result else None
                if (
                    last_message is not None
                    and last_message.get("role") == "assistant"
                    and not tool_calls
                    and not js_truthy(last_message.get("tool_calls"))
                ):
                    last_content = last_message.get("content")
                    new_content = assistant_message["content"]
                    if isinstance(last_content, str) and isinstance(new_content, str):
                        last_message["content"] = f"{last_content}\n{new_content}"
                    elif js_truthy(new_content):
                        last_text: Any = last_content if js_truthy(last_content) else ""
                        last_message["content"] = f"{last_text}\n{new_content}"
                    if js_truthy(final_reasoning):
                        last_message["reasoning_content"] = final_reasoning
                else:
                    result.append(assistant_message)
            else:
                # plain string content
                last_message = result[-1] if result else None
                if (
                    last_message is not None
                    and last_message.get("role") == "assistant"
                    and not js_truthy(last_message.get("tool_calls"))
                ):
                    last_content = last_message.get("content")
                    if isinstance(last_content, str):
                        last_message["content"] = f"{last_content}\n{_template(content)}"
                    else:
                        last_message["content"] = content
                    if js_truthy(reasoning_content):
                        last_message["reasoning_content"] = reasoning_content
                else:
                    assistant_message = {"role": "assistant", "content": content}
                    if js_truthy(reasoning_content):
                        assistant_message["reasoning_content"] = reasoning_content
                    result.append(assistant_message)

    return result
