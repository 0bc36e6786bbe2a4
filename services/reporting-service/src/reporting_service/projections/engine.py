"""The one way a projection is kept: per aggregate, a fact folded from its events; the
fact's contributions to the counts; on every change, the counts move by what the new fact
contributes minus what the old one did. A later event that changes an earlier fact (a
regrade, a resolution months later) so corrects every period it touches, and a replay in
any batching gives the same figures."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Generic, Protocol, TypeVar

import asyncpg
from pydantic import BaseModel, ConfigDict

from qaf_shared import jsonutil
from qaf_shared.consumer.loop import Overtaken, Turn
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.events.payloads import OrgUnitRef, Payload
from qaf_shared.quarters import quarter_of
from reporting_service.domain.measures import STOCKS
from reporting_service.repository import publications

# (table, tenant, grain, period, unit_kind, unit_code, measure, dimension)
CellKey = tuple[str, str, str, str, str, str, str, str]
Contributions = Counter[CellKey]

# The two tables a cell is kept in: a count of its own period, or a change of a state measure
# (running: its value at a period is the sum of the changes up to it).
COUNTS_TABLE, RUNNING_TABLE = "counts", "running"
QUARTER, MONTH = "q", "m"
# Every cell is kept by quarter and by month (the trends of every measure, docs/measures.md);
# by month in every unit but the teams, which no trend shows.
MONTH_UNIT_KINDS = ("tenant", "area", "district", "service")


class Fact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


F = TypeVar("F", bound=Fact)


class Projection(Protocol[F]):
    """`handles` names the payload classes whose events it folds (never their type strings:
    the class names its type). `spans_partitions`: its facts gather events published under
    different Kafka keys (a child's records, each keyed by its own id), so two consumers may
    hold them at once (see `apply`)."""

    kind: str
    handles: frozenset[type[Payload]]
    fact: type[F]
    spans_partitions: bool

    def key(self, event: CloudEvent) -> str: ...

    def fold(self, fact: F | None, event: CloudEvent) -> F | None: ...

    def emit(self, tenant: str, fact: F, into: Emissions, sign: int) -> None:
        """What the fact counts, `sign` times (-1: what it no longer counts), into `into`."""
        ...

    def contributions(self, tenant: str, fact: F) -> Contributions:
        """The fact's cells."""
        ...


class Contributing(Generic[F]):
    """A projection's `contributions`: the cells of what its `emit` emits."""

    def emit(self, tenant: str, fact: F, into: Emissions, sign: int) -> None:
        raise NotImplementedError

    def contributions(self, tenant: str, fact: F) -> Contributions:
        into = Emissions()
        self.emit(tenant, fact, into, 1)
        return into.cells()


def units_of(tenant: str, unit: OrgUnitRef) -> Iterator[tuple[str, str]]:
    """Every unit a fact counts in: the whole tenant and each level of its org unit."""
    yield "tenant", tenant
    for kind in ("area", "district", "team", "service"):
        code = getattr(unit, kind)
        if code:
            yield kind, code


# (table, tenant, grain, period, unit_kind, unit_code): a cell's key without its measure
# and dimension.
Prefix = tuple[str, str, str, str, str, str]


class _Unit:
    """One org unit's cells: the units it counts in by quarter and by month, and the key
    prefixes of its cells on a day. A handful of org units recur in every batch and a
    fact's dates cluster, so both are worked out once rather than per cell.

    For the batch's cells (`Emissions.cells`) an org unit is also a node of the tree its
    emissions are summed up: `own` are the units of its finest level only (its team and
    service, or else its district, or else its area, or else the tenant), by grain, and
    `parent` the org unit one level up (None for the tenant)."""

    __slots__ = ("own", "parent", "ref", "tenant")

    def __init__(self, tenant: str, unit: OrgUnitRef) -> None:
        self.ref = unit
        every = tuple(units_of(tenant, unit))
        monthly = tuple(u for u in every if u[0] in MONTH_UNIT_KINDS)
        self.tenant = tenant
        by_grain = ((QUARTER, every), (MONTH, monthly))
        area, district = unit.area, unit.district
        if unit.team or unit.service:
            finest: tuple[str, ...] = ("team", "service")
            parent: _Unit | None = _unit(tenant, area, district, None, None)
        elif district:
            finest, parent = ("district",), _unit(tenant, area, None, None, None)
        elif area:
            finest, parent = ("area",), _unit(tenant, None, None, None, None)
        else:
            finest, parent = ("tenant",), None
        self.own = tuple(
            (grain, tuple(u for u in units if u[0] in finest)) for grain, units in by_grain
        )
        self.parent = parent


@lru_cache(maxsize=4096)
def _unit(
    tenant: str, area: str | None, district: str | None, team: str | None, service: str | None
) -> _Unit:
    return _Unit(tenant, OrgUnitRef(area=area, district=district, team=team, service=service))


@lru_cache(maxsize=8192)
def _period(grain: str, day: date) -> str:
    return quarter_of(day) if grain == QUARTER else f"{day.year:04d}-{day.month:02d}"


@lru_cache(maxsize=8192)
def _month(day: date) -> date:
    """The first day of `day`'s month: every cell a day reaches (its quarter's and its
    month's) is its month's, so emissions are kept per month and more of them add up."""
    return day.replace(day=1)


@lru_cache(maxsize=1 << 15)
def _count_prefixes(unit: _Unit, day: date) -> tuple[Prefix, ...]:
    """The counts cells a count on `day` in `unit`'s own units (`_Unit.own`) goes to."""
    return tuple(
        (COUNTS_TABLE, unit.tenant, grain, _period(grain, day), kind, code)
        for grain, units in unit.own
        for kind, code in units
    )


@lru_cache(maxsize=1 << 15)
def _running_prefixes(unit: _Unit, day: date) -> tuple[tuple[str, tuple[Prefix, ...]], ...]:
    """Per grain, the period of `day` and the running cells of that period in `unit`'s own
    units."""
    out = []
    for grain, units in unit.own:
        period = _period(grain, day)
        out.append(
            (period, tuple((RUNNING_TABLE, unit.tenant, grain, period, k, c) for k, c in units))
        )
    return tuple(out)


class Emissions:
    """What facts count, before it is spread over cells: per org unit, month (its first
    day), measure and dimension, the sum of the counts (`counts`), and per org unit, months
    of the first and stop day, measure and dimension, how many times the state holds
    (`states`). A count goes to 7
    or so cells, a state to twice as many, so a changed fact's before (emitted with sign
    -1) and after (+1), whose emissions mostly cancel, are summed here and only what is
    left is spread (`cells`): the same cells as spreading each, as cells are linear in
    emissions."""

    __slots__ = ("counts", "states")

    def __init__(self) -> None:
        self.counts: dict[tuple[_Unit, date, str, str], int] = {}
        self.states: dict[tuple[_Unit, date, date | None, str, str], int] = {}

    def cells(self, out: Contributions | None = None) -> Contributions:
        """The cells of the emissions, added into `out` (a new Counter when None). Spread
        up the unit tree: each org unit's sums go to the cells of its own units and are
        added into its parent's, so a district's cells are written from the district's
        sums, not from every one of its teams' emissions (a third fewer dictionary
        updates on the mix); the cells are the same as spreading each emission to every
        unit it counts in."""
        out = Counter() if out is None else out
        get = out.get
        counts: dict[tuple[_Unit, date, str, str], int] = self.counts
        while counts:
            up: dict[tuple[_Unit, date, str, str], int] = {}
            for (unit, day, measure, dimension), value in counts.items():
                if not value:
                    continue
                tail = (measure, dimension)
                for prefix in _count_prefixes(unit, day):
                    key = prefix + tail
                    out[key] = get(key, 0) + value
                parent = unit.parent
                if parent is not None:
                    at = (parent, day, measure, dimension)
                    up[at] = up.get(at, 0) + value
            counts = up
        states: dict[tuple[_Unit, date, date | None, str, str], int] = self.states
        while states:
            ups: dict[tuple[_Unit, date, date | None, str, str], int] = {}
            for (unit, start, end, measure, dimension), value in states.items():
                if not value:
                    continue
                tail = (measure, dimension)
                firsts = _running_prefixes(unit, start)
                lasts = _running_prefixes(unit, end) if end is not None else ((None, ()),) * 2
                for (first, starts), (last, stops) in zip(firsts, lasts, strict=True):
                    if last is not None and last <= first:
                        continue
                    for prefix in starts:
                        key = prefix + tail
                        out[key] = get(key, 0) + value
                    for prefix in stops:
                        key = prefix + tail
                        out[key] = get(key, 0) - value
                parent = unit.parent
                if parent is not None:
                    above = (parent, start, end, measure, dimension)
                    ups[above] = ups.get(above, 0) + value
            states = ups
        return out


class Emitter:
    """What one fact in one org unit counts, `sign` times, into `into`."""

    __slots__ = ("_counts", "_states", "_unit", "sign", "tenant", "unit")

    def __init__(self, tenant: str, unit: OrgUnitRef, into: Emissions, sign: int = 1) -> None:
        self.tenant = tenant
        self.unit = unit
        self.sign = sign
        self._counts = into.counts
        self._states = into.states
        self._unit = _unit(tenant, unit.area, unit.district, unit.team, unit.service)

    def count(self, day: date, measure: str, dimension: str = "", *, value: int = 1) -> None:
        """`value` in the quarter of `day` in every unit, and in its month in every unit but
        the team."""
        key = (self._unit, _month(day), measure, dimension)
        counts = self._counts
        counts[key] = counts.get(key, 0) + value * self.sign

    def open_between(
        self,
        start: date,
        end: date | None,
        measure: str,
        dimension: str = "",
    ) -> None:
        """A state that holds at the end of every period from `start`'s up to, not including,
        `end`'s (for ever when `end` is None), by quarter and by month as `count` is. Its
        measure must be one of measures.STOCKS: the disclosure decision equates a quarter's
        value of a stock with its last month's, of anything else with the sum of its months."""
        if measure not in STOCKS:
            raise ValueError(f"{measure} is kept as a state but is not in measures.STOCKS")
        key = (self._unit, _month(start), None if end is None else _month(end), measure, dimension)
        states = self._states
        states[key] = states.get(key, 0) + self.sign


def emitter(tenant: str, unit: OrgUnitRef, into: Emissions | None = None, sign: int = 1) -> Emitter:
    """An emitter into `into` (new emissions when None)."""
    return Emitter(tenant, unit, Emissions() if into is None else into, sign)


# A fact that gathers events from several partitions (a child's records: activity events are
# keyed by record) may be folded by two replicas at once, each holding some of its
# partitions: each such fact is locked for the transaction before it is read, in one global
# order (so two transactions never wait on each other), and none folds a fact another is
# changing. Only those: a lock per fact of every batch would fill PostgreSQL's shared lock
# table (max_locks_per_transaction x max_connections) at 5,000-event batches, and a fact
# keyed like its events lives on one partition, which one consumer holds. Within a process
# the consumer already keeps every event of a fact in one group (`projections.fact_of`).
# Pipelined (`_apply_in_turn`), a batch locks the facts the batch before holds only once that
# one has committed, out of the global order: should two replicas then deadlock, PostgreSQL
# picks one and the consumer tries it again.
_LOCK = """
SELECT pg_advisory_xact_lock(h)
FROM (SELECT DISTINCT hashtextextended($2 || k, 0) AS h FROM unnest($1::text[]) k ORDER BY h) l
"""
# The keys go as one JSON array (see _ADD); the facts are JSON text (pydantic reads and
# writes it itself: model_validate_json, model_dump_json), stored as it is.
_LOAD = """
SELECT tenant, kind, id, data FROM {schema}.facts
WHERE (tenant, kind, id) IN (SELECT k->>0, k->>1, k->>2 FROM jsonb_array_elements($1::text::jsonb) k)
"""
# Four text arrays: a fact is a few hundred bytes, so asyncpg's checks per element cost
# less than PostgreSQL's taking each apart from one JSON array (measured: bench/README.md,
# "Consumer and rebuild").
_SAVE = """
INSERT INTO {schema}.facts AS f (tenant, kind, id, data)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
ON CONFLICT (tenant, kind, id) DO UPDATE SET data = EXCLUDED.data
"""
_DELETE = """
DELETE FROM {schema}.facts
WHERE (tenant, kind, id) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
"""
# The cells go as one JSON array of [tenant, grain, period, unit_kind, unit_code, measure,
# dimension, value] rows: encoding eight parameter arrays cost asyncpg more per row (a few
# isinstance checks per element) than PostgreSQL takes to upsert it.
_ADD = """
INSERT INTO {schema}.{table} AS m (tenant, grain, period, unit_kind, unit_code, measure, dimension, value)
SELECT c->>0, c->>1, c->>2, c->>3, c->>4, c->>5, c->>6, (c->>7)::bigint
FROM jsonb_array_elements($1::text::jsonb) WITH ORDINALITY AS r(c, n)
ORDER BY n
ON CONFLICT (tenant, grain, period, unit_kind, unit_code, measure, dimension)
DO UPDATE SET value = m.value + EXCLUDED.value
"""

FactKey = tuple[str, str, str]  # tenant, kind, id


def by_event_type(projections: Sequence[Projection[Any]]) -> dict[str, Projection[Any]]:
    """Which projection folds each event type."""
    return {payload.event_type: p for p in projections for payload in p.handles}


Routed = tuple[Projection[Any], FactKey, CloudEvent]


def route(by_type: dict[str, Projection[Any]], events: Sequence[CloudEvent]) -> list[Routed]:
    """Each event a projection folds, with that projection and the key of its fact."""
    routed: list[Routed] = []
    for event in events:
        projection = by_type.get(event.type)
        if projection is not None:
            routed.append(
                (projection, (event.tenant, projection.kind, projection.key(event)), event)
            )
    return routed


def facts_of(
    kinds: dict[str, Projection[Any]], rows: Iterable[Sequence[Any]]
) -> dict[FactKey, Any]:
    """The facts of `_LOAD`'s rows (tenant, kind, id and the fact's JSON text)."""
    return {(t, k, i): kinds[k].fact.model_validate_json(data) for t, k, i, data in rows}


def fold_all(routed: Sequence[Routed], loaded: dict[FactKey, Any]) -> dict[FactKey, Any]:
    """The facts after folding the batch's events, in order, into those loaded."""
    current = dict(loaded)
    for projection, key, event in routed:
        current[key] = projection.fold(current.get(key), event)
    return current


Change = tuple[FactKey, Any, Any]  # a fact's key, before (None: new) and after (None: gone)


def changed(
    keys: Sequence[FactKey], loaded: dict[FactKey, Any], current: dict[FactKey, Any]
) -> list[Change]:
    """The facts the batch changed, in the order of `keys`."""
    out: list[Change] = []
    for key in keys:
        before, after = loaded.get(key), current.get(key)
        if before != after:
            out.append((key, before, after))
    return out


def moved(kinds: dict[str, Projection[Any]], found: Sequence[Change]) -> Contributions:
    """The counts' changes: for every changed fact, what it contributes now minus what it
    contributed before."""
    emissions = Emissions()
    for key, before, after in found:
        projection = kinds[key[1]]
        if after is not None:
            projection.emit(key[0], after, emissions, 1)
        if before is not None:
            projection.emit(key[0], before, emissions, -1)
    return emissions.cells()


def changes(
    kinds: dict[str, Projection[Any]],
    keys: Sequence[FactKey],
    loaded: dict[FactKey, Any],
    current: dict[FactKey, Any],
) -> tuple[list[tuple[FactKey, Any]], list[FactKey], Contributions]:
    """The facts to save and to delete, and the counts' changes (`moved`)."""
    found = changed(keys, loaded, current)
    saves = [(key, after) for key, _, after in found if after is not None]
    deletes = [key for key, _, after in found if after is None]
    return saves, deletes, moved(kinds, found)


@dataclass(frozen=True)
class Handover:
    """What a batch of the pipelined live loop hands on to the next (`Turn.hand_on`) once
    folded: in which generation, the facts it locked (those of `spans_partitions`) and what
    it changed them to (None: gone). The next batch reads before this one has committed,
    so it folds over these rather than over what it reads."""

    schema: str
    locked: frozenset[FactKey]
    facts: dict[FactKey, Any]


async def apply(
    conn: asyncpg.Connection,
    schema: str,
    projections: Sequence[Projection[Any]],
    events: Sequence[CloudEvent],
    *,
    today: date,
    write_cells: bool = True,
    turn: Turn | None = None,
) -> Contributions:
    """Fold a batch into the facts and counts: one query to load the facts it touches, the
    folding in memory, one statement to save facts and (`write_cells`, see `write_cells`)
    one per table for the counts, the quarters they change marked as of the business day
    `today`. Returns the counts' changes: without `write_cells` they are the caller's to
    write (a rebuild writes them beside its replay: workers/cell_writer.py). In its `turn`
    of the pipelined live loop: folded over what the batch before hands on, written once
    that one has committed (`_apply_in_turn`)."""
    routed = route(by_event_type(projections), events)
    if not routed:
        if turn is not None:
            turn.hand_on(Handover(schema, frozenset(), {}))
        return Counter()
    keys = sorted({key for _, key, _ in routed})
    shared = sorted({key for p, key, _ in routed if p.spans_partitions})
    kinds = {p.kind: p for p, _, _ in routed}
    if turn is not None:
        return await _apply_in_turn(conn, schema, routed, keys, shared, kinds, turn, today=today)
    if shared:
        await _lock(conn, schema, shared)
    loaded = await _load(conn, schema, kinds, keys)
    found = changed(keys, loaded, fold_all(routed, loaded))
    # PostgreSQL saves the facts while their counts are worked out here: the two take
    # about as long, and one would otherwise wait for the other.
    saving = asyncio.ensure_future(_save(conn, schema, found))
    try:
        await asyncio.sleep(0)  # the save sent
        deltas = moved(kinds, found)
    except BaseException:
        await asyncio.wait([saving])  # the connection is free again before the rollback
        if not saving.cancelled():
            saving.exception()  # seen: the first failure is the one raised
        raise
    await saving
    if write_cells:
        await write_changes(conn, schema, deltas, today)
    return deltas


async def _apply_in_turn(
    conn: asyncpg.Connection,
    schema: str,
    routed: Sequence[Routed],
    keys: Sequence[FactKey],
    shared: Sequence[FactKey],
    kinds: dict[str, Projection[Any]],
    turn: Turn,
    *,
    today: date,
) -> Contributions:
    """`apply` while the batch before may still be writing: read and fold now, over what it
    handed on; write nothing until it has committed (the two never wait on each other's
    locks). A fact it locked is locked here only then, and read again: changed meanwhile
    (another replica's batch took the lock first), this batch is `Overtaken` and applied
    again from what is committed. `keys`, `shared` and `kinds` as `apply` works them out."""
    before = await turn.preceding()
    if not isinstance(before, Handover) or before.schema != schema:
        # Nothing handed on, or a rebuild's switch came between: read what it committed.
        await turn.after_preceding()
        before = Handover(schema, frozenset(), {})
    now = [key for key in shared if key not in before.locked]
    later = [key for key in shared if key in before.locked]
    if now:
        await _lock(conn, schema, now)
    loaded = await _load(conn, schema, kinds, keys)
    for key in keys:
        if key in before.facts:
            fact = before.facts[key]
            if fact is None:
                loaded.pop(key, None)
            else:
                loaded[key] = fact
    found = changed(keys, loaded, fold_all(routed, loaded))
    turn.hand_on(Handover(schema, frozenset(shared), {key: after for key, _, after in found}))
    deltas = moved(kinds, found)
    await turn.after_preceding()
    if later:
        await _lock(conn, schema, later)
        now_there = await _load(conn, schema, kinds, later)
        if any(now_there.get(key) != loaded.get(key) for key in later):
            raise Overtaken("a fact changed by another consumer between two batches")
    await _save(conn, schema, found)
    await write_changes(conn, schema, deltas, today)
    return deltas


async def _lock(conn: asyncpg.Connection, schema: str, keys: Sequence[FactKey]) -> None:
    await conn.execute(_LOCK, ["\x1f".join(k) for k in keys], f"{schema}\x1f")


async def _load(
    conn: asyncpg.Connection,
    schema: str,
    kinds: dict[str, Projection[Any]],
    keys: Sequence[FactKey],
) -> dict[FactKey, Any]:
    return facts_of(kinds, await conn.fetch(_LOAD.format(schema=schema), jsonutil.dumps(keys)))


async def write_changes(
    conn: asyncpg.Connection, schema: str, deltas: Contributions, today: date
) -> None:
    """The counts' changes added, and the quarters whose published snapshots they change
    marked, in the caller's transaction."""
    await add_cells(conn, schema, deltas)
    await publications.mark_changed(conn, schema, deltas, today)


async def _save(conn: asyncpg.Connection, schema: str, found: Sequence[Change]) -> None:
    """Save the changed facts, delete those gone."""
    saves = [(key, after) for key, _, after in found if after is not None]
    if saves:
        await conn.execute(
            _SAVE.format(schema=schema),
            [k[0] for k, _ in saves],
            [k[1] for k, _ in saves],
            [k[2] for k, _ in saves],
            [f.model_dump_json() for _, f in saves],
        )
    deletes = [key for key, _, after in found if after is None]
    if deletes:
        await conn.execute(
            _DELETE.format(schema=schema),
            [k[0] for k in deletes],
            [k[1] for k in deletes],
            [k[2] for k in deletes],
        )


async def add_cells(conn: asyncpg.Connection, schema: str, deltas: Contributions) -> None:
    """Add every non-zero change, sorted so that concurrent writers lock rows in one order."""
    for table in (COUNTS_TABLE, RUNNING_TABLE):
        changes = sorted((*k[1:], v) for k, v in deltas.items() if v and k[0] == table)
        if changes:
            await conn.execute(_ADD.format(schema=schema, table=table), jsonutil.dumps(changes))


# A UUID already in its canonical text form (what every producer writes) is its own key;
# any other spelling goes through uuid.UUID (which also refuses what is not a UUID).
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def event_uuid(event: CloudEvent, field: str) -> str:
    """The UUID in `event.data[field]`, in canonical text form."""
    value = event.data[field]
    if isinstance(value, str) and _CANONICAL_UUID.fullmatch(value):
        return value
    return str(uuid.UUID(str(value)))
