"""gateway.ledger: rows and their cost, budgets under concurrency (one process and two), day and
month rollovers, a process killed under load, reports and the report CLI, deployment statistics,
metrics, bad input. Every store-facing test runs on SQLite (a real file) and on a real
PostgreSQL server started by the ``postgres_server`` fixture (tests/pg_server.py)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
import os
import random
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from ledger_worker import Attempt, Usage
from pg_server import PostgresServer
from prometheus_client import generate_latest

from gateway.errors import BudgetExceeded
from gateway.ledger import Budget, Ledger, Reservation, default_url
from gateway.ledger import ledger as ledger_module
from providers.utils.cost import calculate_api_cost_anthropic, calculate_api_cost_openai

ROOT = Path(__file__).resolve().parent.parent
WORKER = str(Path(__file__).resolve().parent / "ledger_worker.py")
PRICES = {"inputPrice": 3.0, "outputPrice": 15.0, "cacheWritesPrice": 3.75, "cacheReadsPrice": 0.3}


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc).timestamp()


NOW = at(2026, 12, 3, 12)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> PostgresServer | None:
    return request.getfixturevalue("postgres_server") if request.param == "postgresql" else None


@pytest.fixture
async def db_url(store: PostgresServer | None, tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'usage.db'}" if store is None else await store.create_database()


@pytest.fixture
async def ledgers(db_url: str) -> AsyncIterator[Callable[..., Ledger]]:
    """Opens ledgers on the test's database; closes them after the test."""
    opened: list[Ledger] = []

    def open_ledger(clock: Callable[[], float] = lambda: NOW) -> Ledger:
        ledger = Ledger(db_url, clock=clock)
        opened.append(ledger)
        return ledger

    yield open_ledger
    for ledger in opened:
        await ledger.aclose()


