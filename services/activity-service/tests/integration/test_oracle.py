"""The oracle test: a generated REST feed, with late, corrected, repeated and withdrawn
records in it, sent through HTTP to the real service with its relay on (the real database
and broker); then what the service holds and what it published are checked against what the
generator intended:

(a) `GET /v1/activity/records` lists exactly the intended records (after the corrections
    and withdrawals), each with its team and every fact;
(b) the events on the topic, folded by record id keeping the highest version and dropping
    the withdrawn, are exactly the intended records by `child_key`, with the derived facts
    a small oracle written here from docs/activity-derived-facts.md expects (independent
    of `domain/history.derive`: it reads the rules literally, record by record, and counts
    working days one day at a time);
(c) no event carries a `child_ref`, a field its payload does not define, or anything
    personal.

`check_against_oracle` is the oracle itself, for any path that loads generated records: the
return loads plug in there (see its docstring)."""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import hmac
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer

from activity_service.domain.kinds import FACTS, KEY_DATE, Kind
from qaf_shared import jsonutil
from qaf_shared.events.activity import RECORDED, WITHDRAWN
from qaf_shared.testing.activity_returns import (
    Faults,
    Intended,
    child_refs,
    cin_census_records,
    generate,
    rest_batches,
    rest_records,
    ssda903_records,
    to_json,
)
from qaf_shared.testing.fixtures import KAFKA, auth
from qaf_shared.working_days import is_working_day

from .loads import Relayed, cin_census, load_return, ssda903

TENANT = "886"
SECRET = "oracle-test-child-key-secret-of-32-bytes"
REF_PREFIX = "ORC"
CHILDREN = 300
FAULTS = Faults(late_referrals=3, corrections=3, repeats=2, withdrawals=2)
CIN_VISIT_WORKING_DAYS, CP_VISIT_WORKING_DAYS = 20, 10  # the tenant defaults


# -- the oracle of derived facts (docs/activity-derived-facts.md) ---------------------------


def _year_before(day: date) -> date:
    return date(day.year - 1, day.month, 28 if (day.month, day.day) == (2, 29) else day.day)


