"""Review aid: each ported module beside its reference file, function by function.

Every module under ``providers/`` names its reference file in its docstring (the first
``src/….ts`` or ``packages/….ts`` path). This tool lists, per module, the reference's functions
and methods in source order next to the Python ones, and flags what is missing or out of order.
Names match with underscores removed and case folded, so TS ``getOpenAiModels`` finds
``get_openai_models`` and ``OpenAIHandler`` finds ``OpenAiHandler``. Reads the reference from a git mirror or a checkout; nothing of it
is copied anywhere.

    python tools/refmap.py --git-dir /path/to/Roo-Code.git [--commit cb83656] [MODULE ...]
    python tools/refmap.py --checkout /path/to/Roo-Code [MODULE ...]
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REFERENCE_COMMIT = "cb836567180a3ff1da6d082f3178b90c3bd22a70"
REFERENCE_PATH = re.compile(r"``((?:src|packages)/[\w./-]+?\.ts)``")

# Declarations a reviewer looks for: functions, arrow-function constants, class methods.
TS_DECLARATIONS = [
    re.compile(r"^(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*(\w+)\s*[<(]"),
    re.compile(r"^(?:export\s+)?const\s+(\w+)\s*(?::[^=]+)?=\s*(?:async\s+)?(?:\([^)]*\)|\w+)\s*(?::[^=]+)?=>"),
    # an arrow function whose (destructured) parameters open on the next lines: `= async ({`
    re.compile(r"^(?:export\s+)?const\s+(\w+)\s*(?::[^=]+)?=\s*(?:async\s+)?\(\s*\{?\s*$"),
    re.compile(r"^(?:export\s+)?(?:abstract\s+)?class\s+(\w+)"),
    # a method (abstract ones and overloads too): only counted directly inside a class body
    re.compile(
        r"^[ \t]+(?:(?:public|private|protected|static|override|async|readonly|abstract|get|set)\s+)*"
        r"\*?\s*(\w+)\s*(?:<[^>]*>)?\s*\("
    ),
]
TS_NOT_METHODS = frozenset({"if", "for", "while", "switch", "catch", "return", "function", "constructor", "super", "await", "yield"})


def match_key(name: str) -> str:
    """The name as both sides are compared: ``getOpenAIModels`` and ``_get_openai_models`` are
    both ``getopenaimodels`` (snake_case splits acronyms one way or another)."""
    return name.replace("_", "").lower()


def reference_file(module: Path) -> str | None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree) or ""
    found = REFERENCE_PATH.search(doc)
    return found.group(1) if found else None


def ts_names(source: str) -> list[str]:
    names: list[str] = []
    # one entry per open brace: is it a class body? (methods count only directly inside one,
    # not in interfaces, object literals or function bodies)
    blocks: list[bool] = []
    class_pending = False
    for line in source.splitlines():
        stripped = line.split("//", 1)[0]
        for pattern in TS_DECLARATIONS:
            found = pattern.match(stripped)
            if found and found.group(1) not in TS_NOT_METHODS:
                if pattern is TS_DECLARATIONS[-1] and not (len(blocks) == 1 and blocks[0]):
                    break
                if pattern is TS_DECLARATIONS[-2]:
                    class_pending = True
                names.append(found.group(1))
                break
        for char in stripped:
            if char == "{":
                blocks.append(class_pending)
                class_pending = False
            elif char == "}" and blocks:
                blocks.pop()
    return list(dict.fromkeys(names))


def py_names(module: Path) -> list[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef):
            names.append(node.name)
            names.extend(n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return names


def read_reference(path: str, git_dir: str | None, checkout: str | None, commit: str) -> str | None:
    if checkout:
        file = Path(checkout) / path
        return file.read_text(encoding="utf-8") if file.exists() else None
    result = subprocess.run(["git", f"--git-dir={git_dir}", "show", f"{commit}:{path}"], capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else None


def report(module: Path, ts_source: str, ts_path: str) -> tuple[str, int]:
    ts = ts_names(ts_source)
    py = py_names(module)
    py_keys = [match_key(n) for n in py]
    lines = [f"\n{module.relative_to(REPO)}  <-  {ts_path}"]
    problems = 0
    last_index = -1
    used: set[int] = set()
    for name in ts:
        target = match_key(name)
        # `_update` and `update` share a key: each takes the first Python name not yet taken
        candidates = [i for i, key in enumerate(py_keys) if key == target]
        index = next((i for i in candidates if i not in used), candidates[0] if candidates else -1)
        used.add(index)
        if index < 0:
            mark, problems = "missing", problems + 1
        elif index < last_index:
            mark, problems = "out of order", problems + 1
        else:
            mark = ""
        last_index = max(last_index, index)
        shown = py[index] if index >= 0 else "-"
        lines.append(f"  {name:<40} {shown:<40} {mark}".rstrip())
    ts_keys = {match_key(t) for t in ts}
    extra = [n for n in py if match_key(n) not in ts_keys]
    if extra:
        lines.append(f"  python only: {', '.join(extra)}")
    return "\n".join(lines), problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--git-dir", help="a git mirror of RooCodeInc/Roo-Code")
    source.add_argument("--checkout", help="a checkout of RooCodeInc/Roo-Code at the reference commit")
    parser.add_argument("--commit", default=REFERENCE_COMMIT)
    parser.add_argument("modules", nargs="*", type=Path, help="modules (default: every module under providers/)")
    args = parser.parse_args(argv)
    # providers/sdk/ mirrors the npm SDKs, whose files are not in the Roo-Code tree
    modules = [m.resolve() for m in args.modules] or sorted(
        m for m in (REPO / "providers").rglob("*.py") if "sdk" not in m.relative_to(REPO).parts
    )
    total = 0
    for module in modules:
        ts_path = reference_file(module)
        if ts_path is None:
            continue
        ts_source = read_reference(ts_path, args.git_dir, args.checkout, args.commit)
        if ts_source is None:
            print(f"\n{module.relative_to(REPO)}: reference file {ts_path} not found")
            continue
        text, problems = report(module, ts_source, ts_path)
        total += problems
        print(text)
    print(f"\n{total} reference functions missing or out of order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
