"""``providers.js.jsonjs.loads`` is ``JSON.parse`` as Node 20 runs it.

``data/v8_json_parse.json`` was recorded with Node v20.20.2 (``node`` field): ``errors`` pairs each
input with ``e.message`` of the ``SyntaxError`` that ``JSON.parse(input)`` threw; ``values`` pairs
each input that parses with ``JSON.stringify(JSON.parse(input))``. The inputs: the malformed lines
of the scenarios openai/, anthropic/ and anthropic-vertex/malformed_json_line, a handcrafted set
per V8 message template (tokens, literals, numbers, escapes, control characters, UTF-16
surrogates, the 21-unit context threshold), every truncation of one document and seeded random
one-character mutations of three. Node side, per input::

    try { r = { input, message: null, stringified: JSON.stringify(JSON.parse(input)) } }
    catch (e) { r = { input, message: e.message } }
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from providers.js.errors import JSSyntaxError
from providers.js.jsonjs import dumps, loads, v8_parse_error_message

DATA = json.loads((Path(__file__).parent / "data" / "v8_json_parse.json").read_text())
ERRORS: list[dict[str, str]] = DATA["errors"]
VALUES: list[dict[str, str]] = DATA["values"]
SCENARIOS = Path(__file__).resolve().parent.parent / "fixtures" / "scenarios"


@pytest.mark.parametrize("case", ERRORS, ids=[f"e{i}" for i in range(len(ERRORS))])
def test_syntax_error_message_is_v8s(case: dict[str, str]) -> None:
    with pytest.raises(JSSyntaxError) as caught:
        loads(case["input"])
    assert caught.value.message == case["message"]
    assert caught.value.name == "SyntaxError"
    assert v8_parse_error_message(case["input"]) == case["message"]


@pytest.mark.parametrize("case", VALUES, ids=[f"v{i}" for i in range(len(VALUES))])
def test_valid_json_reads_as_json_parse_does(case: dict[str, str]) -> None:
    assert dumps(loads(case["input"])) == case["stringified"]
    assert v8_parse_error_message(case["input"]) is None


@pytest.mark.parametrize(
    ("scenario", "line"),
    [
        ("openai/malformed_json_line", '{"id":"chatcmpl-broken","choices":[{"index":0,"delta":{"content":"x"'),
        ("anthropic/malformed_json_line", '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"oops"'),
        ("anthropic-vertex/malformed_json_line", '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"'),
    ],
)
def test_scenario_malformed_lines_give_the_golden_message(scenario: str, line: str) -> None:
    golden = json.loads((SCENARIOS / scenario / "golden.json").read_text())
    assert line in (SCENARIOS / scenario / "scenario.json").read_text().replace('\\"', '"')
    with pytest.raises(JSSyntaxError) as caught:
        loads(line)
    assert caught.value.message == golden["error"]["message"]


def test_valid_json_takes_pythons_json_unchanged() -> None:
    text = '{"id":"x","choices":[{"index":0,"delta":{"content":"hi","tool_calls":null}}],"usage":{"prompt_tokens":3}}'
    assert loads(text) == json.loads(text)
    assert list(loads(text)) == ["id", "choices", "usage"]


@pytest.mark.parametrize("text", ["NaN", "-Infinity", "[Infinity]", '{"a":NaN}'])
def test_non_finite_literals_python_accepts_are_refused(text: str) -> None:
    json.loads(text)  # Python's json reads them
    with pytest.raises(JSSyntaxError):
        loads(text)


def test_nesting_deeper_than_pythons_recursion_limit_parses() -> None:
    # JSON.parse is iterative in V8: Node parses these (and reports the truncated one at its end).
    depth = 100_000
    value: Any = loads("[" * depth + "]" * depth)
    levels = 0
    while value:
        value = value[0]
        levels += 1
    assert levels == depth - 1
    with pytest.raises(JSSyntaxError, match="^Unexpected end of JSON input$"):
        loads("[" * 5000)
    with pytest.raises(JSSyntaxError) as caught:
        loads('{"a":' * 5000 + "x")
    assert caught.value.message == 'Unexpected token \'x\', ..."{"a":{"a":x" is not valid JSON'


def test_array_index_keys_come_first_and_last_duplicate_wins() -> None:
    value = loads('{"b":1,"2":2,"1":3,"b":4,"01":5}')
    assert list(value.items()) == [("1", 3), ("2", 2), ("b", 4), ("01", 5)]


def test_integers_beyond_2_to_the_53_are_doubles() -> None:
    assert loads("[9007199254740992, 9007199254740993]") == [9007199254740992, 9007199254740992.0]
    assert dumps(loads("12345678901234567890")) == "12345678901234567000"


def test_stringify_escapes_lone_surrogates() -> None:
    assert dumps(["\ud800", "\ud83d\ude00", "\U0001F600"]) == '["\\ud800","\U0001F600","\U0001F600"]'
