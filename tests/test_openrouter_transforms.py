"""The transforms the OpenRouter handler uses, case by case from the reference's own specs at
cb83656: ``src/api/transform/caching/__tests__/anthropic.spec.ts``, ``gemini.spec.ts``,
``src/api/transform/__tests__/mistral-format.spec.ts``, and the raw chunk tracking of
``src/core/assistant-message/NativeToolCallParser.ts`` (:93-188), ``router-tool-preferences.ts``.
"""

from __future__ import annotations

from typing import Any

import pytest

from providers.transform.caching import anthropic as anthropic_caching
from providers.transform.caching import gemini as gemini_caching
from providers.transform.mistral_format import normalize_mistral_tool_call_id
from providers.utils.native_tool_call_parser import NativeToolCallParser
from providers.utils.router_tool_preferences import apply_router_tool_preferences

SYSTEM = "You are a helpful assistant."
CACHED_SYSTEM = [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}]
IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}


def text(value: str, cached: bool = False) -> dict[str, Any]:
    return {"type": "text", "text": value, **({"cache_control": {"type": "ephemeral"}} if cached else {})}


# --- caching/anthropic.ts ------------------------------------------------------------------------


def test_anthropic_marks_the_last_two_user_messages() -> None:
    """anthropic.spec.ts:67-110 and :161-188: the system prompt always; the last two user
    messages' last text part; string contents become text parts, marked or not."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "User message 1"},
        {"role": "assistant", "content": "Assistant response"},
        {"role": "user", "content": "User message 2"},
        {"role": "user", "content": "User message 3"},
    ]
    anthropic_caching.add_cache_breakpoints(SYSTEM, messages)
    assert messages[0] == {"role": "system", "content": CACHED_SYSTEM}
    assert [m["content"] for m in messages if m["role"] == "user"] == [
        [text("User message 1")],
        [text("User message 2", cached=True)],
        [text("User message 3", cached=True)],
    ]
    assert messages[2]["content"] == "Assistant response"


def test_anthropic_last_text_part_or_a_placeholder() -> None:
    """anthropic.spec.ts:112-159: the last text part of an array gets the marker; without a
    text part a ``...`` placeholder is appended and marked."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": [text("First."), IMAGE, text("This part.")]},
        {"role": "user", "content": [IMAGE]},
    ]
    anthropic_caching.add_cache_breakpoints(SYSTEM, messages)
    assert messages[1]["content"] == [text("First."), IMAGE, text("This part.", cached=True)]
    assert messages[2]["content"] == [IMAGE, text("...", cached=True)]


# --- caching/gemini.ts ---------------------------------------------------------------------------


@pytest.mark.parametrize(("user_messages", "marked"), [(4, []), (5, [5]), (10, [5, 10]), (11, [5, 10])])
def test_gemini_marks_every_nth_user_message(user_messages: int, marked: list[int]) -> None:
    """gemini.spec.ts: with frequency 5, the 5th, 10th, … user messages' last text part (string
    contents turned into text parts first); the system prompt always."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM}]
    messages += [{"role": "user", "content": f"User message {n}"} for n in range(1, user_messages + 1)]
    gemini_caching.add_cache_breakpoints(SYSTEM, messages, 5)
    assert messages[0]["content"] == CACHED_SYSTEM
    assert [n for n in range(1, user_messages + 1) if "cache_control" in messages[n]["content"][-1]] == marked
    assert all(isinstance(m["content"], list) for m in messages[1:])


def test_gemini_default_frequency_and_placeholder() -> None:
    """gemini.ts:3-7 and :31-37: the frequency defaults to 10; a marked message without a text
    part gets a ``...`` placeholder; assistant messages are not counted."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM}]
    for n in range(1, 10):
        messages += [{"role": "user", "content": f"Q{n}"}, {"role": "assistant", "content": f"A{n}"}]
    messages.append({"role": "user", "content": [IMAGE]})
    gemini_caching.add_cache_breakpoints(SYSTEM, messages)
    assert messages[-1]["content"] == [IMAGE, text("...", cached=True)]
    assert sum("cache_control" in str(m["content"]) for m in messages[1:-1]) == 0


# --- mistral-format.ts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool_call_id", "normalised"),
    [
        ("call_5019f900a247472bacde0b82", "call5019f"),
        ("toolu_01234567890abcdef", "toolu0123"),
        ("abc", "abc000000"),
        ("tool-1", "tool10000"),
        ("abcd12345", "abcd12345"),
        ("", "000000000"),
        ("---___---", "000000000"),
        ("a-b_c.d@e", "abcde0000"),
    ],
)
def test_normalize_mistral_tool_call_id(tool_call_id: str, normalised: str) -> None:
    """mistral-format.spec.ts:9-41."""
    assert normalize_mistral_tool_call_id(tool_call_id) == normalised


# --- NativeToolCallParser (raw chunk tracking) -----------------------------------------------------


def test_raw_chunks_start_buffer_and_end() -> None:
    """NativeToolCallParser.ts:93-188: a tool call is tracked from its id; arguments before its
    name are buffered and flushed after ``tool_call_start``; finish_reason ``tool_calls`` ends
    every tracked call, finalizeRawChunks ends the started ones and forgets them all."""
    parser = NativeToolCallParser
    parser.clear_raw_chunk_state()
    try:
        assert parser.process_raw_chunk({"index": 0, "arguments": "{}"}) == []  # no id yet: ignored
        assert parser.process_raw_chunk({"index": 0, "id": "call_a", "arguments": '{"pa'}) == []
        assert parser.process_raw_chunk({"index": 0, "name": "read_file", "arguments": 'th":1}'}) == [
            {"type": "tool_call_start", "id": "call_a", "name": "read_file"},
            {"type": "tool_call_delta", "id": "call_a", "delta": '{"pa'},
            {"type": "tool_call_delta", "id": "call_a", "delta": 'th":1}'},
        ]
        assert parser.process_raw_chunk({"index": 1, "id": "call_b"}) == []
        assert parser.process_finish_reason("stop") == []
        assert parser.process_finish_reason("tool_calls") == [
            {"type": "tool_call_end", "id": "call_a"},
            {"type": "tool_call_end", "id": "call_b"},
        ]
        assert parser.finalize_raw_chunks() == [{"type": "tool_call_end", "id": "call_a"}]
        assert parser.process_finish_reason("tool_calls") == []
    finally:
        parser.clear_raw_chunk_state()


# --- router-tool-preferences.ts --------------------------------------------------------------------


def test_router_tool_preferences() -> None:
    """router-tool-preferences.ts:17-29: only ids containing "openai" change, into a new dict
    whose tool lists are deduplicated in order."""
    info = {"contextWindow": 1, "supportsPromptCache": False, "excludedTools": ["write_to_file", "x"]}
    assert apply_router_tool_preferences("anthropic/claude-sonnet-4.5", info) is info
    result = apply_router_tool_preferences("openai/gpt-5", info)
    assert result["excludedTools"] == ["write_to_file", "x", "apply_diff"]
    assert result["includedTools"] == ["apply_patch"]
    assert info["excludedTools"] == ["write_to_file", "x"]
