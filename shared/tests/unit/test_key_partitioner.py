"""The relay's partitioner puts every key in the partition aiokafka's default partitioner
(Kafka's murmur2) puts it in: an aggregate's events stay in one partition across versions."""

from __future__ import annotations

import uuid

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2
from hypothesis import given
from hypothesis import strategies as st

from qaf_shared.kafka import key_partitioner, murmur2, murmur2_of


@given(st.binary(max_size=200))
def test_murmur2_is_aiokafkas_for_any_bytes(data: bytes) -> None:
    assert murmur2(data) == aiokafka_murmur2(data)


@given(st.lists(st.binary(max_size=40), max_size=60))
def test_keys_hashed_together_hash_as_aiokafka_hashes_each(keys: list[bytes]) -> None:
    assert murmur2_of(keys) == [aiokafka_murmur2(key) for key in keys]


@given(st.integers(min_value=0, max_value=70), st.integers(min_value=8, max_value=40))
def test_many_keys_of_one_length_hash_as_aiokafka_hashes_each(length: int, count: int) -> None:
    # Enough keys of each length to be hashed as arrays, every length mod 4 among them.
    keys = [uuid.uuid4().bytes * 5 for _ in range(count)]
    keys = [key[:length] for key in keys] + [key[: length + 1] for key in keys]
    assert murmur2_of(keys) == [aiokafka_murmur2(key) for key in keys]


@given(st.binary(max_size=80), st.integers(min_value=1, max_value=64))
def test_a_key_goes_to_the_partition_the_default_partitioner_chooses(
    key: bytes, partitions: int
) -> None:
    every = list(range(partitions))
    assert key_partitioner(key, every, every) == DefaultPartitioner()(key, every, every)


def test_record_ids_of_every_length_mod_4_go_where_they_went() -> None:
    every = list(range(12))
    for n in range(200):
        key = str(uuid.uuid4()).encode()[: 30 + n % 7]
        assert key_partitioner(key, every, []) == DefaultPartitioner()(key, every, [])


def test_a_record_without_a_key_goes_to_an_available_partition() -> None:
    assert {key_partitioner(None, [0, 1, 2], [2]) for _ in range(20)} == {2}
    assert {key_partitioner(None, [0, 1, 2], []) for _ in range(200)} <= {0, 1, 2}
