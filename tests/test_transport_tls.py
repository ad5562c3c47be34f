"""The transport trusts the system store, which honours ``SSL_CERT_FILE`` (FORMAT.md: a black-box
run in an isolated network where the hard-coded hosts resolve to a fixture server with a test CA)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from parity.server import FixtureServer
from parity.tls import make_tls_files

REPO = Path(__file__).resolve().parent.parent

CLIENT = textwrap.dedent(
    """
    import asyncio, sys
    import providers
    from parity.runner import LoopbackResolver
    from providers.sdk import transport

    async def main():
        transport.configure(resolver=lambda: LoopbackResolver(int(sys.argv[1])))  # no ssl= given
        handler = providers.build_api_handler({"apiProvider": "xai", "xaiApiKey": "xai-test", "apiModelId": "grok-3"})
        try:
            print(await handler.complete_prompt("hi"))
        finally:
            await providers.aclose()

    asyncio.run(main())
    """
)

REPLY = {
    "id": "resp_1", "object": "response", "status": "completed", "model": "grok-3",
    "output": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "hello"}]}],
}


async def test_ssl_cert_file_is_honoured(tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path)
    upstream = [{"status": 200, "headers": {"content-type": "application/json"}, "body_chunks": [json.dumps(REPLY)]}]
    server = await FixtureServer(upstream * 2, tls.server_context()).start()
    try:
        env = {**os.environ, "SSL_CERT_FILE": str(tls.ca), "PYTHONPATH": str(REPO)}
        trusted = await _run(env, server.tls_port)
        env.pop("SSL_CERT_FILE")
        untrusted = await _run(env, server.tls_port)
    finally:
        await server.close()
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout.strip() == "hello"
    assert server.requests[0]["original_url"] == "https://api.x.ai/v1/responses"
    assert untrusted.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr


async def _run(env: dict[str, str], port: int) -> subprocess.CompletedProcess[str]:
    import asyncio

    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", CLIENT, str(port)], env=env, capture_output=True, text=True, timeout=60
    )
