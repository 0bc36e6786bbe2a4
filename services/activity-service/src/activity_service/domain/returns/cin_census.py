"""The CIN census XML (docs/activity.md, "Returns"): one streamed pass with lxml's
`iterparse`, one `Child` at a time, each cleared once read, so memory does not grow with the
file. Element order does not matter and elements we do not use are skipped (a child's birth
date, UPN and characteristics are never read).

Hardened against hostile XML: no DTD is loaded, no entity resolved, nothing fetched, no huge
tree; a file with a DOCTYPE at all is refused before its first element is used."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import BinaryIO

from lxml import etree

from activity_service.domain.kinds import Kind
from activity_service.domain.returns.reading import (
    FieldError,
    NaturalKeys,
    ReadError,
    ReadItem,
    ReadRecord,
    Unreadable,
    keyed,
    parse_bool,
    parse_date,
    parse_int,
    required,
    text,
)

_Element = etree._Element


def _name(element: _Element) -> str:
    """The element's name without a namespace (some suppliers add one)."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _children(element: _Element) -> Iterator[tuple[str, int, _Element]]:
    """Each child element with its name and its index among same-named siblings (from 1)."""
    counts: dict[str, int] = {}
    for child in element:
        name = _name(child)
        if not name:
            continue  # a comment or processing instruction
        counts[name] = counts.get(name, 0) + 1
        yield name, counts[name], child


def _value(element: _Element, name: str) -> str | None:
    """The text of the first child element called `name`, or None."""
    for child_name, _, child in _children(element):
        if child_name == name:
            return child.text
    return None


def _descendant_texts(element: _Element, name: str) -> list[str | None]:
    return [e.text for e in element.iter() if _name(e) == name]


