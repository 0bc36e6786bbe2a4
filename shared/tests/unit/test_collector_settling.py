"""A service process, once started, collects its young generation less often and leaves
what start-up built out of the collector's sight."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from qaf_shared.collector import YOUNG_THRESHOLD, settle_after_start_up


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_collector")
def test_settling_freezes_what_exists_and_raises_only_the_young_threshold() -> None:
    gc.set_threshold(700, 10, 10)
    held = [{"built": "at start-up"} for _ in range(100)]
    settle_after_start_up()
    assert gc.get_freeze_count() >= len(held)
    assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
    assert YOUNG_THRESHOLD > 700


@pytest.mark.usefixtures("restored_collector")
def test_young_objects_are_collected_only_after_the_raised_threshold() -> None:
    settle_after_start_up()
    collections = gc.get_stats()[0]["collections"]
    # Fewer net allocations of tracked objects than the threshold: no young collection.
    kept = [[] for _ in range(YOUNG_THRESHOLD // 2)]
    assert gc.get_stats()[0]["collections"] == collections
    kept.extend([] for _ in range(YOUNG_THRESHOLD))
    assert gc.get_stats()[0]["collections"] > collections
