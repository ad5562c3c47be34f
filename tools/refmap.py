"""Review aid: each ported module beside its reference file, function by function.

Every module under ``providers/`` names its reference file in its docstring (the first
``src/….ts`` or ``packages/….ts`` path). This tool lists, per module, the reference's functions
and methods in source order next to the Python ones (matched by snake_case name), and flags what
is missing or out of order. Reads the reference from a git mirror or a checkout; nothing of it
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
    re.compile(
        r"^[ \t]+(?:(?:public|private|protected|static|override|async|readonly|abstract|get|set)\s+)*"
        r"\*?\s*(\w+)\s*(?:<[^>]*>)?\s*\([^;]*$"
    ),
]
TS_NOT_METHODS = frozenset({"if", "for", "while", "switch", "catch", "return", "function", "constructor", "super", "await", "yield"})


def snake(name: str) -> str:
    """``createMessage`` -> ``create_message``; ``getXAIModel`` -> ``get_xai_model``."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower().lstrip("_")


def reference_file(module: Path) -> str | None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree) or ""
    found = REFERENCE_PATH.search(doc)
    return found.group(1) if found else None


def ts_names(source: str) -> list[str]:
    names: list[str] = []
    depth = 0
    for line in source.splitlines():
        stripped = line.split("//", 1)[0]
        for pattern in TS_DECLARATIONS:
            found = pattern.match(stripped)
            if found and found.group(1) not in TS_NOT_METHODS:
                # methods only directly inside a class body (brace depth 1)
                if pattern is TS_DECLARATIONS[-1] and depth != 1:
                    break
                names.append(found.group(1))
                break
        depth += stripped.count("{") - stripped.count("}")
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
    py_plain = [n.lstrip("_") for n in py]
    lines = [f"\n{module.relative_to(REPO)}  <-  {ts_path}"]
    problems = 0
    last_index = -1
    for name in ts:
        target = snake(name) if not name[:1].isupper() else name
        index = py_plain.index(target) if target in py_plain else -1
        if index < 0:
            mark, problems = "missing", problems + 1
        elif index < last_index:
            mark, problems = "out of order", problems + 1
        else:
            mark = ""
        last_index = max(last_index, index)
        shown = py[index] if index >= 0 else "-"
        lines.append(f"  {name:<40} {shown:<40} {mark}".rstrip())
    extra = [n for n in py if n.lstrip("_") not in {snake(t) if not t[:1].isupper() else t for t in ts}]
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
    modules = [m.resolve() for m in args.modules] or sorted((REPO / "providers").rglob("*.py"))
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
