"""The LLM manager against the tests' loopback upstream (tests/loopback.py, scripted replies from
tests/scripted.py): responses and their usage and cost, conversations that continue and survive a
restart, streaming, the response cache, one database (one SQLite thread and connection, one
PostgreSQL pool) for the ledger, conversations and cache, events (and a subscriber that never
reads), typed errors in each wire format, provider status and analytics from the ledger.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from loopback import Upstream
from scripted import INPUT_TOKENS, WIRES, error_reply, provider_config, text_reply, tool_reply
from scripted import clean_env  # noqa: F401  (autouse: no AWS, base URL or ledger variables of the caller)

from gateway.errors import (
    LLMAuthenticationError,
    LLMContextLengthError,
    LLMError,
    LLMRateLimitError,
    LLMTimeoutError,
    StreamInterrupted,
)
from gateway.events import Event
from gateway.manager import ConversationConfig, LLMConfig, LLMManager, LLMResponse
from gateway.router import AttemptRecord


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/manager.db"


@pytest.fixture
async def make_manager(upstream: Upstream, db_url: str) -> AsyncIterator[Any]:
    managers: list[LLMManager] = []

    def make(*wires: str, provider_options: dict[str, Any] | None = None, **config: Any) -> LLMManager:
        queue = {"event_queue_size": config.pop("event_queue_size")} if "event_queue_size" in config else {}
        manager = LLMManager(LLMConfig(
            providers={wire: provider_config(wire, upstream.base_url, **(provider_options or {})) for wire in wires},
            database_url=db_url, **config,
        ), **queue)
        managers.append(manager)
        return manager

    yield make
    for manager in managers:
        await manager.aclose()


# --- responses and conversations ----------------------------------------------------------------


@pytest.mark.parametrize("wire", WIRES)
async def test_a_response_has_content_usage_and_the_ledgers_cost(upstream: Upstream, make_manager: Any, wire: str) -> None:
    upstream.reply(text_reply(wire, "Hello there."))
    manager = make_manager(wire)
    records: list[AttemptRecord] = []
    manager.routers[wire]._listeners.append(records.append)
    response = await manager.generate_response("Hello", system_prompt="You are terse.")
    assert isinstance(response, LLMResponse)
    assert (response.content, response.provider, response.finish_reason) == ("Hello there.", wire, "stop")
    assert response.model == manager.routers[wire].deployments[0].model
    assert response.usage.input_tokens == INPUT_TOKENS and response.usage.output_tokens > 0
    # the same tokens and cost as the ledger's row of the attempt
    analytics = await manager.get_analytics()
    row = analytics["providers"][wire]
    assert row["requests"] == 1 and analytics["conversations"] == 1
    assert (row["total_tokens"], row["cost_usd"]) == (response.usage.total_tokens, pytest.approx(response.cost))
    assert [r.outcome for r in records] == ["ok"]
    conversation = await manager.conversations.get_conversation(response.conversation_id)
    assert conversation.system_prompt == "You are terse."
    assert conversation.messages == [{"role": "user", "content": "Hello"},
                                     {"role": "assistant", "content": "Hello there."}]


async def test_continue_conversation_sends_the_history(upstream: Upstream, make_manager: Any) -> None:
    upstream.reply(text_reply("anthropic", "Hi."), text_reply("anthropic", "More."))
    manager = make_manager("anthropic")
    created: list[Event] = []
    manager.on("conversation_created", created.append)
    first = await manager.generate_response("Hello", system_prompt="Be brief.")
    second = await manager.continue_conversation(first.conversation_id, "Tell me more")
    assert second.conversation_id == first.conversation_id
    assert [e.data["conversation_id"] for e in created] == [first.conversation_id]
    body = upstream.seen[1].json()
    assert body["system"][0]["text"] == "Be brief."
    assert [(m["role"], m["content"] if isinstance(m["content"], str) else m["content"][0]["text"])
            for m in body["messages"]] == [("user", "Hello"), ("assistant", "Hi."), ("user", "Tell me more")]


async def test_a_conversation_survives_a_restart(upstream: Upstream, make_manager: Any, db_url: str) -> None:
    upstream.reply(text_reply("openai", "First answer."), text_reply("openai", "Second answer."))
    first_process = make_manager("openai")
    first = await first_process.generate_response("Remember 42.", system_prompt="You remember numbers.")
    await first_process.aclose()

    second_process = make_manager("openai")  # a new manager on the same database
    second = await second_process.continue_conversation(first.conversation_id, "What number?")
    assert second.content == "Second answer."
    assert [(m["role"], m["content"]) for m in upstream.seen[1].json()["messages"]] == [
        ("system", "You remember numbers."), ("user", "Remember 42."), ("assistant", "First answer."),
        ("user", "What number?"),
    ]
    analytics = await second_process.get_analytics()
    assert analytics["conversations"] == 1 and analytics["providers"]["openai"]["requests"] == 2


async def test_per_call_temperature_and_max_tokens_reach_the_request(upstream: Upstream, make_manager: Any) -> None:
    upstream.reply(text_reply("openai", "a"), text_reply("openai", "b"))
    manager = make_manager("openai")
    await manager.generate_response("x")
    await manager.generate_response("y", temperature=0.2, max_tokens=50)
    default, tuned = (seen.json() for seen in upstream.seen)
    assert default["temperature"] == 0.7 and "max_completion_tokens" not in default
    assert tuned["temperature"] == 0.2 and tuned["max_completion_tokens"] == 50


async def test_a_long_conversation_is_summarised_by_a_model_call(upstream: Upstream, make_manager: Any) -> None:
    manager = make_manager("anthropic", conversation=ConversationConfig(summarize_threshold=4))
    upstream.reply(text_reply("anthropic", "One."), text_reply("anthropic", "Two."))
    first = await manager.generate_response("First question")
    await manager.continue_conversation(first.conversation_id, "Second question")
    # 4 messages stored: the next turn summarises the oldest first (one request), then answers
    upstream.reply(text_reply("anthropic", "The user asked two questions."), text_reply("anthropic", "Three."))
    third = await manager.continue_conversation(first.conversation_id, "Third question")
    assert third.content == "Three."
    summary_request, answer_request = (seen.json() for seen in upstream.seen[2:])
    assert "First question" in summary_request["messages"][0]["content"][0]["text"]
    assert "tools" not in summary_request or summary_request["tools"] == []
    assert "The user asked two questions." in answer_request["system"][0]["text"]
    conversation = await manager.conversations.get_conversation(first.conversation_id)
    assert conversation.summary == "The user asked two questions."


# --- streaming ----------------------------------------------------------------------------------


@pytest.mark.parametrize("wire", WIRES)
async def test_streaming_yields_deltas_then_the_response(upstream: Upstream, make_manager: Any, wire: str) -> None:
    upstream.reply(text_reply(wire, "Once upon a time."))
    manager = make_manager(wire)
    chunks = [chunk async for chunk in manager.generate_response("Tell me a story", stream=True)]
    assert [c.delta for c in chunks if c.type == "text"] == ["Once", " upon", " a", " time."]
    assert chunks[-1].type == "done" and chunks[-1].response is not None
    assert chunks[-1].response.content == "Once upon a time."
    assert {c.conversation_id for c in chunks} == {chunks[-1].response.conversation_id}


# --- the response cache -------------------------------------------------------------------------


async def test_a_cache_hit_sends_nothing_upstream(upstream: Upstream, make_manager: Any) -> None:
    upstream.reply(text_reply("openai", "Cached words."), text_reply("openai", "Fresh words."))
    manager = make_manager("openai", enable_caching=True)
    first = await manager.generate_response("Same question", system_prompt="S")
    again = await manager.generate_response("Same question", system_prompt="S")
    assert len(upstream.seen) == 1
    assert (again.content, again.cached, again.cost, first.cached) == ("Cached words.", True, 0.0, False)
    assert again.conversation_id != first.conversation_id
    # a streamed hit replays the same chunks
    chunks = [c async for c in manager.generate_response("Same question", system_prompt="S", stream=True)]
    assert [c.delta for c in chunks if c.type == "text"] == ["Cached", " words."]
    assert chunks[-1].response is not None and chunks[-1].response.cached
    assert len(upstream.seen) == 1
    # another temperature (or system prompt, or history) is another entry
    other = await manager.generate_response("Same question", system_prompt="S", temperature=0.1)
    assert (other.content, len(upstream.seen)) == ("Fresh words.", 2)
    assert manager.cache is not None and manager.cache.stats() == {"entries": 2, "hits": 2, "misses": 2}
    # the hit is stored in its conversation like any answer
    conversation = await manager.conversations.get_conversation(again.conversation_id)
    assert conversation.messages[-1] == {"role": "assistant", "content": "Cached words."}


async def test_a_streamed_miss_fills_the_cache_for_a_later_call(upstream: Upstream, make_manager: Any) -> None:
    upstream.reply(text_reply("gemini", "Streamed once."))
    manager = make_manager("gemini", enable_caching=True)
    streamed = [c.delta async for c in manager.generate_response("Q", stream=True) if c.type == "text"]
    replayed = [c.delta async for c in manager.generate_response("Q", stream=True) if c.type == "text"]
    assert streamed == replayed == ["Streamed", " once."] and len(upstream.seen) == 1


async def test_turns_with_function_calls_are_not_cached(upstream: Upstream, make_manager: Any) -> None:
    upstream.reply(tool_reply("openai", [("c1", "now", {})]), text_reply("openai", "Noon."),
                   tool_reply("openai", [("c2", "now", {})]), text_reply("openai", "Noon again."))
    manager = make_manager("openai", enable_caching=True)
    manager.register_tool("now", lambda: "12:00", {"type": "object", "properties": {}})
    await manager.generate_response("Time?")
    second = await manager.generate_response("Time?")
    assert second.content == "Noon again." and not second.cached and len(upstream.seen) == 4


async def test_the_database_cache_hits_after_a_restart(upstream: Upstream, make_manager: Any) -> None:
    upstream.reply(text_reply("anthropic", "Kept on disk."))
    first = make_manager("anthropic", enable_caching=True, cache_in_database=True)
    await first.generate_response("Q", system_prompt="S")
    await first.aclose()
    second = make_manager("anthropic", enable_caching=True, cache_in_database=True)
    chunks = [c async for c in second.generate_response("Q", system_prompt="S", stream=True)]
    assert [c.delta for c in chunks if c.type == "text"] == ["Kept", " on", " disk."]
    response = chunks[-1].response
    assert response is not None and response.cached and response.content == "Kept on disk."
    assert response.provider == "anthropic" and response.model == "claude-sonnet-4-5"
    assert len(upstream.seen) == 1


async def test_cache_entries_expire_after_the_ttl(upstream: Upstream, make_manager: Any) -> None:
    upstream.reply(text_reply("openai", "Old."), text_reply("openai", "New."))
    manager = make_manager("openai", enable_caching=True, cache_in_database=True, cache_ttl_seconds=0.2)
    await manager.generate_response("Q")
    await asyncio.sleep(0.25)
    again = await manager.generate_response("Q")
    assert (again.content, again.cached, len(upstream.seen)) == ("New.", False, 2)


async def test_on_postgresql_conversations_and_the_cache_survive_a_restart(
    upstream: Upstream, postgres_server: Any
) -> None:
    url = await postgres_server.create_database()
    upstream.reply(text_reply("openai", "Stored in PostgreSQL."), text_reply("openai", "Second."))

    def make() -> LLMManager:
        return LLMManager(LLMConfig(providers={"openai": provider_config("openai", upstream.base_url)},
                                    database_url=url, enable_caching=True, cache_in_database=True))

    async with make() as first:
        response = await first.generate_response("Q")
    async with make() as second:
        hit = await second.generate_response("Q")
        assert hit.cached and hit.content == "Stored in PostgreSQL."
        await second.continue_conversation(response.conversation_id, "And?")
        assert [m["content"] for m in upstream.seen[1].json()["messages"][1:]] == [
            "Q", "Stored in PostgreSQL.", "And?"]
        analytics = await second.get_analytics()
        assert analytics["conversations"] == 2 and analytics["providers"]["openai"]["requests"] == 2


# --- one database for the ledger, the conversations and the cache ----------------------------------


def sqlite_threads() -> int:
    return sum("-sqlite_" in thread.name for thread in threading.enumerate())


def open_files(path: Path) -> int:
    """The process's file descriptors open on ``path`` (one per SQLite connection to it)."""
    fds = Path("/proc/self/fd")
    return sum(os.path.realpath(fds / fd) == str(path.resolve()) for fd in os.listdir(fds))


