"""gateway.manager.conversations: conversations that survive a restart of the process (written
by a child process, read here), list and delete, unknown ids, bad input, concurrent appends,
the context a conversation gives, and summaries (a plain async function as the model call) that
replace the oldest messages, are stored and survive reopening; stores sharing one database, each
closing only what it opened. Every test runs on SQLite (a
real file) and on a real PostgreSQL server (the ``postgres_server`` fixture, tests/pg_server.py)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from ledger_worker import Attempt
from pg_server import PostgresServer

from gateway.errors import GatewayError, LLMContextLengthError
from gateway.ledger import Ledger, default_url
from gateway.ledger.url import open_database
from gateway.manager.cache import open_cache_table
from gateway.manager.context import SUMMARY_HEADING, transcript
from gateway.manager.conversations import (
    ConversationConfig,
    ConversationContext,
    ConversationManager,
    ConversationNotFound,
)

ROOT = Path(__file__).resolve().parent.parent

IMAGE = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
EXCHANGE = [
    {"role": "user", "content": [{"type": "text", "text": "What time is it in Paris and Tokyo? Émile asks."}, IMAGE]},
    {"role": "assistant", "content": [
        {"type": "text", "text": "Checking both."},
        {"type": "tool_use", "id": "toolu_1", "name": "get_time", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "toolu_2", "name": "get_time", "input": {"city": "Tokyo"}},
    ]},
    {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_2", "content": "19:00"},
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "11:00"}], "is_error": False},
    ]},
    {"role": "assistant", "content": "Paris 11:00, Tokyo 19:00."},
]


def turn(i: int) -> dict[str, Any]:
    return {"role": "user" if i % 2 == 0 else "assistant", "content": f"message {i}"}


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gateway.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return await server.create_database()


@pytest.fixture
async def managers(db_url: str) -> AsyncIterator[Callable[..., ConversationManager]]:
    """Opens conversation managers on the test's database; closes them after the test."""
    opened: list[ConversationManager] = []

    def open_manager(config: ConversationConfig | None = None, **kwargs: Any) -> ConversationManager:
        manager = ConversationManager(db_url, config, **kwargs)
        opened.append(manager)
        return manager

    yield open_manager
    for manager in opened:
        await manager.aclose()


