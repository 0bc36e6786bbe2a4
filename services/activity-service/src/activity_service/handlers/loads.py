"""Running a return load (docs/activity.md, The returns): a claimed load is read, then
applied, from the beginning every time it runs.

VALIDATING reads the stored files through the format's reader (streamed from their chunks,
in a thread of its own), counts the records and keeps what it read in a local spool file; a
file that cannot be read rejects the load whole, and nothing changes. Only once the whole
file has been read does APPLYING start: the records go through `apply_records` in chunks,
the earlier loads' records this load no longer supplies are withdrawn, and the errors, the
counts and the status APPLIED are written, all in ONE transaction. A load is never
half-applied: if the process dies while applying, the transaction rolls back and the load is
run again from the start. Progress is written on another connection as the load goes."""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any, BinaryIO, Final

import asyncpg

from activity_service.domain.child_key import ChildKeys
from activity_service.domain.codes import lists_for
from activity_service.domain.kinds import KEY_DATE, Kind, Source
from activity_service.domain.loads import Counts, Status
from activity_service.domain.records import (
    KEEP,
    REQUIRED_RULE,
    Issue,
    Keep,
    NaturalKey,
    RecordIn,
    json_facts,
)
from activity_service.domain.returns.annex_a import read_annex_a_csv, read_annex_a_workbook
from activity_service.domain.returns.cin_census import read_cin_census
from activity_service.domain.returns.reading import (
    Counted,
    ReadItem,
    ReadRecord,
    Unreadable,
)
from activity_service.domain.returns.ssda903 import read_ssda903
from activity_service.handlers.records import (
    ACCEPTED,
    REJECTED,
    UNCHANGED,
    Writing,
    apply_records,
    withdraw_records,
)
from activity_service.handlers.stored_files import StoredFile
from activity_service.handlers.team_aliases import TeamAliases, read_aliases
from activity_service.repository import loads as load_rows
from activity_service.repository import records as record_rows
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.logging import get_logger
from qaf_shared.org_units import OrgUnitDirectory, TenantUnits

log = get_logger(__name__)

# Records a chunk of the load writes through `apply_records` (its bulk statements pay off
# from a few hundred records; a child's history is read per chunk).
APPLY_CHUNK: Final = 1000
# Withdrawals per `withdraw_records` call.
WITHDRAW_CHUNK: Final = 1000
# Progress is written at most this often (seconds).
PROGRESS_EVERY: Final = 0.5

UNKNOWN_TEAM_ALIAS: Final = "unknown_team_alias"
LOAD_FAILED: Final = "load_failed"
ERROR, WARNING = "error", "warning"

ErrorRow = tuple[str, str, str | None, str, str]  # severity, location, field, rule, message


@dataclass(frozen=True)
class LoadContext:
    """What a run needs from the service: its pool, child keys, org units and today."""

    pool: asyncpg.Pool
    keys: ChildKeys
    org_units: OrgUnitDirectory
    today: Callable[[], date]


@dataclass
class _Reading:
    """What the reading thread has reached (read by the progress writer)."""

    counters: list[Counted | StoredFile] = field(default_factory=list)
    records: int = 0
    errors: int = 0
    items: int = 0

    @property
    def bytes_read(self) -> int:
        return sum(c.bytes_read if isinstance(c, Counted) else c.tell() for c in self.counters)


async def run_load(context: LoadContext, load: asyncpg.Record) -> Status:
    """Run a claimed, started load to its end: APPLIED or REJECTED."""
    load_id: uuid.UUID = load["id"]
    loop = asyncio.get_running_loop()
    started = loop.time()
    with tempfile.TemporaryFile() as spool:
        reading = _Reading()
        read = asyncio.create_task(
            asyncio.to_thread(
                _read_into, _reader(context.pool, loop, load, reading), spool, reading
            )
        )
        async with _progress(context.pool, load_id, reading):
            unreadable = await read
        if unreadable is not None:
            await _reject(context.pool, load_id, unreadable, reading)
            log.info("return_load_rejected", load_id=str(load_id), rule=unreadable.rule)
            return Status.REJECTED
        async with context.pool.acquire() as conn:
            await load_rows.applying(
                conn, load_id, records_total=reading.items, bytes_read=reading.bytes_read
            )
        spool.seek(0)
        read_s = loop.time() - started
        counts = await _apply(context, load, spool, reading.items)
    log.info(
        "return_load_applied",
        load_id=str(load_id),
        read_s=round(read_s, 1),
        apply_s=round(loop.time() - started - read_s, 1),
        accepted=counts.accepted,
        unchanged=counts.unchanged,
        withdrawn=counts.withdrawn,
        rejected=counts.rejected,
    )
    return Status.APPLIED


