"""The LLM manager's conversations (ours): kept in the ledger's database so that they survive a
restart of the process, and turned into a context that fits (``context``).

``ConversationManager(database_url)`` opens the database a ledger URL names (``None``: the
ledger's default, ``gateway.ledger.default_url``): ``sqlite:///path`` or ``postgresql://...``;
``ConversationManager(database=d)`` keeps its tables in a database others share (the LLM
manager's, ``gateway.ledger.url.open_database``), which its opener closes.
A conversation holds a system prompt, a title, metadata and its messages in the reference's
format (``{"role": "user" | "assistant", "content": str | [blocks]}``), every message kept.

Context: ``get_conversation_context`` gives the system prompt (with the summary, if any, after
it) and the newest messages after the summary that fit the token limit, trimmed by
``context.trim_messages`` (a tool call and its result together, the system prompt never dropped).

Summarising (``auto_summarize``): when ``summarize_threshold`` messages have come since the
last summary, and the manager gave a ``summarize`` callable, the oldest of them (all but about
``summarize_threshold // 2`` of the newest, ending before a user message that can begin a
context) are replaced in the context by a summary: ``summarize`` receives one user message
(``context.summary_request``: the prompt, the previous summary, a text transcript of the
messages replaced) and returns the summary's text, which is stored with the conversation.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from providers.utils.tiktoken import tiktoken

from ..errors import GatewayError
from ..ledger.database import Database
from ..ledger.url import database_or_url
from .context import (
    SUMMARY_PROMPT,
    CountTokens,
    Message,
    cuts,
    summary_cut,
    summary_request,
    system_with_summary,
    trim_context,
)
from .conversation_store import Header, open_conversation_store

Summarize = Callable[[list[Message]], Awaitable[str]]
"""A model call: the messages of ``context.summary_request`` in, the summary's text out."""

BLOCK_TYPES = frozenset({"text", "image", "tool_use", "tool_result"})


@dataclass
class ConversationConfig:
    """The brief's context management settings. ``max_messages`` and
    ``max_tokens_per_conversation`` cap every context (a smaller ``max_tokens`` asked of
    ``get_conversation_context`` wins); ``summary_prompt`` opens every summary request."""

    max_messages: int = 50
    max_tokens_per_conversation: int = 8000
    auto_summarize: bool = True
    summarize_threshold: int = 40
    summary_prompt: str = SUMMARY_PROMPT


class ConversationNotFound(GatewayError, LookupError):
    """No conversation has this id (never created, or deleted)."""

    def __init__(self, conversation_id: str) -> None:
        self.conversation_id = conversation_id
        super().__init__(f"no conversation {conversation_id!r}")


@dataclass(frozen=True)
class ConversationInfo:
    """A conversation without its messages, as ``list_conversations`` gives them."""

    id: str
    title: str | None
    system_prompt: str | None
    metadata: dict[str, Any]
    created_at: float
    updated_at: float
    message_count: int
    summary: str | None
    summarized_count: int
    """The summary covers the first ``summarized_count`` messages."""


@dataclass(frozen=True)
class Conversation(ConversationInfo):
    """A conversation with every message, summarised or not."""

    messages: list[Message] = field(default_factory=list)


@dataclass(frozen=True)
class ConversationContext:
    """What to send: ``system_prompt`` (the conversation's, followed by its summary if any) and
    ``messages`` (the newest after the summary that fit, starting with a user message).
    ``tokens`` counts both; ``dropped`` is how many messages after the summary were trimmed."""

    system_prompt: str | None
    messages: list[Message]
    tokens: int
    dropped: int


def _info(header: Header) -> ConversationInfo:
    return ConversationInfo(
        header[0], header[1], header[2], json.loads(header[3]), header[4], header[5], header[6], header[7], header[8]
    )