def _months_after(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _working_days_after(start: date, count: int) -> date:
    day = start
    while count:
        day += timedelta(days=1)
        count -= is_working_day(day)
    return day


def _first(record: Intended) -> date:
    value = record.facts[KEY_DATE[Kind(record.kind)]]
    assert isinstance(value, date)
    return value


def _end(record: Intended) -> object:
    return record.facts.get("closure_date" if record.kind == "referral" else "end_date")


def _open_on(record: Intended, day: date) -> bool:
    end = _end(record)
    return _first(record) <= day and (end is None or (isinstance(end, date) and end > day))


class ChildOracle:
    """One child's intended records, and the facts each should derive from them."""

    def __init__(self, records: Sequence[Intended]) -> None:
        self.of: dict[str, list[Intended]] = defaultdict(list)
        for record in records:
            self.of[record.kind].append(record)

    def _latest_open(self, kind: str, day: date) -> Intended | None:
        found = [r for r in self.of[kind] if _open_on(r, day)]
        return max(found, key=_first) if found else None

    def _previous_episode(self, episode: Intended) -> Intended | None:
        before = [e for e in self.of["care_episode"] if _first(e) < _first(episode)]
        return max(before, key=_first) if before else None

    def _continues(self, episode: Intended) -> bool:
        previous = self._previous_episode(episode)
        return previous is not None and previous.facts.get("end_date") == _first(episode)

    def _period_start(self, episode: Intended) -> Intended:
        while self._continues(episode):
            previous = self._previous_episode(episode)
            assert previous is not None
            episode = previous
        return episode

    def _placement_start(self, episode: Intended) -> Intended | None:
        current: Intended | None = episode
        while current is not None:
            if current.facts.get("reason_new_episode") in {"S", "P", "T", "B"}:
                return current
            current = self._previous_episode(current)
        return None

    def derived(self, record: Intended) -> dict[str, object]:
        """The derived facts `record` should carry, by their event names."""
        day = _first(record)
        if record.kind == "referral":
            since = _year_before(day)
            return {"re_referral_12m": any(since <= _first(r) < day for r in self.of["referral"])}
        if record.kind == "cp_plan":
            previous = record.facts.get("previous_plans")
            earlier = any(_first(p) < day for p in self.of["cp_plan"])
            return {"second_or_subsequent": earlier or (isinstance(previous, int) and previous > 0)}
        if record.kind == "care_episode":
            entry = record
            while entry.facts.get("reason_new_episode") != "S" and self._continues(entry):
                previous = self._previous_episode(entry)
                assert previous is not None
                entry = previous
            began = _first(entry)
            if any(_open_on(p, began) for p in self.of["cp_plan"]):
                return {"route": "CP_PLAN"}
            if any(_open_on(r, began) for r in self.of["referral"]):
                return {"route": "CIN"}
            return {"route": "NONE"}
        if record.kind == "care_review":
            return self._timely(day, self._review_due(day))
        if record.kind == "visit":
            due = self._visit_due(record) if record.facts.get("seen") is True else None
            return self._timely(day, due)
        return {}

    @staticmethod
    def _timely(day: date, due: date | None) -> dict[str, object]:
        return {"due_date": due, "on_time": None if due is None else day <= due}

    def _review_due(self, held: date) -> date | None:
        episode = self._latest_open("care_episode", held)
        if episode is None:
            return None
        period = self._period_start(episode)
        earlier = sorted(
            _first(r)
            for r in self.of["care_review"]
            if _first(r) < held
            and (e := self._latest_open("care_episode", _first(r))) is not None
            and self._period_start(e) is period
        )
        known = period.facts.get("reason_new_episode") == "S"
        if not earlier:
            return _working_days_after(_first(period), 20) if known else None
        return _months_after(earlier[-1], 3 if len(earlier) == 1 and known else 6)

    def _within(self, visit: Intended) -> Intended | None:
        plan_type, day = visit.facts["plan_type"], _first(visit)
        if plan_type == "CIN":
            return self._latest_open("referral", day)
        if plan_type == "CP":
            return self._latest_open("cp_plan", day)
        episode = self._latest_open("care_episode", day)
        return None if episode is None else self._placement_start(episode)

    def _visit_due(self, visit: Intended) -> date | None:
        within = self._within(visit)
        if within is None:
            return None
        plan_type, day = visit.facts["plan_type"], _first(visit)
        before = [
            _first(v)
            for v in self.of["visit"]
            if v.facts["plan_type"] == plan_type
            and v.facts.get("seen") is True
            and _first(v) < day
            and self._within(v) is within
        ]
        if plan_type == "CLA":
            return max(before) + timedelta(weeks=6) if before else _first(within) + timedelta(7)
        interval = CIN_VISIT_WORKING_DAYS if plan_type == "CIN" else CP_VISIT_WORKING_DAYS
        return _working_days_after(max(before) if before else _first(within), interval)


# -- the oracle -------------------------------------------------------------------------


def child_key(tenant: str, child_ref: str, secret: str) -> str:
    """docs/activity.md, Pseudonymity: HMAC-SHA256 of tenant and child_ref (written here from
    the contract, not imported)."""
    return hmac.new(
        secret.encode(), f"{tenant}\x1f{child_ref}".encode(), hashlib.sha256
    ).hexdigest()


def _key(kind: str, body: Mapping[str, Any]) -> tuple[object, ...]:
    key = (kind, body[KEY_DATE[Kind(kind)]])
    return (*key, body["plan_type"]) if kind == "visit" else key


def _json(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


def _listed_facts(kind: str, body: Mapping[str, Any]) -> dict[str, object]:
    """Every fact of the kind, null (or an empty list) where none is given."""
    empty: dict[str, object] = {"factors": [], "review_dates": []}
    return {name: body.get(name, empty.get(name)) for name in FACTS[Kind(kind)]}


async def check_against_oracle(
    client: httpx.AsyncClient,
    headers: Mapping[str, str],
    topic: str,
    intended: Sequence[Intended],
    *,
    tenant: str = TENANT,
    secret: str = SECRET,
    refs: re.Pattern[str] = re.compile(REF_PREFIX + r"\d"),
) -> list[dict[str, Any]]:
    """THE ORACLE. After every write of a generated feed has been made, check that the
    service holds, lists and has published exactly `intended`, the records the generator
    intended (each `team` a team code), with the derived facts `ChildOracle` expects.

    The return loads plug in here: load generated returns (`POST /v1/returns` until
    APPLIED), then call this with the intended records of what they loaded
    (`cin_census_records`, `ssda903_records`, `annex_a_records` with Annex A's team names
    mapped to codes through the aliases, merged by natural key with anything sent over
    REST: the latest write wins, a fact the later format lacks kept)."""
    wanted = {
        (r.child_ref, *_key(r.kind, to_json(r))): r for r in intended if r.rejected_by is None
    }

    # (a) what the service lists
    listed = await _list_all(client, headers)
    assert Counter((r["child_ref"], *_key(r["kind"], r)) for r in listed) == Counter(wanted.keys())
    shown = {
        (r["child_ref"], *_key(r["kind"], r)): (r["team"], _listed_facts(r["kind"], r))
        for r in listed
    }
    expected = {key: (r.team, _listed_facts(r.kind, to_json(r))) for key, r in wanted.items()}
    assert shown == expected

    # (b) what it published, folded as a consumer folds it
    oracles = {ref: ChildOracle(records) for ref, records in _by_child(wanted.values()).items()}
    keys = {ref: child_key(tenant, ref, secret) for ref in oracles}
    published = {
        (keys[r.child_ref], *key[1:]): {
            **_listed_facts(r.kind, to_json(r)),
            **{k: _json(v) for k, v in oracles[r.child_ref].derived(r).items()},
            "team": r.team,
        }
        for key, r in wanted.items()
    }
    versions = {r["id"]: r["version"] for r in listed}
    events = await _read_until(topic, lambda folded: _as_published(folded) == published)
    folded = _fold(events)
    got = _as_published(folded)
    assert got.keys() == published.keys()
    wrong = [(key, got[key], want) for key, want in published.items() if got[key] != want]
    assert wrong[:3] == [], f"{len(wrong)} records published otherwise than intended"
    # every change of every record was published: the latest event is the listed version
    latest = {
        record_id: data["version"]
        for record_id, (event_type, data, _) in folded.items()
        if event_type.endswith(".recorded.v1")
    }
    assert latest == versions

    # (c) no event carries a child_ref, an unknown field or anything personal
    for event_type, data, raw in events:
        assert not refs.search(raw), event_type
        assert "child_ref" not in data and "birth" not in raw.lower()
        payload = _payload_class(event_type)
        assert set(data) <= set(payload.model_fields), event_type
        assert re.fullmatch(r"[0-9a-f]{64}", data["child_key"])
    return listed


def _by_child(records: Iterable[Intended]) -> dict[str, list[Intended]]:
    out: dict[str, list[Intended]] = defaultdict(list)
    for record in records:
        out[record.child_ref].append(record)
    return out


async def _list_all(client: httpx.AsyncClient, headers: Mapping[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = await client.get("/v1/activity/records", params=params, headers=headers)
        assert page.status_code == 200, page.text
        items.extend(page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return items


def _payload_class(event_type: str) -> Any:
    kind, action = event_type.removeprefix("uk.gov.qa.activity.").removesuffix(".v1").split(".")
    return (RECORDED if action == "recorded" else WITHDRAWN)[kind]


Event = tuple[str, dict[str, Any], str]  # type, data, the raw message
BASE = {"record_id", "child_key", "org_unit", "version", "source"}


def _fold(events: Iterable[Event]) -> dict[str, Event]:
    """By record id, the event of the highest version."""
    folded: dict[str, Event] = {}
    for event in events:
        record_id, version = event[1]["record_id"], event[1]["version"]
        if record_id not in folded or folded[record_id][1]["version"] < version:
            folded[record_id] = event
    return folded


def _as_published(folded: Mapping[str, Event]) -> dict[tuple[object, ...], dict[str, object]]:
    """The folded events without the withdrawn, by child_key and natural key: each record's
    facts, derived facts and team as published."""
    out: dict[tuple[object, ...], dict[str, object]] = {}
    for event_type, data, _ in folded.values():
        if event_type.endswith(".withdrawn.v1"):
            continue
        kind = event_type.split(".")[4]
        # a derived fact that is null may be left out of the event
        derived = set(_payload_class(event_type).model_fields) - set(FACTS[Kind(kind)]) - BASE
        out[(data["child_key"], *_key(kind, data))] = {
            **{name: data.get(name) for name in FACTS[Kind(kind)]},
            **{name: data.get(name) for name in derived},
            "team": data["org_unit"].get("team"),
        }
    return out


async def _read_until(
    topic: str, done: Callable[[dict[str, Event]], bool], timeout: float = 90.0
) -> list[Event]:
    """The topic from its start, until the fold satisfies `done` (or the timeout), and a
    second more for anything that should not come."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=KAFKA, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    events: list[Event] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                for message in messages:
                    raw = message.value.decode()
                    event = jsonutil.loads(raw)
                    assert message.key == event["subject"].encode()
                    assert event["data"]["record_id"] == event["subject"]
                    events.append((event["type"], event["data"], raw))
            if not batch and done(_fold(events)):
                break
        for messages in (await consumer.getmany(timeout_ms=1000)).values():
            for message in messages:
                raw = message.value.decode()
                event = jsonutil.loads(raw)
                events.append((event["type"], event["data"], raw))
    finally:
        await consumer.stop()
    return events


# -- the REST feed ------------------------------------------------------------------------


async def test_a_rest_feed_with_late_corrected_repeated_and_withdrawn_records_is_held_and_published_as_intended(
    relayed: Relayed, token: Callable[..., str]
) -> None:
    headers = auth(token("activity:write activity:read", tenant=TENANT))
    # the last whole collection year, so that no generated date is in the future
    year = date.today().year - 2
    children = list(
        generate(seed=14, refs=child_refs(CHILDREN, prefix=REF_PREFIX), year=year, faults=FAULTS)
    )
    statuses: Counter[str] = Counter()
    previous: list[dict[str, object]] | None = None
    async with relayed(SECRET) as (client, topic):
        for step in rest_batches(children, size=1000):
            response = await client.post(step.path, json={"records": step.records}, headers=headers)
            assert response.status_code == 200, response.text
            results = [r["status"] for r in response.json()["results"]]
            assert len(results) == len(step.records) and "REJECTED" not in results
            if step.records == previous:
                assert set(results) == {"UNCHANGED"}  # the same batch again changes nothing
                statuses["repeated"] += 1
            statuses.update(results)
            previous = step.records
        # the feed held every fault the test is about
        assert statuses["repeated"] == FAULTS.repeats
        assert statuses["WITHDRAWN"] == FAULTS.withdrawals
        listed = await check_against_oracle(client, headers, topic, list(rest_records(children)))
    # the corrections and the records a late one changed were published again
    assert sum(r["version"] > 1 for r in listed) >= FAULTS.corrections + FAULTS.late_referrals


# -- the returns --------------------------------------------------------------------------


async def test_a_cin_census_and_ssda903_return_loaded_are_held_and_published_as_intended(
    relayed: Relayed, token: Callable[..., str]
) -> None:
    """The same oracle over the load path: a generated CIN census (with the faults a file can
    hold: bad dates, unknown codes, a duplicate key, all rejected record by record) and the
    SSDA903 tables of the same children, each loaded to APPLIED."""
    headers = auth(token("activity:write activity:read", tenant=TENANT))
    year = date.today().year - 2
    faults = Faults(bad_dates=2, unknown_codes=2, duplicate_keys=1)
    children = list(
        generate(seed=15, refs=child_refs(CHILDREN, prefix=REF_PREFIX), year=year, faults=faults)
    )
    fy = f"FY{year}"
    async with relayed(SECRET) as (client, topic):
        census = await load_return(
            client, headers, "CIN_CENSUS", fy, cin_census(children, year=year, faults=faults)
        )
        tables = await load_return(client, headers, "SSDA903", fy, ssda903(children))
        for load in (census, tables):
            assert load["status"] == "APPLIED", load
        assert census["counts"]["rejected"] > 0  # the file's faults were refused one by one
        intended = [
            r
            for r in (*cin_census_records(children), *ssda903_records(children))
            if isinstance(r, Intended)
        ]
        await check_against_oracle(client, headers, topic, intended)


def test_the_oracle_reads_the_rules_it_checks_literally() -> None:
    """The oracle's own arithmetic on the docs' examples, so a wrong oracle cannot agree
    with a wrong service."""
    assert _year_before(date(2024, 2, 29)) == date(2023, 2, 28)
    assert _months_after(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert _months_after(date(2025, 11, 30), 3) == date(2026, 2, 28)
    # Friday 2 May 2025 + 1 working day is Tuesday 6 May (the bank holiday Monday skipped)
    assert _working_days_after(date(2025, 5, 2), 1) == date(2025, 5, 6)

    def rec(kind: str, **facts: object) -> Intended:
        return Intended(kind, "C", facts)

    later = rec("referral", referral_date=date(2025, 6, 1))
    child = ChildOracle([rec("referral", referral_date=date(2024, 6, 1)), later])
    assert child.derived(later) == {"re_referral_12m": True}  # the same day a year before
    plan = rec("cp_plan", start_date=date(2025, 3, 1), end_date=date(2025, 5, 1))
    entry = rec(
        "care_episode",
        start_date=date(2025, 5, 1),
        reason_new_episode="S",
        end_date=date(2025, 6, 1),
    )
    moved = rec("care_episode", start_date=date(2025, 6, 1), reason_new_episode="P")
    referral = rec("referral", referral_date=date(2025, 2, 1))
    child = ChildOracle([plan, entry, moved, referral])
    # the plan ended the day care began: not open; the referral was
    assert child.derived(entry) == {"route": "CIN"} == child.derived(moved)
    seen = rec("visit", visit_date=date(2025, 6, 9), plan_type="CLA", seen=True)
    unseen = rec("visit", visit_date=date(2025, 6, 5), plan_type="CLA", seen=False)
    child = ChildOracle([entry, moved, seen, unseen])
    # a placement from 1 June: its first seen visit due 7 days on; the unseen one unmeasured
    assert child.derived(seen) == {"due_date": date(2025, 6, 8), "on_time": False}
    assert child.derived(unseen) == {"due_date": None, "on_time": None}