async def test_on_sqlite_the_manager_opens_its_database_once_and_closes_it_once(
    upstream: Upstream, make_manager: Any, db_url: str, tmp_path: Path
) -> None:
    upstream.reply(text_reply("openai", "Stored once."))
    threads_before = sqlite_threads()
    manager = make_manager("openai", enable_caching=True, cache_in_database=True)
    response = await manager.generate_response("Q")  # conversations, the cache table and the ledger
    assert response.content == "Stored once."
    await manager.ledger.flush()
    # one worker thread and one connection for the three stores, and the ledger's own loop connection
    assert sqlite_threads() == threads_before + 1
    assert open_files(tmp_path / "manager.db") == 2
    await manager.aclose()
    await manager.aclose()
    assert (sqlite_threads(), open_files(tmp_path / "manager.db")) == (threads_before, 0)

    await reopened_intact(make_manager("openai", enable_caching=True, cache_in_database=True), response, upstream)


async def reopened_intact(again: LLMManager, first: LLMResponse, upstream: Upstream) -> None:
    """A new manager on the database of one that answered ``first`` (and closed) finds it all:
    the cache entry (a hit, nothing sent upstream), the conversation, the ledger's request."""
    hit = await again.generate_response("Q")
    assert hit.cached and hit.content == first.content and len(upstream.seen) == 1
    conversation = await again.conversations.get_conversation(first.conversation_id)
    assert [m["content"] for m in conversation.messages] == ["Q", first.content]
    analytics = await again.get_analytics()
    assert analytics["conversations"] == 2 and analytics["providers"]["openai"]["requests"] == 1


