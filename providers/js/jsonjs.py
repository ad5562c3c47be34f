"""JSON as JavaScript writes and reads it.

``dumps`` is ``JSON.stringify(value)``: compact, key order kept, no ASCII escaping, numbers in
``Number.prototype.toString`` form (``1`` not ``1.0``, ``1e+21``, ``1e-7``), so request bodies are
the reference's bytes (lone surrogates escaped, as well-formed ``JSON.stringify`` does).
``loads`` is ``JSON.parse(text)``: valid JSON goes through Python's C decoder, with ``NaN`` /
``Infinity`` refused, integers beyond 2**53 read as doubles (JS numbers are) and array-index keys
first in ascending order (JS property order). Anything that decoder refuses is read again by a port of V8's ``JsonParser`` (Node 20, ``src/json/json-parser.cc``), which
either parses it (nesting too deep for ``json``) or raises ``JSSyntaxError`` with V8's message,
positions counted in UTF-16 code units as in JS.
"""

from __future__ import annotations

import json
import json.scanner
import math
import re
from array import array
from typing import Any, Iterable, NoReturn

from .errors import JSSyntaxError

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=True).encode
# what String.prototype.trim removes: WhiteSpace and LineTerminator
_JS_TRIM_CHARS = "\t\n\v\f\r \u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"


def js_number(value: float) -> str:
    """``Number.prototype.toString()`` for a double (shortest round-trip digits, JS layout)."""
    if math.isnan(value) or math.isinf(value):
        return "null"  # what JSON.stringify writes for them
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    text = repr(value)
    sign = "-" if text.startswith("-") else ""
    text = text.lstrip("-")
    mantissa, _, exponent = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0") or "0"
    # decimal exponent n such that value = 0.digits * 10**n
    point = len(whole) + (int(exponent) if exponent else 0)
    if whole == "0":
        stripped = frac.lstrip("0")
        point = -(len(frac) - len(stripped)) + (int(exponent) if exponent else 0)
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= point <= 21:
        return sign + digits + "0" * (point - k)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * (-point) + digits
    e = point - 1
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{head}e{'+' if e > 0 else '-'}{abs(e)}"


class Undefined:
    """JavaScript's ``undefined`` where ``None`` (``null``) means something else."""

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED = Undefined()
"""The one ``undefined``: where ``None`` (JS ``null``) is a value of its own."""


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness of a JSON value: ``{}`` and ``[]`` are truthy, ``NaN`` is not."""
    if isinstance(value, (dict, list)):
        return True
    return bool(value) and value == value


def js_get(value: Any, key: str) -> Any:
    """``value?.[key]`` on a JSON value: ``None`` for undefined and null alike."""
    return value.get(key) if isinstance(value, dict) else None


def js_is_number(value: Any) -> bool:
    """``typeof value === "number"`` for a JSON value (``bool`` is not a number)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def js_trim(text: str) -> str:
    """``text.trim()`` (Python's ``str.strip()`` differs: it keeps a BOM, drops ``\\x1c``–``\\x1f``)."""
    return text.strip(_JS_TRIM_CHARS)


def js_string(value: Any) -> str:
    """``String(value)`` for a JSON value (``null``, ``true``, ``1e+21``, ``a,b``, ``[object Object]``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return js_number(float(value))
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ",".join("" if item is None else js_string(item) for item in value)
    return "[object Object]"


def js_to_number(value: Any) -> float:
    """``Number(value)`` for a JSON value or a header's text."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = js_trim(value)
        if not text:
            return 0.0
        if text in ("Infinity", "+Infinity", "-Infinity"):
            return float(text.replace("Infinity", "inf"))
        # what Python reads and JS does not: digit separators, other scripts' digits, inf/nan
        if "_" in text or not text.isascii() or text.lower().lstrip("+-") in ("inf", "infinity", "nan"):
            return float("nan")
        try:
            if text[:2].lower() in ("0x", "0o", "0b"):
                return float(int(text, 0))
            return float(text)
        except ValueError:
            return float("nan")
    if isinstance(value, list):
        return js_to_number(js_string(value)) if len(value) <= 1 else float("nan")
    return float("nan")


