"""Convert npm ``tiktoken`` 1.0.21's ``encoders/o200k_base.json`` into the package's rank file.

    python tools/convert_o200k.py [/tmp/npm/tiktoken-1.0.21/package/encoders/o200k_base.json]

writes ``providers/utils/o200k_base.tiktoken`` (one ``<base64 token> <rank>`` line per token,
ranks ascending: the format ``tiktoken.load.load_tiktoken_bpe`` reads) and its SHA-256 in
``providers/utils/o200k_base.tiktoken.sha256``, which ``providers.utils.tiktoken`` checks on load.

The npm file's ``bpe_ranks`` is dqbd/tiktoken's compressed form: lines ``! <offset> <b64> <b64> …``
where the n-th token of a line has rank ``offset + n`` (``parse_bfe`` in its wasm crate); a file
not starting with ``!`` already holds ``<b64> <rank>`` lines. The script also checks that the
JSON's ``pat_str`` and ``special_tokens`` are the ones ``providers.utils.tiktoken`` builds with.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = Path("/tmp/npm/tiktoken-1.0.21/package/encoders/o200k_base.json")
TARGET = ROOT / "providers" / "utils" / "o200k_base.tiktoken"


def parse_bpe_ranks(bpe_ranks: str) -> dict[bytes, int]:
    """The token -> rank map of an npm ``bpe_ranks`` string (compressed or plain)."""
    ranks: dict[bytes, int] = {}
    if bpe_ranks.startswith("!"):
        for line in bpe_ranks.splitlines():
            _, offset, *tokens = line.split(" ")
            for position, token in enumerate(tokens):
                ranks[base64.b64decode(token, validate=True)] = int(offset) + position
    else:
        for line in bpe_ranks.splitlines():
            token, rank = line.split(" ")
            ranks[base64.b64decode(token, validate=True)] = int(rank)
    return ranks


def render(ranks: dict[bytes, int]) -> bytes:
    """``<base64 token> <rank>\\n`` lines by ascending rank."""
    lines = (f"{base64.b64encode(token).decode()} {rank}\n" for token, rank in sorted(ranks.items(), key=lambda item: item[1]))
    return "".join(lines).encode()


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    encoder = json.loads(source.read_text(encoding="utf-8"))
    sys.path.insert(0, str(ROOT))
    from providers.utils.tiktoken import O200K_PAT_STR, O200K_SPECIAL_TOKENS

    if encoder["pat_str"] != O200K_PAT_STR or encoder["special_tokens"] != O200K_SPECIAL_TOKENS:
        print("pat_str or special_tokens differ from providers/utils/tiktoken.py", file=sys.stderr)
        return 1
    ranks = parse_bpe_ranks(encoder["bpe_ranks"])
    if sorted(ranks.values()) != list(range(len(ranks))):
        print("ranks are not 0..n-1 without gaps", file=sys.stderr)
        return 1
    data = render(ranks)
    digest = hashlib.sha256(data).hexdigest()
    TARGET.write_bytes(data)
    TARGET.with_name(TARGET.name + ".sha256").write_text(digest + "\n")
    print(f"{TARGET.relative_to(ROOT)}: {len(ranks)} ranks, sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
