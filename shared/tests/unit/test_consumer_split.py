"""How the consumer loop splits a fetched batch for concurrent transactions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition

from qaf_shared.consumer.loop import _Parsed, _split, _split_by
from qaf_shared.events.envelope import CloudEvent


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


def _parsed(n: int, partition: int, group: str) -> _Parsed:
    event = CloudEvent(
        id=uuid.UUID(int=n + 1),
        source="/test",
        type="t",
        time=datetime(2026, 4, 1, tzinfo=UTC),
        subject=str(n),
        tenant="886",
        data={"group": group},
    )
    record = ConsumerRecord("t", partition, n, 0, 0, None, b"", None, 0, 0, [])
    return _Parsed(record, event)


def test_every_event_of_one_group_name_is_in_one_group_in_fetched_order() -> None:
    # One child's records sit on different partitions (each keyed by its own id), and both
    # groups would otherwise fold into the child's one fact at once.
    items = [_parsed(n, n % 4, f"child-{n % 7}") for n in range(200)]
    groups = _split_by(items, 2, lambda e: e.data["group"])
    assert len(groups) == 2
    assert sorted(i.record.offset for g in groups for i in g) == list(range(200))
    where = {}
    for number, group in enumerate(groups):
        offsets = [i.record.offset for i in group]
        assert offsets == sorted(offsets)
        for item in group:
            assert where.setdefault(item.event.data["group"], number) == number
    # Partitions are split across groups: the grouping is by name, not by partition.
    assert {i.record.partition for i in groups[0]} & {i.record.partition for i in groups[1]}


def test_an_event_whose_group_cannot_be_told_goes_by_its_own_id() -> None:
    items = [_parsed(n, 0, "same") for n in range(20)]

    def unreadable(event: CloudEvent) -> str:
        raise KeyError("no child_key")

    groups = _split_by(items, 2, unreadable)
    assert sum(len(g) for g in groups) == 20
    assert len(groups) == 2  # by id, the twenty spread over both groups