async def test_on_postgresql_the_manager_holds_one_pool_and_closes_it_once(
    upstream: Upstream, postgres_server: Any
) -> None:
    import asyncpg

    url = await postgres_server.create_database()
    database = url.rpartition("/")[2]
    upstream.reply(text_reply("openai", "Pooled once."))

    def make() -> LLMManager:
        return LLMManager(LLMConfig(providers={"openai": provider_config("openai", upstream.base_url)},
                                    database_url=url, enable_caching=True, cache_in_database=True))

    async def connections() -> int:
        probe = await asyncpg.connect(postgres_server.url())  # to another database: not counted
        try:
            return int(await probe.fetchval("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1", database))
        finally:
            await probe.close()

    manager = make()
    response = await manager.generate_response("Q")  # conversations, the cache table and the ledger
    await manager.ledger.flush()
    pool = await manager.database.pool()
    # every connection to the database is the one pool's (three pools would hold one each at least)
    assert await connections() == pool.get_size() <= pool.get_max_size()
    await manager.aclose()
    await manager.aclose()
    for _ in range(100):  # a backend leaves pg_stat_activity shortly after its client closes
        if await connections() == 0:
            break
        await asyncio.sleep(0.02)
    assert await connections() == 0

    assert response.content == "Pooled once."
    async with make() as again:
        await reopened_intact(again, response, upstream)


