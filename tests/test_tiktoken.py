"""Token counting (``utils/tiktoken.py``, ``utils/count_tokens.py``) against the reference.

``CASES`` hold the counts (and, for single text blocks, the token ids) the reference gives: they
were produced under Node 20 by running ``src/utils/tiktoken.ts`` at cb83656 (types stripped) on
npm ``tiktoken`` 1.0.21 (``tiktoken/lite`` with ``encoders/o200k_base.json``) over these contents,
ids from ``encoder.encode(text, undefined, [])``.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
from typing import Any

import pytest

from providers.js.errors import JSTypeError
from providers.utils import count_tokens as count_tokens_module
from providers.utils import tiktoken as tk


def T(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text}]


CASES: list[tuple[str, list[dict[str, Any]], int, list[int] | None]] = [
    ("hello", T("Hello world"), 3, [13225, 2375]),
    ("empty_text", T(""), 0, None),
    ("missing_text", [{"type": "text"}], 0, None),
    ("special_token_text", T("something<|endoftext|>something <|endofprompt|>"), 24, [64493, 27, 91, 419, 1440, 919, 91, 29, 64493, 464, 91, 419, 1440, 82467, 91, 29]),
    ("code", T("def f(x):\n    return x ** 2  # square\n\n\tprint(f(3))\r\n"), 29, [1314, 285, 4061, 1883, 271, 622, 1215, 6240, 220, 17, 220, 1069, 13749, 279, 15269, 1526, 7, 18, 12423]),
    ("contractions", T("I'M sure they'RE here, we'll see. DON'T"), 18, [40, 95346, 3239, 1023, 6, 1099, 2105, 11, 22782, 1921, 13, 153384]),
    ("numbers", T("1234567 3.14159 -42 1e10 ١٢٣٤"), 29, [7633, 19354, 22, 220, 18, 13, 16926, 4621, 533, 4689, 220, 16, 68, 702, 220, 46600, 53184, 81473, 98713]),
    ("cjk_emoji", T("日本語のテキスト 한국어 中文 👍🏽👨‍👩‍👧 café naïve"), 35, [9048, 40909, 3385, 16056, 18368, 38236, 52971, 5959, 83711, 160433, 52622, 121, 28823, 101, 2524, 28823, 102, 2524, 28823, 100, 30469, 153475, 737]),
    ("whitespace", T("a  \n\n  b\t\t\n   \n c     "), 12, [64, 11691, 220, 287, 4209, 10190, 274, 530]),
    ("lone_surrogate", T("x\ud800y \udc00 z"), 8, [87, 3251, 88, 28151, 579]),
    ("url_path", T("https://example.com/a/b?c=d&e=f#g /usr/local/bin\n"), 26, [4172, 1684, 18582, 1136, 23839, 7611, 30, 66, 56413, 63734, 40464, 178782, 820, 15943, 52214, 20950, 198]),
    ("long", T(("The quick brown fox jumps over the lazy dog. " * 40) + "Ελληνικά Русский العربية हिन्दी"), 609, None),
    ("image_data", [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="}}], 15, None),
    ("image_no_data", [{"type": "image", "source": {"type": "base64", "media_type": "image/png"}}], 450, None),
    ("image_url", [{"type": "image", "source": {"type": "url", "url": "https://example.com/x.png"}}], 450, None),
    ("tool_use", [{"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {"path": "a.txt", "n": 1.5, "big": 1e21, "u": "é\n", "nested": [None, True, {"k": []}]}}], 62, None),
    ("tool_use_no_input", [{"type": "tool_use", "id": "toolu_2", "name": "list"}], 5, None),
    ("tool_result_string", [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "file contents here"}], 17, None),
    ("tool_result_error_blocks", [{"type": "tool_result", "tool_use_id": "toolu_1", "is_error": True, "content": [{"type": "text", "text": "boom"}, {"type": "image", "source": {"type": "base64", "data": "AAAA"}}, {"type": "document"}, {"type": "text"}, {"foo": 1}]}], 47, None),
    ("tool_result_no_content", [{"type": "tool_result", "tool_use_id": "toolu_3"}], 12, None),
    ("other_blocks", [{"type": "thinking", "thinking": "hmm"}, {"type": "document", "source": {}}], 0, None),
    ("mixed", [{"type": "text", "text": "Look at this:"}, {"type": "image", "source": {"type": "base64", "data": "Q" * 1000}}, {"type": "text", "text": "and that"}], 57, None),
]


@pytest.mark.parametrize(("name", "content", "count", "ids"), CASES, ids=[case[0] for case in CASES])
def test_counts_match_the_reference(name: str, content: list[dict[str, Any]], count: int, ids: list[int] | None) -> None:
    assert tk.tiktoken(content) == count
    if ids is not None:
        assert tk.get_encoder().encode_ordinary(content[0]["text"]) == ids


def test_rank_file_matches_its_recorded_checksum() -> None:
    data = tk.O200K_RANKS_FILE.read_bytes()
    recorded = tk.O200K_RANKS_FILE.with_name("o200k_base.tiktoken.sha256").read_text().strip()
    assert hashlib.sha256(data).hexdigest() == recorded
    assert data.count(b"\n") == 199_998  # ranks 0..199997; the special tokens are 199999 and 200018


def test_a_changed_rank_file_is_refused(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ranks = tmp_path / "o200k_base.tiktoken"
    ranks.write_bytes(tk.O200K_RANKS_FILE.read_bytes().replace(b"IQ== 0\n", b"IQ== 1\n", 1))
    (tmp_path / "o200k_base.tiktoken.sha256").write_text(tk.O200K_RANKS_FILE.with_name("o200k_base.tiktoken.sha256").read_text())
    monkeypatch.setattr(tk, "O200K_RANKS_FILE", ranks)
    with pytest.raises(ValueError, match="sha256"):
        tk.load_o200k_base()


def test_loading_the_encoder_never_opens_a_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access while loading o200k_base")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    encoding = tk.load_o200k_base()
    assert encoding.name == "o200k_base"
    assert encoding.n_vocab == 200_019
    assert encoding.encode("<|endoftext|>", allowed_special="all") == [199_999]


def test_image_data_null_raises_the_js_type_error() -> None:
    with pytest.raises(JSTypeError, match=r"^Cannot read properties of null \(reading 'length'\)$"):
        tk.tiktoken([{"type": "image", "source": {"type": "base64", "data": None}}])


def test_serialisations_of_tool_blocks() -> None:
    assert tk.serialize_tool_use({"type": "tool_use", "name": "f", "input": {"a": 1.0, "b": None}}) == 'Tool: f\nArguments: {"a":1,"b":null}'
    assert tk.serialize_tool_use({"type": "tool_use"}) == "Tool: undefined"
    assert tk.serialize_tool_result(
        {"type": "tool_result", "tool_use_id": "t1", "is_error": True, "content": [{"type": "text", "text": "x"}, {"type": "image"}, {"type": 7}, {}]}
    ) == "Tool Result (t1)\n[Error]\nx\n[Image content]\n[Unsupported content block: 7]\n[Unsupported content block: undefined]"


async def test_count_tokens_on_the_worker_and_inline_agree() -> None:
    content = CASES[4][1]
    assert await count_tokens_module.count_tokens(content) == CASES[4][2]
    assert await count_tokens_module.count_tokens(content, use_worker=False) == CASES[4][2]
    assert await asyncio.gather(*(count_tokens_module.count_tokens(case[1]) for case in CASES)) == [case[2] for case in CASES]
