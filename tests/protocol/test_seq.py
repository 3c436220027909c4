"""Sequence numbers (PROTOCOL.md): duplicates, the 2**32 wrap, out-of-order arrival inside
the window, gaps, restarts, and persistence of the state."""

from __future__ import annotations

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.protocol import Hello, SeqState, Status, Verdict, boot_signal, observe
from core.protocol.seq import SUSPECT_JUMP, WINDOW

NEW, DUP, HELD = Verdict.NEW, Verdict.DUPLICATE, Verdict.SUSPECT
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
    feed(state, 0, 1000, 2000)  # two gaps inside the window each (a larger jump is held)
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
    """Gaps smaller than the window (a larger jump is held: see the suspect tests)."""
    ordered = sorted(seqs)
    kept = [ordered[0]]
    for seq in ordered[1:]:
        if seq - kept[-1] < SUSPECT_JUMP:
            kept.append(seq)
    state = SeqState()
    for seq in kept:
        assert observe(state, seq)[0] is NEW
    assert state.missing == max(kept) - min(kept) + 1 - len(kept)


def test_a_forged_jump_is_held_and_genuine_messages_go_on_counting():
    """Issue 15, item 12: seq = last + 2**31 - 1 silenced the device (200 genuine messages
    taken as duplicates) and counted 2 147 483 646 missing."""
    state = SeqState()
    feed(state, *range(100, 105))
    assert observe(state, 104 + 2**31 - 1) == (HELD, 0)
    assert feed(state, *range(105, 305)) == [(NEW, 0)] * 200
    assert (state.last, state.duplicates, state.missing, state.gaps) == (304, 0, 0, 0)
    assert (state.boot, state.suspects, state.suspect) == (0, 1, None)


def test_a_jump_of_the_window_or_more_is_held_and_less_is_a_gap():
    state = SeqState()
    feed(state, 10)
    assert observe(state, 10 + SUSPECT_JUMP - 1) == (NEW, SUSPECT_JUMP - 2)
    state = SeqState()
    feed(state, 10)
    assert observe(state, 10 + SUSPECT_JUMP) == (HELD, 0)
    assert (state.last, state.missing, state.suspect) == (10, 0, 10 + SUSPECT_JUMP)
    assert SUSPECT_JUMP == WINDOW


def test_the_next_message_after_a_held_one_corroborates_it_as_a_new_boot():
    state = SeqState()
    feed(state, 30, 31, 32)
    assert feed(state, 500_000, 500_000, 500_002, 500_003) == [
        (HELD, 0),
        (DUP, 0),  # a copy of the held message (through a second broker)
        (NEW, 0),  # continues from the held seq, not from 32: corroborated
        (NEW, 0),
    ]
    assert (state.boot, state.last, state.missing, state.gaps) == (1, 500_003, 0, 0)
    assert (state.suspects, state.suspect, state.duplicates) == (1, None, 1)
    assert feed(state, 500_000) == [(NEW, 0)]  # a late copy of the held one is kept now
    assert feed(state, 33) == [(DUP, 0)]  # the old line is over


def test_a_second_far_message_that_does_not_continue_the_first_replaces_it():
    state = SeqState()
    feed(state, 10)
    assert feed(state, 2**31, 3_000_000) == [(HELD, 0), (HELD, 0)]
    assert (state.suspect, state.suspects, state.boot, state.last) == (3_000_000, 2, 0, 10)
    assert feed(state, 3_000_001) == [(NEW, 0)]
    assert (state.boot, state.last) == (1, 3_000_001)


def test_a_forged_restart_signal_far_away_is_held_too():
    """A hello with a lower uptime is a boot signal; with a seq that is neither a fresh count
    nor a little ahead, it is not believed until the next message continues from it."""
    state = SeqState()
    feed(state, *range(5000, 5010))
    assert observe(state, 5009 + 2**31, new_boot=True) == (HELD, 0)
    assert feed(state, 5010, 5011) == [(NEW, 0), (NEW, 0)]
    assert (state.boot, state.last, state.suspects) == (0, 5011, 1)
    assert observe(state, 3, new_boot=True) == (NEW, 0)  # a real power-on counts from 0
    assert (state.boot, state.last) == (1, 3)


def test_the_held_seq_survives_a_restart_of_warden():
    state = SeqState()
    feed(state, 10)
    observe(state, 90_000)
    restored = SeqState.from_json(json.loads(json.dumps(state.to_json())))
    assert (restored.suspect, restored.suspects) == (90_000, 1)
    assert feed(restored, 90_001) == [(NEW, 0)]
    assert restored.boot == 1


@settings(max_examples=200, deadline=None)
@given(
    start=st.integers(0, TOP),
    forged=st.integers(0, TOP),
    n=st.integers(1, 300),
)
@example(start=2**31 - 1, forged=0, n=2)  # a forged restart with the count past half the range
def test_one_forged_message_anywhere_never_costs_more_than_itself(start, forged, n):
    """Whatever one forged seq is, at most one genuine message after it is lost (the one
    that shares its seq, or the one a forged restart makes look far ahead), and what it
    counted as missing is only the holes of a jump inside the window not yet filled."""
    state = SeqState()
    observe(state, start)
    observe(state, forged)
    genuine = [observe(state, (start + i) % 2**32) for i in range(1, n + 1)]
    stored = sum(verdict is NEW for verdict, _ in genuine)
    assert stored >= n - 1
    ahead = (forged - start) % 2**32
    unfilled = max(0, ahead - 1 - n) if 0 < ahead < SUSPECT_JUMP else 0
    assert state.missing <= unfilled


def test_a_forged_low_seq_cannot_silence_a_count_past_half_the_range():
    """A forged seq 0 looks like a restart without a boot signal; the genuine count, past
    half the range from 0, would then read as far behind (duplicates, forever). The next
    message that continues the old count undoes the restart: one message is held, no more."""
    state = SeqState()
    feed(state, 2**31 - 1)
    assert feed(state, 0) == [(NEW, 0)]  # believed, for now, as a restart
    assert feed(state, 2**31, 2**31 + 1, 2**31 + 2) == [(NEW, 0)] * 3
    assert (state.last, state.restarted_from, state.suspects) == (2**31 + 2, None, 1)


def test_a_real_restart_is_kept_once_the_new_count_goes_on():
    state = SeqState()
    feed(state, 5000)
    assert feed(state, 0, 1) == [(NEW, 0), (NEW, 0)]
    assert state.restarted_from is None
    # The old count is gone: a message from it is a jump to be corroborated, as any other.
    assert feed(state, 5001) == [(HELD, 0)]
