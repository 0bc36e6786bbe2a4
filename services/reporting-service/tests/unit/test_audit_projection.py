import uuid
from datetime import date

from qaf_shared.enums import Grade, PlanType
from qaf_shared.events.audit import AuditSubmitted
from qaf_shared.events.payloads import OrgUnitRef
from reporting_service.projections.audits import AuditFact, contributions, on_submitted

UNIT = OrgUnitRef(area="SOUTH", district="ASHFORD", team="ASH-CP1")


def _submitted(audit_id: uuid.UUID, on: date, grade: Grade, number: int) -> AuditSubmitted:
    return AuditSubmitted(
        audit_id=audit_id,
        org_unit=UNIT,
        plan_type=PlanType.CP,
        submitted_on=on,
        overall_grade=grade,
        final_grade=grade,
        child_voice_evident=True,
        submission_number=number,
    )


def test_a_submitted_audit_counts_once_in_every_unit_above_it() -> None:
    audit_id = uuid.uuid4()
    fact = on_submitted(
        AuditFact("886", audit_id, OrgUnitRef()),
        _submitted(audit_id, date(2026, 5, 2), Grade.GOOD, 1),
    )
    counts = contributions(fact)
    for kind, code in [
        ("tenant", "886"),
        ("area", "SOUTH"),
        ("district", "ASHFORD"),
        ("team", "ASH-CP1"),
    ]:
        assert counts[("886", "FY2026Q1", kind, code, "audits.completed", "")] == 1
        assert counts[("886", "FY2026Q1", kind, code, "audits.grades", "GOOD")] == 1
    assert sum(counts.values()) == 8


def test_a_resubmission_moves_the_audit_to_its_latest_quarter_and_grade() -> None:
    audit_id = uuid.uuid4()
    first = on_submitted(
        AuditFact("886", audit_id, OrgUnitRef()),
        _submitted(audit_id, date(2026, 6, 30), Grade.GOOD, 1),
    )
    second = on_submitted(first, _submitted(audit_id, date(2026, 7, 1), Grade.INADEQUATE, 2))
    delta = contributions(second)
    delta.subtract(contributions(first))
    assert delta[("886", "FY2026Q1", "tenant", "886", "audits.completed", "")] == -1
    assert delta[("886", "FY2026Q2", "tenant", "886", "audits.completed", "")] == 1
    assert delta[("886", "FY2026Q2", "tenant", "886", "audits.grades", "INADEQUATE")] == 1


def test_an_older_submission_arriving_late_changes_nothing() -> None:
    audit_id = uuid.uuid4()
    latest = on_submitted(
        AuditFact("886", audit_id, OrgUnitRef()),
        _submitted(audit_id, date(2026, 7, 1), Grade.GOOD, 2),
    )
    assert (
        on_submitted(latest, _submitted(audit_id, date(2026, 6, 1), Grade.INADEQUATE, 1)) == latest
    )
