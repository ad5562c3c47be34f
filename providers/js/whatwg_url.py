"""``new URL(text, base)`` as Node 20 builds it (the WHATWG URL standard, as Node 20's ada
implements it), its ``href`` and the other getters, the ``search`` setter, ``URLSearchParams``
and ``URL.canParse``: what the reference's SDKs do to a base URL before it is sent
(openai-node and @anthropic-ai/sdk ``buildURL``, @google/genai ``constructUrl``, axios's http
adapter, follow-redirects).

The basic URL parser's state machine (spec section 4.4) without state overrides other than the
query state the ``search`` setter uses; the host parser with IPv4 (decimal, octal and hex parts),
IPv6 and opaque hosts; domain-to-ASCII by UTS #46 as ada 2.9.2 runs it (the ``idna``
package's mapping table, Python's ``punycode`` codec).
Text that ``new URL`` rejects raises ``JSTypeError("Invalid URL")`` with ``code
ERR_INVALID_URL``, as Node does.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass, field, replace

from .errors import JSTypeError

SPECIAL_SCHEMES: dict[str, int | None] = {"ftp": 21, "file": None, "http": 80, "https": 443, "ws": 80, "wss": 443}

_EOF = ""
_ASCII_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_ASCII_DIGITS = frozenset("0123456789")
_ASCII_HEX = frozenset("0123456789abcdefABCDEF")
_SCHEME_CHARS = _ASCII_ALPHA | _ASCII_DIGITS | frozenset("+-.")
# percent-encode sets (spec 1.3); Node 20 leaves ^ and | in paths as they are
_C0_CONTROL_SET: frozenset[str] = frozenset()
_FRAGMENT_SET = frozenset(' "<>`')
_QUERY_SET = frozenset(' "#<>')
_SPECIAL_QUERY_SET = _QUERY_SET | {"'"}
_PATH_SET = _QUERY_SET | frozenset("?`{}")
_USERINFO_SET = _PATH_SET | frozenset("/:;=@[\\]^|")
_FORBIDDEN_HOST = frozenset("\x00\t\n\r #/:<>?@[\\]^|")
_FORBIDDEN_DOMAIN = _FORBIDDEN_HOST | frozenset(chr(c) for c in range(0x20)) | {"%", "\x7f"}
_STRIP = "".join(chr(c) for c in range(0x21))
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
_WINDOWS_DRIVE = re.compile(r"[A-Za-z][:|]")
_SINGLE_DOT = frozenset({".", "%2e"})
_DOUBLE_DOT = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})


def _invalid() -> JSTypeError:
    return JSTypeError("Invalid URL", code="ERR_INVALID_URL")


@dataclass
class URLRecord:
    """A parsed URL: the spec's URL record; ``host`` is kept serialized, ``path`` is a list of
    segments or, for an opaque path, a string."""

    scheme: str = ""
    username: str = ""
    password: str = ""
    host: str | None = None
    port: int | None = None
    path: list[str] | str = field(default_factory=list)
    query: str | None = None
    fragment: str | None = None

    @property
    def special(self) -> bool:
        return self.scheme in SPECIAL_SCHEMES

    @property
    def href(self) -> str:
        """``url.href`` / ``url.toString()`` (the URL serializer)."""
        out = self.scheme + ":"
        if self.host is not None:
            out += "//"
            if self.username or self.password:
                out += self.username + (":" + self.password if self.password else "") + "@"
            out += self.host_and_port
        elif isinstance(self.path, list) and len(self.path) > 1 and self.path[0] == "":
            out += "/."
        out += self.pathname
        if self.query is not None:
            out += "?" + self.query
        if self.fragment is not None:
            out += "#" + self.fragment
        return out

    @property
    def host_and_port(self) -> str:
        """``url.host``: the host and a non-default port, ``""`` for a hostless URL."""
        if self.host is None:
            return ""
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def pathname(self) -> str:
        """``url.pathname``."""
        if isinstance(self.path, str):
            return self.path
        return "".join("/" + segment for segment in self.path)

    @property
    def search(self) -> str:
        """``url.search``."""
        return "?" + self.query if self.query else ""

    def set_search(self, value: str) -> None:
        """``url.search = value``: ``""`` drops the query; else it is parsed as a query."""
        if value == "":
            self.query = None
            return
        value = _TAB_NEWLINE.sub("", _LONE_SURROGATE.sub("\ufffd", value))
        self.query = _encode(value[1:] if value.startswith("?") else value, self._query_set())

    def _query_set(self) -> frozenset[str]:
        return _SPECIAL_QUERY_SET if self.special else _QUERY_SET

    # -- url.searchParams --

    def search_params(self) -> list[tuple[str, str]]:
        """``url.searchParams`` as its list of name/value pairs."""
        return parse_search_params(self.query or "")

    def set_search_param(self, name: str, value: str) -> None:
        """``url.searchParams.set(name, value)``: the first ``name`` takes the value, the others
        go (or the pair is appended); the query is then re-serialized as a form."""
        pairs: list[tuple[str, str]] = []
        placed = False
        for key, old in self.search_params():
            if key != name:
                pairs.append((key, old))
            elif not placed:
                pairs.append((name, value))
                placed = True
        if not placed:
            pairs.append((name, value))
        self.query = url_search_params(pairs) or None


def parse(text: str, base: URLRecord | str | None = None) -> URLRecord:
    """``new URL(text, base)``; raises ``JSTypeError("Invalid URL")`` where Node throws."""
    if isinstance(base, str):
        base = parse(base)
    if base is None:
        # every request of a client parses the same few URLs: parse each once, hand out copies
        url = _parse_absolute(text)
        return replace(url, path=url.path if isinstance(url.path, str) else list(url.path))
    return _Parser(text, base).run()


@functools.lru_cache(maxsize=256)
def _parse_absolute(text: str) -> URLRecord:
    return _Parser(text, None).run()


class _Parser:
    """The basic URL parser (spec 4.4), one method per state."""

    def __init__(self, text: str, base: URLRecord | None) -> None:
        text = _LONE_SURROGATE.sub("\ufffd", text).strip(_STRIP)
        self.input = _TAB_NEWLINE.sub("", text)
        self.base = base
        self.url = URLRecord()
        self.state = self.scheme_start
        self.buffer = ""
        self.pointer = 0
        self.at_sign_seen = False
        self.inside_brackets = False
        self.password_token_seen = False

    def run(self) -> URLRecord:
        text = self.input
        while self.pointer <= len(text):
            c = text[self.pointer] if self.pointer < len(text) else _EOF
            self.state(c)
            self.pointer += 1
        return self.url

    def remaining(self) -> str:
        return self.input[self.pointer + 1 :]

    def scheme_start(self, c: str) -> None:
        if c and c in _ASCII_ALPHA:
            self.buffer += c.lower()
            self.state = self.scheme
        else:
            self.state = self.no_scheme
            self.pointer -= 1

    def scheme(self, c: str) -> None:
        url = self.url
        if c and c in _SCHEME_CHARS:
            self.buffer += c.lower()
        elif c == ":":
            url.scheme, self.buffer = self.buffer, ""
            if url.scheme == "file":
                self.state = self.file
            elif url.special and self.base is not None and self.base.scheme == url.scheme:
                self.state = self.special_relative_or_authority
            elif url.special:
                self.state = self.special_authority_slashes
            elif self.remaining().startswith("/"):
                self.state = self.path_or_authority
                self.pointer += 1
            else:
                url.path = ""
                self.state = self.opaque_path
        else:
            self.buffer = ""
            self.state = self.no_scheme
            self.pointer = -1

    def no_scheme(self, c: str) -> None:
        base, url = self.base, self.url
        if base is None or (isinstance(base.path, str) and c != "#"):
            raise _invalid()
        if isinstance(base.path, str):
            url.scheme, url.path, url.query, url.fragment = base.scheme, base.path, base.query, ""
            self.state = self.fragment
        else:
            self.state = self.relative if base.scheme != "file" else self.file
            self.pointer -= 1

    def special_relative_or_authority(self, c: str) -> None:
        if c == "/" and self.remaining().startswith("/"):
            self.state = self.special_authority_ignore_slashes
            self.pointer += 1
        else:
            self.state = self.relative
            self.pointer -= 1

    def path_or_authority(self, c: str) -> None:
        if c == "/":
            self.state = self.authority
        else:
            self.state = self.path
            self.pointer -= 1

    def relative(self, c: str) -> None:
        base, url = self.base, self.url
        assert base is not None
        url.scheme = base.scheme
        if c == "/" or (url.special and c == "\\"):
            self.state = self.relative_slash
            return
        url.username, url.password, url.host, url.port = base.username, base.password, base.host, base.port
        url.path, url.query = list(base.path), base.query
        if c == "?":
            url.query = ""
            self.state = self.query
        elif c == "#":
            url.fragment = ""
            self.state = self.fragment
        elif c != _EOF:
            url.query = None
            self._shorten_path()
            self.state = self.path
            self.pointer -= 1

    def relative_slash(self, c: str) -> None:
        url, base = self.url, self.base
        assert base is not None
        if url.special and c in ("/", "\\"):
            self.state = self.special_authority_ignore_slashes
        elif c == "/":
            self.state = self.authority
        else:
            url.username, url.password, url.host, url.port = base.username, base.password, base.host, base.port
            self.state = self.path
            self.pointer -= 1

    def special_authority_slashes(self, c: str) -> None:
        self.state = self.special_authority_ignore_slashes
        if c == "/" and self.remaining().startswith("/"):
            self.pointer += 1
        else:
            self.pointer -= 1

    def special_authority_ignore_slashes(self, c: str) -> None:
        if c not in ("/", "\\"):
            self.state = self.authority
            self.pointer -= 1

    def authority(self, c: str) -> None:
        url = self.url
        if c == "@":
            if self.at_sign_seen:
                self.buffer = "%40" + self.buffer
            self.at_sign_seen = True
            for code_point in self.buffer:
                if code_point == ":" and not self.password_token_seen:
                    self.password_token_seen = True
                    continue
                encoded = _encode(code_point, _USERINFO_SET)
                if self.password_token_seen:
                    url.password += encoded
                else:
                    url.username += encoded
            self.buffer = ""
        elif c in (_EOF, "/", "?", "#") or (url.special and c == "\\"):
            if self.at_sign_seen and self.buffer == "":
                raise _invalid()
            self.pointer -= len(self.buffer) + 1
            self.buffer = ""
            self.state = self.host
        else:
            self.buffer += c

    def host(self, c: str) -> None:
        url = self.url
        if c == ":" and not self.inside_brackets:
            if self.buffer == "":
                raise _invalid()
            url.host, self.buffer = _parse_host(self.buffer, not url.special), ""
            self.state = self.port
        elif c in (_EOF, "/", "?", "#") or (url.special and c == "\\"):
            self.pointer -= 1
            if url.special and self.buffer == "":
                raise _invalid()
            url.host, self.buffer = _parse_host(self.buffer, not url.special), ""
            self.state = self.path_start
        else:
            if c == "[":
                self.inside_brackets = True
            elif c == "]":
                self.inside_brackets = False
            self.buffer += c

    def port(self, c: str) -> None:
        url = self.url
        if c and c in _ASCII_DIGITS:
            self.buffer += c
        elif c in (_EOF, "/", "?", "#") or (url.special and c == "\\"):
            if self.buffer:
                port = int(self.buffer)
                if port > 65535:
                    raise _invalid()
                url.port = None if SPECIAL_SCHEMES.get(url.scheme) == port else port
                self.buffer = ""
            self.state = self.path_start
            self.pointer -= 1
        else:
            raise _invalid()

    def file(self, c: str) -> None:
        url, base = self.url, self.base
        url.scheme, url.host = "file", ""
        if c in ("/", "\\"):
            self.state = self.file_slash
            return
        if base is not None and base.scheme == "file":
            url.host, url.path, url.query = base.host, list(base.path), base.query
            if c == "?":
                url.query = ""
                self.state = self.query
                return
            if c == "#":
                url.fragment = ""
                self.state = self.fragment
                return
            if c == _EOF:
                return
            url.query = None
            if not _starts_with_drive_letter(self.input[self.pointer :]):
                self._shorten_path()
            else:
                url.path = []
        self.state = self.path
        self.pointer -= 1

    def file_slash(self, c: str) -> None:
        url, base = self.url, self.base
        if c in ("/", "\\"):
            self.state = self.file_host
            return
        if base is not None and base.scheme == "file":
            url.host = base.host
            if (
                not _starts_with_drive_letter(self.input[self.pointer :])
                and isinstance(base.path, list)
                and base.path
                and _is_drive_letter(base.path[0], normalized=True)
            ):
                assert isinstance(url.path, list)
                url.path.append(base.path[0])
        self.state = self.path
        self.pointer -= 1

    def file_host(self, c: str) -> None:
        url = self.url
        if c in (_EOF, "/", "\\", "?", "#"):
            self.pointer -= 1
            if _is_drive_letter(self.buffer):
                self.state = self.path  # the buffer becomes the path's first segment
            elif self.buffer == "":
                url.host = ""
                self.state = self.path_start
            else:
                host = _parse_host(self.buffer, False)
                url.host = "" if host == "localhost" else host
                self.buffer = ""
                self.state = self.path_start
        else:
            self.buffer += c

    def path_start(self, c: str) -> None:
        url = self.url
        if url.special:
            self.state = self.path
            if c not in ("/", "\\"):
                self.pointer -= 1
        elif c == "?":
            url.query = ""
            self.state = self.query
        elif c == "#":
            url.fragment = ""
            self.state = self.fragment
        elif c != _EOF:
            self.state = self.path
            if c != "/":
                self.pointer -= 1

    def path(self, c: str) -> None:
        url = self.url
        slash = c == "/" or (url.special and c == "\\")
        if c in (_EOF, "?", "#") or slash:
            assert isinstance(url.path, list)
            segment = self.buffer.lower()
            if segment in _DOUBLE_DOT:
                self._shorten_path()
                if not slash:
                    url.path.append("")
            elif segment in _SINGLE_DOT:
                if not slash:
                    url.path.append("")
            else:
                if url.scheme == "file" and not url.path and _is_drive_letter(self.buffer):
                    self.buffer = self.buffer[0] + ":"
                url.path.append(self.buffer)
            self.buffer = ""
            if c == "?":
                url.query = ""
                self.state = self.query
            elif c == "#":
                url.fragment = ""
                self.state = self.fragment
        else:
            self.buffer += _encode(c, _PATH_SET)

    def opaque_path(self, c: str) -> None:
        url = self.url
        if c == "?":
            url.query = ""
            self.state = self.query
        elif c == "#":
            url.fragment = ""
            self.state = self.fragment
        elif c != _EOF:
            assert isinstance(url.path, str)
            url.path += _encode(c, _C0_CONTROL_SET)

    def query(self, c: str) -> None:
        url = self.url
        if c == "#":
            url.fragment = ""
            self.state = self.fragment
        elif c != _EOF:
            url.query = (url.query or "") + _encode(c, url._query_set())

    def fragment(self, c: str) -> None:
        if c != _EOF:
            self.url.fragment = (self.url.fragment or "") + _encode(c, _FRAGMENT_SET)

    def _shorten_path(self) -> None:
        path = self.url.path
        assert isinstance(path, list)
        if self.url.scheme == "file" and len(path) == 1 and _is_drive_letter(path[0], normalized=True):
            return
        if path:
            path.pop()


def _is_drive_letter(text: str, normalized: bool = False) -> bool:
    return len(text) == 2 and text[0] in _ASCII_ALPHA and (text[1] == ":" or (not normalized and text[1] == "|"))


def _starts_with_drive_letter(text: str) -> bool:
    return bool(_WINDOWS_DRIVE.match(text)) and (len(text) == 2 or text[2] in "/\\?#")


def _encode(text: str, encode_set: frozenset[str]) -> str:
    """UTF-8 percent-encode each code point of ``text`` in ``encode_set``, the C0 controls or
    above U+007E."""
    if text.isascii() and text.isprintable() and not any(ch in encode_set for ch in text):
        return text
    return "".join(
        "".join(f"%{byte:02X}" for byte in ch.encode("utf-8"))
        if ch in encode_set or ch < " " or ch > "~"
        else ch
        for ch in text
    )


# --- the host parser -------------------------------------------------------------------------


def _parse_host(text: str, opaque: bool) -> str:
    """The host parser: the serialized host (domain, IPv4, ``[IPv6]`` or opaque host)."""
    if text.startswith("["):
        if not text.endswith("]"):
            raise _invalid()
        return "[" + _serialize_ipv6(_parse_ipv6(text[1:-1])) + "]"
    if opaque:
        if any(ch in _FORBIDDEN_HOST for ch in text):
            raise _invalid()
        return _encode(text, _C0_CONTROL_SET)
    domain = urllib.parse.unquote_to_bytes(text).decode("utf-8", "replace")
    ascii_domain = _domain_to_ascii(domain)
    if _ends_in_number(ascii_domain):
        return _serialize_ipv4(_parse_ipv4(ascii_domain))
    return ascii_domain


def _domain_to_ascii(domain: str) -> str:
    """UTS #46 ToASCII as Node 20's ada 2.9.2 runs it (non-transitional, no STD3 rules, no
    CheckHyphens, its CheckJoiners and CheckBidi), then the forbidden domain code points."""
    mapped: str | None
    if domain.isascii():
        mapped = domain.lower()  # the mapping of ASCII is lower-casing
    else:
        mapped = _uts46_map(domain)
        if mapped is None:
            raise _invalid()
    labels = mapped.split(".")
    for index, label in enumerate(labels):
        if label.startswith("xn--"):
            # kept as written, once its Punycode decodes to a valid label
            if not label.isascii():
                raise _invalid()
            try:
                decoded = label[4:].encode("ascii").decode("punycode")
            except UnicodeError:
                raise _invalid() from None
            if not decoded or _uts46_map(decoded) != decoded or not _label_valid(decoded):
                raise _invalid()
        elif not label.isascii():
            if not _label_valid(label):
                raise _invalid()
            labels[index] = "xn--" + label.encode("punycode").decode("ascii")
    result = ".".join(labels)
    if result == "" or any(ch in _FORBIDDEN_DOMAIN for ch in result):
        raise _invalid()
    return result


def _uts46_map(text: str) -> str | None:
    """UTS #46 mapping (non-transitional, no STD3 rules) and NFC; ``None`` for a disallowed
    code point (one unassigned in this Python's Unicode counts as one: ada's tables are older
    than the ``idna`` package's)."""
    import idna  # a dependency of yarl, loaded only for a non-ASCII host

    try:
        mapped = idna.uts46_remap(text, std3_rules=False, transitional=False)
    except idna.IDNAError:
        return None
    return None if any(unicodedata.category(ch) == "Cn" for ch in mapped) else mapped


_BIDI_RTL = frozenset({"R", "AL", "AN"})
_BIDI_LTR_ALLOWED = frozenset({"L", "EN", "ES", "CS", "ET", "ON", "BN", "NSM"})
_BIDI_RTL_ALLOWED = frozenset({"R", "AL", "AN", "EN", "ES", "CS", "ET", "ON", "BN", "NSM"})


def _label_valid(label: str) -> bool:
    """ada 2.9.2's ``is_label_valid``: no leading combining mark; a ZWNJ or ZWJ after a virama
    settles the label as valid (a ZWNJ needs the Unicode joining types Python does not ship for
    its other rule: such a ZWNJ is rejected); then RFC 5893's bidi rules as ada applies them to
    a label with an R, AL or AN character: a label starting with L may hold only L, EN, ES, CS,
    ET, ON, BN and NSM before its last non-NSM character; any other may hold only R, AL, AN, EN,
    ES, CS, ET, ON, BN and NSM, not both EN and AN, and must end (before NSMs) in R, AL, AN or
    EN."""
    if unicodedata.category(label[0]).startswith("M"):
        return False
    for index, ch in enumerate(label):
        if ch in "\u200c\u200d":
            return index > 0 and unicodedata.combining(label[index - 1]) == 9
    classes = [unicodedata.bidirectional(ch) for ch in label]
    if not _BIDI_RTL.intersection(classes):
        return True
    last = max((i for i, bidi in enumerate(classes) if bidi != "NSM"), default=-1)
    if last < 0:
        return False
    if classes[0] == "L":
        return set(classes[:last]) <= _BIDI_LTR_ALLOWED
    body = classes[: last + 1]
    return (
        set(body) <= _BIDI_RTL_ALLOWED
        and not ("EN" in body and "AN" in body)
        and body[-1] in ("R", "AL", "AN", "EN")
    )


def _ends_in_number(text: str) -> bool:
    parts = text.split(".")
    if parts[-1] == "":
        if len(parts) == 1:
            return False
        parts.pop()
    last = parts[-1]
    if last and all(ch in _ASCII_DIGITS for ch in last):
        return True
    return _ipv4_number(last) is not None


_RADIX_DIGITS = {8: frozenset("01234567"), 10: _ASCII_DIGITS, 16: _ASCII_HEX}


def _ipv4_number(text: str) -> int | None:
    """The IPv4 number parser: decimal, ``0x`` hex or ``0`` octal; ``None`` on failure."""
    if text == "":
        return None
    radix = 10
    if text[:2] in ("0x", "0X"):
        text, radix = text[2:], 16
    elif len(text) >= 2 and text[0] == "0":
        text, radix = text[1:], 8
    if text == "":
        return 0
    digits = _RADIX_DIGITS[radix]
    if not all(ch in digits for ch in text):
        return None
    return int(text, radix)


def _parse_ipv4(text: str) -> int:
    parts = text.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        raise _invalid()
    numbers = []
    for part in parts:
        number = _ipv4_number(part)
        if number is None:
            raise _invalid()
        numbers.append(number)
    if any(number > 255 for number in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise _invalid()
    address = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        address += number * 256 ** (3 - index)
    return address


def _serialize_ipv4(address: int) -> str:
    return ".".join(str((address >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def _parse_ipv6(text: str) -> list[int]:
    """The IPv6 parser: eight 16-bit pieces."""
    address = [0] * 8
    piece = 0
    compress: int | None = None
    pointer = 0

    def at(index: int) -> str:
        return text[index] if index < len(text) else _EOF

    if at(0) == ":":
        if at(1) != ":":
            raise _invalid()
        pointer = 2
        piece = compress = 1
    while at(pointer) != _EOF:
        if piece == 8:
            raise _invalid()
        if at(pointer) == ":":
            if compress is not None:
                raise _invalid()
            pointer += 1
            piece += 1
            compress = piece
            continue
        value = length = 0
        while length < 4 and at(pointer) and at(pointer) in _ASCII_HEX:
            value = value * 16 + int(at(pointer), 16)
            pointer += 1
            length += 1
        if at(pointer) == ".":
            if length == 0 or piece > 6:
                raise _invalid()
            pointer -= length
            numbers_seen = 0
            while at(pointer) != _EOF:
                ipv4_piece: int | None = None
                if numbers_seen > 0:
                    if at(pointer) == "." and numbers_seen < 4:
                        pointer += 1
                    else:
                        raise _invalid()
                if not at(pointer) or at(pointer) not in _ASCII_DIGITS:
                    raise _invalid()
                while at(pointer) and at(pointer) in _ASCII_DIGITS:
                    number = int(at(pointer))
                    if ipv4_piece is None:
                        ipv4_piece = number
                    elif ipv4_piece == 0:
                        raise _invalid()
                    else:
                        ipv4_piece = ipv4_piece * 10 + number
                    if ipv4_piece > 255:
                        raise _invalid()
                    pointer += 1
                assert ipv4_piece is not None
                address[piece] = address[piece] * 0x100 + ipv4_piece
                numbers_seen += 1
                if numbers_seen in (2, 4):
                    piece += 1
            if numbers_seen != 4:
                raise _invalid()
            break
        if at(pointer) == ":":
            pointer += 1
            if at(pointer) == _EOF:
                raise _invalid()
        elif at(pointer) != _EOF:
            raise _invalid()
        address[piece] = value
        piece += 1
    if compress is not None:
        swaps = piece - compress
        piece = 7
        while piece != 0 and swaps > 0:
            address[piece], address[compress + swaps - 1] = address[compress + swaps - 1], address[piece]
            piece -= 1
            swaps -= 1
    elif piece != 8:
        raise _invalid()
    return address


def _serialize_ipv6(address: list[int]) -> str:
    """Lower-case hex pieces, the first longest run of two or more zero pieces as ``::``."""
    best_start, best_len = -1, 1
    index = 0
    while index < 8:
        if address[index] == 0:
            end = index
            while end < 8 and address[end] == 0:
                end += 1
            if end - index > best_len:
                best_start, best_len = index, end - index
            index = end
        else:
            index += 1
    out = ""
    ignore0 = False
    for index, piece in enumerate(address):
        if ignore0 and piece == 0:
            continue
        ignore0 = False
        if index == best_start:
            out += "::" if index == 0 else ":"
            ignore0 = True
            continue
        out += format(piece, "x")
        if index != 7:
            out += ":"
    return out


# --- what the callers use --------------------------------------------------------------------


def url_host(text: str) -> str:
    """``new URL(text).host``: host and non-default port, ``""`` for hostless URLs."""
    return parse(text).host_and_port


def url_can_parse(text: str) -> bool:
    """``URL.canParse(text)``: ``new URL(text)`` would not throw."""
    try:
        parse(text)
    except JSTypeError:
        return False
    return True


def parse_search_params(query: str) -> list[tuple[str, str]]:
    """The application/x-www-form-urlencoded parser (``new URLSearchParams(query)``)."""
    pairs = []
    for sequence in query.split("&"):
        if not sequence:
            continue
        name, _, value = sequence.partition("=")
        pairs.append((_form_decode(name), _form_decode(value)))
    return pairs


def _form_decode(text: str) -> str:
    return urllib.parse.unquote_to_bytes(text.replace("+", " ")).decode("utf-8", "replace")


def url_search_params(pairs: list[tuple[str, str]]) -> str:
    """``new URLSearchParams(pairs).toString()`` (the application/x-www-form-urlencoded serializer)."""
    return "&".join(f"{_form_encode(k)}={_form_encode(v)}" for k, v in pairs)


def _form_encode(text: str) -> str:
    """The form-urlencoded percent-encode set: all but ASCII alphanumerics and ``*-._`` (Python
    leaves ``~`` as it is; URLSearchParams does not)."""
    return urllib.parse.quote_plus(text, safe="*").replace("~", "%7E")