async def sql(url: str, statement: str) -> list[Any]:
    """Run one statement on the database directly, with the driver."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url[len("sqlite:///"):]) as connection:
            return connection.execute(statement).fetchall()
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await connection.fetch(statement)]
    finally:
        await connection.close()


def subprocess_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


# -- rows and reports --------------------------------------------------------------------------


async def test_rows_cost_the_reference_arithmetic_and_report_by_every_dimension(ledgers: Any) -> None:
    ledger = ledgers()
    day1, day2 = at(2026, 12, 1, 10), at(2026, 12, 2, 10)
    recorded = [
        (Attempt(deployment="main", provider="anthropic", model="claude-sonnet-4-5", started_at=day1,
                 usage=Usage(100, 50, cache_read_tokens=1000, cache_write_tokens=200)), "moa", "team-a"),
        (Attempt(deployment="backup", provider="openai", model="gpt-4o", started_at=day1 + 1,
                 usage=Usage(1200, 80, cache_read_tokens=1000)), None, "team-b"),
        (Attempt(deployment="router", provider="openrouter", model="x/y", started_at=day2,
                 usage=Usage(10, 5, total_cost=0.125)), "moa", None),
        (Attempt(deployment="main", provider="anthropic", model="claude-sonnet-4-5", started_at=day2 + 1,
                 outcome="error", error_class="RateLimitError", status=429, ttfc_s=None, usage=None), None, "team-a"),
    ]
    for attempt, strategy, key_id in recorded:
        ledger.record(attempt, strategy=strategy, key_id=key_id, model_info=PRICES)

    report = await ledger.cost_report(group_by=("provider", "strategy"))

    # recorded from the port's cost functions (src/shared/cost.ts), the protocol as getApiProtocol picks it
    anthropic = calculate_api_cost_anthropic(PRICES, 100, 50, 200, 1000)
    openai = calculate_api_cost_openai(PRICES, 1200, 80, 0, 1000)
    assert report.by_provider["anthropic"].cost_usd == anthropic["totalCost"]
    assert report.by_provider["anthropic"].total_tokens == anthropic["totalInputTokens"] + 50 == 1350
    assert report.by_provider["openai"].cost_usd == openai["totalCost"]
    assert report.by_provider["openai"].total_tokens == 1280  # OpenAI's input already holds the cache reads
    assert report.by_provider["openrouter"].cost_usd == 0.125  # the provider's totalCost wins
    assert report.total_tokens == 1350 + 1280 + 15
    assert report.estimated_cost_usd == math.fsum([anthropic["totalCost"], openai["totalCost"], 0.125])
    assert (report.total.requests, report.total.failed) == (4, 1)
    assert {k: (t.requests, t.failed) for k, t in report.by_strategy.items()} == {"moa": (2, 0), "-": (2, 1)}
    assert {k: t.requests for k, t in report.by_key.items()} == {"team-a": 2, "team-b": 1, "-": 1}
    assert {k: t.requests for k, t in report.by_deployment.items()} == {"main": 2, "backup": 1, "router": 1}
    assert {k: t.requests for k, t in report.by_model.items()} == {"claude-sonnet-4-5": 2, "gpt-4o": 1, "x/y": 1}
    assert {k: t.total_tokens for k, t in report.by_day.items()} == {"2026-12-01": 2630, "2026-12-02": 15}
    assert [(g.key, g.totals.requests) for g in report.groups] == [
        ({"provider": "anthropic", "strategy": "-"}, 1),
        ({"provider": "anthropic", "strategy": "moa"}, 1),
        ({"provider": "openai", "strategy": "-"}, 1),
        ({"provider": "openrouter", "strategy": "moa"}, 1),
    ]

    assert (await ledger.cost_report(since="2026-12-02")).total_tokens == 15
    assert (await ledger.cost_report(until="2026-12-01")).total_tokens == 2630  # a day as until: included
    assert (await ledger.cost_report(since=day1 + 1, until=day2)).total_tokens == 1280


async def test_report_cli_prints_table_json_and_csv(ledgers: Any, db_url: str) -> None:
    ledger = ledgers()
    for provider, strategy, tokens in (("openai", "moa", 30), ("openai", None, 20), ("anthropic", "moa", 10)):
        ledger.record(Attempt(provider=provider, started_at=at(2026, 12, 2), usage=Usage(tokens, 0, total_cost=0.5)),
                      strategy=strategy)
    expected = (await ledger.cost_report(group_by=("provider", "strategy"))).to_dict()

    async def report(*args: str, **env: str) -> str:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gateway", "report", "--by", "provider,strategy", *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=subprocess_env(**env),
        )
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        return out.decode()

    table, as_json, as_csv, from_env = await asyncio.gather(
        report("--db", db_url),
        report("--db", db_url, "--format", "json"),
        report("--db", db_url, "--format", "csv", "--since", "2026-12-01", "--until", "2026-12-02"),
        report(GATEWAY_DB=db_url),
    )
    print(table)
    assert table.splitlines() == [
        "provider   strategy  requests  failed  input_tokens  output_tokens  total_tokens  cost_usd",
        "---------  --------  --------  ------  ------------  -------------  ------------  --------",
        "anthropic  moa              1       0            10              0            10  0.500000",
        "openai     -                1       0            20              0            20  0.500000",
        "openai     moa              1       0            30              0            30  0.500000",
        "---------  --------  --------  ------  ------------  -------------  ------------  --------",
        "total                       3       0            60              0            60  1.500000",
    ]
    assert json.loads(as_json) == expected
    assert list(csv.reader(io.StringIO(as_csv))) == [
        ["provider", "strategy", "requests", "failed", "input_tokens", "output_tokens", "total_tokens", "cost_usd"],
        ["anthropic", "moa", "1", "0", "10", "0", "10", "0.500000"],
        ["openai", "-", "1", "0", "20", "0", "20", "0.500000"],
        ["openai", "moa", "1", "0", "30", "0", "30", "0.500000"],
    ]
    assert from_env == table


async def test_report_cli_rejects_bad_arguments_clearly() -> None:
    for args, message in (
        (["--db", "mysql://db"], "unreadable ledger URL 'mysql://db'"),
        (["--db", "sqlite:////nonexistent-dir-for-ledger/x.db", "--by", "colour"], "group_by takes one or more of"),
        (["--db", "postgresql://u:hunter2@127.0.0.1:notaport/db"], "postgresql://u:***@127.0.0.1:notaport/db"),
        (["--db", "postgresql://u@127.0.0.1:notaport/db?password=hunter2"], "postgresql://u@127.0.0.1:notaport/db?password=***"),
    ):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gateway", "report", *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=subprocess_env(),
        )
        out, err = await process.communicate()
        assert (process.returncode, out) == (2, b"")
        assert message in err.decode() and "hunter2" not in err.decode()


async def test_a_sqlite_database_is_never_left_inside_a_transaction_and_says_when_it_is_closed(tmp_path: Path) -> None:
    # one connection serves the ledger, the conversations and the cache of a manager: a failed
    # transaction of one must not leave it unusable for the others
    from gateway.ledger.database import SqliteFile

    db = SqliteFile(tmp_path / "shared.db", what="test database")
    db.migrate([[
        "CREATE TABLE parent (id INTEGER PRIMARY KEY)",
        "CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)",
    ]], "test_version", "test database")
    db.con.execute("PRAGMA foreign_keys = ON")

    def count(con: sqlite3.Connection) -> int:
        return int(con.execute("SELECT COUNT(*) FROM child").fetchone()[0])

    def fails_in_its_body(con: sqlite3.Connection) -> None:
        con.execute("INSERT INTO parent VALUES (1)")
        con.execute("INSERT INTO parent VALUES (1)")  # the same key

    def fails_at_commit(con: sqlite3.Connection) -> None:
        con.execute("INSERT INTO child VALUES (42)")  # no parent 42: checked at COMMIT

    for body in (fails_in_its_body, fails_at_commit):
        with pytest.raises(sqlite3.IntegrityError):
            await db.run(db.transaction, body)
        assert not db.con.in_transaction
        assert await db.run(db.transaction, count) == 0
    await db.aclose()
    await db.aclose()
    with pytest.raises(ConnectionError, match="test database at .* is closed"):
        await db.run(db.transaction, count)


# -- budgets -----------------------------------------------------------------------------------


async def test_a_thousand_concurrent_reservations_admit_exactly_what_the_budget_allows(ledgers: Any) -> None:
    ledger: Ledger = ledgers()
    daily = Budget(tokens=1000, per="day")

    async def request(i: int) -> Reservation | BudgetExceeded:
        try:
            return await ledger.reserve([daily, Budget(tokens=50, per="query")], deployment="main",
                                        key_id=f"k{i % 3}", tokens_estimate=10)
        except BudgetExceeded as exc:
            return exc

    results = await asyncio.gather(*(request(i) for i in range(1000)))
    admitted = [r for r in results if isinstance(r, Reservation)]
    refused = [r for r in results if isinstance(r, BudgetExceeded)]
    print(f"1,000 concurrent reservations against 1,000 tokens/day at 10 each: {len(admitted)} admitted, {len(refused)} refused")
    assert (len(admitted), len(refused)) == (100, 900)
    assert {(e.scope, e.limit, e.used, e.unit, e.resets_at) for e in refused} == {
        ("day", 1000, 1000, "tokens", at(2026, 12, 4))
    }
    assert await ledger.budget_usage(daily) == (0, 1000)

    usages = [Usage(3 + i % 5, 2 + i % 3, cache_read_tokens=i % 2) for i in range(100)]
    await asyncio.gather(
        *(ledger.settle(r, Attempt(usage=u), model_info=PRICES) for r, u in zip(admitted, usages))
    )
    tokens = sum(u.input_tokens + u.output_tokens for u in usages)
    assert await ledger.budget_usage(daily) == (tokens, 0)
    report = await ledger.cost_report(group_by=("key",))
    assert (report.total.requests, report.total_tokens) == (100, tokens)
    costs = [calculate_api_cost_openai(PRICES, u.input_tokens, u.output_tokens, 0, u.cache_read_tokens)["totalCost"]
             for u in usages]
    assert report.estimated_cost_usd == pytest.approx(math.fsum(costs), rel=1e-12, abs=0)
    assert ledger.metrics.registry.get_sample_value("gateway_budget_refusals_total", {"per": "day", "unit": "tokens"}) == 900


async def test_two_processes_sharing_a_ledger_never_overshoot_one_daily_budget(db_url: str) -> None:
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, WORKER, "share", db_url, "2000", "400",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=subprocess_env(),
        )
        for _ in range(2)
    ]
    for worker in workers:
        assert (await asyncio.wait_for(worker.stdout.readline(), 30)) == b"ready\n"  # type: ignore[union-attr]
    for worker in workers:
        worker.stdin.write(b"go\n")  # type: ignore[union-attr]
    outputs = await asyncio.gather(*(worker.communicate() for worker in workers))
    admitted = [int(out) for out, _ in outputs]
    print(f"two processes, 400 requests of 10 tokens each against 2,000 tokens/day: admitted {admitted}")
    assert [worker.returncode for worker in workers] == [0, 0]
    assert sum(admitted) == 200
    async with Ledger(db_url) as ledger:
        assert await ledger.budget_usage(Budget(tokens=2000, per="day")) == (2000, 0)
        assert (await ledger.cost_report()).total_tokens == 2000


async def test_budgets_apply_to_their_deployment_and_key_only(ledgers: Any) -> None:
    ledger = ledgers()
    main_usd = Budget(usd=0.01, per="day", deployment="main")
    team = Budget(tokens=100, per="month", key="team-a")
    budgets = [main_usd, team, Budget(tokens=60, per="query")]

    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve(budgets, deployment="main", tokens_estimate=61)
    assert (refused.value.scope, refused.value.limit, refused.value.used, refused.value.resets_at) == ("query", 60, 61, None)

    first = await ledger.reserve(budgets, deployment="main", key_id="team-a", tokens_estimate=50, usd_estimate=0.006)
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve(budgets, deployment="backup", key_id="team-a", tokens_estimate=51)
    assert (refused.value.scope, refused.value.used, refused.value.resets_at) == ("month key=team-a", 50, at(2027, 1, 1))
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve(budgets, deployment="main", key_id="team-b", tokens_estimate=10, usd_estimate=0.006)
    assert (refused.value.scope, refused.value.unit, refused.value.used) == ("day deployment=main", "usd", 0.006)
    await ledger.reserve(budgets, deployment="backup", key_id="team-b", tokens_estimate=50, usd_estimate=0.006)
    assert await ledger.budget_usage(team) == (0, 50)  # the refused reservations left nothing behind
    assert await ledger.budget_usage(main_usd) == (0, 0.006)

    attempt = Attempt(usage=Usage(1000, 100))  # 1,100 tokens, priced on PRICES: 0.0045 USD
    await ledger.settle(first, attempt, model_info=PRICES)
    cost = calculate_api_cost_openai(PRICES, 1000, 100)["totalCost"]
    assert await ledger.budget_usage(main_usd) == (cost, 0)
    assert await ledger.budget_usage(team) == (1100, 0)  # settles what was used, past the estimate


async def test_release_gives_the_estimate_back_and_a_reservation_closes_once(ledgers: Any) -> None:
    ledger = ledgers()
    daily = Budget(tokens=100, per="day")
    reservation = await ledger.reserve([daily], deployment="main", tokens_estimate=100)
    with pytest.raises(BudgetExceeded):
        await ledger.reserve([daily], deployment="main", tokens_estimate=1)
    await ledger.release(reservation)
    assert await ledger.budget_usage(daily) == (0, 0)
    with pytest.raises(ValueError, match="already settled or released"):
        await ledger.settle(reservation, Attempt())
    again = await ledger.reserve([daily], deployment="main", tokens_estimate=100)
    await ledger.settle(again, Attempt(outcome="interrupted", usage=Usage(5, 5)), Attempt(usage=Usage(20, 30)))
    assert await ledger.budget_usage(daily) == (60, 0)
    assert (await ledger.deployment_stats("main")).request_count == 2  # both attempts are rows


async def test_a_cancelled_reservation_is_given_back(ledgers: Any, db_url: str) -> None:
    ledger = ledgers()
    daily = Budget(tokens=100, per="day")
    blocker = None
    if db_url.startswith("sqlite"):
        # another writer holds the file: the reservation cannot commit at once and waits for
        # it on the store's thread
        blocker = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
    reserving = asyncio.ensure_future(ledger.reserve([daily], deployment="main", tokens_estimate=100))
    await asyncio.sleep(0.05 if blocker else 0)  # in the store now
    reserving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reserving
    if blocker is not None:
        blocker.execute("COMMIT")
        blocker.close()
    for _ in range(200):
        if await ledger.budget_usage(daily) == (0, 0):
            break
        await asyncio.sleep(0.01)
    assert await ledger.budget_usage(daily) == (0, 0)
    await ledger.reserve([daily], deployment="main", tokens_estimate=100)


async def test_settle_prices_each_attempt_on_its_own_model(ledgers: Any) -> None:
    ledger = ledgers()
    usd = Budget(usd=1.0, per="day")
    cheap = {"inputPrice": 0.1, "outputPrice": 0.4}
    failed = Attempt(deployment="main", outcome="interrupted", error_class="StreamInterrupted", usage=Usage(1000, 10))
    failed.model_info = PRICES  # type: ignore[attr-defined]
    served = Attempt(deployment="cheap", model="gpt-4o-mini", usage=Usage(1000, 100))
    served.model_info = cheap  # type: ignore[attr-defined]
    reservation = await ledger.reserve([usd], deployment="main", tokens_estimate=2000, usd_estimate=0.02)
    await ledger.settle(reservation, failed, served)
    costs = [calculate_api_cost_openai(PRICES, 1000, 10)["totalCost"], calculate_api_cost_openai(cheap, 1000, 100)["totalCost"]]
    used, reserved = await ledger.budget_usage(usd)
    # nothing reserved: the store's counter less this process's lease, two float sums of the
    # same amounts in different orders (equal within rounding)
    assert (used, reserved) == (math.fsum(costs), pytest.approx(0, abs=1e-15))
    report = await ledger.cost_report(group_by=("deployment",))
    assert {k: t.cost_usd for k, t in report.by_deployment.items()} == {"main": costs[0], "cheap": costs[1]}


async def test_day_rollover_resets_the_daily_budget_and_no_other(ledgers: Any) -> None:
    clock = [at(2026, 12, 31, 23, 59, 30)]
    ledger = ledgers(clock=lambda: clock[0])
    daily, monthly = Budget(tokens=100, per="day"), Budget(tokens=150, per="month")
    keyed_daily = Budget(tokens=10, per="day", key="other")  # applies to nobody here: stays empty

    reservation = await ledger.reserve([daily, monthly, keyed_daily], deployment="main", tokens_estimate=100)
    await ledger.settle(reservation, Attempt(usage=Usage(40, 60)))
    with pytest.raises(BudgetExceeded) as refused:
        await ledger.reserve([daily, monthly], deployment="main", tokens_estimate=10)
    assert (refused.value.scope, refused.value.resets_at) == ("day", at(2027, 1, 1))

    clock[0] = at(2027, 1, 1, 0, 0, 1)  # a new day and a new month: both reset
    assert await ledger.budget_usage(daily) == (0, 0)
    assert await ledger.budget_usage(monthly) == (0, 0)
    await ledger.settle(await ledger.reserve([daily, monthly], deployment="main", tokens_estimate=100),
                        Attempt(usage=Usage(40, 60)))

    clock[0] = at(2027, 1, 2, 0, 0, 1)  # a new day only
    assert await ledger.budget_usage(daily) == (0, 0)
    assert await ledger.budget_usage(monthly) == (100, 0)
    with pytest.raises(BudgetExceeded) as refused:  # the day has room, the month does not
        await ledger.reserve([daily, monthly], deployment="main", tokens_estimate=60)
    assert (refused.value.scope, refused.value.used, refused.value.resets_at) == ("month", 100, at(2027, 2, 1))
    assert await ledger.budget_usage(daily) == (0, 0)  # all or none: the day's claim was rolled back
    await ledger.reserve([daily, monthly], deployment="main", tokens_estimate=50)
    assert await ledger.budget_usage(keyed_daily) == (0, 0)


async def test_admissions_match_exact_accounting_in_one_process(ledgers: Any) -> None:
    """Reservations come from the process's leases, yet in one process every decision is the
    exact one: admitted iff used + reserved + estimate <= limit on every counter that applies
    (random estimates, settlements under and over the estimate, releases)."""
    ledger = ledgers()
    limits = {"day": 3000, "team": 1500}
    day, team = Budget(tokens=3000, per="day"), Budget(tokens=1500, per="month", key="team-a")
    used = {"day": 0, "team": 0}
    reserved = {"day": 0, "team": 0}
    rng = random.Random(17)
    open_: list[tuple[Reservation, int, list[str]]] = []
    decisions = {True: 0, False: 0}
    for step in range(600):
        if open_ and rng.random() < 0.45:
            reservation, estimate, scopes = open_.pop(rng.randrange(len(open_)))
            spent = 0 if rng.random() < 0.2 else rng.randint(0, 2 * estimate)
            for scope in scopes:
                reserved[scope] -= estimate
                used[scope] += spent
            if spent == 0:
                await ledger.release(reservation)
            elif step % 2:
                ledger.settle_nowait(reservation, Attempt(usage=Usage(spent, 0)))
            else:
                await ledger.settle(reservation, Attempt(usage=Usage(spent, 0)))
            continue
        estimate, key = rng.randint(1, 60), rng.choice([None, "team-a"])
        scopes = ["day", "team"] if key else ["day"]
        fits = all(used[s] + reserved[s] + estimate <= limits[s] for s in scopes)
        try:
            reservation = await ledger.reserve([day, team], deployment="main", key_id=key, tokens_estimate=estimate)
        except BudgetExceeded as refused:
            assert not fits, (step, estimate, used, reserved)
            scope = "day" if refused.scope == "day" else "team"
            assert refused.used == used[scope] + reserved[scope]
            decisions[False] += 1
            continue
        assert fits, (step, estimate, used, reserved)
        decisions[True] += 1
        for scope in scopes:
            reserved[scope] += estimate
        open_.append((reservation, estimate, scopes))
        if step % 50 == 0:
            assert await ledger.budget_usage(day) == (used["day"], reserved["day"])
            assert await ledger.budget_usage(team) == (used["team"], reserved["team"])
    print(f"600 steps: {decisions[True]} admitted, {decisions[False]} refused, all as exact accounting decides")
    assert decisions[True] > 80 and decisions[False] > 80
    assert await ledger.budget_usage(day) == (used["day"], reserved["day"])


async def test_a_restart_remembers_what_was_spent(ledgers: Any, db_url: str) -> None:
    daily = Budget(tokens=1000, per="day")
    first = ledgers()
    for _ in range(6):
        reservation = await first.reserve([daily], deployment="main", tokens_estimate=150)
        first.settle_nowait(reservation, Attempt(usage=Usage(60, 40)))
    await first.aclose()  # commits what is queued and gives the lease back
    assert await sql(db_url, "SELECT used, reserved FROM budget_usage") == [(600, 0)]

    second = ledgers()  # a new process's ledger: it leases from what the store holds
    assert await second.budget_usage(daily) == (600, 0)
    await second.reserve([daily], deployment="main", tokens_estimate=400)
    with pytest.raises(BudgetExceeded) as refused:
        await second.reserve([daily], deployment="main", tokens_estimate=1)
    assert (refused.value.used, refused.value.limit) == (1000, 1000)


async def test_another_instance_gets_a_lease_once_its_holder_is_idle(
    ledgers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger_module, "LEASE_IDLE_S", 0.05)
    daily = Budget(tokens=1000, per="day")
    holder, other = ledgers(), ledgers()  # two instances sharing the database
    await holder.settle(await holder.reserve([daily], deployment="main", tokens_estimate=10), Attempt(usage=Usage(5, 5)))
    (leased,) = await sql(holder.url, "SELECT reserved FROM budget_usage")
    assert leased[0] > 0  # the holder keeps a lease for its next requests
    with pytest.raises(BudgetExceeded) as refused:  # never past the limit: the lease counts
        await other.reserve([daily], deployment="main", tokens_estimate=990)
    assert refused.value.used == 10 + leased[0]
    for _ in range(100):  # the holder gives the idle lease back
        if await sql(holder.url, "SELECT used, reserved FROM budget_usage") == [(10, 0)]:
            break
        await asyncio.sleep(0.02)
    await other.reserve([daily], deployment="main", tokens_estimate=990)
    assert await other.budget_usage(daily) == (10, 990)


# -- durability --------------------------------------------------------------------------------


async def test_kill_9_under_load_leaves_a_database_holding_every_settled_row(tmp_path: Path) -> None:
    path = tmp_path / "usage.db"
    worker = await asyncio.create_subprocess_exec(
        sys.executable, WORKER, "load", f"sqlite:///{path}", "32",
        stdout=asyncio.subprocess.PIPE, env=subprocess_env(),
    )
    assert worker.stdout is not None
    settled: list[float] = []
    while len(settled) < 1000:
        settled.append(float(await asyncio.wait_for(worker.stdout.readline(), 30)))
    worker.send_signal(signal.SIGKILL)
    rest = await worker.stdout.read()
    settled += [float(line) for line in rest.split(b"\n") if line]  # printed whole, after settle returned
    assert await worker.wait() == -signal.SIGKILL

    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = {ts for (ts,) in connection.execute("SELECT ts FROM attempts WHERE deployment = 'main'")}
        (spent,) = connection.execute("SELECT SUM(total_tokens) FROM attempts WHERE deployment = 'main'").fetchone()
        used, reserved = connection.execute("SELECT SUM(used), SUM(reserved) FROM budget_usage").fetchone()
    missing = set(settled) - stored
    print(f"kill -9 after {len(settled)} settled requests: {len(stored)} settled rows stored, {len(missing)} missing; "
          f"budget counter: {used:g} used (the stored rows' tokens: {spent}), {reserved:g} still reserved")
    assert not missing
    # the counter forgot nothing: a row and its counter change commit together, and what the
    # dead process held (estimates in flight, the rest of its lease) stays reserved
    assert used == spent and reserved >= 0
    async with Ledger(f"sqlite:///{path}") as ledger:
        assert (await ledger.deployment_stats("main")).request_count == len(stored)


async def test_record_returns_before_the_row_is_written_and_a_batch_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "usage.db"
    async with Ledger(f"sqlite:///{path}") as ledger:
        for _ in range(500):
            ledger.record(Attempt())
        with sqlite3.connect(path) as connection:
            assert connection.execute("SELECT COUNT(*) FROM attempts").fetchall() == [(0,)]
        await ledger.flush()
        with sqlite3.connect(path) as connection:
            assert connection.execute("SELECT COUNT(*) FROM attempts").fetchall() == [(500,)]
            assert connection.execute("PRAGMA journal_mode").fetchall() == [("wal",)]


async def test_schema_is_created_and_migrated_by_the_ledger(ledgers: Any, db_url: str) -> None:
    ledger = ledgers()
    ledger.record(Attempt())
    await ledger.flush()
    assert await sql(db_url, "SELECT version FROM schema_version") == [(1,)]
    await ledger.aclose()
    reopened = ledgers()  # an existing database: kept, not migrated again
    assert (await reopened.deployment_stats("main")).request_count == 1
    await sql(db_url, "UPDATE schema_version SET version = 99")
    with pytest.raises(ValueError, match="schema is version 99, newer than this code knows"):
        await ledgers().deployment_stats("main")


# -- status and metrics ------------------------------------------------------------------------


async def test_deployment_stats(ledgers: Any) -> None:
    ledger = ledgers()
    for latency, outcome in ((0.3, "ok"), (0.1, "error"), (0.9, "ok"), (0.2, "ok")):
        ledger.record(Attempt(latency_s=latency, outcome=outcome, usage=Usage(10, 5, total_cost=0.25)))
    for latency in (0.7, 0.5, 0.6):
        ledger.record(Attempt(deployment="backup", latency_s=latency))
    main, backup, unknown = [await ledger.deployment_stats(name) for name in ("main", "backup", "nowhere")]
    assert (main.request_count, main.total_tokens, main.cost_usd, main.error_rate) == (4, 60, 1.0, 0.25)
    assert main.p50_latency_s == pytest.approx(0.25)
    assert (backup.request_count, backup.p50_latency_s) == (3, 0.6)
    assert (unknown.request_count, unknown.error_rate, unknown.p50_latency_s) == (0, 0.0, None)


async def test_metrics_count_attempts_by_deployment_and_model_never_by_key(tmp_path: Path) -> None:
    async with Ledger(f"sqlite:///{tmp_path / 'usage.db'}") as ledger:
        ledger.record(Attempt(usage=Usage(100, 20, cache_read_tokens=30, total_cost=0.5), latency_s=1.5, ttfc_s=0.2),
                      key_id="team-secret-id")
        ledger.record(Attempt(outcome="error", error_class="APIConnectionError", status=None, ttfc_s=None, usage=None),
                      key_id="team-secret-id")
        labels = {"deployment": "main", "model": "gpt-4o"}
        value = ledger.metrics.registry.get_sample_value
        assert value("gateway_requests_total", {**labels, "outcome": "ok"}) == 1
        assert value("gateway_requests_total", {**labels, "outcome": "error"}) == 1
        assert value("gateway_tokens_total", {**labels, "kind": "input"}) == 100
        assert value("gateway_tokens_total", {**labels, "kind": "cache_read"}) == 30
        assert value("gateway_cost_usd_total", labels) == 0.5
        assert value("gateway_errors_total", {**labels, "error_class": "APIConnectionError"}) == 1
        assert value("gateway_latency_seconds_count", labels) == 2
        assert value("gateway_time_to_first_chunk_seconds_count", labels) == 1
        assert value("gateway_time_to_first_chunk_seconds_bucket", {**labels, "le": "0.25"}) == 1
        assert b"team-secret-id" not in generate_latest(ledger.metrics.registry)


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"tokens": 0}, "tokens must be positive"),
        ({"tokens": -5}, "tokens must be positive"),
        ({"usd": 0.0}, "usd must be a positive finite amount"),
        ({"usd": -1.0}, "usd must be a positive finite amount"),
        ({"usd": float("nan")}, "usd must be a positive finite amount"),
        ({"tokens": 1.5}, "tokens must be an int"),
        ({}, "exactly one limit"),
        ({"tokens": 10, "usd": 1.0}, "exactly one limit"),
        ({"tokens": 10, "per": "week"}, "per must be one of query, day, month; got 'week'"),
        ({"tokens": 10, "key": ""}, "key must be a non-empty string"),
    ],
)
def test_a_bad_budget_is_refused_at_construction(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Budget(**arguments)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("usage.db", "unreadable ledger URL 'usage.db': expected sqlite:////abs/path.db"),
        ("mysql://u@h/db", "unreadable ledger URL 'mysql://u@h/db'"),
        ("sqlite:///", "name a file"),
        ("sqlite:///:memory:", "name a file"),
        ("postgresql://u:pw@h:port/db", "unreadable ledger URL 'postgresql://u:\\*\\*\\*@h:port/db'"),
        ("postgresql:///db", "no host"),
    ],
)
def test_an_unreadable_database_url_is_refused_at_construction(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Ledger(url)


def test_an_unopenable_sqlite_file_is_refused_at_construction(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a database, " * 100)
    with pytest.raises(ValueError, match="cannot open the SQLite ledger at .*notes.txt: file is not a database"):
        Ledger(f"sqlite:///{tmp_path / 'notes.txt'}")
    with pytest.raises(ValueError, match="cannot open the SQLite ledger at .*notes.txt/usage.db"):
        Ledger(f"sqlite:///{tmp_path / 'notes.txt' / 'usage.db'}")


async def test_an_unreachable_postgresql_server_is_a_clear_error_without_the_password() -> None:
    ledger = Ledger("postgresql://ledger:hunter2@127.0.0.1:1/usage")
    with pytest.raises(ConnectionError, match=r"cannot open the PostgreSQL ledger at postgresql://ledger:\*\*\*@127.0.0.1:1/usage: ") as failed:
        await ledger.cost_report()
    assert "hunter2" not in str(failed.value)
    await ledger.aclose()


async def test_bad_estimates_and_groupings_are_refused(tmp_path: Path) -> None:
    async with Ledger(f"sqlite:///{tmp_path / 'usage.db'}") as ledger:
        with pytest.raises(ValueError, match="tokens_estimate must be a non-negative int"):
            await ledger.reserve([], deployment="main", tokens_estimate=-1)
        with pytest.raises(ValueError, match="usd_estimate must be a non-negative amount"):
            await ledger.reserve([], deployment="main", tokens_estimate=1, usd_estimate=float("inf"))
        with pytest.raises(ValueError, match="group_by takes one or more of provider, strategy, deployment, model, key, day; got colour"):
            await ledger.cost_report(group_by=("provider", "colour"))
        with pytest.raises(ValueError, match="not a date or time: 'yesterday'"):
            await ledger.cost_report(since="yesterday")


async def test_the_default_database_is_in_the_user_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEWAY_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_url() == f"sqlite:///{tmp_path}/data/provider-port/usage.db"
    async with Ledger() as ledger:
        ledger.record(Attempt())
    assert (tmp_path / "data" / "provider-port" / "usage.db").is_file()
    monkeypatch.setenv("GATEWAY_DB", f"sqlite:///{tmp_path}/elsewhere.db")
    assert Ledger().url == f"sqlite:///{tmp_path}/elsewhere.db"
