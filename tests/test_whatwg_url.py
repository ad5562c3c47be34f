"""``new URL()`` as Node 20 (ada 2.9.2) builds it: ``providers.js.whatwg_url`` against values
recorded from Node 20.20 itself (``new URL(text)``, ``new URL(text, base)``, ``url.search = …``,
``url.searchParams.set(…)``, ``url.host``), one row per input."""

from __future__ import annotations

import pytest

from providers.js.errors import JSTypeError
from providers.js.whatwg_url import URLRecord, parse, url_can_parse, url_host

INVALID = None  # new URL() throws TypeError "Invalid URL" (code ERR_INVALID_URL)

# new URL(text).href, recorded from Node 20.20.2
HREFS: list[tuple[str, str | None]] = [
    ('http://host/v1 ', 'http://host/v1'),
    ('http://host/v1 /chat/completions', 'http://host/v1%20/chat/completions'),
    ('http://host /v1/messages', INVALID),
    ('  http://host/x  ', 'http://host/x'),
    ('http://ho\tst/a\tb\nc\r', 'http://host/abc'),
    ('http://host/x\x00', 'http://host/x'),
    ('http://host/x\x01y', 'http://host/x%01y'),
    ('http://host/\xa0x', 'http://host/%C2%A0x'),
    ('http://host/ünï/path', 'http://host/%C3%BCn%C3%AF/path'),
    ('http://host/€', 'http://host/%E2%82%AC'),
    ('http://host/😀', 'http://host/%F0%9F%98%80'),
    ('http://host/%E2%82%AC', 'http://host/%E2%82%AC'),
    ('http://bücher.de/x', 'http://xn--bcher-kva.de/x'),
    ('http://ÉXAMPLE.com/', 'http://xn--xample-9ua.com/'),
    ('http://ß.de/', 'http://xn--zca.de/'),
    ('http://😀.com/', 'http://xn--e28h.com/'),
    ('https://ab\xadc.com/', 'https://abc.com/'),
    ('http://xn--bcher-kva.de/', 'http://xn--bcher-kva.de/'),
    ('http://xn--a.com/', INVALID),
    ('http://EXAMPLE.COM./', 'http://example.com./'),
    ('http://ho%41st/', 'http://hoast/'),
    ('http://ho%zzst/', INVALID),
    ('http://ex ample.com/', INVALID),
    ('http://exa<mple.com/', INVALID),
    ('http://例え.テスト/', 'http://xn--r8jz45g.xn--zckzah/'),
    ('http://ＥＸＡＭＰＬＥ.com/', 'http://example.com/'),
    ('http://a\u200db.com/', INVALID),
    ('http://host/{model}/x', 'http://host/%7Bmodel%7D/x'),
    ('http://host/a|b^c`d\'e"f<g>h', "http://host/a|b^c%60d'e%22f%3Cg%3Eh"),
    ('http://host/a/../b', 'http://host/b'),
    ('http://host/a/./b/.', 'http://host/a/b/'),
    ('http://host/a/%2e%2E/b', 'http://host/b'),
    ('http://host/a/.%2e/b', 'http://host/b'),
    ('http://host/a/b/../../../c', 'http://host/c'),
    ('http://host/..', 'http://host/'),
    ('http://host/a/..', 'http://host/'),
    ('http://host/a%zzb', 'http://host/a%zzb'),
    ('http://host/a%20b%', 'http://host/a%20b%'),
    ('http://host\\v1\\chat', 'http://host/v1/chat'),
    ('http:\\\\host\\v1', 'http://host/v1'),
    ('http://host/a\\..\\b', 'http://host/b'),
    ('http://0x7f.1/', 'http://127.0.0.1/'),
    ('http://127.1/', 'http://127.0.0.1/'),
    ('http://0177.0.0.1/', 'http://127.0.0.1/'),
    ('http://2130706433/', 'http://127.0.0.1/'),
    ('http://1.2.3.4.5/', INVALID),
    ('http://256.0.0.1/', INVALID),
    ('http://1.2.3.256/', INVALID),
    ('http://1.2.65536/', INVALID),
    ('http://a.b.c.0x100/', INVALID),
    ('http://0x/', 'http://0.0.0.0/'),
    ('http://09/', INVALID),
    ('http://1.2.3.4./', 'http://1.2.3.4/'),
    ('http://[::1]:8080/x', 'http://[::1]:8080/x'),
    ('http://[0:0:0:0:0:ffff:7f00:1]/', 'http://[::ffff:7f00:1]/'),
    ('http://[::ffff:127.0.0.1]/', 'http://[::ffff:7f00:1]/'),
    ('http://[1:0:0:2:0:0:0:3]/', 'http://[1:0:0:2::3]/'),
    ('http://[::1/', INVALID),
    ('http://[::g]/', INVALID),
    ('http://[1::2::3]/', INVALID),
    ('http://[::1]x/', INVALID),
    ('http://', INVALID),
    ('http:///x', 'http://x/'),
    ('http://@host/', 'http://host/'),
    ('http://:@host/', 'http://host/'),
    ('http://user@/', INVALID),
    ('https:host/p', 'https://host/p'),
    ('http://host:65536/', INVALID),
    ('http://host:65535/', 'http://host:65535/'),
    ('http://host:80/', 'http://host/'),
    ('https://host:443/', 'https://host/'),
    ('http://host:0080/x', 'http://host/x'),
    ('http://host:/x', 'http://host/x'),
    ('http://host:8a/', INVALID),
    ('http://user:p@ss@host/', 'http://user:p%40ss@host/'),
    ('http://us er:pa:ss@host/', 'http://us%20er:pa%3Ass@host/'),
    ('http://a%40b:c@host/', 'http://a%40b:c@host/'),
    ('http://host/?q=a b\'c"d<e>f{g}', 'http://host/?q=a%20b%27c%22d%3Ce%3Ef{g}'),
    ('https://host/p?x=é&y=%zz', 'https://host/p?x=%C3%A9&y=%zz'),
    ("ws://host/?'", 'ws://host/?%27'),
    ("foo://host/?'", "foo://host/?'"),
    ('http://host/#frag ment`x', 'http://host/#frag%20ment%60x'),
    ('http://host/a?b#c?d#e', 'http://host/a?b#c?d#e'),
    ('HTTP://HOST.COM/Path', 'http://host.com/Path'),
    ('hTTps://Host.Com:443', 'https://host.com/'),
    ('foo://host/a b', 'foo://host/a%20b'),
    ('foo://HOST/%7e', 'foo://HOST/%7e'),
    ('foo:a b/c', 'foo:a b/c'),
    ('foo://[::1]/', 'foo://[::1]/'),
    ('foo://ho st/', INVALID),
    ('foo://hö/', 'foo://h%C3%B6/'),
    ('foo:/a/../b', 'foo:/b'),
    ('foo://h/a/../b', 'foo://h/b'),
    ('file:///C:/x/../y', 'file:///C:/y'),
    ('file://localhost/x', 'file:///x'),
    ('file://host/x', 'file://host/x'),
    ('mailto:a@b', 'mailto:a@b'),
    ('no-scheme/path', INVALID),
    ('1http://h/', INVALID),
    ('http://host/v1#frag/chat/completions', 'http://host/v1#frag/chat/completions'),
    ('http://host/v1?k=v/chat/completions', 'http://host/v1?k=v/chat/completions'),
    ('http://host/a%2Fb', 'http://host/a%2Fb'),
    ('http://host/%7e%7E', 'http://host/%7e%7E'),
    ('http://h/\ud7ff\ue000', 'http://h/%ED%9F%BF%EE%80%80'),
    ('http://h/a\u3000b', 'http://h/a%E3%80%80b'),
    ('http://h/ab\x7fc', 'http://h/ab%7Fc'),
]

