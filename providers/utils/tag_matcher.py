"""Port of ``src/utils/tag-matcher.ts`` (Roo-Code @ cb83656).

A streaming matcher that separates the text inside ``<tag>…</tag>`` (e.g. ``<think>``) from the
text around it, across arbitrary chunk boundaries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar, cast, overload

Result = TypeVar("Result")


@dataclass(slots=True)
class TagMatcherResult:
    """``TagMatcherResult``: a run of text and whether it was inside the tag."""

    matched: bool
    data: str


class TagMatcher(Generic[Result]):
    """``TagMatcher``: ``update(chunk)`` and ``final(chunk)`` return the runs completed so far,
    each passed through ``transform`` when one is given.

    Only a ``<`` among the first ``position + 1`` characters, or inside a matched region, can
    start a tag.
    """

    @overload
    def __init__(self: TagMatcher[TagMatcherResult], tag_name: str, transform: None = None, position: int = 0) -> None: ...

    @overload
    def __init__(self, tag_name: str, transform: Callable[[TagMatcherResult], Result], position: int = 0) -> None: ...

    def __init__(
        self,
        tag_name: str,
        transform: Callable[[TagMatcherResult], Result] | None = None,
        position: int = 0,
    ) -> None:
        self.tag_name = tag_name
        self.transform = transform
        self.position = position
        self.index = 0
        self.chunks: list[TagMatcherResult] = []
        self.cached: list[str] = []
        self.matched = False
        self.state: Literal["TEXT", "TAG_OPEN", "TAG_CLOSE"] = "TEXT"
        self.depth = 0
        self.pointer = 0

    def _collect(self) -> None:
        cached = self.cached
        if not cached:
            return
        chunks = self.chunks
        data = "".join(cached)
        matched = self.matched
        if chunks and chunks[-1].matched == matched:
            chunks[-1].data += data
        else:
            chunks.append(TagMatcherResult(matched, data))
        self.cached = []

    def _pop(self) -> list[Result]:
        chunks = self.chunks
        self.chunks = []
        if self.transform is None:
            return cast("list[Result]", chunks)  # Result is TagMatcherResult without a transform
        return list(map(self.transform, chunks))

    def _update(self, chunk: str) -> None:
        """Feed ``chunk`` one character at a time, as the reference does, except that a run of
        text no ``<`` can interrupt (outside the tag past ``position``: the rest of the chunk;
        inside it: up to the next ``<``) is cached and collected at once, with the same result."""
        if not isinstance(chunk, str):
            # an odd upstream's array (say): `for (const char of chunk)` walks its items
            for char in chunk:
                self._step(char)
            return
        start = 0
        end = len(chunk)
        while start < end:
            if self.state == "TEXT" and (self.matched or self.pointer > self.position):
                stop = chunk.find("<", start) if self.matched else end
                if stop < 0:
                    stop = end
                if stop > start:
                    self.cached.append(chunk[start:stop])
                    self.pointer += stop - start
                    self._collect()
                    start = stop
                    continue
            self._step(chunk[start])
            start += 1

    def _step(self, char: str) -> None:
        """One character of ``_update``'s loop."""
        tag_name = self.tag_name
        tag_length = len(tag_name)
        self.cached.append(char)
        self.pointer += 1

        if self.state == "TEXT":
            if char == "<" and (self.pointer <= self.position + 1 or self.matched):
                self.state = "TAG_OPEN"
                self.index = 0
            else:
                self._collect()
        elif self.state == "TAG_OPEN":
            if char == ">" and self.index == tag_length:
                self.state = "TEXT"
                if not self.matched:
                    self.cached = []
                self.depth += 1
                self.matched = True
            elif self.index == 0 and char == "/":
                self.state = "TAG_CLOSE"
            elif char == " " and (self.index == 0 or self.index == tag_length):
                return
            elif self.index < tag_length and tag_name[self.index] == char:
                self.index += 1
            else:
                self.state = "TEXT"
                self._collect()
        else:  # TAG_CLOSE
            if char == ">" and self.index == tag_length:
                self.state = "TEXT"
                self.depth -= 1
                self.matched = self.depth > 0
                if not self.matched:
                    self.cached = []
            elif char == " " and (self.index == 0 or self.index == tag_length):
                return
            elif self.index < tag_length and tag_name[self.index] == char:
                self.index += 1
            else:
                self.state = "TEXT"
                self._collect()

    def final(self, chunk: str | None = None) -> list[Result]:
        """The rest: ``chunk`` (if any) and whatever is still cached."""
        if chunk:
            self._update(chunk)
        self._collect()
        return self._pop()

    def update(self, chunk: str) -> list[Result]:
        """The runs that ``chunk`` completes."""
        if (
            chunk
            and isinstance(chunk, str)
            and self.state == "TEXT"
            and not self.matched
            and self.pointer > self.position
            and not self.cached
            and not self.chunks
        ):
            # the common case, outside the tag past `position`: no "<" can open one, so the whole
            # chunk is one run, as `_update` + `_pop` would return it
            self.pointer += len(chunk)
            result = TagMatcherResult(False, chunk)
            return [cast("Result", result) if self.transform is None else self.transform(result)]
        self._update(chunk)
        return self._pop()
