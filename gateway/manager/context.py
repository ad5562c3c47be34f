"""Context management for the LLM manager's conversations (ours): trimming a conversation to a
token limit, and the pieces of summarising it.

Messages are the reference's (``Anthropic.Messages.MessageParam``, what every handler's
``create_message`` takes): ``{"role": "user" | "assistant", "content": str | [blocks]}`` with
``text``, ``image``, ``tool_use`` and ``tool_result`` blocks.

Tokens are counted per message with a handler's ``count_tokens`` (``base_provider.py``: tiktoken
``o200k_base`` with the reference's fudge factor) or any counter of content blocks, sync or
async; a string content counts as one text block. A context's tokens are the system prompt's
plus each message's.

A context is always a suffix of the conversation that starts at a **cut**: a ``user`` message
(providers require a user message first) holding no ``tool_result`` block, and such that no
``tool_use`` before it has its ``tool_result`` at or after it. So an assistant's tool calls and
the user message with their results are kept or dropped together, and a ``tool_result`` never
begins a context. Summarising replaces the messages before a cut, so the same rule holds for it.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Union

from providers.utils.tiktoken import tiktoken

from ..errors import LLMContextLengthError

Message = dict[str, Any]
CountTokens = Callable[[list[dict[str, Any]]], Union[int, Awaitable[int]]]
"""Tokens of a list of content blocks: ``handler.count_tokens`` (async) or ``tiktoken`` (sync)."""

SUMMARY_HEADING = "Summary of the earlier part of this conversation:"

SUMMARY_PROMPT = """Summarize the conversation below so that it can continue from your summary \
alone: the user's requests and goals, the facts, names, numbers and decisions established, the \
tools called and what they returned, and anything still open. Write plain text, no tool calls, \
no preamble."""


class ContextOverflow(LLMContextLengthError):
    """The system prompt, or the system prompt with the newest turn (the shortest suffix of the
    conversation that can begin a context), does not fit ``max_tokens`` (or ``max_messages``)."""

    def __init__(self, message: str, *, max_tokens: int, needed_tokens: int) -> None:
        self.max_tokens = max_tokens
        self.needed_tokens = needed_tokens
        super().__init__(message)


