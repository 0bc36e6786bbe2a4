"""Demo feedback for `deploy/local/demo.py`, through feedback-service's public API: feedback
from every source, review participation with every PN code, complaints at every stage and
with every outcome, and the advocacy provider's batches and quarterly reports."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from typing import Any

import httpx

from qaf_shared import devtoken
from qaf_shared.org_units import OrgUnitDirectory
from qaf_shared.quarters import quarter_bounds
from qaf_shared.working_days import add_working_days

FEEDBACK = "http://127.0.0.1:8003"
PROVIDER = "kent-medway-advocacy"
CONFERENCE_QUESTIONS = [
    "report_shared_in_time",
    "felt_listened_to",
    "understood_concerns",
    "understood_plan",
    "able_to_bring_supporter",
]
ADVOCACY_QUESTIONS = [
    "felt_listened_to",
    "views_represented",
    "understood_rights",
    "would_use_again",
]
IV_QUESTIONS = ["enjoys_visits", "trusts_visitor", "would_recommend"]
RESPONDENTS = ["PARENT", "CARER", "YOUNG_PERSON", "PROFESSIONAL"]
PARTNERS = ["COURT", "CAFCASS", "POLICE", "HEALTH", "EDUCATION", "COMMISSIONED_SERVICE"]
OUTCOMES = ["UPHELD", "PARTLY_UPHELD", "NOT_UPHELD", "WITHDRAWN"]
CATEGORIES = ["COMMUNICATION", "DELAY", "STAFF_CONDUCT", "PLACEMENT", "FAMILY_TIME", "DECISION"]
THEMES = [
    "PLACEMENT",
    "FAMILY_TIME_CONTACT",
    "EDUCATION",
    "HEALTH",
    "LEAVING_CARE",
    "COMPLAINT_SUPPORT",
    "CP_CONFERENCE",
    "CIC_REVIEW",
    "OTHER",
]


class Loader:
    def __init__(self, client: httpx.Client, tenant: str, rng: random.Random, today: date) -> None:
        self.client, self.tenant, self.rng, self.today = client, tenant, rng, today
        staff = devtoken.mint(
            scopes="feedback:write", tenant=tenant, subject="demo-loader", ttl=900
        )
        provider = devtoken.mint(
            scopes="provider:submit",
            tenant=tenant,
            provider=PROVIDER,
            subject=f"demo-provider-{tenant}",  # a client registration per authority
            ttl=900,
        )
        self.staff = {"Authorization": f"Bearer {staff}", "X-Actor": "demo"}
        self.provider = {"Authorization": f"Bearer {provider}"}
        units = OrgUnitDirectory().tenant(tenant)
        assert units is not None
        self.teams = [t for ds in units.areas.values() for ts in ds.values() for t in ts]
        self.services = list(units.services)

    def post(
        self, path: str, body: dict[str, Any], key: str, *, provider: bool = False
    ) -> dict[str, Any] | None:
        """POST once per key; None when the record is already there from an earlier load
        whose Idempotency-Key has expired (409 on a one-per-review or one-per-quarter rule)."""
        headers = {**(self.provider if provider else self.staff), "Idempotency-Key": key}
        response = self.client.post(f"{FEEDBACK}{path}", json=body, headers=headers)
        for _ in range(5):
            if response.status_code != 429:
                break
            # What a well-behaved provider client does: wait as long as it is told to.
            time.sleep(int(response.headers.get("Retry-After", "1")))
            response = self.client.post(f"{FEEDBACK}{path}", json=body, headers=headers)
        if response.status_code == 409 and path in ("/v1/participation", "/v1/provider/reports"):
            return None
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def unit(self) -> dict[str, str]:
        if self.rng.random() < 0.15:
            return {"service": self.rng.choice(self.services)}
        return {"team": self.rng.choice(self.teams)}

    def day_in(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randrange((end - start).days + 1))

    def answers(self, questions: list[str]) -> dict[str, int]:
        return {q: self.rng.choices([1, 2, 3, 4, 5], [1, 2, 3, 5, 4])[0] for q in questions}

    # One quarter

    def feedback(self, quarter: str, start: date, end: date) -> int:
        items: list[dict[str, Any]] = []
        for n in range(8):
            items.append(
                {
                    "source": "CP_CONFERENCE",
                    "respondent": RESPONDENTS[n % 4],
                    "conference_type": "INITIAL" if n % 3 == 0 else "REVIEW",
                    "answers": self.answers(CONFERENCE_QUESTIONS),
                    "comment": "Demo comment: stays in feedback-service.",
                }
            )
        items += [{"source": "CIC_REVIEW", "respondent": "YOUNG_PERSON"}, {"source": "CIC_REVIEW"}]
        items += [
            {"source": "PARTNER", "partner_type": self.rng.choice(PARTNERS)} for _ in range(2)
        ]
        items += [{"source": "STAFF"}, {"source": "COMPLIMENT"}, {"source": "COMPLIMENT"}]
        items += [
            {"source": "ADVOCACY", "answers": self.answers(ADVOCACY_QUESTIONS)},
            {"source": "INDEPENDENT_VISITOR"},
        ]
        for n, item in enumerate(items):
            body = {
                **item,
                **self.unit(),
                "case_ref": f"DEMO-{self.tenant}-{quarter}-F{n}",
                "received_on": self.day_in(start, end).isoformat(),
            }
            self.post("/v1/feedback", body, f"demo-v1-{self.tenant}-{quarter}-feedback-{n}")
        return len(items)

    def participation(self, quarter: str, start: date, end: date) -> int:
        codes = [f"PN{n}" for n in range(8)] + ["PN1", "PN1", "PN2", "PN5"]
        for n, code in enumerate(codes):
            held = self.day_in(start, end)
            due = held + timedelta(days=self.rng.choice([-7, 0, 3, 10, 14]))
            self.post(
                "/v1/participation",
                {
                    "case_ref": f"DEMO-{self.tenant}-{quarter}-R{n}",
                    **self.unit(),
                    "review_due": due.isoformat(),
                    "review_held": held.isoformat(),
                    "pn_code": code,
                },
                f"demo-v1-{self.tenant}-{quarter}-participation-{n}",
            )
        return len(codes)

    def complaint(self, quarter: str, q: int, n: int, received: date) -> None:
        """Complaint `n` of quarter number `q`, taken as far as its plan goes by today: n=0
        ends at stage 1, n=1 at stage 2, n=2 at stage 3, n=3 is extended at stage 1, n=4
        stays open at stage 1, 2 or 3 (by quarter)."""
        key = f"demo-v1-{self.tenant}-{quarter}-complaint-{n}"
        created = self.post(
            "/v1/complaints",
            {
                "case_ref": f"DEMO-{self.tenant}-{quarter}-C{n}",
                **self.unit(),
                "received_on": received.isoformat(),
                "complainant_role": self.rng.choice(["CHILD", "PARENT", "CARER", "ADVOCATE"]),
                "categories": self.rng.sample(CATEGORIES, self.rng.randint(1, 2)),
            },
            key,
        )
        assert created is not None
        path = f"/v1/complaints/{created['id']}"
        final = OUTCOMES[(q + n) % 4]
        iso = date.isoformat
        steps: list[tuple[str, dict[str, Any]]] = []
        decided = add_working_days(received, self.rng.randint(6, 12))
        if n == 3:
            extended = add_working_days(received, 5)
            steps.append(("extension", {"stage": "STAGE1", "extended_on": iso(extended)}))
            decided = add_working_days(received, 17)
        # A complaint that goes on to stage 2 was not withdrawn at stage 1.
        first = final if n in (0, 3) else ["NOT_UPHELD", "PARTLY_UPHELD"][q % 2]
        steps.append(("outcome", {"stage": "STAGE1", "outcome": first, "decided_on": iso(decided)}))
        last = decided
        if n in (1, 2, 4):
            requested = add_working_days(last, 5)
            last = add_working_days(requested, self.rng.randint(18, 28))
            second = final if n == 1 else "NOT_UPHELD"
            steps += [
                ("stage", {"stage": "STAGE2", "requested_on": iso(requested)}),
                ("outcome", {"stage": "STAGE2", "outcome": second, "decided_on": iso(last)}),
            ]
        if n in (2, 4):
            requested = add_working_days(last, 8)
            panel = add_working_days(requested, 20)
            report = add_working_days(panel, 4)
            last = add_working_days(report, 12)
            steps += [
                ("stage", {"stage": "STAGE3", "requested_on": iso(requested)}),
                ("panel", {"held_on": iso(panel)}),
                ("panel-report", {"issued_on": iso(report)}),
                ("outcome", {"stage": "STAGE3", "outcome": final, "decided_on": iso(last)}),
            ]
        referred = n == 2 and q % 3 == 0
        closed = last + timedelta(days=2)
        steps.append(("close", {"closed_on": iso(closed), "ombudsman_referred": referred}))
        if n == 4:  # open at stage 1, at stage 2, or at stage 3 after its panel
            steps = steps[: [0, 2, 5][q % 3]]
        for number, (step, body) in enumerate(steps):
            when = next(v for k, v in body.items() if k.endswith("_on"))
            if date.fromisoformat(when) > self.today:
                return  # the rest of its story has not happened yet
            self.post(f"{path}/{step}", body, f"{key}-{number}-{step}")

    def complaints(self, quarter: str, q: int, start: date, end: date) -> int:
        for n in range(5):
            self.complaint(quarter, q, n, self.day_in(start, min(end, start + timedelta(days=30))))
        return 5

    def provider_batch(self, quarter: str, start: date, end: date) -> int:
        items: list[dict[str, Any]] = []
        for n in range(12):
            advocacy = n % 3 != 0
            items.append(
                {
                    "external_id": f"{PROVIDER}-{self.tenant}-{quarter}-{n:03d}",
                    "source": "ADVOCACY" if advocacy else "INDEPENDENT_VISITOR",
                    "case_ref": f"DEMO-{self.tenant}-{quarter}-A{n}",
                    **self.unit(),
                    "received_on": self.day_in(start, end).isoformat(),
                    "answers": self.answers(ADVOCACY_QUESTIONS if advocacy else IV_QUESTIONS),
                }
            )
        # A provider's batches are not always clean: one item repeats, one has a bad answer.
        items.append(dict(items[0]))
        items.append(
            {
                **items[1],
                "external_id": f"{items[1]['external_id']}-bad",
                "answers": {"felt_listened_to": 7},
            }
        )
        self.post(
            "/v1/provider/feedback",
            {"items": items},
            f"demo-v1-{self.tenant}-{quarter}-provider-batch",
            provider=True,
        )
        return 12

    def provider_report(self, quarter: str) -> int:
        issues = {t: self.rng.randint(0, 12) for t in self.rng.sample(THEMES, 5)}
        referrals = self.rng.randint(25, 60)
        report = {
            "quarter": quarter,
            "referrals_received": referrals,
            "children_advocated_for": referrals - self.rng.randint(0, 8),
            "issues_by_theme": issues,
            "outcomes_achieved": self.rng.randint(10, 30),
            "iv_matched": self.rng.randint(3, 12),
            "iv_waiting": self.rng.randint(0, 6),
        }
        created = self.post(
            "/v1/provider/reports",
            report,
            f"demo-v1-{self.tenant}-{quarter}-provider-report",
            provider=True,
        )
        return 0 if created is None else 1


def load(
    client: httpx.Client, tenant: str, rng: random.Random, today: date, quarters: list[str]
) -> int:
    """Load every kind of feedback record for each quarter; returns how many records."""
    loader = Loader(client, tenant, rng, today)
    loaded = 0
    for q, quarter in enumerate(quarters):
        start, end = quarter_bounds(quarter)
        end = min(end, today)
        loaded += loader.feedback(quarter, start, end)
        loaded += loader.participation(quarter, start, end)
        loaded += loader.complaints(quarter, q, start, end)
        loaded += loader.provider_batch(quarter, start, end)
        if quarter_bounds(quarter)[1] < today:  # a report follows the quarter's end
            loaded += loader.provider_report(quarter)
    return loaded
