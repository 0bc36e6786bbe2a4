"""The consumer's garbage-collector pause: off while a batch is applied, back as it was
after, whichever way the batch ends and however batches overlap; and held between the
batches of a backlog, with a full collection let through now and then."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from qaf_shared.consumer.collector import Backlog, PausedCollector


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


class _Cycle:
    """Garbage only the collector can free: it refers to itself."""

    def __init__(self) -> None:
        self.me = self


def _garbage_cycle() -> weakref.ref[_Cycle]:
    return weakref.ref(_Cycle())


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _holding(longest_hold_s: float) -> tuple[Backlog, _Clock]:
    """A backlog on a clock of the test's, its first batch taken at 0."""
    clock = _Clock()
    backlog = Backlog(PausedCollector(), longest_hold_s=longest_hold_s, clock=clock)
    backlog.busy()
    return backlog, clock


def test_a_backlog_keeps_collection_off_between_its_batches_and_on_again_when_idle() -> None:
    paused = PausedCollector()
    backlog = Backlog(paused)
    for _ in range(3):
        backlog.busy()
        with paused:
            assert not gc.isenabled()
        assert not gc.isenabled()  # between two batches of the backlog
    backlog.idle()
    assert gc.isenabled()
    backlog.idle()  # idle again: nothing to undo
    assert gc.isenabled()


def test_a_long_backlog_lets_a_full_collection_through_and_holds_on() -> None:
    backlog, clock = _holding(10.0)
    cycle = _garbage_cycle()
    clock.now = 9.0
    backlog.busy()
    assert cycle() is not None  # held for less than the longest hold: not collected
    clock.now = 10.0
    backlog.busy()
    assert cycle() is None
    assert not gc.isenabled()
    later = _garbage_cycle()
    clock.now = 19.0  # the hold counts again from the collection
    backlog.busy()
    assert later() is not None
    backlog.idle()
    assert gc.isenabled()


def test_two_loops_backlogs_switch_collection_on_only_when_both_are_idle() -> None:
    paused = PausedCollector()
    live, rebuild = Backlog(paused), Backlog(paused)
    live.busy()
    rebuild.busy()
    live.idle()
    assert not gc.isenabled()
    rebuild.idle()
    assert gc.isenabled()


def test_a_backlog_in_a_process_that_had_collection_off_never_collects() -> None:
    gc.disable()
    backlog, clock = _holding(1.0)
    cycle = _garbage_cycle()
    clock.now = 5.0
    backlog.busy()
    assert cycle() is not None
    backlog.idle()
    assert not gc.isenabled()
    gc.collect()
