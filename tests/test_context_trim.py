"""gateway.manager.context: trimming a conversation to a token limit. The property: for any
conversation (user and assistant text, images, assistant tool calls, parallel ones, followed
by the user's tool results, a pending call, an orphan result at the start) and any limit, the
trimmed context is a suffix that starts with a user message, keeps every tool call with its
result, fits the limit with the system prompt counted by the same counter, and is the longest
such suffix; when none fits, ``ContextOverflow``. Run with ``-s`` for a summary of the examples."""

from __future__ import annotations

import asyncio
import base64
import itertools
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import LLMContextLengthError
from gateway.manager.context import (
    ContextOverflow,
    content_blocks,
    count_context_tokens,
    summary_cut,
    summary_request,
    trim_context,
    trim_messages,
)
from providers import build_api_handler
from providers.utils.tiktoken import tiktoken

WORDS = st.lists(st.sampled_from("alpha beta gamma delta tool result call the a of 42 émoji 日本".split()), min_size=1, max_size=25).map(" ".join)


def text(role: str, body: str) -> dict[str, Any]:
    return {"role": role, "content": body}


def calls(ids: Sequence[str], preface: str | None = None) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"type": "text", "text": preface}] if preface else []
    blocks += [{"type": "tool_use", "id": i, "name": f"tool_{i}", "input": {"q": i}} for i in ids]
    return {"role": "assistant", "content": blocks}


def results(ids: Sequence[str], after: str | None = None) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"type": "tool_result", "tool_use_id": i, "content": f"result of {i}"} for i in ids]
    return {"role": "user", "content": blocks + ([{"type": "text", "text": after}] if after else [])}


