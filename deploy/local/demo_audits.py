"""Demo audits for `deploy/local/demo.py`, through audit-service's public API.

For each tenant and each of the quarters: programmes of every kind (monthly, themed, area,
multi-agency, closure) and audits across every area and some county-wide services, in
every state: scheduled, in progress (drafted answers), submitted, peer reviewed (agreed,
regraded, or returned and resubmitted), moderation, moderated, closed and cancelled; actions
in every status; a few safeguarding concerns. Every POST carries an Idempotency-Key, and
PATCHes start from the resource's current version, so a run that stopped half-way can run
again.

Which audits go to moderation is the service's own random choice (10% by default), so the
loader follows it: of those chosen, the current quarter's and the first of each tenant stay
in MODERATION, the others are moderated (and most then closed)."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import cycle
from typing import Any

import httpx

from qaf_shared import devtoken
from qaf_shared.org_units import OrgUnitDirectory
from qaf_shared.quarters import quarter_bounds

AUDITS = "http://127.0.0.1:8001"
KEY = "demo-v2"
SCALE = int(os.environ.get("QA_DEMO_SCALE", "2"))
GRADES = ["OUTSTANDING", "GOOD", "REQUIRES_IMPROVEMENT", "INADEQUATE"]
GRADE_WEIGHTS = [1, 5, 4, 1]
THEMES = [
    "DRIFT_DELAY",
    "CHILD_VOICE",
    "MANAGEMENT_OVERSIGHT",
    "SMART_PLANNING",
    "RISK_ASSESSMENT",
    "CHRONOLOGY",
    "STATUTORY_VISITS",
]
PLAN_TYPES = ["CIN", "CP", "CIC", "CARE_LEAVER", "EARLY_HELP"]
THEMED = [
    ("Neglect", "Chronologies are not used to evidence cumulative harm in neglect cases"),
    ("Adolescents at risk outside the home", "Contextual safeguarding is not reflected in plans"),
    ("Children with disabilities", "The voice of non-verbal children is not evidenced"),
    ("Domestic abuse", "Safety plans are not reviewed after new incidents"),
    ("Pre-birth assessments", "Assessments start too late to plan for the baby's safety"),
    ("Children in care: permanence", "Permanence is not considered at the second review"),
]
SECTIONS = [
    "child_lived_experience",
    "assessment",
    "planning",
    "statutory_visits",
    "management_oversight",
    "multi_agency",
]

# What becomes of each audit of a past quarter, and of the current one. `returned`: the
# peer reviewer returns it once, the auditor resubmits it; `regraded`: the reviewer grades
# it differently. Outcomes ending past peer review follow the moderation choice.
PAST_PLAN = [
    "closed",
    "closed",
    "closed",
    "closed",
    "closed",
    "closed",
    "closed",
    "regraded_closed",
    "returned_closed",
    "peer_reviewed",
    "peer_reviewed",
    "submitted",
    "cancelled",
    "stale_in_progress",
]
CURRENT_PLAN = [
    "scheduled",
    "scheduled",
    "overdue_scheduled",
    "in_progress",
    "in_progress",
    "in_progress",
    "submitted",
    "submitted",
    "returned_in_progress",
    "peer_reviewed",
    "peer_reviewed",
    "regraded_closed",
    "closed",
    "cancelled",
]
# Each action ends in one of these, in turn (so every status appears).
ACTION_ENDS = ["VERIFIED", "COMPLETED", "OPEN", "VERIFIED", "IN_PROGRESS", "CANCELLED", "COMPLETED"]
ACTION_PATH = {
    "OPEN": [],
    "IN_PROGRESS": ["IN_PROGRESS"],
    "COMPLETED": ["IN_PROGRESS", "COMPLETED"],
    "VERIFIED": ["IN_PROGRESS", "COMPLETED", "VERIFIED"],
    "CANCELLED": ["CANCELLED"],
}
ACTION_TEXT = [
    "Update the chronology and share it with the team manager",
    "Record the child's views in their own words at the next visit",
    "Convene a core group to make the plan SMART",
    "Complete the overdue statutory visit and record it",
    "Team manager to record supervision with clear actions",
    "Refer to the Family Group Conference service",
]


@dataclass
class Loader:
    client: httpx.Client
    base: str
    tenant: str
    rng: random.Random
    today: date
    headers: dict[str, str]
    counts: dict[str, int] = field(default_factory=dict)
    moderation_held: bool = False
    action_ends: Iterator[str] = field(default_factory=lambda: cycle(ACTION_ENDS))

    # -- HTTP -------------------------------------------------------------------------------

    def post(
        self, path: str, key: str, body: Any = None, *, actor: str | None = None
    ) -> dict[str, Any]:
        """POST once per key; `actor` acts instead of the loader (X-Actor), as a peer
        reviewer or moderator must: none of them may be whoever submitted the audit."""
        if path == "/v1/programmes":
            self.count("programmes")
        headers = {**self.headers, "Idempotency-Key": f"{KEY}-{self.tenant}-{key}"}
        if actor is not None:
            headers["X-Actor"] = actor
        response = self.client.post(f"{self.base}{path}", json=body, headers=headers)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def get(self, path: str) -> dict[str, Any]:
        response = self.client.get(f"{self.base}{path}", headers=self.headers)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def patch(self, path: str, body: Any, version: int) -> dict[str, Any]:
        headers = {**self.headers, "If-Match": f'"{version}"'}
        response = self.client.patch(f"{self.base}{path}", json=body, headers=headers)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    # -- dates ------------------------------------------------------------------------------

    def later(self, day: date, low: int, high: int) -> date:
        """A few days after `day`, never after today."""
        return min(day + timedelta(days=self.rng.randint(low, high)), self.today)

    # -- programmes -------------------------------------------------------------------------

    def programmes(self, index: int, quarter: str, areas: list[str]) -> dict[str, Any]:
        """The quarter's programmes: one monthly per month, a themed one, an area one, and
        multi-agency and closure programmes in some quarters."""
        start, end = quarter_bounds(quarter)
        made: dict[str, Any] = {"monthly": []}
        for m in range(3):
            month = date(
                start.year + (start.month + m - 1) // 12, (start.month + m - 1) % 12 + 1, 1
            )
            made["monthly"].append(
                self.post(
                    "/v1/programmes",
                    f"{quarter}-monthly-{m}",
                    {
                        "kind": "MONTHLY",
                        "name": f"Monthly case file audits {month:%B %Y}",
                        "period": f"{month:%Y-%m}",
                        "due_date": (month + timedelta(days=45)).isoformat(),
                    },
                )
            )
        theme, hypothesis = THEMED[index % len(THEMED)]
        made["themed"] = self.post(
            "/v1/programmes",
            f"{quarter}-themed",
            {
                "kind": "THEMED",
                "name": f"Thematic audit: {theme}",
                "period": quarter,
                "theme": theme,
                "hypothesis": hypothesis,
                "due_date": (end + timedelta(days=21)).isoformat(),
            },
        )
        area = areas[index % len(areas)]
        made["area"] = self.post(
            "/v1/programmes",
            f"{quarter}-area",
            {
                "kind": "AREA",
                "name": f"{area.title()} area manager's audit",
                "period": quarter,
                "area": area,
                "due_date": (end + timedelta(days=14)).isoformat(),
            },
        )
        if index % 3 == 1:
            made["multi_agency"] = self.post(
                "/v1/programmes",
                f"{quarter}-multi-agency",
                {
                    "kind": "MULTI_AGENCY",
                    "name": "Safeguarding partnership multi-agency audit",
                    "period": quarter,
                    "theme": "Information sharing at the front door",
                    "due_date": (end + timedelta(days=30)).isoformat(),
                },
            )
        if index % 3 == 2:
            made["closure"] = self.post(
                "/v1/programmes",
                f"{quarter}-closure",
                {
                    "kind": "CLOSURE",
                    "name": "Closure audit: cases stepped down to early help",
                    "period": quarter,
                    "due_date": (end + timedelta(days=30)).isoformat(),
                },
            )
        return made

    # -- audits -----------------------------------------------------------------------------

    def audit(
        self,
        key: str,
        outcome: str,
        *,
        unit: dict[str, str],
        programme: dict[str, Any] | None,
        start: date,
        end: date,
        current: bool,
        concern: bool = False,
    ) -> None:
        rng = self.rng
        span = max((end - start).days, 0)
        submitted_on = start + timedelta(days=rng.randrange(span + 1))
        if outcome == "overdue_scheduled":
            due = self.today - timedelta(days=rng.randint(1, 10))
        elif current and outcome in ("scheduled", "in_progress", "returned_in_progress"):
            due = self.today + timedelta(days=rng.randint(3, 30))
        else:
            due = submitted_on + timedelta(days=rng.randint(-5, 20))
        body: dict[str, Any] = {
            "case_ref": f"DEMO-{self.tenant}-{key}",
            **unit,
            "plan_type": rng.choice(PLAN_TYPES),
            "auditor": f"tm-{rng.randrange(40)}",
            "due_date": due.isoformat(),
        }
        if programme is not None:
            body["programme_id"] = programme["id"]
        audit = self.post("/v1/audits", f"{key}-schedule", body)
        path = f"/v1/audits/{audit['id']}"
        if concern:
            # Raised while the case is audited, whatever becomes of the audit.
            self.post(
                f"{path}/safeguarding-concerns",
                f"{key}-concern",
                {
                    "raised_by": audit["auditor"],
                    "detail": "Unexplained injury noted in the case records; referred to the team manager",
                    "raised_on": min(submitted_on, self.today).isoformat(),
                },
            )
            self.count("safeguarding concerns")
        if outcome in ("scheduled", "overdue_scheduled"):
            return self.count("SCHEDULED")
        if outcome == "cancelled":
            self.post(f"{path}/cancel", f"{key}-cancel", {"reason": "Case transferred out"})
            return self.count("CANCELLED")
        if outcome in ("in_progress", "stale_in_progress"):
            self.draft(audit)
            return self.count("IN_PROGRESS")

        grade = rng.choices(GRADES, weights=GRADE_WEIGHTS)[0]
        audit = self.submit(key, "submit", path, grade, submitted_on)
        if outcome == "submitted":
            return self.count("SUBMITTED")
        reviewed_on = self.later(submitted_on, 1, 8)
        if outcome.startswith("returned"):
            returner = f"pr-{rng.randrange(20)}"
            self.post(
                f"{path}/peer-review",
                f"{key}-return",
                {
                    "reviewer": returner,
                    "outcome": "RETURNED",
                    "comment": "Please evidence the child's voice in the plan",
                    "reviewed_on": reviewed_on.isoformat(),
                },
                actor=returner,
            )
            if outcome == "returned_in_progress":
                return self.count("IN_PROGRESS")
            submitted_on = self.later(reviewed_on, 1, 5)
            audit = self.submit(key, "resubmit", path, grade, submitted_on)
            reviewed_on = self.later(submitted_on, 1, 5)
        review: dict[str, Any] = {
            "reviewer": f"pr-{rng.randrange(20)}",
            "outcome": "AGREED",
            "reviewed_on": reviewed_on.isoformat(),
        }
        if outcome.startswith("regraded"):
            step = 1 if GRADES.index(grade) < 3 else -1
            review.update(outcome="REGRADED", grade=GRADES[GRADES.index(grade) + step])
        audit = self.post(f"{path}/peer-review", f"{key}-review", review, actor=review["reviewer"])
        last = reviewed_on
        if audit["moderation_selected"]:
            if current or not self.moderation_held:
                self.moderation_held = True
                return self.count("MODERATION")
            last = self.later(reviewed_on, 1, 10)
            moderated_grade = grade if rng.random() < 0.7 else rng.choice(GRADES)
            moderator = f"mo-{rng.randrange(5)}"
            self.post(
                f"{path}/moderation",
                f"{key}-moderate",
                {
                    "moderator": moderator,
                    "grade": moderated_grade,
                    "rationale": "Moderated against the practice standards",
                    "moderated_on": last.isoformat(),
                },
                actor=moderator,
            )
            if outcome == "peer_reviewed" or rng.random() < 0.3:
                self.actions(key, audit, last)
                return self.count("MODERATED")
        elif outcome == "peer_reviewed":
            self.actions(key, audit, last)
            return self.count("PEER_REVIEWED")
        closed_on = self.later(last, 1, 10)
        self.post(f"{path}/close", f"{key}-close", {"closed_on": closed_on.isoformat()})
        self.actions(key, audit, last)
        return self.count("CLOSED")

    def draft(self, audit: dict[str, Any]) -> None:
        # Draw every random value first: a rerun draws the same whatever it skips.
        body = {
            "answers": {
                "child_seen_alone": self.rng.choice(["YES", "NO", "N/A"]),
                "lived_experience_score": self.rng.randint(3, 9),
            },
            "section_grades": {"child_lived_experience": self.rng.choice(GRADES[:3])},
        }
        current = self.get(f"/v1/audits/{audit['id']}")
        if current["status"] == "SCHEDULED":  # else drafted by an earlier run
            self.patch(f"/v1/audits/{audit['id']}", body, current["version"])

    def submit(self, key: str, step: str, path: str, grade: str, on: date) -> dict[str, Any]:
        rng = self.rng
        graded = rng.sample(SECTIONS, rng.randint(0, 3))
        return self.post(
            f"{path}/submit",
            f"{key}-{step}",
            {
                "overall_grade": grade,
                "section_grades": {
                    s: rng.choices(GRADES, weights=GRADE_WEIGHTS)[0] for s in graded
                },
                "themes": rng.sample(THEMES, rng.randrange(4)),
                "child_voice_evident": rng.random() < 0.7,
                "answers": {
                    "chronology_up_to_date": rng.choice(["YES", "NO"]),
                    "visits_in_timescale": rng.choice(
                        ["COMPLIANT", "PARTIALLY_COMPLIANT", "NOT_COMPLIANT"]
                    ),
                    "oversight_score": rng.randint(2, 10),
                },
                "commentary": "Demo audit findings",
                "submitted_on": on.isoformat(),
            },
        )

    def actions(self, key: str, audit: dict[str, Any], raised_on: date) -> None:
        """Zero to two actions from a completed audit, each ending in the next status."""
        for n in range(self.rng.choice([0, 1, 1, 2])):
            end = next(self.action_ends)
            action = self.post(
                f"/v1/audits/{audit['id']}/actions",
                f"{key}-action-{n}",
                {
                    "description": self.rng.choice(ACTION_TEXT),
                    "owner": f"sw-{self.rng.randrange(60)}",
                    "raised_on": raised_on.isoformat(),
                },
            )
            completed_on = self.later(raised_on, 5, 40).isoformat()
            current = self.get(f"/v1/actions/{action['id']}")
            path = ACTION_PATH[end]
            # A rerun carries on from where the action is.
            done = path.index(current["status"]) + 1 if current["status"] in path else 0
            for status in path[done:]:
                body: dict[str, Any] = {"status": status}
                if status == "COMPLETED":
                    body["completed_on"] = completed_on
                current = self.patch(f"/v1/actions/{action['id']}", body, current["version"])
            self.count(f"action {end}")

    def count(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1


def load(
    client: httpx.Client,
    tenant: str,
    rng: random.Random,
    today: date,
    quarters: list[str],
    *,
    base_url: str = AUDITS,
) -> int:
    """Programmes and audits in every quarter, in every state; returns how many audits."""
    token = devtoken.mint(
        scopes="audits:write audits:read audits:moderate", tenant=tenant, subject="demo-loader"
    )
    headers = {"Authorization": f"Bearer {token}", "X-Actor": "demo"}
    units = OrgUnitDirectory().tenant(tenant)
    assert units is not None
    areas = list(units.areas)
    loader = Loader(client, base_url, tenant, rng, today, headers)
    loaded = 0
    for index, quarter in enumerate(quarters):
        start, end = quarter_bounds(quarter)
        end = min(end, today)
        current = index == len(quarters) - 1
        programmes = loader.programmes(index, quarter, areas)
        # Repeated, so that the Deep Dive's counts are mostly above the suppression threshold.
        plan = (CURRENT_PLAN if current else PAST_PLAN) * SCALE
        for n, outcome in enumerate(plan):
            area = areas[n % len(areas)]
            if n % 7 == 6:
                unit = {"service": rng.choice(units.services)}
            else:
                district = rng.choice(list(units.areas[area]))
                unit = {"team": rng.choice(units.areas[area][district])}
            if n % 5 == 1:
                programme = programmes["themed"]
            elif "team" in unit and area == programmes["area"]["area"] and n % 2:
                programme = programmes["area"]
            elif n == 3 and "multi_agency" in programmes:
                programme = programmes["multi_agency"]
            elif n == 4 and "closure" in programmes:
                programme = programmes["closure"]
            else:
                programme = programmes["monthly"][n % 3]
            loader.audit(
                f"{quarter}-{n}",
                outcome,
                unit=unit,
                programme=programme,
                start=start,
                end=end,
                current=current,
                # A few concerns: every other quarter, on one audit.
                concern=n == 2 and index % 2 == 0,
            )
            loaded += 1
    return loaded