def content_blocks(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A message's content as a list of blocks (a string is one text block, an empty one none)."""
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return list(content or [])


async def count_blocks(blocks: list[dict[str, Any]], count_tokens: CountTokens = tiktoken) -> int:
    """``count_tokens(blocks)``, awaited when the counter is async; 0 for no blocks."""
    if not blocks:
        return 0
    counted = count_tokens(blocks)
    return await counted if inspect.isawaitable(counted) else counted


async def count_context_tokens(
    system_prompt: str | None, messages: Sequence[Mapping[str, Any]], count_tokens: CountTokens = tiktoken
) -> int:
    """A context's tokens: the system prompt's (as one text block) plus each message's."""
    total = await count_blocks([{"type": "text", "text": system_prompt}] if system_prompt else [], count_tokens)
    for message in messages:
        total += await count_blocks(content_blocks(message), count_tokens)
    return total


def _blocks_of(message: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    content = message.get("content")
    if not isinstance(content, list):
        return []
    return [block for block in content if isinstance(block, Mapping) and block.get("type") == kind]


def cuts(messages: Sequence[Mapping[str, Any]]) -> list[int]:
    """The indexes where a context may begin (see the module's docstring), ascending; ``len``
    (the empty context) is not listed."""
    n = len(messages)
    # a tool_use at i with its tool_result at j forbids beginning anywhere in (i, j]
    forbidden = [0] * (n + 1)
    used_at: dict[Any, int] = {}
    for j, message in enumerate(messages):
        for block in _blocks_of(message, "tool_result"):
            i = used_at.get(block.get("tool_use_id"))
            if i is not None:
                forbidden[i + 1] += 1
                forbidden[j + 1] -= 1
        for block in _blocks_of(message, "tool_use"):
            used_at[block.get("id")] = j
    found, inside = [], 0
    for c, message in enumerate(messages):
        inside += forbidden[c]
        if not inside and message.get("role") == "user" and not _blocks_of(message, "tool_result"):
            found.append(c)
    return found


async def trim_messages(
    messages: Sequence[Message],
    *,
    system_prompt: str | None,
    max_tokens: int,
    count_tokens: CountTokens = tiktoken,
    max_messages: int | None = None,
) -> list[Message]:
    """``trim_context``'s messages."""
    kept, _ = await trim_context(
        messages, system_prompt=system_prompt, max_tokens=max_tokens, count_tokens=count_tokens, max_messages=max_messages
    )
    return kept


async def trim_context(
    messages: Sequence[Message],
    *,
    system_prompt: str | None,
    max_tokens: int,
    count_tokens: CountTokens = tiktoken,
    max_messages: int | None = None,
) -> tuple[list[Message], int]:
    """The longest suffix of ``messages`` that begins at a cut and fits: the system prompt's
    tokens plus the suffix's are at most ``max_tokens``, and it has at most ``max_messages``
    messages. The messages are the caller's dicts, not copies; ``messages`` is not changed. With
    it, the context's tokens (``count_context_tokens`` of the system prompt and the suffix: each
    message is counted once).

    ``[]`` when ``messages`` has no cut at all (no user message can begin a context).
    ``ContextOverflow`` when the system prompt alone exceeds ``max_tokens``, or when even the
    shortest suffix that begins at a cut does not fit: the system prompt is never dropped, and a
    context that would leave out the newest turn is not one to send.
    """
    system_tokens = await count_blocks([{"type": "text", "text": system_prompt}] if system_prompt else [], count_tokens)
    if system_tokens > max_tokens:
        raise ContextOverflow(
            f"the system prompt alone is {system_tokens} tokens, more than the context's {max_tokens}",
            max_tokens=max_tokens,
            needed_tokens=system_tokens,
        )
    starts = cuts(messages)
    if not starts:
        return [], system_tokens
    limit_messages = len(messages) if max_messages is None else max_messages
    total, start = system_tokens, len(messages)
    kept: int | None = None
    kept_tokens = total
    for c in reversed(starts):
        if len(messages) - c > limit_messages:
            break
        for message in messages[c:start]:
            total += await count_blocks(content_blocks(message), count_tokens)
        start = c
        if total > max_tokens:
            break
        kept, kept_tokens = c, total
    if kept is None:
        shortest = starts[-1]
        if start > shortest:  # stopped by max_messages before counting it
            for message in messages[shortest:start]:
                total += await count_blocks(content_blocks(message), count_tokens)
        newest = len(messages) - shortest
        over = [f"{max_tokens} tokens"] if total > max_tokens else []
        over += [f"{max_messages} messages"] if max_messages is not None and newest > max_messages else []
        raise ContextOverflow(
            f"the newest turn ({newest} message(s) from the last user message that can begin a context) "
            f"with the system prompt is {total} tokens: it does not fit the context's {' and '.join(over)}",
            max_tokens=max_tokens,
            needed_tokens=total,
        )
    return list(messages[kept:]), kept_tokens


def summary_cut(messages: Sequence[Mapping[str, Any]], keep: int) -> int | None:
    """Where a summary ends: the cut that leaves closest to ``keep`` newest messages (at least
    ``keep`` when one can), never 0 (it would summarise nothing); ``None`` when there is none."""
    starts = [c for c in cuts(messages) if c > 0]
    if not starts:
        return None
    target = len(messages) - keep
    before = [c for c in starts if c <= target]
    return before[-1] if before else starts[0]


def system_with_summary(system_prompt: str | None, summary: str | None) -> str | None:
    """The system prompt a summarised conversation is sent with: the summary follows it under
    ``SUMMARY_HEADING``."""
    if not summary:
        return system_prompt
    body = f"{SUMMARY_HEADING}\n{summary}"
    return f"{system_prompt}\n\n{body}" if system_prompt else body


def _block_text(block: Mapping[str, Any]) -> str:
    kind = block.get("type")
    if kind == "text":
        return str(block.get("text", ""))
    if kind == "image":
        return "[Image]"
    if kind == "tool_use":
        return f"[Tool call {block.get('name')} ({block.get('id')})]\n{json.dumps(block.get('input'), ensure_ascii=False)}"
    if kind == "tool_result":
        error = " (error)" if block.get("is_error") else ""
        inner = block.get("content")
        text = inner if isinstance(inner, str) else "\n".join(_block_text(item) for item in inner or [])
        return f"[Tool result{error} ({block.get('tool_use_id')})]\n{text}"
    return f"[{kind}]"


def transcript(messages: Sequence[Mapping[str, Any]]) -> str:
    """The messages as plain text, one ``User:`` or ``Assistant:`` paragraph each; tool calls and
    results become text, so the summary request needs no tools (Bedrock refuses tool blocks
    without them) and images become ``[Image]``."""
    return "\n\n".join(
        f"{'User' if message.get('role') == 'user' else 'Assistant'}: "
        + "\n".join(_block_text(block) for block in content_blocks(message))
        for message in messages
    )


def summary_request(
    messages: Sequence[Mapping[str, Any]], *, previous_summary: str | None, prompt: str = SUMMARY_PROMPT
) -> list[Message]:
    """What a summarising model call is sent: one user message holding the prompt, the earlier
    summary (the new one replaces it, so it must carry it on) and the transcript of the messages
    it replaces."""
    parts = [prompt]
    if previous_summary:
        parts.append(f"{SUMMARY_HEADING}\n{previous_summary}")
    parts.append(f"The conversation since:\n\n{transcript(messages)}" if previous_summary else f"The conversation:\n\n{transcript(messages)}")
    return [{"role": "user", "content": "\n\n".join(parts)}]
