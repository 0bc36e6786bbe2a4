"""Writing activity records: a batch of records, or of withdrawals, for one tenant in one
transaction, from REST or from a chunk of a return load (docs/activity.md, Identity
and replacement).

Each record is checked and merged with what its natural key already holds: ACCEPTED (stored,
one `recorded` event, version + 1), UNCHANGED (nothing written, nothing published) or
REJECTED (with its errors; nothing of it is stored). Then the children it touched are derived
again over their whole history, and each record whose derived facts changed is stored and
published again, whether or not it was in the batch: a late earlier referral makes the later
one a re-referral. The statements are few and bulk (a lock, one read of the children's
histories, one write, one outbox insert), whatever the batch's size."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import uuid_utils

from activity_service import events
from activity_service.domain.child_key import ChildKeys
from activity_service.domain.codes import CURRENT, CodeLists
from activity_service.domain.history import HistoryRecord, derive
from activity_service.domain.kinds import KEY_DATE, Kind, Source
from activity_service.domain.records import (
    DUPLICATE_KEY,
    EPISODES_OVERLAP,
    KEEP,
    Issue,
    NaturalKey,
    RecordIn,
    check,
    episode_span,
    overlaps,
)
from activity_service.repository import records as record_rows
from activity_service.repository.records import StoredRecord
from qaf_shared.events.envelope import CloudEvent, PreparedEvent, json_time
from qaf_shared.merge_patch import merge_patch
from qaf_shared.outbox import add_events

ACCEPTED = "ACCEPTED"
UNCHANGED = "UNCHANGED"
REJECTED = "REJECTED"
WITHDRAWN = "WITHDRAWN"
NOT_FOUND = "NOT_FOUND"


@dataclass(slots=True)
class Result:
    """What became of one record of a batch (`index`: its place in the batch, from 0). Not
    frozen, though never changed: a batch makes a thousand, and a frozen dataclass sets each
    field through `object.__setattr__` (three times the cost)."""

    index: int
    status: str
    id: str | None = None
    errors: Sequence[Issue] = ()
    warnings: Sequence[Issue] = ()

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.id is not None:
            body["id"] = self.id
        if self.errors:
            body["errors"] = [e.to_json() for e in self.errors]
        if self.warnings:
            body["warnings"] = [w.to_json() for w in self.warnings]
        return body


@dataclass
class _Histories:
    """The stored records of the children a batch names, as the batch changes them."""

    state: dict[NaturalKey, StoredRecord]
    by_child: dict[str, list[NaturalKey]]
    changed: dict[NaturalKey, StoredRecord] = field(default_factory=dict)
    # The ids read: a changed record under another id is new (inserted, not updated).
    stored_ids: set[str] = field(default_factory=set)

    @classmethod
    async def read(
        cls, conn: asyncpg.Connection, writing: Writing, children: Collection[str]
    ) -> _Histories:
        tenant = writing.tenant
        if writing.per_child_locks:
            await record_rows.lock_children(conn, tenant, children)
        else:
            await record_rows.lock_tenant(conn, tenant)
        stored = await record_rows.child_histories(conn, tenant, children)
        by_child: dict[str, list[NaturalKey]] = defaultdict(list)
        state = {}
        for record in stored:
            state[record.key] = record
            by_child[record.child_ref].append(record.key)
        return cls(state, by_child, stored_ids={r.id for r in stored})

    def live(self, key: NaturalKey) -> StoredRecord | None:
        record = self.state.get(key)
        return None if record is None or record.withdrawn else record

    def put(self, record: StoredRecord, key: NaturalKey | None = None) -> None:
        """Hold `record` as its key's, changed (`key`: its key, when the caller has it)."""
        if key is None:
            key = record.key
        if key not in self.state:
            self.by_child[record.child_ref].append(key)
        self.state[key] = record
        self.changed[key] = record

    def episodes_besides(self, key: NaturalKey) -> list[tuple[date, date | None]]:
        return [
            episode_span(record.facts)
            for other in self.by_child[key.child_ref]
            if other != key
            and other.kind is Kind.CARE_EPISODE
            and (record := self.state[other]) is not None
            and not record.withdrawn
        ]

    def derive_again(self, children: Collection[str]) -> None:
        """Derive the children's records again; a record whose derived facts change is
        changed (version + 1 unless the batch changes it already)."""
        state, changed = self.state, self.changed
        for child in children:
            # With their keys, which the loop below needs and a record would build again.
            current = [(k, r) for k in self.by_child[child] if not (r := state[k]).withdrawn]
            derived = derive(
                [HistoryRecord(r.id, r.kind, r.key_date, r.typed_facts()) for _, r in current]
            )
            for key, record in current:
                facts = _json(derived.get(record.id) or {})
                if facts == record.derived:
                    continue
                if key in changed:
                    record.derived = facts
                else:
                    self.put(replace(record, derived=facts, version=record.version + 1), key)

    async def write(
        self, conn: asyncpg.Connection, writing: Writing, withdrawn: Collection[NaturalKey] = ()
    ) -> None:
        """Store every change, and its event in the outbox, in the caller's transaction."""
        tenant = writing.tenant
        changed = list(self.changed.values())
        stored_ids = self.stored_ids
        await record_rows.write(
            conn,
            tenant,
            [r for r in changed if r.id not in stored_ids],
            [r for r in changed if r.id in stored_ids],
            client=writing.client,
            actor=writing.actor,
        )
        time = json_time(datetime.now(UTC))
        units = events.UnitsJson()
        published: list[CloudEvent | PreparedEvent] = [
            events.withdrawn(tenant, r)
            if withdrawn and r.key in withdrawn
            else events.recorded(tenant, r, time=time, units=units)
            for r in changed
        ]
        if published:
            await add_events(conn, published)