# --- events -------------------------------------------------------------------------------------


async def test_a_subscriber_receives_the_events_of_a_response(upstream: Upstream, make_manager: Any) -> None:
    upstream.reply(text_reply("anthropic", "Hi you."))
    manager = make_manager("anthropic")
    received: list[Event] = []

    async def listen() -> None:
        async for event in manager.events():
            received.append(event)
            if event.type == "analytics_update":
                return

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0)  # subscribed
    response = await manager.generate_response("Hi")
    await asyncio.wait_for(listener, 5)
    assert [e.type for e in received] == [
        "conversation_created", "response_start", "response_chunk", "response_chunk", "response_complete",
        "analytics_update",
    ]
    assert [e.data["delta"] for e in received if e.type == "response_chunk"] == ["Hi", " you."]
    complete = received[4].data
    assert complete["conversation_id"] == response.conversation_id and complete["cost"] == response.cost
    assert received[5].data["session"]["anthropic"]["responses"] == 1


async def test_callbacks_sync_and_async_and_unsubscribing(upstream: Upstream, make_manager: Any) -> None:
    upstream.reply(text_reply("openai", "One."), text_reply("openai", "Two."))
    manager = make_manager("openai")
    seen_sync: list[str] = []
    seen_async: list[str] = []

    async def later(event: Event) -> None:
        await asyncio.sleep(0)
        seen_async.append(event.data["conversation_id"])

    off = manager.on("response_complete", lambda event: seen_sync.append(event.type))
    manager.on("response_complete", later)
    first = await manager.generate_response("1")
    off()
    await manager.generate_response("2")
    await asyncio.sleep(0.01)
    assert seen_sync == ["response_complete"]
    assert seen_async[0] == first.conversation_id and len(seen_async) == 2


async def test_a_subscriber_that_never_reads_does_not_block_a_response(upstream: Upstream, make_manager: Any) -> None:
    upstream.reply(text_reply("openai", " ".join(f"w{i}" for i in range(40))))
    manager = make_manager("openai", event_queue_size=4)
    events = manager.events()
    never_read = asyncio.ensure_future(events.__anext__())  # subscribed, then never read again
    await asyncio.sleep(0)
    response = await asyncio.wait_for(manager.generate_response("Talk"), 5)
    assert response.content.endswith("w39")
    # 1 created + 1 start + 40 chunks + complete + analytics = 44 events; the first was taken, 4 queued
    assert manager.bus.dropped == 44 - 1 - 4
    never_read.cancel()
    await events.aclose()


