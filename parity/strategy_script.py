"""The scripted upstream of the strategy transcripts (``fixtures/strategies/``): which answer a
chat call gets, and the token counts reported with it.

One definition for both sides: the recorder that drove optillm 0.4.0 chose every answer with
:class:`Script`, and the strategy parity server (``parity.strategies``) chooses with it again. An
answer depends on the call's content, never on arrival order across different calls, so the
concurrent phases of MARS (a thread pool in optillm, tasks here) get the same answers in any
order: a rule is the first whose ``when`` substrings all occur in the last message, and the
answer is ``answers[(h + k) % len(answers)]`` where ``h`` is a hash of the messages and ``k``
counts earlier calls with the same messages (an ``n``-completion call takes ``k`` .. ``k+n-1``).
A rule with ``"vary": false`` leaves ``k`` out (identical calls get identical answers, so
concurrent identical calls need no order), and ``{tag}`` in an answer becomes the first six hex
digits of ``h`` (answers to different calls differ).
Standard library only: the recorder imported it outside this repository's environment.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any


def canonical(messages: list[dict[str, Any]]) -> str:
    """The messages as one canonical JSON text (sorted keys, no spaces)."""
    return json.dumps(messages, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def tokens(text: str) -> int:
    """The scripted token count of a text: its whitespace-separated words, at least 1."""
    return max(1, len(text.split()))


def prompt_tokens(messages: list[dict[str, Any]]) -> int:
    """The scripted prompt token count of a call: the words of every message's content."""
    return sum(tokens(m["content"]) if isinstance(m.get("content"), str) else 1 for m in messages)


class Script:
    """Answers chat calls from a transcript's ``script`` (``{"rules": [...], ...}``)."""

    def __init__(self, script: dict[str, Any]) -> None:
        self.rules: list[dict[str, Any]] = script["rules"]
        self.seen: Counter[str] = Counter()

    def answer(self, messages: list[dict[str, Any]]) -> str:
        """The next answer for a call with these messages."""
        key = canonical(messages)
        k = self.seen[key]
        self.seen[key] += 1
        last = messages[-1].get("content") if messages else ""
        last_text = last if isinstance(last, str) else json.dumps(last)
        rule = next(r for r in self.rules if all(s in last_text for s in r.get("when", [])))
        answers: list[str] = rule["answers"]
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        h = int(digest[:8], 16)
        answer = answers[(h + (k if rule.get("vary", True) else 0)) % len(answers)]
        return answer.replace("{tag}", digest[:6])
