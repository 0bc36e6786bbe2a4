"""The generator of realistic returns (qaf_shared.testing.activity_returns) against this
service's kinds: its records have the kinds' facts and types, its shares are an English
authority's, and its REST feed, faults and all, leaves exactly the records it intends."""

from __future__ import annotations

import io
import uuid
from collections import Counter
from datetime import date

from activity_service.domain.history import HistoryRecord, derive
from activity_service.domain.kinds import FACTS, KEY_DATE, Kind
from qaf_shared.testing.activity_returns import (
    Faults,
    Intended,
    child_refs,
    generate,
    rest_batches,
    rest_records,
    write_cin_census,
)
from qaf_shared.working_days import working_days_between

CHILDREN = list(generate(seed=2025, refs=child_refs(3000)))


def _key(kind: str, body: dict[str, object]) -> tuple[object, ...]:
    key: tuple[object, ...] = (kind, body["child_ref"], body[KEY_DATE[Kind(kind)]])
    return (*key, body["plan_type"]) if kind == "visit" else key


def test_the_same_seed_writes_the_same_census_and_another_seed_another() -> None:
    def census(seed: int) -> bytes:
        out = io.BytesIO()
        write_cin_census(generate(seed=seed, refs=child_refs(200)), out)
        return out.getvalue()

    assert census(1) == census(1)
    assert census(1) != census(2)


def test_every_record_carries_only_its_kinds_facts_typed_as_the_kinds_say() -> None:
    wrong = []
    for record in rest_records(CHILDREN):
        kind = Kind(record.kind)
        for name, value in record.facts.items():
            wanted = FACTS[kind].get(name)
            if value is None:
                continue
            if wanted == "list[str]":
                ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
            elif wanted == "list[date]":
                ok = isinstance(value, list) and all(isinstance(v, date) for v in value)
            else:
                ok = isinstance(wanted, type) and type(value) is wanted
            if not ok:
                wrong.append((kind, name))
        if record.facts.get(KEY_DATE[kind]) is None:
            wrong.append((kind, "key date"))
    assert wrong == []


def test_no_two_intended_records_share_a_natural_key() -> None:
    keys = Counter(
        _key(r.kind, {"child_ref": r.child_ref, **r.facts}) for r in rest_records(CHILDREN)
    )
    assert [k for k, n in keys.items() if n > 1] == []


def test_the_activity_has_an_english_authoritys_shares() -> None:
    referrals = [r for c in CHILDREN for r in c.referrals]
    assessments = [a for r in referrals for a in r.assessments]
    authorised = [
        (r.referral_date, a.authorised_date)
        for r in referrals
        for a in r.assessments
        if a.authorised_date
    ]
    s47s = [s for r in referrals for s in r.s47s]
    icpcs = [s for s in s47s if s.icpc_date is not None]
    plans = [p for r in referrals for p in r.plans]
    assert 1.1 <= len(referrals) / len(CHILDREN) <= 1.4
    assert 0.05 <= sum(r.nfa for r in referrals) / len(referrals) <= 0.15
    within = sum(working_days_between(referred, done) <= 45 for referred, done in authorised)
    assert 0.75 <= within / len(authorised) <= 0.95
    assert 0.18 <= len(s47s) / len(assessments) <= 0.32
    assert 0.30 <= len(icpcs) / len(s47s) <= 0.50
    assert 0.75 <= len(plans) / len(icpcs) <= 0.95
    assert sum(bool(c.episodes) for c in CHILDREN) > 0
    assert any(len(c.episodes) > 1 for c in CHILDREN)  # placement changes
    sources = Counter(r.referral_source for r in referrals)
    assert sources.most_common(1)[0][0] == "6"  # the police refer most
    assert 0.2 <= sources["6"] / len(referrals) <= 0.4


def test_about_a_fifth_of_referrals_are_re_referrals_within_12_months() -> None:
    re_referrals = total = 0
    for child in CHILDREN:
        history = [
            HistoryRecord(uuid.uuid4(), Kind.REFERRAL, r.referral_date, {}) for r in child.referrals
        ]
        facts = derive(history)
        total += len(history)
        re_referrals += sum(bool(facts[h.id]["re_referral_12m"]) for h in history)
    assert 0.17 <= re_referrals / total <= 0.27


def test_plans_are_reviewed_three_months_in_then_six_monthly() -> None:
    reviewed = [p for c in CHILDREN for r in c.referrals for p in r.plans if p.review_dates]
    assert reviewed
    first_gaps = [(p.review_dates[0] - p.start_date).days for p in reviewed]
    assert sum(75 <= g <= 115 for g in first_gaps) / len(first_gaps) >= 0.9
    later = [
        (b - a).days
        for p in reviewed
        for a, b in zip(p.review_dates, p.review_dates[1:], strict=False)
    ]
    assert all(160 <= g <= 205 for g in later)


def _apply(children: list[object]) -> tuple[dict[tuple[object, ...], dict[str, object]], list[str]]:
    """A store by natural key: the latest write wins, a withdrawal removes; and what the
    feed did that a plain feed would not."""
    store: dict[tuple[object, ...], dict[str, object]] = {}
    seen: list[str] = []
    previous: list[dict[str, object]] | None = None
    latest_referral: dict[object, str] = {}
    for step in rest_batches(children, size=250):  # type: ignore[arg-type]
        assert 1 <= len(step.records) <= 250
        if step.path.endswith("/withdrawals"):
            for key in step.records:
                store.pop(_key(str(key["kind"]), key))
            seen.append("withdrawn")
            continue
        if step.records == previous:
            seen.append("repeated")
        for body in step.records:
            key = _key(str(body["kind"]), body)
            if key in store and store[key] != body:
                seen.append("corrected")
            if body["kind"] == "referral":
                child, day = body["child_ref"], str(body["referral_date"])
                if day < latest_referral.get(child, day):
                    seen.append("late")
                latest_referral[child] = max(day, latest_referral.get(child, day))
            store[key] = body
        previous = step.records
    return store, seen


def test_a_rest_feed_with_every_fault_leaves_exactly_the_intended_records() -> None:
    faults = Faults(late_referrals=3, corrections=3, repeats=2, withdrawals=2)
    children = list(generate(seed=7, refs=child_refs(800), faults=faults))
    store, seen = _apply(children)  # type: ignore[arg-type]
    from qaf_shared.testing.activity_returns import to_json

    wanted = {_key(r.kind, to_json(r)): to_json(r) for r in rest_records(children)}
    assert store == wanted
    assert Counter(seen) == Counter({"late": 3, "corrected": 3, "repeated": 2, "withdrawn": 2})


def test_an_unknown_code_is_intended_as_refused_by_the_code_rule() -> None:
    children = list(generate(seed=7, refs=child_refs(50), faults=Faults(unknown_codes=2)))
    refused = [r for r in rest_records(children) if r.rejected_by]
    assert [(r.kind, r.rejected_by) for r in refused] == [("referral", "code")] * 2
    assert all(isinstance(r, Intended) and r.facts["referral_source"] == "ZZ" for r in refused)