async def test_provider_status_change_when_a_429_cools_the_provider_down(upstream: Upstream, make_manager: Any) -> None:
    upstream.reply(error_reply("anthropic", 429, "slow down", {"retry-after": "30"}))
    manager = make_manager("anthropic")
    changes: list[Event] = []
    manager.on("provider_status_change", changes.append)
    with pytest.raises(LLMRateLimitError):
        await manager.generate_response("Hi")
    assert [e.data for e in changes] == [{"provider": "anthropic", "available": False, "previous": True}]
    status = await manager.get_provider_status("anthropic")
    assert status["available"] is False and status["request_count"] == 1 and status["error_rate"] == 1.0
    assert manager.list_providers() == [{"name": "anthropic", "provider": "anthropic", "model": "claude-sonnet-4-5",
                                         "default": True, "available": False}]


# --- typed errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("wire", WIRES)
async def test_401_is_an_authentication_error(upstream: Upstream, make_manager: Any, wire: str) -> None:
    upstream.reply(error_reply(wire, 401, "invalid api key"))
    manager = make_manager(wire)
    with pytest.raises(LLMAuthenticationError) as raised:
        await manager.generate_response("Hi")
    assert raised.value.provider == wire and raised.value.__cause__ is not None
    assert "invalid api key" in str(raised.value)
    assert len(upstream.seen) == 1


@pytest.mark.parametrize("wire", WIRES)
async def test_429_with_retry_after_is_a_rate_limit_error(upstream: Upstream, make_manager: Any, wire: str) -> None:
    upstream.reply(error_reply(wire, 429, "rate limited", {"retry-after": "30"}))
    manager = make_manager(wire)
    with pytest.raises(LLMRateLimitError) as raised:
        async for _ in manager.generate_response("Hi", stream=True):
            pass
    assert raised.value.retry_after == 30 and raised.value.__cause__ is not None
    assert len(upstream.seen) == 1


async def test_a_stream_cut_midway_is_a_typed_error_after_the_deltas_so_far(upstream: Upstream, make_manager: Any) -> None:
    reply = text_reply("openai", "One two three four")
    reply.cut_after, reply.delay_ms = 3, 20
    upstream.reply(reply)
    manager = make_manager("openai")
    got: list[str] = []
    with pytest.raises(LLMError) as raised:
        async for chunk in manager.generate_response("Count", stream=True):
            got.append(chunk.delta)
    assert got == ["One", " two"]
    assert isinstance(raised.value.__cause__, StreamInterrupted) and raised.value.provider == "openai"


async def test_a_stalled_upstream_is_a_timeout_error(upstream: Upstream, make_manager: Any) -> None:
    stalled = text_reply("openai", "late").entry()
    stalled["headers_delay_ms"] = 1000
    upstream.server.add(stalled)
    manager = make_manager("openai", provider_options={"timeout": 0.2, "max_retries": 0})
    with pytest.raises(LLMTimeoutError):
        await manager.generate_response("Hi")


async def test_context_length_is_a_context_length_error(upstream: Upstream, make_manager: Any) -> None:
    upstream.reply(error_reply("anthropic", 400, "prompt is too long: 210000 tokens > 200000 maximum"))
    manager = make_manager("anthropic")
    with pytest.raises(LLMContextLengthError) as raised:
        await manager.generate_response("Hi")
    assert raised.value.status == 400


# --- providers ----------------------------------------------------------------------------------


async def test_several_providers_default_and_per_call(upstream: Upstream, make_manager: Any) -> None:
    upstream.route("/v1/chat/completions", text_reply("openai", "From OpenAI."))
    upstream.route("/messages", text_reply("anthropic", "From Anthropic."))
    manager = make_manager("openai", "anthropic", default_provider="anthropic")
    assert [p["name"] for p in manager.list_providers()] == ["openai", "anthropic"]
    by_default = await manager.generate_response("Hi")
    by_name = await manager.generate_response("Hi", provider="openai")
    assert (by_default.content, by_name.content) == ("From Anthropic.", "From OpenAI.")
    analytics = await manager.get_analytics()
    assert {name: p["requests"] for name, p in analytics["providers"].items()} == {"openai": 1, "anthropic": 1}
    assert analytics["conversations"] == 2
    assert analytics["total_tokens"] == by_default.usage.total_tokens + by_name.usage.total_tokens
    with pytest.raises(ValueError, match="unknown provider 'nope'"):
        await manager.generate_response("Hi", provider="nope")