async def run_python(code: str, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


WRITER = """
import asyncio, json, sys
from gateway.manager.conversations import ConversationManager

async def main():
    async with ConversationManager(sys.argv[1]) as conversations:
        cid = await conversations.create_conversation(
            system_prompt="You tell the time.", title="clocks", metadata={"user": "émile", "n": 1})
        for message in json.loads(sys.argv[2]):
            await conversations.add_message(cid, message)
        print(cid)

asyncio.run(main())
"""


async def test_a_conversation_written_by_another_process_is_read_back_whole(managers: Any, db_url: str) -> None:
    conversation_id = (await run_python(WRITER, db_url, json.dumps(EXCHANGE))).strip()
    conversations = managers()
    conversation = await conversations.get_conversation(conversation_id)
    assert conversation.messages == EXCHANGE
    assert (conversation.system_prompt, conversation.title, conversation.metadata) == (
        "You tell the time.", "clocks", {"user": "émile", "n": 1}
    )
    assert (conversation.message_count, conversation.summary, conversation.summarized_count) == (4, None, 0)
    assert conversation.created_at <= conversation.updated_at
    context = await conversations.get_conversation_context(conversation_id)
    assert isinstance(context, ConversationContext)
    assert (context.system_prompt, context.messages, context.dropped) == ("You tell the time.", EXCHANGE, 0)
    # and the other way: written here, read by a new process
    await conversations.add_message(conversation_id, {"role": "user", "content": "and London?"})
    reader = (
        "import asyncio, sys\nfrom gateway.manager.conversations import ConversationManager\n"
        "async def main():\n"
        "    async with ConversationManager(sys.argv[1]) as c:\n"
        "        print((await c.get_conversation(sys.argv[2])).messages[-1]['content'])\n"
        "asyncio.run(main())\n"
    )
    assert (await run_python(reader, db_url, conversation_id)).strip() == "and London?"


async def test_list_is_most_recent_first_with_limit_and_offset_and_delete_removes_the_messages(managers: Any) -> None:
    now = [100.0]
    conversations = managers(clock=lambda: now[0])
    ids = []
    for i in range(4):
        now[0] += 1
        ids.append(await conversations.create_conversation(title=f"c{i}", conversation_id=f"conv-{i}"))
    now[0] += 1
    await conversations.add_message("conv-1", turn(0))  # conv-1 is now the most recently updated
    listed = await conversations.list_conversations()
    assert [c.id for c in listed] == ["conv-1", "conv-3", "conv-2", "conv-0"]
    assert await conversations.count_conversations() == 4
    assert (listed[0].message_count, listed[0].updated_at, listed[0].created_at) == (1, 105.0, 102.0)
    assert [c.id for c in await conversations.list_conversations(limit=2, offset=1)] == ["conv-3", "conv-2"]
    await conversations.delete_conversation("conv-1")
    assert [c.id for c in await conversations.list_conversations()] == ["conv-3", "conv-2", "conv-0"]
    assert await conversations.count_conversations() == 3
    # a new conversation under the deleted id starts empty: its messages went with it
    await conversations.create_conversation(conversation_id="conv-1")
    assert (await conversations.get_conversation("conv-1")).messages == []


async def test_an_unknown_id_is_conversation_not_found_everywhere(managers: Any) -> None:
    conversations = managers()
    calls = [
        conversations.get_conversation("nope"),
        conversations.get_conversation_context("nope"),
        conversations.add_message("nope", turn(0)),
        conversations.delete_conversation("nope"),
        conversations.store_summary("nope", "s", 0),
    ]
    for call in calls:
        with pytest.raises(ConversationNotFound, match=r"^no conversation 'nope'$") as raised:
            await call
        assert isinstance(raised.value, LookupError) and isinstance(raised.value, GatewayError)
        assert raised.value.conversation_id == "nope"


async def test_bad_messages_and_a_taken_id_are_value_errors_and_store_nothing(managers: Any) -> None:
    conversations = managers()
    await conversations.create_conversation(conversation_id="c")
    with pytest.raises(ValueError, match="a conversation 'c' already exists"):
        await conversations.create_conversation(conversation_id="c")
    bad = [
        {"role": "system", "content": "x"},
        {"role": "user", "content": 3},
        {"role": "user", "content": [{"type": "video"}]},
        {"role": "user", "content": [{"type": "text", "text": object()}]},
    ]
    for message in bad:
        with pytest.raises(ValueError):
            await conversations.add_messages("c", [turn(0), message])
    with pytest.raises(ValueError, match="metadata must be JSON"):
        await conversations.create_conversation(metadata={"x": object()})
    assert (await conversations.get_conversation("c")).messages == []


async def test_concurrent_appends_from_two_managers_keep_every_message_once(managers: Any) -> None:
    first, second = managers(), managers()
    conversation_id = await first.create_conversation()
    await asyncio.gather(*(
        (first if i % 2 else second).add_messages(conversation_id, [turn(i), turn(i + 1000)]) for i in range(40)
    ))
    messages = (await second.get_conversation(conversation_id)).messages
    assert len(messages) == 80
    assert sorted(m["content"] for m in messages) == sorted(f"message {i}" for i in [*range(40), *range(1000, 1040)])
    for pair in range(0, 80, 2):  # each add_messages call landed as one block
        assert int(messages[pair + 1]["content"].split()[1]) == int(messages[pair]["content"].split()[1]) + 1000


async def test_the_context_is_capped_by_max_messages_and_max_tokens_per_conversation(managers: Any) -> None:
    conversations = managers(ConversationConfig(max_messages=4, max_tokens_per_conversation=10_000, auto_summarize=False))
    conversation_id = await conversations.create_conversation(system_prompt="sys")
    await conversations.add_messages(conversation_id, [turn(i) for i in range(9)] + EXCHANGE)
    context = await conversations.get_conversation_context(conversation_id, max_tokens=10_000)
    assert context.messages == EXCHANGE and context.dropped == 9
    few = managers(ConversationConfig(max_tokens_per_conversation=12))
    # the whole exchange is the newest turn: it cannot be cut, so it does not fit 12 tokens
    with pytest.raises(LLMContextLengthError, match="does not fit the context's 12 tokens"):
        await few.get_conversation_context(conversation_id, max_tokens=10_000)


async def test_a_summary_replaces_the_oldest_messages_is_stored_and_survives_reopening(managers: Any) -> None:
    requests: list[list[dict[str, Any]]] = []

    async def summarize(messages: list[dict[str, Any]]) -> str:  # the model call, a parameter
        requests.append(messages)
        return f"summary {len(requests)}: {messages[0]['content'].count('User:')} user turns"

    config = ConversationConfig(summarize_threshold=6)
    conversations = managers(config)
    conversation_id = await conversations.create_conversation(system_prompt="Be brief.")
    first = [turn(0), turn(1), *EXCHANGE[:3]]  # the exchange's results are message 4
    await conversations.add_messages(conversation_id, first)
    context = await conversations.get_conversation_context(conversation_id, summarize=summarize)
    assert requests == [] and context.messages == first  # 5 messages: below the threshold

    await conversations.add_message(conversation_id, EXCHANGE[3])
    await conversations.add_message(conversation_id, turn(6))
    context = await conversations.get_conversation_context(conversation_id, summarize=summarize)
    # 7 messages: keep about 6 // 2 = 3; a cut at 4 would part the tool calls from their results,
    # so the summary covers messages 0 and 1
    [request] = requests
    assert request[0]["role"] == "user" and len(request) == 1
    assert request[0]["content"].startswith(config.summary_prompt)
    assert request[0]["content"].endswith(transcript(first[:2]))
    assert context.system_prompt == f"Be brief.\n\n{SUMMARY_HEADING}\nsummary 1: 1 user turns"
    assert context.messages == [*EXCHANGE, turn(6)]

    reopened = managers(config)  # a new connection, no summarize callable
    conversation = await reopened.get_conversation(conversation_id)
    assert (conversation.summary, conversation.summarized_count) == ("summary 1: 1 user turns", 2)
    assert conversation.messages == [*first, EXCHANGE[3], turn(6)]  # every message is kept
    assert await reopened.get_conversation_context(conversation_id) == context

    # the next summary comes when 6 messages follow the first one, and carries it on
    await reopened.add_messages(conversation_id, [turn(7), turn(8), turn(9)])
    assert await reopened.summarize_conversation(conversation_id, summarize)
    second = requests[-1][0]["content"]
    assert f"{SUMMARY_HEADING}\nsummary 1: 1 user turns\n\nThe conversation since:" in second
    assert second.endswith(transcript(EXCHANGE))  # keeping 3 of 8 would cut at 5: back to 4
    conversation = await managers().get_conversation(conversation_id)
    assert (conversation.summary, conversation.summarized_count) == ("summary 2: 2 user turns", 6)
    context = await managers().get_conversation_context(conversation_id)
    assert context.messages == [turn(6), turn(7), turn(8), turn(9)]


async def test_no_summary_without_auto_summarize_or_below_a_cut(managers: Any) -> None:
    async def summarize(messages: list[dict[str, Any]]) -> str:
        raise AssertionError("not called")

    off = managers(ConversationConfig(auto_summarize=False, summarize_threshold=2), summarize=summarize)
    conversation_id = await off.create_conversation()
    await off.add_messages(conversation_id, [turn(i) for i in range(6)])
    assert (await off.get_conversation_context(conversation_id)).messages == [turn(i) for i in range(6)]
    # one long tool exchange after the only user message: nothing can be summarised
    on = managers(ConversationConfig(summarize_threshold=2), summarize=summarize)
    exchange_id = await on.create_conversation()
    await on.add_messages(exchange_id, EXCHANGE[:3])
    assert not await on.summarize_conversation(exchange_id)
    with pytest.raises(ValueError, match="needs a summarize callable"):
        await managers().summarize_conversation(exchange_id)


async def test_store_summary_refuses_to_split_a_tool_call_from_its_result(managers: Any) -> None:
    conversations = managers()
    conversation_id = await conversations.create_conversation()
    await conversations.add_messages(conversation_id, [turn(0), turn(1), *EXCHANGE])
    with pytest.raises(ValueError, match="message 4 cannot begin a context"):
        await conversations.store_summary(conversation_id, "s", 4)
    with pytest.raises(ValueError, match="not 7"):
        await conversations.store_summary(conversation_id, "s", 7)
    await conversations.store_summary(conversation_id, "the first two", 2)
    with pytest.raises(ValueError, match="covers 2..6 messages, not 0"):
        await conversations.store_summary(conversation_id, "s", 0)
    await conversations.store_summary(conversation_id, "all of it", 6)
    context = await conversations.get_conversation_context(conversation_id)
    assert (context.system_prompt, context.messages) == (f"{SUMMARY_HEADING}\nall of it", [])


async def test_the_default_database_is_the_ledgers_and_both_keep_their_tables_in_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GATEWAY_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    async with ConversationManager() as conversations, Ledger() as ledger:
        assert conversations.url == ledger.url == default_url() == f"sqlite:///{tmp_path / 'data' / 'provider-port' / 'usage.db'}"
        conversation_id = await conversations.create_conversation(conversation_id="shared")
        await conversations.add_message(conversation_id, turn(0))
        assert (await ledger.deployment_stats("any")).request_count == 0  # the ledger's tables are there too
    async with ConversationManager() as conversations:
        assert (await conversations.get_conversation("shared")).messages == [turn(0)]


async def test_an_unreachable_postgresql_server_is_a_clear_error_without_the_password() -> None:
    conversations = ConversationManager("postgresql://gw:hunter2@127.0.0.1:1/gateway")
    with pytest.raises(ConnectionError, match=r"cannot open the PostgreSQL conversation store at postgresql://gw:\*\*\*@127.0.0.1:1/gateway: ") as failed:
        await conversations.list_conversations()
    assert "hunter2" not in str(failed.value)
    with pytest.raises(ValueError, match="unreadable conversation store URL 'mysql://x'"):
        ConversationManager("mysql://x")
    await conversations.aclose()


async def test_stores_sharing_one_database_leave_closing_it_to_its_opener(db_url: str) -> None:
    database = open_database(db_url)
    ledger, conversations, cache = Ledger(database=database), ConversationManager(database=database), open_cache_table(database)
    assert ledger.url == conversations.url == database.url == db_url
    await conversations.create_conversation(conversation_id="shared")
    await conversations.add_message("shared", turn(0))
    ledger.record(Attempt())
    await cache.put("key", "entry", expires_at=2e9, now=1e9)
    await ledger.aclose()
    await conversations.aclose()
    await cache.aclose()
    async with ConversationManager(database=database) as still_open:  # the stores' aclose left it open
        assert (await still_open.get_conversation("shared")).messages == [turn(0)]
    await database.aclose()

    # each store alone opens the database itself, and closes it
    async with ConversationManager(db_url) as alone:
        assert (await alone.get_conversation("shared")).messages == [turn(0)]
    async with Ledger(db_url) as ledger_alone:
        assert (await ledger_alone.deployment_stats("main")).request_count == 1
    cache_alone = open_cache_table(db_url)
    assert await cache_alone.get("key", now=1e9) == ("entry", 2e9)
    await cache_alone.aclose()


async def test_a_url_naming_another_database_than_the_one_given_is_refused(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'one.db'}")
    with pytest.raises(ValueError, match="given the database at"):
        ConversationManager(f"sqlite:///{tmp_path / 'other.db'}", database=database)
    with pytest.raises(ValueError, match="given the database at"):
        Ledger(f"sqlite:///{tmp_path / 'other.db'}", database=database)
    await database.aclose()