def _reader(
    pool: asyncpg.Pool, loop: asyncio.AbstractEventLoop, load: asyncpg.Record, reading: _Reading
) -> Callable[[], Iterator[ReadItem]]:
    """The format's reader over the load's stored parts (built in the reading thread: lxml
    wants its parser used in the thread that made it)."""
    parts: Mapping[str, Mapping[str, Any]] = load["parts"]
    kind = Source(load["kind"])

    def stream(part: str, *, seekable: bool = False) -> BinaryIO:
        stored = StoredFile(pool, loop, load["id"], part, int(parts[part]["bytes"]))
        if seekable:
            reading.counters.append(stored)
            return stored  # type: ignore[return-value]
        counted = Counted(stored)  # type: ignore[arg-type]
        reading.counters.append(counted)
        return counted  # type: ignore[return-value]

    def read() -> Iterator[ReadItem]:
        if kind is Source.CIN_CENSUS:
            return read_cin_census(stream("file"))
        if kind is Source.SSDA903:
            tables = {
                t: stream(t) if t in parts else None for t in ("header", "episodes", "reviews")
            }
            return read_ssda903(**tables)
        if "file" in parts:
            return read_annex_a_workbook(stream("file", seekable=True))
        lists = {int(p.removeprefix("list_")): stream(p) for p in sorted(parts)}
        return read_annex_a_csv(lists)

    return read


# What the spool holds, as plain tuples (they pickle several times faster than the readers'
# dataclasses): a record as (location, kind, child_ref, facts in JSON form, team name), an
# unreadable record as (location, field, rule, message).
_Spooled = tuple[str, str, str, dict[str, Any], str | None]
_SpooledError = tuple[str, str | None, str, str]


def _spooled(item: ReadItem) -> _Spooled | _SpooledError:
    if isinstance(item, ReadRecord):
        return (item.location, item.kind.value, item.child_ref, json_facts(item.facts),
                item.team_name)  # fmt: skip
    return item.location, item.field, item.rule, item.message


def _read_into(
    reader: Callable[[], Iterator[ReadItem]], spool: IO[bytes], reading: _Reading
) -> Unreadable | None:
    """Read every item into the spool (in batches); the reader's `Unreadable`, if any."""
    batch: list[_Spooled | _SpooledError] = []
    last_child: str | None = None
    try:
        for item in reader():
            child = item.child_ref if isinstance(item, ReadRecord) else last_child
            # A batch ends between children where it can: a child's records applied together
            # are derived together, so a record is not published again for a fact that a
            # later record of its child changes.
            if len(batch) >= APPLY_CHUNK and (child != last_child or len(batch) >= 4 * APPLY_CHUNK):
                pickle.dump(batch, spool, pickle.HIGHEST_PROTOCOL)
                reading.items += len(batch)
                batch = []
            batch.append(_spooled(item))
            last_child = child
            if isinstance(item, ReadRecord):
                reading.records += 1
            else:
                reading.errors += 1
    except Unreadable as unreadable:
        return unreadable
    if batch:
        pickle.dump(batch, spool, pickle.HIGHEST_PROTOCOL)
        reading.items += len(batch)
    return None


def _batches(spool: IO[bytes]) -> Iterator[list[_Spooled | _SpooledError]]:
    # Our own spool, written by this run (never a file from outside).
    while True:
        try:
            yield pickle.load(spool)
        except EOFError:
            return


