"""The DfE code lists a record's coded facts are checked against, one set per collection year
(docs/activity.md, The records). A year whose lists differ is one more `CodeLists` in `BY_YEAR`, built from
the year before with what changed; callers name a year or take `CURRENT`.

Sources: the DfE's CIN census schema for 2021-22 (`cin-2022.xsd`, as published with
SocialFinanceDigitalLabs/liia-tools `liiatools/spec/cin_census/`) and its SSDA903 schema for
2023-24 (`liiatools/spec/s903/SSDA903_schema_2024.yml`); the 2023-24 CIN census added
ReferralSource `5D` (early help) and ReasonForClosure `RC9` (closed after assessment, referred
to early help), and our PrimaryNeedCode list is `N1`-`N9` (the schema's `N0`, "not stated", is
not a need a measure can count)."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Final

from activity_service.domain.kinds import FACTS, Kind


def _codes(codes: str) -> frozenset[str]:
    """A list written as the codes separated by spaces."""
    return frozenset(codes.split())


@dataclass(frozen=True)
class CodeLists:
    """Every list of one collection year (`year`: the year the collection ends)."""

    year: int
    referral_source: frozenset[str]
    primary_need: frozenset[str]
    closure_reason: frozenset[str]
    assessment_factor: frozenset[str]
    abuse_category: frozenset[str]
    reason_new_episode: frozenset[str]
    legal_status: frozenset[str]
    cin_category: frozenset[str]
    placement: frozenset[str]
    reason_ceased: frozenset[str]
    pn_code: frozenset[str]
    visit_plan_type: frozenset[str]

    @functools.cached_property
    def coded(self) -> dict[Kind, dict[str, frozenset[str]]]:
        """Each kind's coded facts with the list each takes its codes from (`for_fact`), for
        the rules that check a record's every coded fact."""
        return {
            kind: {
                name: allowed
                for name in FACTS[kind]
                if (allowed := self.for_fact(kind, name)) is not None
            }
            for kind in Kind
        }

    def for_fact(self, kind: Kind, fact: str) -> frozenset[str] | None:
        """The list `kind`'s `fact` takes its codes from (a list fact, `factors`, each of its
        items); None for a fact that is no code. Every text fact of a kind is a DfE code, and
        takes the list of its own name but where `_LIST_OF` names another."""
        if FACTS[kind].get(fact) not in (str, "list[str]"):
            return None
        codes: frozenset[str] = getattr(self, _LIST_OF.get(fact, fact))
        return codes


# The coded facts whose list is named otherwise (a visit's plan type is not a plan's).
_LIST_OF: Final = {
    "factors": "assessment_factor",
    "initial_category": "abuse_category",
    "plan_type": "visit_plan_type",
}

LISTS_2022: Final = CodeLists(
    year=2022,
    referral_source=_codes("1A 1B 1C 1D 2A 2B 3A 3B 3C 3D 3E 3F 4 5A 5B 5C 6 7 8 9 10"),
    primary_need=_codes("N1 N2 N3 N4 N5 N6 N7 N8 N9"),
    closure_reason=_codes("RC1 RC2 RC3 RC4 RC5 RC6 RC7 RC8"),
    assessment_factor=_codes(
        "1A 1B 1C 2A 2B 2C 3A 3B 3C 4A 4B 4C 5A 5B 5C 6A 6B 6C 7A 8B 8C 8D 8E 8F 9A 10A "
        "11A 12A 13A 14A 15A 16A 17A 18B 18C 19B 19C 20 21 22A 23A 24A"
    ),
    abuse_category=_codes("NEG PHY SAB EMO MUL"),
    reason_new_episode=_codes("S L P T B U"),
    legal_status=_codes("C1 C2 D1 E1 V2 V3 V4 L1 L2 L3 J1 J2 J3"),
    cin_category=_codes("N1 N2 N3 N4 N5 N6 N7 N8"),
    placement=_codes(
        "A3 A4 A5 A6 H5 K1 K2 P1 P2 P3 R1 R2 R3 R5 S1 T0 T1 T2 T3 T4 U1 U2 U3 U4 U5 U6 Z1"
    ),
    reason_ceased=_codes(
        "X1 E11 E12 E2 E3 E4A E4B E13 E41 E45 E46 E47 E48 E5 E6 E7 E9 E14 E15 E16 E17 E8"
    ),
    pn_code=_codes("PN0 PN1 PN2 PN3 PN4 PN5 PN6 PN7"),
    visit_plan_type=_codes("CIN CP CLA"),
)

LISTS_2024: Final = dataclasses.replace(
    LISTS_2022,
    year=2024,
    referral_source=LISTS_2022.referral_source | {"5D"},
    closure_reason=LISTS_2022.closure_reason | {"RC9"},
)

BY_YEAR: Final[dict[int, CodeLists]] = {lists.year: lists for lists in (LISTS_2022, LISTS_2024)}

# What records are checked against now.
CURRENT: Final = LISTS_2024


def lists_for(year: int) -> CodeLists:
    """The lists of the collection ending in `year`: that year's, or the latest year's before
    it (a year with no change of its own keeps the lists it inherited); `CURRENT` for a
    year after the latest we know."""
    known = [y for y in BY_YEAR if y <= year]
    return BY_YEAR[max(known)] if known else BY_YEAR[min(BY_YEAR)]
