"""bedrock.ts's 10-minute abort (lines 474–489 and 679) covers the whole stream.

The ``AbortController`` is created before ``client.send`` and cleared only after the ``for await``
loop: when it fires while the stream is still running, @smithy/node-http-handler 4.4.4's
``NodeHttp2Handler`` destroys the request and the event stream ends there. The reference then yields
nothing more: the text so far, no usage chunk, no error (recorded from the reference by the
review of issue 15). ``providers.bedrock.REQUEST_TIMEOUT_SECONDS`` is shortened here.
"""

from __future__ import annotations

import pytest
from loopback import Upstream
from test_bedrock_support import Reply, collect, settings, text_delta, usage

from providers import bedrock, build_api_handler

SYSTEM = "You are Roo."
HELLO = [{"role": "user", "content": "Say hello."}]


@pytest.fixture(autouse=True)
def _no_auth_preference_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    monkeypatch.delenv("AWS_AUTH_SCHEME_PREFERENCE", raising=False)


async def test_abort_during_the_stream_ends_it_with_the_text_so_far(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bedrock, "REQUEST_TIMEOUT_SECONDS", 1.0)
    # "Hel" at once, "lo" after 0.7 s, usage after 1.4 s: the abort fires in between.
    upstream.reply(Reply(chunks=[text_delta("Hel"), text_delta("lo"), usage()], delay_ms=700))
    handler = build_api_handler(settings(upstream))
    chunks, error = await collect(handler.create_message(SYSTEM, HELLO))
    assert error is None
    assert chunks == [{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}]
    await upstream.idle()  # the connection was given up: the server's write ended


async def test_stream_that_ends_in_time_is_untouched(upstream: Upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bedrock, "REQUEST_TIMEOUT_SECONDS", 1.0)
    upstream.reply(Reply(chunks=[text_delta("Hi"), usage()], delay_ms=100))
    handler = build_api_handler(settings(upstream))
    chunks, error = await collect(handler.create_message(SYSTEM, HELLO))
    assert error is None
    assert chunks == [
        {"type": "text", "text": "Hi"},
        {"type": "usage", "inputTokens": 10, "outputTokens": 5, "cacheReadTokens": 0, "cacheWriteTokens": 0},
    ]
