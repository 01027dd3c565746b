"""Hypothesis strategies for hostile form input: any text, and the strings that break apps
(markup, SQL, template syntax, control and direction characters, huge numbers, huge texts)."""

from __future__ import annotations

import io

from hypothesis import strategies as st

HOSTILE = (
    "",
    " ",
    "\r\n\t",
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "' OR '1'='1' --",
    "'; DROP TABLE user; --",
    "{{ 7*7 }}",
    "{% for x in range(9) %}x{% endfor %}",
    "${7*7}",
    "%s%s%s%n",
    "../../../../etc/passwd",
    "\u202eevil",
    "\ufeff",
    "𝕏😀👨‍👩‍👧",
    "０１２３",
    "NaN",
    "Infinity",
    "-0",
    "1e309",
    "-1",
    "0",
    "9" * 40,
    "2147483648",
    "9223372036854775808",
    "1/0",
    "0000-00-00T00:00",
    "9999-12-31T23:59",
    "1900-01-01T00:00",
    "x" * 6000,
    "长" * 3000,
)

texts = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=400),
)
ints = st.one_of(st.integers(-(2**70), 2**70).map(str), texts)
dates = st.one_of(
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
    texts,
)
bools = st.sampled_from(["y", "on", "1", "", "false", "0", "no", "\x00"])

FILE_BODIES = (
    b"",
    b"\x89PNG\r\n\x1a\n",  # a PNG signature and nothing else
    b"%PDF-",  # a PDF signature and nothing else
    b"\xff\xd8\xff\xe0" + b"\x00" * 50,  # a truncated JPEG
    b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    b"PK\x03\x04" + b"\x00" * 30,
    "楼栋,单元,房号,面积\n1,1,101,80\n".encode(),
    b"\xef\xbb\xbf\xe6\xa5\xbc\xe6\xa0\x8b,,,\n,,,\n",
)
files = st.tuples(
    st.one_of(st.sampled_from(FILE_BODIES), st.binary(max_size=600)),
    st.one_of(
        st.sampled_from(["a.png", "a.jpg", "a.pdf", "a.csv", "a.xlsx", "a.svg", "", "../x.png"]),
        st.text(max_size=30),
    ),
)


def field_strategy(f):
    if f.kind == "text":
        return texts
    if f.kind == "int":
        return ints
    if f.kind == "date":
        return dates
    if f.kind == "bool":
        return bools
    if f.kind == "choice":
        return st.one_of(st.sampled_from(f.choices), texts) if f.choices else texts
    if f.kind == "ids":
        return st.lists(ints, max_size=5)
    if f.kind == "file":
        return st.lists(files, max_size=2)
    raise AssertionError(f"unknown field kind {f.kind}")


def form(fields) -> st.SearchStrategy[dict]:
    """A submission: each field present or not, with any value."""
    return st.fixed_dictionaries({}, optional={f.name: field_strategy(f) for f in fields})


def encode(fields, data: dict) -> dict:
    """The data for the test client: files as (stream, name) pairs, fresh each time."""
    kinds = {f.name: f.kind for f in fields}
    out = {}
    for name, value in data.items():
        if kinds[name] == "file":
            out[name] = [(io.BytesIO(body), filename) for body, filename in value]
        else:
            out[name] = value
    return out