@st.composite
def conversations(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Segments: user text (maybe with an image), assistant text, or a tool exchange (1-3
    parallel calls, results in any order); maybe an orphan tool_result first, maybe a pending
    call last."""
    ids = (f"call_{n}" for n in itertools.count())
    messages: list[dict[str, Any]] = []
    if draw(st.booleans()):
        messages.append(results(["call_orphan"], draw(st.none() | WORDS)))
    for kind in draw(st.lists(st.sampled_from(["user", "user", "assistant", "tools", "tools", "image"]), min_size=2, max_size=24)):
        if kind == "user":
            messages.append(text("user", draw(WORDS)))
        elif kind == "assistant":
            messages.append(text("assistant", draw(WORDS)))
        elif kind == "image":
            data = base64.b64encode(b"x" * draw(st.integers(0, 3000))).decode()
            messages.append({"role": "user", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}},
                {"type": "text", "text": draw(WORDS)},
            ]})
        else:
            made = [next(ids) for _ in range(draw(st.integers(1, 3)))]
            messages.append(calls(made, draw(st.none() | WORDS)))
            messages.append(results(draw(st.permutations(made)), draw(st.none() | WORDS)))
    if draw(st.booleans()):
        messages.append(calls([next(ids)]))
    return messages


def tool_blocks(message: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b for b in content_blocks(message) if b.get("type") == kind]


def pairs_intact(suffix: Sequence[dict[str, Any]], whole: Sequence[dict[str, Any]]) -> bool:
    """Every tool call in ``suffix`` has its result in it when ``whole`` has one, and every result
    in it has its call in it (a result whose call is nowhere is an orphan, never kept)."""
    used = {b["id"] for m in suffix for b in tool_blocks(m, "tool_use")}
    answered = {b["tool_use_id"] for m in suffix for b in tool_blocks(m, "tool_result")}
    answered_anywhere = {b["tool_use_id"] for m in whole for b in tool_blocks(m, "tool_result")}
    return answered <= used and (used & answered_anywhere) <= answered


def can_begin(suffix: Sequence[dict[str, Any]], whole: Sequence[dict[str, Any]]) -> bool:
    """What the property demands of a context, checked on its own (not with ``cuts``)."""
    return (
        bool(suffix)
        and suffix[0]["role"] == "user"
        and not tool_blocks(suffix[0], "tool_result")
        and pairs_intact(suffix, whole)
    )


def test_trimming_property_tool_calls_with_results_system_prompt_kept_fits_and_is_the_longest_suffix() -> None:
    seen: Counter[str] = Counter()
    kept_fractions: list[float] = []

    @settings(max_examples=300, deadline=None)
    @given(
        messages=conversations(),
        system_prompt=st.none() | WORDS,
        percent=st.integers(5, 100) | st.integers(100, 125),
        max_messages=st.none() | st.integers(1, 40),
    )
    def check(messages: list[dict[str, Any]], system_prompt: str | None, percent: int, max_messages: int | None) -> None:
        original = [dict(m) for m in messages]
        sizes = [tiktoken(content_blocks(m)) for m in messages]
        system_tokens = tiktoken([{"type": "text", "text": system_prompt}]) if system_prompt else 0
        max_tokens = (system_tokens + sum(sizes)) * percent // 100  # from nothing to more than all of it
        legal = [k for k in range(len(messages)) if can_begin(messages[k:], messages)]
        fitting = [
            k for k in legal
            if system_tokens + sum(sizes[k:]) <= max_tokens and (max_messages is None or len(messages) - k <= max_messages)
        ]
        seen["examples"] += 1
        seen["tool calls"] += sum(len(tool_blocks(m, "tool_use")) for m in messages)
        seen["parallel call messages"] += sum(len(tool_blocks(m, "tool_use")) > 1 for m in messages)
        seen["images"] += sum(b.get("type") == "image" for m in messages for b in content_blocks(m))
        try:
            kept, counted = asyncio.run(trim_context(
                messages, system_prompt=system_prompt, max_tokens=max_tokens, max_messages=max_messages
            ))
        except ContextOverflow as overflow:
            assert isinstance(overflow, LLMContextLengthError)
            assert legal and not fitting or system_tokens > max_tokens
            assert overflow.needed_tokens > max_tokens or max_messages is not None
            seen["ContextOverflow"] += 1
            return
        assert messages == original  # not changed
        assert system_tokens <= max_tokens
        start = len(messages) - len(kept)
        assert kept == messages[start:] and all(a is b for a, b in zip(kept, messages[start:]))
        tokens = asyncio.run(count_context_tokens(system_prompt, kept))
        assert tokens == system_tokens + sum(sizes[start:]) <= max_tokens
        assert counted == tokens  # trim_context's count is the context's
        if max_messages is not None:
            assert len(kept) <= max_messages
        if kept:
            assert can_begin(kept, messages)
            assert start == min(fitting)  # the longest suffix that can begin a context and fits
            cut_in_exchange = any(tool_blocks(m, "tool_use") for m in messages[:start]) and any(
                tool_blocks(m, "tool_use") for m in kept
            )
            seen["all kept" if start == 0 else "trimmed"] += 1
            seen["trimmed between tool exchanges"] += cut_in_exchange
            kept_fractions.append(len(kept) / len(messages))
        else:
            assert not legal  # [] only when no suffix can begin a context
            seen["empty (nothing can begin)"] += 1

    check()
    mean_kept = sum(kept_fractions) / len(kept_fractions)
    print(
        f"\ntrim property: {seen['examples']} conversations, {seen['tool calls']} tool calls "
        f"({seen['parallel call messages']} messages with parallel calls), {seen['images']} images; "
        f"{seen['all kept']} kept whole, {seen['trimmed']} trimmed ({seen['trimmed between tool exchanges']} "
        f"with tool exchanges on both sides of the cut), {seen['ContextOverflow']} ContextOverflow, "
        f"{seen['empty (nothing can begin)']} empty; mean fraction kept {mean_kept:.2f}; every context a suffix "
        "starting with a user message, every tool call with its result, within the limit, the longest such"
    )
    assert seen["trimmed between tool exchanges"] and seen["ContextOverflow"] and seen["all kept"]


async def test_parallel_tool_calls_and_their_results_are_dropped_together() -> None:
    messages = [
        text("user", "weather in Paris and Rome?"),
        calls(["a", "b"], "checking both"),
        results(["b", "a"]),
        text("assistant", "Paris 20C, Rome 25C"),
        text("user", "thanks " * 20),
    ]
    newest = tiktoken(content_blocks(messages[-1]))
    whole = await count_context_tokens(None, messages)
    # room for everything but the first message: the cut cannot land on the results (or the calls)
    kept = await trim_messages(messages, system_prompt=None, max_tokens=whole - 1, count_tokens=tiktoken)
    assert kept == messages[4:]
    assert await trim_messages(messages, system_prompt=None, max_tokens=newest) == messages[4:]
    assert await trim_messages(messages, system_prompt=None, max_tokens=whole) == messages


async def test_a_leading_orphan_tool_result_never_begins_the_context() -> None:
    messages = [results(["gone"], "and then"), text("assistant", "ok"), text("user", "next")]
    assert await trim_messages(messages, system_prompt=None, max_tokens=10_000) == messages[2:]
    assert await trim_messages(messages[:2], system_prompt=None, max_tokens=10_000) == []


async def test_the_system_prompt_alone_over_the_limit_is_a_context_overflow() -> None:
    with pytest.raises(ContextOverflow, match=r"the system prompt alone is \d+ tokens, more than the context's 5") as raised:
        await trim_messages([text("user", "hi")], system_prompt="word " * 50, max_tokens=5)
    assert raised.value.max_tokens == 5 and raised.value.needed_tokens > 5


async def test_a_newest_turn_over_the_limit_is_a_context_overflow_not_an_empty_context() -> None:
    messages = [text("user", "short"), text("assistant", "fine"), text("user", "long " * 200)]
    with pytest.raises(ContextOverflow, match=r"the newest turn \(1 message\(s\) .*does not fit the context's 50 tokens"):
        await trim_messages(messages, system_prompt="sys", max_tokens=50)
    # a tool exchange after the last plain user message belongs to the newest turn
    turn = [text("user", "go"), calls(["x"]), results(["x"], "r " * 100)]
    with pytest.raises(ContextOverflow, match=r"the newest turn \(3 message\(s\)"):
        await trim_messages(turn, system_prompt=None, max_tokens=40)


async def test_max_messages_keeps_at_most_that_many_from_a_cut() -> None:
    messages = [text("user" if i % 2 == 0 else "assistant", f"m{i}") for i in range(10)]
    assert await trim_messages(messages, system_prompt=None, max_tokens=10_000, max_messages=5) == messages[6:]
    assert await trim_messages(messages, system_prompt=None, max_tokens=10_000, max_messages=4) == messages[6:]


async def test_a_handlers_async_count_tokens_counts_as_the_default_counter() -> None:
    handler = build_api_handler({"apiProvider": "anthropic", "apiKey": "test-key", "apiModelId": "claude-sonnet-4-5"})
    messages = [text("user", "alpha " * 30), calls(["k"]), results(["k"]), text("assistant", "beta " * 30), text("user", "gamma")]
    for limit in (20, 60, 120, 1000):
        by_handler = await trim_messages(messages, system_prompt="sys", max_tokens=limit, count_tokens=handler.count_tokens)
        assert by_handler == await trim_messages(messages, system_prompt="sys", max_tokens=limit)
    assert await count_context_tokens("sys", messages, handler.count_tokens) == await count_context_tokens("sys", messages)


def test_a_summary_ends_before_a_user_message_that_can_begin_a_context() -> None:
    messages = [
        text("user", "u0"), text("assistant", "a1"),
        text("user", "u2"), calls(["p", "q"]), results(["q", "p"]), calls(["r"]), results(["r"]), text("assistant", "a7"),
        text("user", "u8"), text("assistant", "a9"),
    ]
    # keeping 5 would cut at 5 (inside the tool exchange): the cut moves back to 2
    assert summary_cut(messages, keep=5) == 2
    assert summary_cut(messages, keep=2) == 8
    assert summary_cut(messages, keep=9) == 2  # fewer than asked kept would be 0 (nothing summarised): the first cut
    assert summary_cut(messages[:2], keep=1) is None


def test_the_summary_request_is_one_user_message_with_tools_as_text() -> None:
    [request] = summary_request([text("user", "u0"), calls(["c1"]), results(["c1"])], previous_summary="earlier: x", prompt="Summarize.")
    assert request["role"] == "user"
    assert request["content"] == (
        "Summarize.\n\nSummary of the earlier part of this conversation:\nearlier: x\n\nThe conversation since:\n\n"
        'User: u0\n\nAssistant: [Tool call tool_c1 (c1)]\n{"q": "c1"}\n\nUser: [Tool result (c1)]\nresult of c1'
    )
