"""Sequence numbers (PROTOCOL.md): duplicates, the 2**32 wrap, out-of-order arrival inside
the window, gaps, restarts, and persistence of the state."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from core.protocol import Hello, SeqState, Status, Verdict, boot_signal, observe

NEW, DUP = Verdict.NEW, Verdict.DUPLICATE
TOP = 2**32 - 1


def feed(state: SeqState, *seqs: int) -> list[tuple[Verdict, int]]:
    return [observe(state, seq) for seq in seqs]


def test_first_seq_is_new_and_a_repeat_is_a_duplicate():
    state = SeqState()
    assert feed(state, 142, 142, 143, 142) == [(NEW, 0), (DUP, 0), (NEW, 0), (DUP, 0)]
    assert (state.last, state.duplicates, state.gaps, state.missing) == (143, 2, 0, 0)


def test_a_gap_of_5_records_5_missing():
    state = SeqState()
    assert feed(state, 1, 7) == [(NEW, 0), (NEW, 5)]
    assert (state.gaps, state.missing) == (1, 5)


def test_wrap_after_2_32_minus_1_is_the_same_boot():
    state = SeqState()
    assert feed(state, TOP - 1, TOP, 0, 1) == [(NEW, 0)] * 4
    assert (state.boot, state.gaps, state.missing, state.duplicates) == (0, 0, 0, 0)
    assert feed(state, TOP, 0) == [(DUP, 0), (DUP, 0)]


def test_a_gap_across_the_wrap_counts_what_is_missing():
    state = SeqState()
    assert feed(state, TOP - 1, 2) == [(NEW, 0), (NEW, 3)]
    assert (state.boot, state.missing) == (0, 3)
    assert feed(state, TOP) == [(NEW, -1)]
    assert state.missing == 2


def test_out_of_order_inside_the_window_is_new_and_no_longer_missing():
    state = SeqState()
    assert feed(state, 10, 13) == [(NEW, 0), (NEW, 2)]
    assert feed(state, 12, 11) == [(NEW, -1), (NEW, -1)]
    assert (state.gaps, state.missing, state.duplicates) == (1, 0, 0)
    assert feed(state, 11, 12, 13) == [(DUP, 0)] * 3


def test_seqs_before_the_first_one_seen_were_never_missing():
    state = SeqState()
    feed(state, 100, 102)
    assert state.missing == 1
    assert feed(state, 95) == [(NEW, 0)]
    assert state.missing == 1


def test_the_window_is_1024_seqs():
    state = SeqState()
    feed(state, 0, 2000)
    assert feed(state, 2000 - 1023) == [(NEW, -1)]
    assert feed(state, 2000 - 1024) == [(DUP, 0)]  # too old to tell: taken as a duplicate
    assert state.duplicates == 1


def test_new_boot_is_not_counted_as_duplicates():
    state = SeqState()
    feed(state, *range(11))
    assert observe(state, 0, new_boot=True) == (NEW, 0)
    assert feed(state, *range(1, 11)) == [(NEW, 0)] * 10
    assert (state.boot, state.duplicates, state.gaps, state.missing) == (1, 0, 0, 0)


def test_seq_falling_far_back_near_zero_starts_a_new_boot_by_itself():
    state = SeqState()
    feed(state, 5000)
    assert feed(state, 0, 1) == [(NEW, 0), (NEW, 0)]
    assert (state.boot, state.duplicates) == (1, 0)
    state = SeqState()
    feed(state, 3_000_000_000, 3)
    assert (state.boot, state.gaps, state.missing) == (1, 0, 0)


def test_far_back_but_not_near_zero_is_a_duplicate():
    state = SeqState()
    feed(state, 5000)
    assert feed(state, 16) == [(DUP, 0)]
    assert state.boot == 0


def test_new_boot_without_seq_waits_for_the_next_one():
    state = SeqState()
    feed(state, 7)
    assert observe(state, None, new_boot=True) == (NEW, 0)
    assert (state.boot, state.last) == (1, None)
    assert feed(state, 3) == [(NEW, 0)]
    assert observe(state, None) == (NEW, 0)
    assert state.last == 3


def test_a_reconnect_that_keeps_counting_still_recognises_late_copies():
    state = SeqState()
    feed(state, *range(10))
    assert observe(state, 12, new_boot=True) == (NEW, 0)
    assert feed(state, 9, 10) == [(DUP, 0), (NEW, 0)]
    assert (state.boot, state.gaps, state.missing) == (1, 0, 0)


def test_state_round_trips_through_json():
    state = SeqState()
    feed(state, 1, 5, 3, 3, 900, 4000)
    boot_signal(state, Hello("d", 10, 4001, "1.0", 50, 1, 3.0, None))
    restored = SeqState.from_json(json.loads(json.dumps(state.to_json())))
    assert restored == state
    assert feed(restored, 3999, 3999) == feed(state, 3999, 3999)
    assert SeqState.from_json({}) == SeqState()


def hello(ts_ms: int, uptime_s: int) -> Hello:
    return Hello("d", ts_ms, 1, "1.0", uptime_s, 1, 0.0, None)


def test_boot_signals():
    state = SeqState()
    online = Status("d", 1000, 0, True)
    assert boot_signal(state, online) is True
    assert boot_signal(state, online) is False  # the same status again, e.g. a second broker
    assert boot_signal(state, Status("d", 2000, None, False)) is False
    assert boot_signal(state, hello(3000, 100)) is False
    assert boot_signal(state, hello(4000, 130)) is False
    assert boot_signal(state, hello(3000, 100)) is False  # a late copy of an older hello
    assert boot_signal(state, hello(5000, 2)) is True  # uptime went down: rebooted
    assert state.last_uptime_s == 2
    assert boot_signal(state, Status("d", 6000, 0, True)) is True
    assert boot_signal(state, hello(6001, 1)) is False  # this boot already started


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(0, 300),
    offset=st.integers(0, TOP),
    data=st.data(),
)
def test_any_permutation_with_duplicates_is_new_once_per_seq(n, offset, data):
    copies = data.draw(st.lists(st.integers(1, 3), min_size=n + 1, max_size=n + 1))
    deliveries = [(offset + i) % 2**32 for i, k in enumerate(copies) for _ in range(k)]
    order = data.draw(st.permutations(deliveries))
    state = SeqState()
    new: dict[int, int] = {}
    missing = 0
    for seq in order:
        verdict, added = observe(state, seq)
        missing += added
        if verdict is NEW:
            new[seq] = new.get(seq, 0) + 1
    assert new == {(offset + i) % 2**32: 1 for i in range(n + 1)}
    assert state.duplicates == len(deliveries) - (n + 1)
    assert state.missing == missing == 0
    assert state.boot == 0


@settings(max_examples=100, deadline=None)
@given(seqs=st.sets(st.integers(0, 2000), min_size=1))
def test_in_order_delivery_counts_exactly_the_holes_as_missing(seqs):
    state = SeqState()
    for seq in sorted(seqs):
        assert observe(state, seq)[0] is NEW
    assert state.missing == max(seqs) - min(seqs) + 1 - len(seqs)