# new URL(text).host, recorded from Node 20.20.2: IDNA (UTS #46 non-transitional, ada's bidi and
# joiner checks), Punycode labels kept as written, IPv4 and IPv6 forms
HOSTS: list[tuple[str, str | None]] = [
    ("http://BÜCHER.de:1/", "xn--bcher-kva.de:1"),
    ("http://xn--abc-/", "xn--abc-"),
    ("http://xn--ABC-/", "xn--abc-"),
    ("http://xn--/", INVALID),
    ("http://\u0661/", "xn--9hb"),
    ("http://\u0661b/", INVALID),
    ("http://b\u05d0/", "xn--b-0hc"),
    ("http://\u05d0b/", INVALID),
    ("http://\u0627\u0661\u06f1/", INVALID),
    ("http://\u0915\u094d\u200d/", "xn--11b6iy14e"),
    ("http://a\u2474b/", "a(1)b"),
    ("http://a\u3002b/", "a.b"),
    ("http://\u00ad/", INVALID),
    ("http://a\u0080b/", INVALID),
    ("http://[1:2:3:4:5:6:7:8]/", "[1:2:3:4:5:6:7:8]"),
    ("http://[::]/", "[::]"),
    ("http://[1:0::0:1]/", "[1::1]"),
    ("http://[::1.2.3.4]/", "[::102:304]"),
    ("http://[::1.2.3]/", INVALID),
    ("http://0x100000000/", INVALID),
    ("http://4294967295/", "255.255.255.255"),
    ("http://4294967296/", INVALID),
    ("http://1.0x/", "1.0.0.0"),
    ("http://0.0.0.0x100/", INVALID),
]

