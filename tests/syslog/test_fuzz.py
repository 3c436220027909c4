"""parse_syslog never raises, whatever arrives, and its invariants hold."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.syslog import MAX_MESSAGE_BYTES, LogClass, parse_syslog
from tests.syslog import FIXTURES

SEEDS = [p.read_bytes() for p in sorted(FIXTURES.iterdir())]

_mutated = st.tuples(st.sampled_from(SEEDS), st.integers(0, 400), st.binary(max_size=20)).map(
    lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + len(t[2]) :]
)
_pieces = st.lists(
    st.sampled_from(
        [b"<13>", b"<191>", b"<192>", b"1 ", b"- ", b"[", b"]", b'a="', b"\\", b'"', b" ",
         b"Feb 29 ", b"Dec 31 23:59:60 ", b"2026-02-12T10:00:00Z ", b"9999-12-31T23:59:59-23:59 ",
         b"app[", b"1]: ", b"\xef\xbb\xbf", b"\xff", b"\x1b", b"\n", b"DHCPACK(x) "]
    ),
    max_size=20,
).map(b"".join)  # fmt: skip


@settings(max_examples=300)
@given(
    st.one_of(st.binary(max_size=600), _mutated, _pieces),
    st.integers(-(2**62), 2**62),
    st.one_of(st.none(), st.integers(1, 9999)),
)
def test_parse_never_raises(data, received_ms, now_year):
    record = parse_syslog(data, received_ms=received_ms, now_year=now_year)
    assert 0 <= record.facility <= 23 and 0 <= record.severity <= 7
    assert len(record.message.encode()) <= MAX_MESSAGE_BYTES
    assert isinstance(record.log_class, LogClass)
    texts = [record.message, record.host or "", record.app or ""]
    texts += [k + v for sd in record.structured_data.values() for k, v in sd.items()]
    assert not any(c in text for text in texts for c in "\x1b\r\n\x00")


def test_a_huge_input_is_cut_and_flagged():
    record = parse_syslog(b"<13>app: " + b"x" * 1_000_000, received_ms=0)
    assert record.truncated and len(record.message) == MAX_MESSAGE_BYTES
