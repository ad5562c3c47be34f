"""``python -m gateway serve`` as a process, on either event loop (``--loop``): SIGTERM with
streams in flight lets them finish, refuses new connections, and exits 0 within
``shutdown_grace_s``."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from loopback import Reply, Upstream

from tools.bench.clients import port_settings
from tools.bench.proxies import free_port
from tools.bench.server import openai_events

ROOT = Path(__file__).resolve().parent.parent
DELTAS = 20
GRACE_S = 8


def toml(upstream: Upstream, port: int) -> str:
    settings = port_settings("openai", f"{upstream.base_url}/main")
    inline = ", ".join(f"{k} = {json.dumps(v)}" for k, v in settings.items())
    return (
        f'[server]\nhost = "127.0.0.1"\nport = {port}\nshutdown_grace_s = {GRACE_S}\n\n'
        f'[[deployments]]\nname = "main"\nsettings = {{ {inline} }}\n'
    )


async def wait_healthy(http: aiohttp.ClientSession, origin: str, process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.returncode is None, "the gateway exited"
        try:
            async with http.get(f"{origin}/health") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("the gateway did not come up")


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
async def test_sigterm_lets_streams_in_flight_finish(upstream: Upstream, tmp_path: Path, loop: str) -> None:
    upstream.reply(*(Reply(200, {"content-type": "text/event-stream"}, list(openai_events(DELTAS)), delay_ms=50) for _ in range(3)))
    port = free_port()
    config = tmp_path / "gateway.toml"
    config.write_text(toml(upstream, port))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "serve", "--config", str(config), "--loop", loop,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=str(tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await wait_healthy(http, origin, process)
            body = {"model": "main", "messages": [{"role": "user", "content": "Hi"}], "stream": True}
            responses = [await http.post(f"{origin}/v1/chat/completions", json=body) for _ in range(3)]
            firsts = [await r.content.readuntil(b"tok0") for r in responses]  # each stream is under way
            assert all(first.endswith(b"tok0") for first in firsts)
            terminated = time.monotonic()
            process.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.3)
            try:  # a new connection is refused
                async with aiohttp.ClientSession() as fresh:
                    await fresh.get(f"{origin}/health")
                raise AssertionError("a new connection was accepted after SIGTERM")
            except aiohttp.ClientConnectorError:
                pass
            rests = await asyncio.gather(*(r.content.read() for r in responses))
            for first, rest in zip(firsts, rests):
                events = [e for e in (first + rest).decode().split("\n\n") if e]
                assert events[-1] == "data: [DONE]"
                texts = [json.loads(e[6:])["choices"][0]["delta"].get("content") for e in events[:-1]
                         if json.loads(e[6:])["choices"]]
                assert "".join(t or "" for t in texts) == "".join(f" tok{i}" for i in range(DELTAS))
        code = await asyncio.wait_for(process.wait(), GRACE_S + 5)
        log = (await process.stderr.read()).decode()  # type: ignore[union-attr]
        assert code == 0, log
        assert time.monotonic() - terminated < GRACE_S
        assert f"gateway.server event loop: {loop}" in log
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