def read_cin_census(stream: BinaryIO) -> Iterator[ReadItem]:
    """The records of a CIN census file in file order; `Unreadable` if it is not well-formed
    XML (with the parser's line and column), carries a DOCTYPE, or lacks `Message`,
    `Header` or `Children`."""
    keys = NaturalKeys()
    parser = etree.iterparse(
        stream,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    depth = 0
    seen_header = seen_children = False
    child_index = 0
    try:
        for event, element in parser:
            if event == "start":
                depth += 1
                if depth == 1:
                    docinfo = element.getroottree().docinfo
                    if docinfo.doctype or docinfo.internalDTD is not None:
                        raise Unreadable(
                            "line 1", "dtd_forbidden", "a DOCTYPE is not allowed in a return"
                        )
                    if _name(element) != "Message":
                        raise Unreadable(
                            "/", "structure", "the root element is not the census's Message"
                        )
                elif depth == 2:
                    seen_header |= _name(element) == "Header"
                    seen_children |= _name(element) == "Children"
                continue
            depth -= 1
            # depth is now the parent's: a Child ends at depth 2 (Message/Children/Child)
            if depth == 2 and _name(element) == "Child":
                child_index += 1
                location = f"/Message/Children/Child[{child_index}]"
                yield from _child(element, location, keys)
                element.clear()
                parent = element.getparent()
                while parent is not None and element.getprevious() is not None:
                    del parent[0]
            elif depth == 1 and _name(element) == "Header":
                element.clear()
    except etree.XMLSyntaxError as error:
        line, column = error.position if error.position else (error.lineno, 0)
        # the parser's own message can quote the file; ours gives only where
        raise Unreadable(
            f"line {line}, column {column}",
            "not_well_formed",
            f"the file is not well-formed XML (line {line}, column {column})",
        ) from None
    if not seen_header:
        raise Unreadable("/Message", "structure", "the census has no Header")
    if not seen_children:
        raise Unreadable("/Message", "structure", "the census has no Children")


def _child(child: _Element, location: str, keys: NaturalKeys) -> Iterator[ReadItem]:
    child_ref: str | None = None
    for name, _, element in _children(child):
        if name == "ChildIdentifiers":
            child_ref = text(_value(element, "LAchildID"))
    if child_ref is None:
        yield ReadError(location, "child_ref", "required", "LAchildID is missing")
        return
    for name, index, element in _children(child):
        if name == "CINdetails":
            yield from _cin_details(element, f"{location}/CINdetails[{index}]", child_ref, keys)


def _record(
    keys: NaturalKeys,
    location: str,
    kind: Kind,
    child_ref: str,
    read: Callable[[], dict[str, object]],
) -> ReadItem:
    try:
        facts = read()
    except FieldError as error:
        return ReadError(location, error.field, error.rule, error.message)
    return keyed(keys, ReadRecord(location, kind, child_ref, facts))


def _cin_details(
    details: _Element, location: str, child_ref: str, keys: NaturalKeys
) -> Iterator[ReadItem]:
    def referral() -> dict[str, object]:
        facts: dict[str, object] = {
            "referral_date": parse_date(_value(details, "CINreferralDate"), "referral_date"),
            "referral_source": text(_value(details, "ReferralSource")),
            "primary_need": text(_value(details, "PrimaryNeedCode")),
            "nfa": parse_bool(_value(details, "ReferralNFA"), "nfa"),
            "closure_date": parse_date(_value(details, "CINclosureDate"), "closure_date"),
            "closure_reason": text(_value(details, "ReasonForClosure")),
        }
        for fact in ("referral_date", "referral_source", "primary_need"):
            required(facts[fact], fact)
        return facts

    yield _record(keys, location, Kind.REFERRAL, child_ref, referral)
    # an assessment or S47 names its referral by its date: a bad one refuses them too
    for name, index, element in _children(details):
        if name == "Assessments":
            yield _record(
                keys,
                f"{location}/Assessments[{index}]",
                Kind.ASSESSMENT,
                child_ref,
                partial(_assessment, element, details),
            )
        elif name == "Section47":
            yield _record(
                keys,
                f"{location}/Section47[{index}]",
                Kind.S47_ENQUIRY,
                child_ref,
                partial(_s47, element, details),
            )
        elif name == "ChildProtectionPlans":
            yield _record(
                keys,
                f"{location}/ChildProtectionPlans[{index}]",
                Kind.CP_PLAN,
                child_ref,
                partial(_plan, element),
            )


def _referral_date(details: _Element) -> object:
    value = parse_date(_value(details, "CINreferralDate"), "referral_date")
    required(value, "referral_date")
    return value


def _assessment(element: _Element, details: _Element) -> dict[str, object]:
    facts: dict[str, object] = {
        "start_date": parse_date(_value(element, "AssessmentActualStartDate"), "start_date"),
        "referral_date": _referral_date(details),
        "authorised_date": parse_date(
            _value(element, "AssessmentAuthorisationDate"), "authorised_date"
        ),
        "factors": [
            code
            for code in map(text, _descendant_texts(element, "AssessmentFactors"))
            if code is not None
        ],
    }
    required(facts["start_date"], "start_date")
    return facts


def _s47(element: _Element, details: _Element) -> dict[str, object]:
    facts: dict[str, object] = {
        "start_date": parse_date(_value(element, "S47ActualStartDate"), "start_date"),
        "referral_date": _referral_date(details),
        "icpc_target_date": parse_date(_value(element, "InitialCPCtarget"), "icpc_target_date"),
        "icpc_date": parse_date(_value(element, "DateOfInitialCPC"), "icpc_date"),
        "icpc_not_required": parse_bool(_value(element, "ICPCnotRequired"), "icpc_not_required"),
    }
    required(facts["start_date"], "start_date")
    return facts


def _plan(element: _Element) -> dict[str, object]:
    reviews = [parse_date(t, "review_dates") for t in _descendant_texts(element, "CPPreviewDate")]
    facts: dict[str, object] = {
        "start_date": parse_date(_value(element, "CPPstartDate"), "start_date"),
        "end_date": parse_date(_value(element, "CPPendDate"), "end_date"),
        "initial_category": text(_value(element, "InitialCategoryOfAbuse")),
        "previous_plans": parse_int(_value(element, "NumberOfPreviousCPP"), "previous_plans"),
        "review_dates": sorted(d for d in reviews if d is not None),
    }
    required(facts["start_date"], "start_date")
    return facts
