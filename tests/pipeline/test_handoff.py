"""The writer's queue takes a list per hand-off and still bounds what it holds by items:
a full queue blocks the producer (the MQTT receive loop) until the writer takes a batch."""

from __future__ import annotations

import threading

from core.pipeline.batching import HandOff


def test_lists_come_out_in_order_split_at_the_batch_size() -> None:
    queue: HandOff[int] = HandOff(100)
    queue.put_many([1, 2, 3])
    queue.put_many([4, 5, 6, 7])

    assert queue.take(max_items=5, max_delay_s=0) == [1, 2, 3, 4, 5]
    assert len(queue) == 2
    assert queue.take(max_items=5, max_delay_s=0) == [6, 7]
    assert queue.take(max_items=5, max_delay_s=0) == []  # empty: back after the idle poll


def test_a_full_queue_blocks_the_producer_until_the_writer_takes() -> None:
    queue: HandOff[int] = HandOff(4)
    queue.put_many([1, 2, 3])
    handed_over = threading.Event()

    def produce() -> None:
        queue.put_many([4, 5])  # 3 + 2 > 4: waits for room
        handed_over.set()

    producer = threading.Thread(target=produce)
    producer.start()
    assert not handed_over.wait(0.3)  # still blocked while nothing was taken
    assert len(queue) == 3

    assert queue.take(max_items=10, max_delay_s=0) == [1, 2, 3]
    assert handed_over.wait(10)
    producer.join(10)
    assert queue.take(max_items=10, max_delay_s=0) == [4, 5]


def test_a_list_larger_than_the_queue_goes_in_once_the_queue_is_empty() -> None:
    queue: HandOff[int] = HandOff(2)
    queue.put_many(list(range(5)))

    assert len(queue) == 5
    assert queue.take(max_items=3, max_delay_s=0) == [0, 1, 2]
    assert queue.take(max_items=3, max_delay_s=0) == [3, 4]