def _json(derived: dict[str, Any]) -> dict[str, Any]:
    """Derived facts in their stored JSON form (dates as ISO strings), in place: `derive`
    makes a new dict per record, and only a due date is not its JSON form already."""
    for name, value in derived.items():
        if isinstance(value, date):
            derived[name] = value.isoformat()
    return derived


@dataclass(frozen=True, slots=True, kw_only=True)
class Writing:
    """What every record of a batch is written with: its tenant, who writes it (the client and
    the person it acts for), the business date, the child keys, and where it comes from.
    `load_id` is the return load supplying the batch (None over REST: a REST write takes the
    record away from the load that supplied it); `codes` the lists its codes are checked
    against (a load's: its collection year's)."""

    tenant: str
    client: str
    actor: str | None
    today: date
    keys: ChildKeys
    source: Source = Source.REST
    load_id: uuid.UUID | None = None
    codes: CodeLists = CURRENT

    @property
    def per_child_locks(self) -> bool:
        """A REST batch locks only the children it names (`record_rows.lock_children`), so
        that batches of different children go on at once. A return load locks the tenant's
        records (`lock_tenant`): its transaction holds the tenant's lock already and would
        otherwise take a lock per child of the return."""
        return self.source is Source.REST


async def apply_records(
    conn: asyncpg.Connection,
    records: Sequence[RecordIn | Sequence[Issue]],
    *,
    writing: Writing,
) -> list[Result]:
    """Write a batch of records for one tenant, inside the caller's transaction; a result per
    record, in order. A record that could not even be read comes as its issues (REJECTED
    here with them). Locked as `Writing.per_child_locks` says."""
    tenant, load_id, today, codes = writing.tenant, writing.load_id, writing.today, writing.codes
    results: list[Result | None] = [None] * len(records)
    valid: list[tuple[int, RecordIn]] = []
    seen: set[NaturalKey] = set()
    for index, record in enumerate(records):
        if not isinstance(record, RecordIn):
            results[index] = Result(index, REJECTED, errors=tuple(record))
        elif record.key in seen:
            issue = Issue(
                KEY_DATE[record.kind], DUPLICATE_KEY, "an earlier record of the batch has its key"
            )
            results[index] = Result(index, REJECTED, errors=(issue,))
        else:
            seen.add(record.key)
            valid.append((index, record))

    histories = await _Histories.read(conn, writing, {r.child_ref for _, r in valid})
    unchanged_to_move: list[str] = []
    # A batch holds a dozen records a child: its key is worked out once.
    child_keys: dict[str, str] = {}

    def child_key(child_ref: str) -> str:
        found = child_keys.get(child_ref)
        if found is None:
            found = child_keys[child_ref] = writing.keys.key(tenant, child_ref)
        return found

    source = writing.source.value
    for index, record in valid:
        key = record.key
        stored = histories.state.get(key)
        live = None if stored is None or stored.withdrawn else stored
        if live is None:
            # merge_patch(None, ...): what the record gives, nulls left out (seldom any); its
            # own dicts, not copies: neither a record's nor a stored record's facts are
            # changed once made.
            facts, typed = record.facts, record.typed
            if None in facts.values():
                facts = {k: v for k, v in facts.items() if v is not None}
                typed = {k: v for k, v in typed.items() if v is not None}
            unit = None if record.unit is KEEP else record.unit
        else:
            facts = merge_patch(live.facts, record.facts)
            typed = merge_patch(live.typed_facts(), record.typed)
            unit = live.unit if record.unit is KEEP else record.unit
        kind = record.kind
        errors, warnings = check(kind, facts, today=today, codes=codes, typed=typed)
        if (
            not errors
            and kind is Kind.CARE_EPISODE
            and overlaps(episode_span(facts), histories.episodes_besides(key))
        ):
            errors.append(
                Issue("start_date", EPISODES_OVERLAP, "overlaps another episode of the child")
            )
        if errors:
            results[index] = Result(index, REJECTED, errors=errors)
            continue
        if live is not None and live.facts == facts and (live.unit is unit or live.unit == unit):
            results[index] = Result(index, UNCHANGED, live.id, (), warnings)
            if load_id is not None and live.load_id != load_id:
                live.load_id = load_id
                unchanged_to_move.append(live.id)
            continue
        record_id = stored.id if stored else str(uuid_utils.uuid4())
        histories.put(
            StoredRecord(
                id=record_id,
                kind=kind,
                child_ref=record.child_ref,
                child_key=stored.child_key if stored else child_key(record.child_ref),
                key_date=key.key_date,
                plan_type=key.plan_type,
                facts=facts,
                derived=live.derived if live else {},
                unit=unit,
                source=source,
                load_id=load_id,
                withdrawn=False,
                version=stored.version + 1 if stored else 1,
                typed=typed,
            ),
            key,
        )
        results[index] = Result(index, ACCEPTED, record_id, (), warnings)

    histories.derive_again({k.child_ref for k in histories.changed})
    await histories.write(conn, writing)
    if load_id is not None:
        await record_rows.move_to_load(conn, tenant, load_id, unchanged_to_move)
    return [r for r in results if r is not None]


async def withdraw_records(
    conn: asyncpg.Connection, keys: Sequence[NaturalKey | Sequence[Issue]], *, writing: Writing
) -> list[Result]:
    """Withdraw records by natural key, inside the caller's transaction: WITHDRAWN (a
    `withdrawn` event; the child's other records are derived again without it), NOT_FOUND
    (no current record has the key) or REJECTED (the key could not be read). Locked as
    `apply_records` locks."""
    results: list[Result] = []
    named = {k.child_ref for k in keys if isinstance(k, NaturalKey)}
    histories = await _Histories.read(conn, writing, named)
    withdrawn: set[NaturalKey] = set()
    for index, key in enumerate(keys):
        if not isinstance(key, NaturalKey):
            results.append(Result(index, REJECTED, errors=tuple(key)))
            continue
        live = histories.live(key)
        if live is None:
            results.append(Result(index, NOT_FOUND))
            continue
        histories.put(replace(live, withdrawn=True, version=live.version + 1))
        withdrawn.add(key)
        results.append(Result(index, WITHDRAWN, live.id))
    histories.derive_again({k.child_ref for k in withdrawn})
    await histories.write(conn, writing, withdrawn=withdrawn)
    return results
