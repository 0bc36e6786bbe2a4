"""The consumer's garbage-collector pause: off while a batch is applied, back as it was
after, whichever way the batch ends and however batches overlap."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from qaf_shared.consumer.collector import PausedCollector


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_collection_is_off_inside_and_on_again_after() -> None:
    paused = PausedCollector()
    with paused:
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_batch_that_fails_still_switches_collection_back_on() -> None:
    paused = PausedCollector()
    with pytest.raises(RuntimeError), paused:
        raise RuntimeError("the batch failed")
    assert gc.isenabled()


def test_overlapping_batches_switch_it_back_on_only_when_the_last_ends() -> None:
    paused = PausedCollector()
    seen: list[bool] = []

    async def batch(started: asyncio.Event, release: asyncio.Event) -> None:
        with paused:
            started.set()
            await release.wait()
            seen.append(gc.isenabled())

    async def main() -> None:
        first_started, second_started = asyncio.Event(), asyncio.Event()
        first_done, second_done = asyncio.Event(), asyncio.Event()
        first = asyncio.create_task(batch(first_started, first_done))
        second = asyncio.create_task(batch(second_started, second_done))
        await first_started.wait()
        await second_started.wait()
        first_done.set()
        await first
        assert not gc.isenabled()  # the second is still applying
        second_done.set()
        await second

    asyncio.run(main())
    assert seen == [False, False]
    assert gc.isenabled()


def test_a_process_that_had_collection_off_keeps_it_off() -> None:
    paused = PausedCollector()
    gc.disable()
    with paused:
        assert not gc.isenabled()
    assert not gc.isenabled()