@contextlib.asynccontextmanager
async def _progress(pool: asyncpg.Pool, load_id: uuid.UUID, reading: _Reading) -> Any:
    """Write the reading's progress every PROGRESS_EVERY seconds while it runs."""

    async def write() -> None:
        while True:
            await asyncio.sleep(PROGRESS_EVERY)
            async with pool.acquire() as conn:
                await load_rows.progress(
                    conn,
                    load_id,
                    bytes_read=reading.bytes_read,
                    records_read=reading.records + reading.errors,
                )

    task = asyncio.create_task(write())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _reject(
    pool: asyncpg.Pool, load_id: uuid.UUID, unreadable: Unreadable, reading: _Reading
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await load_rows.progress(
            conn,
            load_id,
            bytes_read=reading.bytes_read,
            records_read=reading.records + reading.errors,
        )
        row: ErrorRow = (ERROR, unreadable.location, None, unreadable.rule, unreadable.message)
        await load_rows.add_errors(conn, load_id, 1, [row])
        await load_rows.finish(conn, load_id, Status.REJECTED, Counts())


async def fail_load(pool: asyncpg.Pool, load_id: uuid.UUID) -> None:
    """End a load that failed for a reason of the service's own (not the file's): REJECTED,
    with nothing of it applied."""
    async with pool.acquire() as conn, conn.transaction():
        await load_rows.delete_errors(conn, load_id)
        row: ErrorRow = (
            ERROR,
            "load",
            None,
            LOAD_FAILED,
            "the load could not be completed; nothing of it was applied",
        )
        await load_rows.add_errors(conn, load_id, 1, [row])
        await load_rows.finish(conn, load_id, Status.REJECTED, Counts())


@dataclass
class _Applying:
    """One load's apply: its counts, its error rows so far and the keys it refused."""

    counts: Counts = field(default_factory=Counts)
    errors_written: int = 0
    refused: list[NaturalKey] = field(default_factory=list)


async def _apply(
    context: LoadContext, load: asyncpg.Record, spool: IO[bytes], total: int
) -> Counts:
    load_id: uuid.UUID = load["id"]
    tenant: str = load["tenant"]
    kind = Source(load["kind"])
    year: int = load["year"]
    writing = Writing(
        tenant=tenant,
        client=load["created_by_client"],
        actor=load["created_by_actor"],
        today=context.today(),
        keys=context.keys,
        source=kind,
        load_id=load_id,
        codes=lists_for(year + 1),  # the collection ending in March of the next year
    )
    state = _Applying()
    done = 0
    last_progress = 0.0
    loop = asyncio.get_running_loop()
    async with context.pool.acquire() as conn, conn.transaction():
        # Held to the end: the load's records, the replacement and the counts are decided
        # against a tenant no other write changes meanwhile.
        await record_rows.lock_tenant(conn, tenant)
        aliases = await read_aliases(conn, tenant) if kind is Source.ANNEX_A else None
        units = context.org_units.tenant(tenant)
        for batch in _batches(spool):
            records: list[RecordIn | Sequence[Issue]] = []
            errors: list[ErrorRow] = []
            locations: list[str] = []
            for item in batch:
                if len(item) == 4:
                    location, fact, rule, message = item
                    errors.append((ERROR, location, fact, rule, message))
                    state.counts.rejected += 1
                    continue
                record, warnings = _record_in(item, aliases, units)
                locations.append(item[0])
                records.append(record)
                errors += [(WARNING, item[0], w.field, w.rule, w.message) for w in warnings]
                state.counts.warnings += len(warnings)
            results = await apply_records(conn, records, writing=writing)
            for location, record, result in zip(locations, records, results, strict=True):
                if result.status == ACCEPTED:
                    state.counts.accepted += 1
                elif result.status == UNCHANGED:
                    state.counts.unchanged += 1
                elif result.status == REJECTED:
                    state.counts.rejected += 1
                    if isinstance(record, RecordIn):
                        state.refused.append(record.key)
                errors += [(ERROR, location, e.field, e.rule, e.message) for e in result.errors]
                errors += [(WARNING, location, w.field, w.rule, w.message) for w in result.warnings]
                state.counts.warnings += len(result.warnings)
            await load_rows.add_errors(conn, load_id, state.errors_written + 1, errors)
            state.errors_written += len(errors)
            done += len(batch)
            if loop.time() - last_progress >= PROGRESS_EVERY or done == total:
                async with context.pool.acquire() as other:
                    await load_rows.progress(
                        other, load_id, bytes_read=int(load["bytes_total"]), records_read=done
                    )
                last_progress = loop.time()
        await load_rows.keep(conn, tenant, kind.value, year, load_id, state.refused)
        gone = await load_rows.replaced(conn, tenant, kind.value, year, load_id)
        for start in range(0, len(gone), WITHDRAW_CHUNK):
            chunk = gone[start : start + WITHDRAW_CHUNK]
            results = await withdraw_records(conn, chunk, writing=writing)
            state.counts.withdrawn += sum(1 for r in results if r.status == "WITHDRAWN")
        await load_rows.finish(conn, load_id, Status.APPLIED, state.counts)
    return state.counts


def _record_in(
    read: _Spooled, aliases: TeamAliases | None, units: TenantUnits | None
) -> tuple[RecordIn | Sequence[Issue], list[Issue]]:
    """The record to write, with the warnings of its team (Annex A: its team's name through
    the tenant's aliases; a name with no alias leaves the record at tenant level)."""
    _, kind_name, child_ref, facts, team_name = read
    kind = Kind(kind_name)
    key_date = KEY_DATE[kind]
    if facts.get(key_date) is None:
        return [Issue(key_date, REQUIRED_RULE, f"a {kind} must give {key_date}")], []
    unit: OrgUnitRef | Keep | None = KEEP
    warnings: list[Issue] = []
    if aliases is not None:
        unit = None
        if team_name is not None:
            code = aliases.resolve(team_name)
            found = units.team(code) if code is not None and units is not None else None
            if found is None:
                # No value from the file, the team's name included (the contract for every
                # error and warning): the location says which row to read it from.
                warnings.append(
                    Issue(
                        "team",
                        UNKNOWN_TEAM_ALIAS,
                        "no team alias matches the allocated team: the record is kept at "
                        "tenant level (add the team's name to the team aliases)",
                    )
                )
            unit = found
    return RecordIn(kind, child_ref, facts, unit), warnings
