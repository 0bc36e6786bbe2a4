"""When a replica rebuilds by itself: only a generation of older projections, and not again
at once after a rebuild of its version failed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from reporting_service.projections.version import PROJECTIONS_VERSION
from reporting_service.repository.generations import RebuildState
from reporting_service.workers.auto_rebuild import outdated

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
CURRENT = RebuildState(
    active="gen_3",
    generation=3,
    version=PROJECTIONS_VERSION,
    started_at=NOW - 3 * HOUR,
    finished_at=NOW - 2 * HOUR,
    error=None,
    reason="requested",
    rebuild_version=PROJECTIONS_VERSION,
)


@pytest.mark.parametrize("version", [PROJECTIONS_VERSION, PROJECTIONS_VERSION + 1])
def test_a_generation_of_this_or_a_newer_version_is_left_alone(version: int) -> None:
    # A newer one: this replica is the old code of a rolling upgrade.
    assert not outdated(replace(CURRENT, version=version), NOW, HOUR)


@pytest.mark.parametrize("version", [None, PROJECTIONS_VERSION - 1])
def test_a_generation_of_older_projections_or_from_before_versions_is_outdated(
    version: int | None,
) -> None:
    assert outdated(replace(CURRENT, version=version), NOW, HOUR)


def test_a_failed_rebuild_of_this_version_holds_the_next_back_until_its_retry_time() -> None:
    failed = replace(
        CURRENT,
        version=PROJECTIONS_VERSION - 1,
        error="KafkaConnectionError",
        started_at=NOW - HOUR + timedelta(seconds=1),
        finished_at=None,
    )
    assert not outdated(failed, NOW, HOUR)
    assert outdated(replace(failed, started_at=NOW - HOUR), NOW, HOUR)
    # A failure of another version's rebuild (an older deployment's) holds nothing back.
    assert outdated(replace(failed, rebuild_version=PROJECTIONS_VERSION - 1), NOW, HOUR)


def test_a_rebuild_stopped_with_its_replica_is_started_again_at_once() -> None:
    stopped = replace(
        CURRENT,
        version=None,
        error="CancelledError",
        started_at=NOW - timedelta(seconds=5),
        finished_at=None,
    )
    assert outdated(stopped, NOW, HOUR)
