"""Child in care review participation (DfE SSDA903 codes), free of I/O."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from qaf_shared.dates import EARLIEST_DATE
from qaf_shared.enums import PnCode
from qaf_shared.rules import FieldError

# PN1-PN6: the child's views reached the review, in person or otherwise.
PARTICIPATED = frozenset({PnCode.PN1, PnCode.PN2, PnCode.PN3, PnCode.PN4, PnCode.PN5, PnCode.PN6})
# PN0 (under 4 at the review) is outside the measure altogether.
EXCLUDED = frozenset({PnCode.PN0})
ATTENDED = frozenset({PnCode.PN1, PnCode.PN2, PnCode.PN3, PnCode.PN4})

# A due date far beyond the review is a typing mistake (and keeps dates well inside range).
MAX_DUE_AFTER_HELD_DAYS = 366 * 2


def participated(code: PnCode) -> bool | None:
    """Whether the review counts as the child participating; None for PN0 (not counted)."""
    if code in EXCLUDED:
        return None
    return code in PARTICIPATED


def participation_rate(codes: Iterable[PnCode]) -> float | None:
    """PN1-PN6 / all reviews except PN0, as a percentage; None with nothing to count."""
    counted = [participated(c) for c in codes if c not in EXCLUDED]
    if not counted:
        return None
    return 100 * sum(1 for c in counted if c) / len(counted)


def in_timescale(review_due: date, review_held: date) -> bool:
    """Held on or before the day it was due."""
    return review_held <= review_due


def check_review(review_due: date, review_held: date, today: date) -> list[FieldError]:
    errors = []
    if review_held > today:
        errors.append(FieldError("review_held", "cannot be in the future (record held reviews)"))
    if review_held < EARLIEST_DATE:
        errors.append(FieldError("review_held", f"cannot be before {EARLIEST_DATE.isoformat()}"))
    if review_due < EARLIEST_DATE:
        errors.append(FieldError("review_due", f"cannot be before {EARLIEST_DATE.isoformat()}"))
    elif (review_due - review_held).days > MAX_DUE_AFTER_HELD_DAYS:
        errors.append(FieldError("review_due", "is more than two years after the review was held"))
    return errors