def check_message(message: Mapping[str, Any]) -> str:
    """The message as JSON text; ``ValueError`` when it is not a user or assistant message with
    a string or a list of text, image, tool_use and tool_result blocks."""
    if not isinstance(message, Mapping) or message.get("role") not in ("user", "assistant"):
        raise ValueError(f"a message is a dict with role 'user' or 'assistant', not {message!r:.200}")
    content = message.get("content")
    if not isinstance(content, (str, list)):
        raise ValueError(f"a message's content is a string or a list of blocks, not {type(content).__name__}")
    if isinstance(content, list):
        for block in content:
            if not isinstance(block, Mapping) or block.get("type") not in BLOCK_TYPES:
                raise ValueError(f"a content block is a dict of type {'/'.join(sorted(BLOCK_TYPES))}, not {block!r:.200}")
    try:
        return json.dumps(message, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"a message must be JSON: {exc}") from exc


class ConversationManager:
    """Conversations in the database ``database_url`` names (``None``: the ledger's default),
    or in the shared ``database``.
    ``summarize`` is the model call used for summaries when a call does not give its own.
    Serves the event loop that first uses it; close with ``aclose`` or ``async with``."""

    def __init__(
        self,
        database_url: str | None = None,
        config: ConversationConfig | None = None,
        *,
        summarize: Summarize | None = None,
        clock: Callable[[], float] = time.time,
        database: Database | None = None,
    ) -> None:
        self.url, source = database_or_url("ConversationManager", database_url, database)
        self._store = open_conversation_store(source)
        self.config = config or ConversationConfig()
        self._summarize = summarize
        self._clock = clock

    async def create_conversation(
        self,
        *,
        system_prompt: str | None = None,
        title: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        conversation_id: str | None = None,
    ) -> str:
        """A new empty conversation; its id (``conversation_id``, else a new UUID).
        ``ValueError`` when the id is taken or the metadata is not JSON."""
        conversation_id = uuid.uuid4().hex if conversation_id is None else conversation_id
        try:
            metadata_json = json.dumps(dict(metadata or {}), ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"a conversation's metadata must be JSON: {exc}") from exc
        if not await self._store.create((conversation_id, title, system_prompt, metadata_json, self._clock())):
            raise ValueError(f"a conversation {conversation_id!r} already exists")
        return conversation_id

    async def add_message(self, conversation_id: str, message: Mapping[str, Any]) -> None:
        """Append one message (``ValueError`` when it is not one, ``ConversationNotFound``)."""
        await self.add_messages(conversation_id, [message])

    async def add_messages(self, conversation_id: str, messages: Iterable[Mapping[str, Any]]) -> None:
        """Append messages in order, all or none (one transaction)."""
        rows = [(message["role"], check_message(message)) for message in messages]
        if not await self._store.append(conversation_id, rows, self._clock()):
            raise ConversationNotFound(conversation_id)

    async def get_conversation(self, conversation_id: str) -> Conversation:
        """The conversation with every message (``ConversationNotFound``)."""
        info, messages = await self._load(conversation_id, unsummarized=False)
        return Conversation(**vars(info), messages=messages)

    async def _load(self, conversation_id: str, *, unsummarized: bool) -> tuple[ConversationInfo, list[Message]]:
        loaded = await self._store.load(conversation_id, unsummarized=unsummarized)
        if loaded is None:
            raise ConversationNotFound(conversation_id)
        header, messages = loaded
        return _info(header), [json.loads(message) for message in messages]

    async def get_conversation_context(
        self,
        conversation_id: str,
        max_tokens: int = 4000,
        *,
        count_tokens: CountTokens | None = None,
        summarize: Summarize | None = None,
    ) -> ConversationContext:
        """The context to send (``ConversationContext``), within ``max_tokens`` (capped by
        ``max_tokens_per_conversation``) and ``max_messages``, counted by ``count_tokens``
        (a handler's ``count_tokens``; default tiktoken ``o200k_base``, no network).

        With ``auto_summarize`` and a summarize callable (this call's, else the manager's),
        summarises first when due (``summarize_conversation``); its errors are raised.
        ``ContextOverflow`` (an ``LLMContextLengthError``) when the system prompt with the
        summary, or with the newest turn, does not fit (``context.trim_messages``)."""
        summarize = summarize or self._summarize
        info, messages = await self._load(conversation_id, unsummarized=True)
        if self.config.auto_summarize and summarize is not None:
            if await self._summarize_loaded(conversation_id, info, messages, summarize, force=False):
                info, messages = await self._load(conversation_id, unsummarized=True)
        limit = min(max_tokens, self.config.max_tokens_per_conversation)
        count = tiktoken if count_tokens is None else count_tokens
        system_prompt = system_with_summary(info.system_prompt, info.summary)
        kept, tokens = await trim_context(
            messages, system_prompt=system_prompt, max_tokens=limit, count_tokens=count, max_messages=self.config.max_messages
        )
        return ConversationContext(system_prompt, kept, tokens, len(messages) - len(kept))

    async def summarize_conversation(
        self, conversation_id: str, summarize: Summarize | None = None, *, force: bool = False
    ) -> bool:
        """Replace the oldest messages after the summary by a new summary when at least
        ``summarize_threshold`` came since (or at once with ``force``); True when a summary was
        stored. Nothing is stored when no cut leaves newer messages, or when another caller
        stored a summary meanwhile (that one stands)."""
        summarize = summarize or self._summarize
        if summarize is None:
            raise ValueError("summarising needs a summarize callable (a model call)")
        info, messages = await self._load(conversation_id, unsummarized=True)
        return await self._summarize_loaded(conversation_id, info, messages, summarize, force=force)

    async def _summarize_loaded(
        self, conversation_id: str, info: ConversationInfo, messages: list[Message], summarize: Summarize, *, force: bool
    ) -> bool:
        """``summarize_conversation`` on what was just loaded (``_load(..., unsummarized=True)``)."""
        if not force and len(messages) < self.config.summarize_threshold:
            return False
        cut = summary_cut(messages, keep=self.config.summarize_threshold // 2)
        if cut is None:
            return False
        request = summary_request(messages[:cut], previous_summary=info.summary, prompt=self.config.summary_prompt)
        summary = await summarize(request)
        return await self._store.set_summary(
            conversation_id, summary, info.summarized_count + cut, info.summarized_count, self._clock()
        )

    async def store_summary(self, conversation_id: str, summary: str, through: int) -> None:
        """Store ``summary`` as covering the first ``through`` messages, replacing any earlier
        summary. ``ValueError`` unless ``through`` ends before a message that can begin a
        context (or at the end) and covers at least what the stored summary did."""
        conversation = await self.get_conversation(conversation_id)
        if not conversation.summarized_count <= through <= len(conversation.messages):
            raise ValueError(
                f"a summary covers {conversation.summarized_count}..{len(conversation.messages)} messages, not {through}"
            )
        if through < len(conversation.messages) and through not in cuts(conversation.messages):
            raise ValueError(f"message {through} cannot begin a context: the summary would split a tool call from its result")
        stored = await self._store.set_summary(
            conversation_id, summary, through, conversation.summarized_count, self._clock()
        )
        if not stored:
            raise ValueError(f"conversation {conversation_id!r} changed while its summary was being stored")

    async def list_conversations(self, limit: int = 50, offset: int = 0) -> list[ConversationInfo]:
        """Conversations, the most recently updated first."""
        return [_info(header) for header in await self._store.page(limit, offset)]

    async def count_conversations(self) -> int:
        return await self._store.count()

    async def delete_conversation(self, conversation_id: str) -> None:
        """Delete a conversation and its messages (``ConversationNotFound``)."""
        if not await self._store.delete(conversation_id):
            raise ConversationNotFound(conversation_id)

    async def aclose(self) -> None:
        """Close the database if this manager opened it (a shared one is its opener's)."""
        await self._store.aclose()

    async def __aenter__(self) -> ConversationManager:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
