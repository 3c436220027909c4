"""TcpFramer: RFC 6587 octet counting and newline framing, across any split of the stream."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.syslog import MAX_FRAME, TcpFramer


def feed_all(chunks: list[bytes], *, close: bool = True) -> tuple[list[bytes], TcpFramer]:
    framer = TcpFramer()
    frames = [frame for chunk in chunks for frame in framer.feed(chunk)]
    if close:
        frames += framer.close()
    return frames, framer


def split(stream: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(stream) + 1) for c in cuts})
    return [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]


def octet_stream(frames: list[bytes]) -> bytes:
    return b"".join(b"%d %s" % (len(f), f) for f in frames)


@settings(max_examples=150)
@given(
    st.lists(st.binary(min_size=1, max_size=200), min_size=1, max_size=8),
    st.lists(st.integers(0, 5000)),
)
def test_any_split_of_octet_counted_frames_gives_the_same_frames(frames, cuts):
    got, framer = feed_all(split(octet_stream(frames), cuts))
    assert got == frames
    assert (framer.mode, framer.errors, framer.cut) == ("octets", 0, 0)


_LINE = st.binary(max_size=200).map(lambda b: b"<" + b.translate(None, b"\n\x00\r"))


@settings(max_examples=150)
@given(
    st.lists(_LINE, min_size=1, max_size=8),
    st.sampled_from([b"\n", b"\r\n", b"\x00"]),
    st.lists(st.integers(0, 5000)),
)
def test_any_split_of_newline_frames_gives_the_same_frames(frames, end, cuts):
    got, framer = feed_all(split(b"".join(f + end for f in frames), cuts))
    assert got == frames
    assert framer.mode == "lines"


def test_octet_counting_tolerates_newlines_between_frames():
    got, _ = feed_all([b"5 <13>a\n5 <13>b\r\n"])
    assert got == [b"<13>a", b"<13>b"]


def test_newline_framing_skips_empty_lines_and_keeps_an_unterminated_last_line_on_close():
    framer = TcpFramer()
    assert framer.feed(b"\n\n<13>a\n\r\n<13>b") == [b"<13>a"]
    assert framer.close() == [b"<13>b"]


def test_bad_octet_count_switches_the_connection_to_newline_framing():
    got, framer = feed_all([b"5 <13>a12x <13>b\n<13>c\n"])
    assert got == [b"<13>a", b"12x <13>b", b"<13>c"]
    assert (framer.mode, framer.errors) == ("lines", 1)


def test_oversized_octet_frame_is_cut_and_the_rest_discarded_without_buffering():
    framer = TcpFramer()
    body = b"x" * (MAX_FRAME + 1000)
    frames = framer.feed(b"%d " % len(body) + body[:MAX_FRAME])
    frames += framer.feed(body[MAX_FRAME:] + b"5 <13>z")
    assert frames == [body[:MAX_FRAME], b"<13>z"]
    assert framer.cut == 1


def test_oversized_line_is_cut_and_the_rest_dropped_up_to_its_end():
    framer = TcpFramer()
    frames = framer.feed(b"<" * (MAX_FRAME + 10))
    frames += framer.feed(b"<" * 10_000)
    frames += framer.feed(b"tail\n<13>next\n")
    assert frames == [b"<" * MAX_FRAME, b"<13>next"]
    assert framer.cut == 1


def test_partial_octet_frame_at_close_is_dropped_and_counted():
    framer = TcpFramer()
    assert framer.feed(b"10 <13>") == []
    assert framer.close() == []
    assert framer.errors == 1


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=300), max_size=10))
def test_framer_never_raises_and_frames_stay_bounded(chunks):
    framer = TcpFramer()
    for chunk in chunks:
        assert all(0 < len(f) <= MAX_FRAME for f in framer.feed(chunk))
    framer.close()
