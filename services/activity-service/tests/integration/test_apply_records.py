"""apply_records as a return load calls it (its own source and load id, a chunk of records),
on the real database: the load that last supplied a record is kept for the next load to
replace, and a REST write takes the record away from it."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from activity_service.domain.child_key import ChildKeys
from activity_service.domain.codes import CURRENT, LISTS_2022, CodeLists
from activity_service.domain.kinds import Kind, Source
from activity_service.domain.records import RecordIn
from activity_service.handlers.records import Writing, apply_records

KEYS = ChildKeys(b"apply-records-test-child-key-secret")
TODAY = date(2026, 1, 15)


def writing(source: Source, load_id: uuid.UUID | None, codes: CodeLists = CURRENT) -> Writing:
    return Writing(
        tenant="886",
        client="loads",
        actor=None,
        today=TODAY,
        keys=KEYS,
        source=source,
        load_id=load_id,
        codes=codes,
    )


async def load(
    conn: asyncpg.Connection, source: Source, load_id: uuid.UUID | None, *records: RecordIn
) -> list[str]:
    async with conn.transaction():
        results = await apply_records(conn, records, writing=writing(source, load_id))
    return [r.status for r in results]


async def stored(conn: asyncpg.Connection, child_ref: str) -> asyncpg.Record:
    row: asyncpg.Record = await conn.fetchrow(
        "SELECT source, load_id, version, team FROM activity_records WHERE child_ref = $1",
        child_ref,
    )
    return row


async def test_a_load_keeps_the_records_it_supplies_and_rest_takes_them_away(
    activity_db: asyncpg.Connection,
) -> None:
    c = f"L{uuid.uuid4().hex[:12]}"
    referral = RecordIn(Kind.REFERRAL, c, {"referral_date": "2025-05-01", "primary_need": "N2"})
    first, second = uuid.uuid4(), uuid.uuid4()

    assert await load(activity_db, Source.CIN_CENSUS, first, referral) == ["ACCEPTED"]
    assert tuple(await stored(activity_db, c)) == ("CIN_CENSUS", first, 1, None)

    assert await load(activity_db, Source.CIN_CENSUS, second, referral) == ["UNCHANGED"]
    assert tuple(await stored(activity_db, c)) == ("CIN_CENSUS", second, 1, None)

    # The same facts over REST change nothing: the record stays the load's.
    no_team = RecordIn(Kind.REFERRAL, c, {"referral_date": "2025-05-01"}, None)
    assert await load(activity_db, Source.REST, None, no_team) == ["UNCHANGED"]
    assert tuple(await stored(activity_db, c)) == ("CIN_CENSUS", second, 1, None)
    changed = RecordIn(Kind.REFERRAL, c, {"referral_date": "2025-05-01", "nfa": True})
    assert await load(activity_db, Source.REST, None, changed) == ["ACCEPTED"]
    assert tuple(await stored(activity_db, c)) == ("REST", None, 2, None)


async def test_a_load_checks_codes_against_its_collection_years_lists(
    activity_db: asyncpg.Connection,
) -> None:
    c = f"L{uuid.uuid4().hex[:12]}"
    early_help = RecordIn(
        Kind.REFERRAL, c, {"referral_date": "2025-05-01", "referral_source": "5D"}
    )
    async with activity_db.transaction():
        [result] = await apply_records(
            activity_db,
            [early_help],
            writing=writing(Source.CIN_CENSUS, uuid.uuid4(), codes=LISTS_2022),
        )
    assert result.status == "REJECTED"
    assert [(e.field, e.rule) for e in result.errors] == [("referral_source", "code_not_in_list")]
