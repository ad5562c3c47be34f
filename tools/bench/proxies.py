"""The HTTP proxies of the ``gateway`` measure, each a process of its own in front of the bench's
loopback server on the openai wire; the two proxies serve the model ``gpt-4o`` from one
deployment and authenticate their callers with one key (``ProxyProcess.key``, fresh for every
start), the relay sends on what comes:

- ``gateway``: the port's HTTP gateway, ``python -m gateway serve --config <tmp>.toml --host
  127.0.0.1 --port <free>`` (a ``[[keys]]`` entry holding the key's SHA-256, one
  ``[[deployments]]`` entry on the openai handler, the router's defaults);
- ``litellm``: the LiteLLM proxy (``litellm[proxy]``), ``litellm --config <tmp>.yaml --host
  127.0.0.1 --port <free>`` with ``model: openai/gpt-4o`` and ``api_base`` the loopback server,
  the key as its ``master_key``, no database, its defaults otherwise (one uvicorn worker);
- ``relay``: the floor, a bare ``aiohttp.web`` relay (``python -m tools.bench.relay``): the same
  hop with none of a proxy's work (``tools.bench.relay``).

``start()`` returns once the proxy's liveness URL answers 200; ``rss_mb``/``peak_rss_mb`` and
``cpu_s`` read ``/proc/<pid>/status`` and ``/proc/<pid>/stat`` of the proxy and its children;
``close()`` terminates it. What the proxy logs goes to a file of the temporary directory, its
last lines into the error when it does not start.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .clients import OPENAI_KEY, OPENAI_MODEL

ROOT = Path(__file__).resolve().parents[2]
"""The tree whose ``gateway`` package ``python -m gateway`` runs (the proxy's working directory)."""

PROXIES = ("gateway", "litellm", "relay")

START_TIMEOUT_S = 120.0
"""How long a proxy may take to answer its liveness URL (LiteLLM's import alone takes seconds)."""

_LITELLM_MAIN = "import sys; from litellm import run_server; sys.argv[0] = 'litellm'; sys.exit(run_server())"


def free_port() -> int:
    """A port nothing listens on now (the proxy binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of printable ASCII is a TOML basic string


def gateway_config(upstream: str, key: str) -> str:
    """The gateway's TOML: the key (as its digest) and one openai deployment at ``upstream``."""
    settings = {
        "apiProvider": "openai",
        "openAiBaseUrl": f"{upstream}/v1",
        "openAiApiKey": OPENAI_KEY,
        "openAiModelId": OPENAI_MODEL,
    }
    lines = [
        "[server]",
        'host = "127.0.0.1"',
        "",
        "[[keys]]",
        'id = "bench"',
        f"key_sha256 = {_toml_string(hashlib.sha256(key.encode()).hexdigest())}",
        "",
        "[[deployments]]",
        f"name = {_toml_string(OPENAI_MODEL)}",
        "",
        "[deployments.settings]",
        *(f"{name} = {_toml_string(value)}" for name, value in settings.items()),
    ]
    return "\n".join(lines) + "\n"


def litellm_config(upstream: str, key: str) -> str:
    """LiteLLM's YAML (written as JSON, which YAML reads): one model, the master key."""
    config = {
        "model_list": [
            {
                "model_name": OPENAI_MODEL,
                "litellm_params": {
                    "model": f"openai/{OPENAI_MODEL}",
                    "api_base": f"{upstream}/v1",
                    "api_key": OPENAI_KEY,
                },
            }
        ],
        "general_settings": {"master_key": key},
    }
    return json.dumps(config, indent=2) + "\n"


def status_kb(pid: int | str, key: str) -> int:
    """A ``/proc/<pid>/status`` field in kB (``VmRSS:``, ``VmHWM:``; ``pid`` may be ``"self"``),
    0 when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as children:
                found.extend(int(child) for child in children.read().split())
        except OSError:
            continue
    return found + [grandchild for child in found for grandchild in _children(child)]


class ProxyProcess:
    """One proxy (``gateway`` or ``litellm``) in front of ``upstream``, as a subprocess."""

    def __init__(self, kind: str, upstream: str, loop: str = "auto") -> None:
        if kind not in PROXIES:
            raise ValueError(f"unknown proxy {kind!r}; known: {PROXIES}")
        self.kind = kind
        self.loop = loop  # the gateway's and the relay's --loop (LiteLLM's proxy runs uvicorn on uvloop)
        self.upstream = upstream
        self.key = "sk-bench-" + secrets.token_hex(24)
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self._dir = tempfile.TemporaryDirectory(prefix=f"bench-{kind}-")
        self._log_path = Path(self._dir.name) / "proxy.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.start_s = 0.0

    def command(self) -> list[str]:
        directory = Path(self._dir.name)
        if self.kind == "relay":
            return [sys.executable, "-m", "tools.bench.relay", "--upstream", self.upstream, "--port", str(self.port),
                    "--loop", self.loop]  # fmt: skip
        if self.kind == "gateway":
            config = directory / "gateway.toml"
            config.write_text(gateway_config(self.upstream, self.key))
            return [sys.executable, "-m", "gateway", "serve", "--config", str(config),
                    "--host", "127.0.0.1", "--port", str(self.port), "--loop", self.loop]  # fmt: skip
        config = directory / "litellm.yaml"
        config.write_text(litellm_config(self.upstream, self.key))
        return [sys.executable, "-c", _LITELLM_MAIN, "--config", str(config),
                "--host", "127.0.0.1", "--port", str(self.port)]  # fmt: skip

    async def start(self) -> None:
        """Start the proxy and wait until ``GET /health`` (gateway, relay) or
        ``/health/liveliness`` (LiteLLM) answers 200."""
        import aiohttp

        env = dict(os.environ)
        env.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no price-list download at import
        started = time.perf_counter()
        with open(self._log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ROOT, env=env
            )
        url = f"{self.origin}/health/liveliness" if self.kind == "litellm" else f"{self.origin}/health"
        deadline = started + START_TIMEOUT_S
        async with aiohttp.ClientSession() as session:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.kind} exited with {self.process.returncode}: {self.log_tail()}")
                try:
                    async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as response:
                        if response.status == 200:
                            break
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"{self.kind} did not answer {url} in {START_TIMEOUT_S:.0f} s: {self.log_tail()}")
                await asyncio.sleep(0.1)
        self.start_s = time.perf_counter() - started

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self._log_path.read_text(errors="replace")
        except OSError:
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])[-600:]

    def _pids(self) -> list[int]:
        if self.process is None:
            return []
        return [self.process.pid, *_children(self.process.pid)]

    def rss_mb(self) -> float:
        """Resident memory now, the proxy and its children."""
        return sum(status_kb(pid, "VmRSS:") for pid in self._pids()) / 1024

    def peak_rss_mb(self) -> float:
        """Peak resident memory (``VmHWM``) since start, the proxy and its children."""
        return sum(status_kb(pid, "VmHWM:") for pid in self._pids()) / 1024

    def cpu_s(self) -> float:
        """CPU time (user + system) used so far, the proxy and its children."""
        return sum(_cpu_ticks(pid) for pid in self._pids()) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._dir.cleanup()
