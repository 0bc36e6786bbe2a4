"""Background work outlives its failures: restarted after a doubling pause, the failure
logged by its type only, cancellation honoured."""

from __future__ import annotations

import asyncio
from unittest.mock import patch

import pytest
from structlog.testing import capture_logs

from qaf_shared import restarts


class Flaky:
    """Fails `failures` times with a message that quotes data, then is cancelled."""

    def __init__(self, failures: int) -> None:
        self.failures, self.calls = failures, 0

    async def __call__(self) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError("child ref ABC123 not found")
        raise asyncio.CancelledError


async def test_failures_restart_the_work_after_pauses_that_double_up_to_ten_seconds() -> None:
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    work, seen = Flaky(7), []
    with (
        patch.object(restarts.asyncio, "sleep", sleep),
        capture_logs() as logs,
        pytest.raises(asyncio.CancelledError),
    ):
        await restarts.run_forever(work, "worker_failed", on_failure=seen.append, part="x")
    assert work.calls == 8
    assert pauses == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert [type(e) for e in seen] == [RuntimeError] * 7
    assert logs[0] == {
        "event": "worker_failed",
        "part": "x",
        "error": "RuntimeError",
        "log_level": "warning",
    }
    assert "ABC123" not in repr(logs)


async def test_a_success_starts_the_pauses_again_from_the_first() -> None:
    pauses: list[float] = []
    outcomes = iter([RuntimeError, RuntimeError, None, RuntimeError, asyncio.CancelledError])

    async def work() -> None:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome()

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    with patch.object(restarts.asyncio, "sleep", sleep), pytest.raises(asyncio.CancelledError):
        await restarts.run_forever(work, "worker_failed")
    assert pauses == [0.5, 1.0, 0.5]
