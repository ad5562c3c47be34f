"""Token counting off the event loop: port of ``src/utils/countTokens.ts`` (Roo-Code @ cb83656).

The reference runs ``tiktoken`` in a workerpool of one worker (``src/workers/countTokens.ts``)
and, once the worker fails, logs the error and counts inline from then on. Here the worker is a
one-thread executor (the tiktoken core releases the GIL while encoding).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .tiktoken import tiktoken

logger = logging.getLogger(__name__)

_pool: ThreadPoolExecutor | None = None
_pool_failed = False  # the reference's `pool = null`: never create one again


# countTokens.ts: countTokens
async def count_tokens(content: Sequence[Mapping[str, Any]], *, use_worker: bool = True) -> int:
    """``countTokens(content, { useWorker })``: ``tiktoken(content)``, on the worker if asked."""
    global _pool, _pool_failed
    if use_worker and _pool is None and not _pool_failed:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="countTokens")
    if not use_worker or _pool is None:
        return tiktoken(content)
    try:
        return await asyncio.get_running_loop().run_in_executor(_pool, tiktoken, content)
    except Exception as error:
        _pool.shutdown(wait=False)
        _pool, _pool_failed = None, True
        logger.error("countTokens worker failed: %s", error)
        return tiktoken(content)