def _needs_rewrite(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_index_key(k) for k in value) or any(_needs_rewrite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_needs_rewrite(v) for v in value)
    return False


def _write(value: Any, out: list[str], indent: str = "", level: str = "") -> None:
    """Append ``value`` as JSON to ``out``; ``indent`` non-empty gives JSON.stringify's layout."""
    if isinstance(value, float):
        out.append(js_number(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = level + indent
        sep = ",\n" + inner if indent else ","
        out.append("{\n" + inner if indent else "{")
        first = True
        for key, item in _js_property_order(value):
            if not first:
                out.append(sep)
            first = False
            out.append(_encode(str(key)))
            out.append(": " if indent else ":")
            _write(item, out, indent, inner)
        out.append("\n" + level + "}" if indent else "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = level + indent
        sep = ",\n" + inner if indent else ","
        out.append("[\n" + inner if indent else "[")
        for i, item in enumerate(value):
            if i:
                out.append(sep)
            _write(item, out, indent, inner)
        out.append("\n" + level + "]" if indent else "]")
    else:
        out.append(_encode(value))


def _index_key(key: Any) -> bool:
    """A key JS objects list first: a canonical array index (``"0"`` … ``"4294967294"``)."""
    text = key if isinstance(key, str) else str(key)
    return text[:1].isdigit() and _is_array_index(text)


def _js_property_order(obj: dict[Any, Any]) -> Iterable[tuple[Any, Any]]:
    """An object's properties in JS order: array-index keys ascending, then the rest as inserted."""
    indices = [key for key in obj if _index_key(key)]
    if not indices:
        return obj.items()
    ordered = [(key, obj[key]) for key in sorted(indices, key=lambda key: int(key))]
    return ordered + [(key, item) for key, item in obj.items() if not _index_key(key)]


def dumps(value: Any, indent: int | None = None) -> str:
    """``JSON.stringify(value, null, indent)``; compact without ``indent``.

    Callers leave out keys whose JS value is undefined. Keys come in JS property order, whatever
    order the dict holds them in (integer-like keys first, ascending).
    """
    if not indent and not _needs_rewrite(value):
        text = _encode(value)
    else:
        out: list[str] = []
        _write(value, out, " " * min(indent or 0, 10))
        text = "".join(out)
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(_well_formed, text)


# A surrogate pair held as two code points, or a lone surrogate (only ever inside a string).
_SURROGATE = re.compile("[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]")


def _well_formed(match: re.Match[str]) -> str:
    """Well-formed ``JSON.stringify``: a pair is the character it encodes, a lone surrogate ``\\udxxx``."""
    units = match.group()
    if len(units) == 2:
        return chr(0x10000 + ((ord(units[0]) - 0xD800) << 10) + (ord(units[1]) - 0xDC00))
    return f"\\u{ord(units):04x}"


# ---------------------------------------------------------------------------------------------
# JSON.parse
# ---------------------------------------------------------------------------------------------

# Texts that may hold a key JSON.parse lists first (an array index, maybe escaped): only these pay
# for the object hook.
_MAYBE_INDEX_KEY = re.compile(r'"(?:\d|\\u003\d)[^"]*"\s*:')
_MAX_ARRAY_INDEX = 2**32 - 2
_MAX_SAFE_INTEGER = 2**53


class _NotJson(Exception):
    """``NaN``, ``Infinity`` or ``-Infinity``: Python's ``json`` reads them, JSON.parse does not."""


def _reject_constant(name: str) -> NoReturn:
    raise _NotJson(name)


def _js_int(text: str) -> int | float:
    """An integer literal as a JS number: exact up to 2**53, a double beyond."""
    if len(text) < 16:
        return int(text)
    value = float(text)
    return int(value) if abs(value) <= _MAX_SAFE_INTEGER else value


def _is_array_index(key: str) -> bool:
    """A canonical uint32 below 2**32 - 1 (``"0"``, ``"17"``; not ``"01"``)."""
    return (
        0 < len(key) <= 10
        and key.isascii()
        and key.isdigit()
        and (key == "0" or key[0] != "0")
        and int(key) <= _MAX_ARRAY_INDEX
    )


def _js_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object as JSON.parse builds it: last duplicate wins, array indices first, ascending."""
    obj = dict(pairs)
    indices = [key for key in obj if _is_array_index(key)]
    if not indices:
        return obj
    ordered = {key: obj[key] for key in sorted(indices, key=int)}
    for key, value in obj.items():
        if key not in ordered:
            ordered[key] = value
    return ordered


_decoder = json.JSONDecoder(parse_constant=_reject_constant, parse_int=_js_int)
_decode = _decoder.decode
# the C scanner under `_decode`, without its whitespace regexes: a value filling the whole text
_scan_once = json.scanner.make_scanner(_decoder)  # type: ignore[arg-type]  # typeshed: a scanner context
_decode_with_index_keys = json.JSONDecoder(
    parse_constant=_reject_constant, parse_int=_js_int, object_pairs_hook=_js_object
).decode


def loads(text: str) -> Any:
    """``JSON.parse(text)``; bad input raises ``JSSyntaxError`` with V8's message."""
    try:
        if _MAYBE_INDEX_KEY.search(text) is None:
            try:
                value, end = _scan_once(text, 0)
            except StopIteration:  # leading whitespace, or no value at all
                return _decode(text)
            return value if end == len(text) else _decode(text)
        return _decode_with_index_keys(text)
    except (ValueError, RecursionError, _NotJson):
        pass
    return _V8JsonParser(text).parse()


def v8_parse_error_message(text: str) -> str | None:
    """The message of the ``SyntaxError`` V8 (Node 20) throws for ``JSON.parse(text)``, or
    ``None`` when the text is valid JSON."""
    try:
        _V8JsonParser(text).parse()
    except JSSyntaxError as error:
        return error.message
    return None


# JsonToken, and the token each Latin-1 character starts (GetOneCharJsonToken).
(_EOS, _ILLEGAL, _STRING, _NUMBER, _LBRACE, _RBRACE, _LBRACK, _RBRACK, _TRUE, _FALSE, _NULL,
 _WHITESPACE, _COLON, _COMMA) = range(14)
_ONE_CHAR_TOKENS = [_ILLEGAL] * 256
for _c, _token in (
    ('"', _STRING), ("-", _NUMBER), ("[", _LBRACK), ("{", _LBRACE), ("]", _RBRACK), ("}", _RBRACE),
    ("t", _TRUE), ("f", _FALSE), ("n", _NULL), (" ", _WHITESPACE), ("\t", _WHITESPACE),
    ("\r", _WHITESPACE), ("\n", _WHITESPACE), (":", _COLON), (",", _COMMA),
):
    _ONE_CHAR_TOKENS[ord(_c)] = _token
for _c in "0123456789":
    _ONE_CHAR_TOKENS[ord(_c)] = _NUMBER

_END_OF_STRING = -1  # kEndOfString
_WHITESPACE_UNITS = frozenset(map(ord, " \t\r\n"))
_DIGITS = frozenset(map(ord, "0123456789"))
_NUMBER_PARTS = frozenset(map(ord, "0123456789.eE-+"))
_HEX_DIGITS = frozenset(map(ord, "0123456789abcdefABCDEF"))
_SIMPLE_ESCAPES = {ord('"'): 0x22, ord("\\"): 0x5C, ord("/"): 0x2F, ord("b"): 0x08, ord("f"): 0x0C,
                   ord("n"): 0x0A, ord("r"): 0x0D, ord("t"): 0x09}
_STRING_STOPS = frozenset([*range(0x20), 0x22, 0x5C])  # MayTerminateJsonString
_BACKSLASH, _QUOTE, _U = 0x5C, 0x22, ord("u")

# Sources IsSpecialString reports whole (what String(undefined), String({}) … give).
_SPECIAL_STRINGS = frozenset({"[object Object]", "undefined", "Infinity", "NaN"})
_MAX_CONTEXT_CHARACTERS = 10
_MIN_ORIGINAL_SOURCE_LENGTH_FOR_CONTEXT = 21

# MessageTemplates (Node 20) the parser names; each takes the position.
_EXPECTED_PROP_NAME_OR_RBRACE = "Expected property name or '}' in JSON at position %d"
_EXPECTED_COMMA_OR_RBRACK = "Expected ',' or ']' after array element in JSON at position %d"
_EXPECTED_COMMA_OR_RBRACE = "Expected ',' or '}' after property value in JSON at position %d"
_UNTERMINATED_STRING = "Unterminated string in JSON at position %d"
_EXPECTED_COLON = "Expected ':' after property name in JSON at position %d"
_EXPECTED_DOUBLE_QUOTED_PROPERTY_NAME = "Expected double-quoted property name in JSON at position %d"
_EXPONENT_PART_MISSING_NUMBER = "Exponent part is missing a number in JSON at position %d"
_UNTERMINATED_FRACTIONAL_NUMBER = "Unterminated fractional number in JSON at position %d"
_NO_NUMBER_AFTER_MINUS_SIGN = "No number after minus sign in JSON at position %d"
_BAD_CONTROL_CHARACTER = "Bad control character in string literal in JSON at position %d"
_BAD_UNICODE_ESCAPE = "Bad Unicode escape in JSON at position %d"
_BAD_ESCAPED_CHARACTER = "Bad escaped character in JSON at position %d"
_UNEXPECTED_NON_WHITESPACE = "Unexpected non-whitespace character after JSON at position %d"


def _utf16_text(units: array[int]) -> str:
    return units.tobytes().decode("utf-16-le", "surrogatepass")


class _V8JsonParser:
    """V8's ``JsonParser`` over the UTF-16 code units of the source: the same iterative descent
    (no recursion limit), the same checks in the same order, so errors come out at the same
    position with the same template."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.units = array("H")
        self.units.frombytes(text.encode("utf-16-le", "surrogatepass"))
        self.end = len(self.units)
        self.pos = 0
        self.next = _EOS

    # -- errors: ReportUnexpectedToken / ReportUnexpectedCharacter ---------------------------

    def fail(self, token: int, template: str | None = None) -> NoReturn:
        pos = self.pos
        if template is not None:
            message = template % pos
        elif token == _EOS:
            message = "Unexpected end of JSON input"
        elif token == _NUMBER:
            message = f"Unexpected number in JSON at position {pos}"
        elif token == _STRING:
            message = f"Unexpected string in JSON at position {pos}"
        elif self.text in _SPECIAL_STRINGS:
            message = f'"{self.text}" is not valid JSON'
        else:
            message = self._unexpected_token_message(pos)
        raise JSSyntaxError(message)

    def _unexpected_token_message(self, pos: int) -> str:
        """``GetErrorMessageWithEllipses``: the character, with up to 10 units of context each side."""
        token = _utf16_text(self.units[pos : pos + 1])
        length = self.end
        if length < _MIN_ORIGINAL_SOURCE_LENGTH_FOR_CONTEXT:
            return f'Unexpected token \'{token}\', "{self.text}" is not valid JSON'
        if pos < _MAX_CONTEXT_CHARACTERS:
            context = _utf16_text(self.units[: pos + _MAX_CONTEXT_CHARACTERS])
            return f'Unexpected token \'{token}\', "{context}"... is not valid JSON'
        if pos < length - _MAX_CONTEXT_CHARACTERS:
            context = _utf16_text(self.units[pos - _MAX_CONTEXT_CHARACTERS : pos + _MAX_CONTEXT_CHARACTERS])
            return f'Unexpected token \'{token}\', ..."{context}"... is not valid JSON'
        context = _utf16_text(self.units[pos - _MAX_CONTEXT_CHARACTERS :])
        return f'Unexpected token \'{token}\', ..."{context}" is not valid JSON'

    def fail_character(self, c: int) -> NoReturn:
        if c == _END_OF_STRING:
            self.fail(_EOS)
        self.fail(_ONE_CHAR_TOKENS[c] if c <= 0xFF else _ILLEGAL)

    # -- the cursor ---------------------------------------------------------------------------

    def current(self) -> int:
        return self.units[self.pos] if self.pos < self.end else _END_OF_STRING

    def next_character(self) -> int:
        self.pos += 1
        return self.current()

    def skip_whitespace(self) -> None:
        units, pos, end = self.units, self.pos, self.end
        while pos < end and units[pos] in _WHITESPACE_UNITS:
            pos += 1
        self.pos = pos
        self.next = _EOS if pos == end else (_ONE_CHAR_TOKENS[units[pos]] if units[pos] <= 0xFF else _ILLEGAL)

    def expect(self, token: int, template: str | None = None) -> None:
        if self.next == token:
            self.pos += 1
        else:
            self.fail(self.next, template)

    def expect_next(self, token: int, template: str | None = None) -> None:
        self.skip_whitespace()
        self.expect(token, template)

    def check(self, token: int) -> bool:
        self.skip_whitespace()
        if self.next != token:
            return False
        self.pos += 1
        return True

    def advance_to_non_decimal(self) -> None:
        while self.pos < self.end and self.units[self.pos] in _DIGITS:
            self.pos += 1

    # -- ParseJson / ParseJsonValue -----------------------------------------------------------

    def parse(self) -> Any:
        value = self.parse_value()
        if not self.check(_EOS):
            self.fail(self.next, _UNEXPECTED_NON_WHITESPACE)
        return value

    def parse_value(self) -> Any:
        # The continuation stack: None returns, a list of [key, value] pairs is an object, a
        # plain list an array; each entry is (kind, container).
        stack: list[tuple[str, Any]] = []
        cont: tuple[str, Any] = ("return", None)
        value: Any = None
        while True:
            # Produce a value (starting objects and arrays until a first member is done).
            while True:
                self.skip_whitespace()
                token = self.next
                if token == _STRING:
                    self.pos += 1
                    value = self.scan_string()
                elif token == _NUMBER:
                    value = self.parse_number()
                elif token == _LBRACE:
                    self.pos += 1
                    if self.check(_RBRACE):
                        value = {}
                    else:
                        stack.append(cont)
                        cont = ("object", [])
                        self.expect_next(_STRING, _EXPECTED_PROP_NAME_OR_RBRACE)
                        cont[1].append([self.scan_string(), None])
                        self.expect_next(_COLON, _EXPECTED_COLON)
                        continue
                elif token == _LBRACK:
                    self.pos += 1
                    if self.check(_RBRACK):
                        value = []
                    else:
                        stack.append(cont)
                        cont = ("array", [])
                        continue
                elif token == _TRUE:
                    self.scan_literal("true")
                    value = True
                elif token == _FALSE:
                    self.scan_literal("false")
                    value = False
                elif token == _NULL:
                    self.scan_literal("null")
                    value = None
                else:
                    self.fail_character(self.current())
                break
            # Consume it (finishing the objects and arrays it completes).
            while True:
                kind, members = cont
                if kind == "return":
                    return value
                if kind == "object":
                    members[-1][1] = value
                    if self.check(_COMMA):
                        self.expect_next(_STRING, _EXPECTED_DOUBLE_QUOTED_PROPERTY_NAME)
                        members.append([self.scan_string(), None])
                        self.expect_next(_COLON)
                        break
                    value = _js_object(members)
                    self.expect(_RBRACE, _EXPECTED_COMMA_OR_RBRACE)
                else:
                    members.append(value)
                    if self.check(_COMMA):
                        break
                    value = members
                    self.expect(_RBRACK, _EXPECTED_COMMA_OR_RBRACK)
                cont = stack.pop()

    def scan_literal(self, literal: str) -> None:
        """``ScanLiteral``: the first character matched already."""
        units, pos = self.units, self.pos
        size = len(literal)
        remaining = self.end - pos
        expected = [ord(c) for c in literal]
        if remaining >= size and units[pos + 1 : pos + size].tolist() == expected[1:]:
            self.pos = pos + size
            return
        self.pos += 1
        for i in range(min(size - 1, remaining - 1)):
            if expected[1 + i] != units[self.pos]:
                self.fail_character(units[self.pos])
            self.pos += 1
        self.fail(_EOS)

    def parse_number(self) -> int | float:
        """``ParseJsonNumber``: the value as ``json.loads`` would give it (see ``_js_int``)."""
        start = self.pos
        negative = False
        c = self.current()
        if c == 0x2D:  # '-'
            negative = True
            c = self.next_character()
        if c == 0x30:  # '0': only allowed alone before '.', 'e' or the end
            c = self.next_character()
            if c in _NUMBER_PARTS:
                if c in _DIGITS:
                    self.fail(_NUMBER)
            elif not negative:
                return 0
        else:
            smi_start = self.pos
            self.advance_to_non_decimal()
            if smi_start == self.pos:
                self.fail(_ILLEGAL, _NO_NUMBER_AFTER_MINUS_SIGN)
            if self.pos - smi_start <= 9 and self.current() not in _NUMBER_PARTS:
                return int(_utf16_text(self.units[start : self.pos]))
        is_integer = True
        if self.current() == 0x2E:  # '.'
            if self.next_character() not in _DIGITS:
                self.fail(_ILLEGAL, _UNTERMINATED_FRACTIONAL_NUMBER)
            self.advance_to_non_decimal()
            is_integer = False
        if self.current() in (0x45, 0x65):  # 'E', 'e'
            c = self.next_character()
            if c in (0x2B, 0x2D):
                c = self.next_character()
            if c not in _DIGITS:
                self.fail(_ILLEGAL, _EXPONENT_PART_MISSING_NUMBER)
            self.advance_to_non_decimal()
            is_integer = False
        text = _utf16_text(self.units[start : self.pos])
        return _js_int(text) if is_integer else float(text)

    def scan_string(self) -> str:
        """``ScanJsonString`` after the opening quote, decoded (lone surrogates kept)."""
        units, end = self.units, self.end
        start = self.pos
        has_escape = False
        while True:
            pos = self.pos
            while pos < end and units[pos] not in _STRING_STOPS:
                pos += 1
            self.pos = pos
            if pos == end:
                self.fail(_ILLEGAL, _UNTERMINATED_STRING)
            c = units[pos]
            if c == _QUOTE:
                self.pos += 1
                raw = units[start:pos]
                return self._decode_escapes(raw) if has_escape else _utf16_text(raw)
            if c == _BACKSLASH:
                has_escape = True
                c = self.next_character()
                if not 0 <= c <= 0xFF:
                    self.fail_character(c)
                if c == _U:
                    for _ in range(4):
                        if self.next_character() not in _HEX_DIGITS:
                            self.fail(_ILLEGAL, _BAD_UNICODE_ESCAPE)
                elif c not in _SIMPLE_ESCAPES:
                    self.fail(_ILLEGAL, _BAD_ESCAPED_CHARACTER)
                self.pos += 1
                continue
            self.fail(_ILLEGAL, _BAD_CONTROL_CHARACTER)

    @staticmethod
    def _decode_escapes(raw: array[int]) -> str:
        out = array("H")
        i, n = 0, len(raw)
        while i < n:
            c = raw[i]
            if c != _BACKSLASH:
                out.append(c)
                i += 1
            elif raw[i + 1] == _U:
                out.append(int(_utf16_text(raw[i + 2 : i + 6]), 16))
                i += 6
            else:
                out.append(_SIMPLE_ESCAPES[raw[i + 1]])
                i += 2
        return _utf16_text(out)
