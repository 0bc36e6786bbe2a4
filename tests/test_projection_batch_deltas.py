"""The consumer's per-batch counts (`engine.changes`: what changed facts emit, before with
sign -1 and after with +1, summed before being spread over cells) are exactly each changed
fact's cells after minus its cells before, over the realistic mix (bench/eventmix.py: every
projection, activity included, facts changed across batches)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bench.eventmix import stream
from qaf_shared.events.envelope import parse_event
from reporting_service.projections import PROJECTIONS
from reporting_service.projections.engine import (
    Contributions,
    FactKey,
    by_event_type,
    changes,
    fold_all,
    route,
)


def _nonzero(cells: Contributions) -> dict[Any, int]:
    return {k: v for k, v in cells.items() if v}


def test_a_batch_moves_the_counts_by_each_changed_facts_cells_after_minus_before() -> None:
    by_type = by_event_type(PROJECTIONS)
    events = [parse_event(value) for _, _, value, _ in stream(12_000)]
    facts: dict[FactKey, Any] = {}
    total: Contributions = Counter()
    changed_facts = 0
    for start in range(0, len(events), 1_500):
        routed = route(by_type, events[start : start + 1_500])
        keys = sorted({key for _, key, _ in routed})
        kinds = {p.kind: p for p, _, _ in routed}
        loaded = {k: facts[k] for k in keys if k in facts}
        current = fold_all(routed, loaded)
        saves, deletes, deltas = changes(kinds, keys, loaded, current)
        expected: Contributions = Counter()
        for key in keys:
            before, after = loaded.get(key), current.get(key)
            if before == after:
                continue
            if after is not None:
                expected.update(kinds[key[1]].contributions(key[0], after))
            if before is not None:
                expected.subtract(kinds[key[1]].contributions(key[0], before))
                changed_facts += 1
        assert _nonzero(deltas) == _nonzero(expected)
        facts.update(saves)
        for key in deletes:
            facts.pop(key, None)
        total.update(deltas)
    assert changed_facts > 1_000  # facts that changed after an earlier batch saved them
    # And the batches' counts add up to the cells of the facts as they end.
    final: Contributions = Counter()
    kinds_all = {p.kind: p for p in PROJECTIONS}
    for (tenant, kind, _), fact in facts.items():
        final.update(kinds_all[kind].contributions(tenant, fact))
    assert _nonzero(total) == _nonzero(final)