# new URL(text, base).href (follow-redirects resolves a Location this way), from Node 20.20.2
RELATIVE: list[tuple[str, str, str]] = [
    ("../x?y#z", "http://h/a/b/c", "http://h/a/x?y#z"),
    ("//other:8080/p", "https://h/a", "https://other:8080/p"),
    ("/p q", "http://h:81/a?b", "http://h:81/p%20q"),
    ("?q=1", "http://h/a/b", "http://h/a/b?q=1"),
    ("#f", "http://h/a?b", "http://h/a?b#f"),
    ("\\\\x\\y", "http://h/a", "http://x/y"),
    ("http:x", "http://h/a/b", "http://h/a/x"),
    ("https:x", "http://h/a/b", "https://x/"),
    ("", "http://h/a?b#c", "http://h/a?b"),
    (" ../../../z ", "http://h/a/b", "http://h/z"),
]

# url.search = value (buildURL's query), from Node 20.20.2
SEARCH: list[tuple[str, str, str]] = [
    ("http://h/p?old#f", "a=b c", "http://h/p?a=b%20c#f"),
    ("http://h/p?old", "?x=\u00e9&y='", "http://h/p?x=%C3%A9&y=%27"),
    ("http://h/p?old", "", "http://h/p"),
    ("foo://h/p", "q=' #", "foo://h/p?q='%20%23"),
    ("http://h/p", "?", "http://h/p?"),
    ("http://h/p", "a\tb\nc", "http://h/p?abc"),
]

# url.searchParams.set(name, value) (genai's alt=sse), from Node 20.20.2
SEARCH_PARAMS: list[tuple[str, str, str, str]] = [
    ("http://h/p?k=v w&alt=json&alt=x", "alt", "sse", "http://h/p?k=v+w&alt=sse"),
    ("http://h/p?a=%zz&b=%C3%A9+x", "alt", "sse", "http://h/p?a=%25zz&b=%C3%A9+x&alt=sse"),
    ("http://h/p", "alt", "s s~*", "http://h/p?alt=s+s%7E*"),
    ("http://h/p?=&&x", "k", "v", "http://h/p?=&x=&k=v"),
]


@pytest.mark.parametrize(("text", "href"), HREFS)
def test_href(text: str, href: str | None) -> None:
    if href is INVALID:
        with pytest.raises(JSTypeError) as info:
            parse(text)
        assert (info.value.message, info.value.code) == ("Invalid URL", "ERR_INVALID_URL")
        assert not url_can_parse(text)
    else:
        assert parse(text).href == href
        assert url_can_parse(text)


@pytest.mark.parametrize(("text", "host"), HOSTS)
def test_host(text: str, host: str | None) -> None:
    if host is INVALID:
        with pytest.raises(JSTypeError):
            url_host(text)
    else:
        assert url_host(text) == host


@pytest.mark.parametrize(("text", "base", "href"), RELATIVE)
def test_relative_to_base(text: str, base: str, href: str) -> None:
    assert parse(text, base).href == href


def test_getters() -> None:
    """``host``, ``pathname`` and ``search`` of one URL with every part."""
    url = parse("HTTPS://us er:p@ss@Host.Example:8443/a/../b%2f c?q=1 2#frag")
    assert (url.username, url.password) == ("us%20er", "p%40ss")
    assert (url.host_and_port, url.pathname, url.search, url.fragment) == (
        "host.example:8443", "/b%2f%20c", "?q=1%202", "frag")


@pytest.mark.parametrize(("text", "value", "href"), SEARCH)
def test_search_setter(text: str, value: str, href: str) -> None:
    url = parse(text)
    url.set_search(value)
    assert url.href == href


@pytest.mark.parametrize(("text", "name", "value", "href"), SEARCH_PARAMS)
def test_search_params_set(text: str, name: str, value: str, href: str) -> None:
    url: URLRecord = parse(text)
    url.set_search_param(name, value)
    assert url.href == href
