"""Transaction sizes on simulated disks: each transaction's lock hold is what a disk of a
given fixed and per-message cost would take."""

from __future__ import annotations

from core.pipeline.sizing import SMALLEST, TransactionSizer


def run(sizer: TransactionSizer, *, fixed: float, per_message: float, rounds: int = 40):
    holds = []
    for _ in range(rounds):
        size = sizer.limit
        held = fixed + per_message * size
        holds.append(held)
        sizer.observe(size, held)
    return holds


def test_a_fast_disk_gets_the_largest_transactions():
    sizer = TransactionSizer(bound_s=1.0, most=5000)
    run(sizer, fixed=0.002, per_message=0.00002)
    assert sizer.limit == 5000


def test_a_disk_that_costs_by_the_message_holds_the_lock_within_the_bound():
    sizer = TransactionSizer(bound_s=1.0, most=5000)
    holds = run(sizer, fixed=0.01, per_message=0.004)
    assert all(h <= 1.0 for h in holds[5:])
    assert 0.5 <= holds[-1] <= 0.9


def test_a_disk_whose_every_commit_costs_more_than_the_bound_is_not_starved():
    """10 IOPS: a commit costs 1.3 s whatever it holds. Shrinking to a handful of messages
    would not shorten the hold, only starve ingest: the size aims at twice the fixed cost."""
    sizer = TransactionSizer(bound_s=1.0, most=5000)
    holds = run(sizer, fixed=1.3, per_message=0.003)
    assert sizer.limit > 10 * SMALLEST
    assert 2.0 <= holds[-1] <= 3.2  # about twice the unavoidable 1.3 s


def test_a_disk_that_slows_down_is_followed():
    sizer = TransactionSizer(bound_s=1.0, most=5000)
    run(sizer, fixed=0.0, per_message=0.0002)
    holds = run(sizer, fixed=0.0, per_message=0.02)
    assert sum(h > 1.0 for h in holds) <= 2
    assert all(h <= 1.0 for h in holds[2:])


def test_one_checkpoint_in_a_commit_does_not_undo_what_was_learnt():
    sizer = TransactionSizer(bound_s=1.0, most=5000)
    run(sizer, fixed=1.3, per_message=0.003)
    learnt = sizer.limit
    sizer.observe(learnt, 8.5)  # a WAL checkpoint ran in this commit
    run(sizer, fixed=1.3, per_message=0.003, rounds=3)
    assert abs(sizer.limit - learnt) <= learnt * 0.2


def test_transactions_that_cost_the_same_whatever_their_size_grow():
    sizer = TransactionSizer(bound_s=1.0, most=5000)
    run(sizer, fixed=1.5, per_message=0.0, rounds=30)
    assert sizer.limit == 5000
