"""How the consumer loop splits a fetched batch for concurrent transactions."""

from __future__ import annotations

from typing import Any

from aiokafka import TopicPartition

from qaf_shared.consumer.loop import _split


def batch(sizes: dict[int, int]) -> dict[TopicPartition, list[Any]]:
    return {TopicPartition("t", p): list(range(n)) for p, n in sizes.items()}


def test_a_partition_is_never_split_and_every_record_is_kept() -> None:
    fetched = batch({0: 700, 1: 300, 2: 500, 3: 100, 4: 400})
    groups = _split(fetched, 2)
    assert len(groups) == 2
    seen = [tp for group in groups for tp in group]
    assert sorted(seen, key=lambda tp: tp.partition) == list(fetched)
    for group in groups:
        for tp, records in group.items():
            assert records is fetched[tp]
    assert sorted(sum(len(r) for r in g.values()) for g in groups) == [1000, 1000]


def test_one_partition_or_one_part_is_one_group() -> None:
    assert _split(batch({0: 10}), 2) == [batch({0: 10})]
    assert _split(batch({0: 10, 1: 5}), 1) == [batch({0: 10, 1: 5})]
