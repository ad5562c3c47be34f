"""transform/gemini_format.py against gemini-format.ts (cb83656): thought signatures and tool results."""

from __future__ import annotations

import pytest

from providers.js.errors import JSError
from providers.transform.gemini_format import (
    convert_anthropic_content_to_gemini,
    convert_anthropic_message_to_gemini,
)


def test_signature_only_on_the_first_of_parallel_calls() -> None:
    """Post-processing: only the first functionCall part keeps the signature."""
    content = [
        {"type": "thoughtSignature", "thoughtSignature": "sig-1"},
        {"type": "tool_use", "id": "a", "name": "read_file", "input": {"path": "a"}},
        {"type": "tool_use", "id": "b", "name": "read_file", "input": {"path": "b"}},
    ]
    assert convert_anthropic_content_to_gemini(content) == [
        {"functionCall": {"name": "read_file", "args": {"path": "a"}}, "thoughtSignature": "sig-1"},
        {"functionCall": {"name": "read_file", "args": {"path": "b"}}},
    ]


def test_signature_attached_to_first_part_or_a_placeholder() -> None:
    """No function call: the signature goes on parts[0], or on an empty text part."""
    with_text = [{"type": "text", "text": "hi"}, {"type": "thoughtSignature", "thoughtSignature": "sig"}]
    assert convert_anthropic_content_to_gemini(with_text) == [{"text": "hi", "thoughtSignature": "sig"}]
    only_signature = [{"type": "thoughtSignature", "thoughtSignature": "sig"}]
    assert convert_anthropic_content_to_gemini(only_signature) == [{"text": "", "thoughtSignature": "sig"}]
    assert convert_anthropic_content_to_gemini(only_signature, include_thought_signatures=False) == []


def test_validator_bypass_without_a_recorded_signature() -> None:
    """A tool_use with no signature in the message gets skip_thought_signature_validator."""
    content = [{"type": "tool_use", "id": "a", "name": "ls", "input": {}}]
    assert convert_anthropic_content_to_gemini(content) == [
        {"functionCall": {"name": "ls", "args": {}}, "thoughtSignature": "skip_thought_signature_validator"}
    ]
    assert convert_anthropic_content_to_gemini(content, include_thought_signatures=False) == [
        {"functionCall": {"name": "ls", "args": {}}}
    ]


def test_tool_result_with_text_and_images() -> None:
    """Text items joined by blank lines, a note about images, then the image parts."""
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}}
    content = [
        {
            "type": "tool_result",
            "tool_use_id": "toolu_1",
            "content": [{"type": "text", "text": "one"}, image, {"type": "text", "text": "two"}],
        }
    ]
    parts = convert_anthropic_content_to_gemini(content, tool_id_to_name={"toolu_1": "screenshot"})
    assert parts == [
        {
            "functionResponse": {
                "name": "screenshot",
                "response": {"name": "screenshot", "content": "one\n\ntwo\n\n(See next part for image)"},
            }
        },
        {"inlineData": {"data": "iVBO", "mimeType": "image/png"}},
    ]


def test_unsupported_blocks_are_skipped_and_roles_mapped() -> None:
    message = {"role": "assistant", "content": [{"type": "reasoning", "text": "x"}, {"type": "text", "text": "y"}]}
    assert convert_anthropic_message_to_gemini(message, include_thought_signatures=False) == [
        {"role": "model", "parts": [{"text": "y"}]}
    ]
    assert convert_anthropic_message_to_gemini({"role": "user", "content": [{"type": "document"}]}) == []


def test_url_image_source_is_refused() -> None:
    with pytest.raises(JSError, match="^Unsupported image source type$"):
        convert_anthropic_content_to_gemini([{"type": "image", "source": {"type": "url", "url": "https://x"}}])
