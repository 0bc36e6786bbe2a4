"""The CIN census XML (docs/activity.md, "Returns"): one streamed pass with lxml's
`iterparse`, one `Child` at a time, each cleared once read, so memory does not grow with the
file. Element order does not matter and elements we do not use are skipped (a child's birth
date, UPN and characteristics are never read).

Hardened against hostile XML: no DTD is loaded, no entity resolved, nothing fetched, no huge
tree; a file with a DOCTYPE at all is refused before its first element is used."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import BinaryIO

from lxml import etree

from activity_service.domain.kinds import Kind
from activity_service.domain.returns.reading import (
    NaturalKeys,
    ReadError,
    ReadItem,
    Unreadable,
    parse_bool,
    parse_date,
    parse_int,
    read_record,
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


def _texts(element: _Element) -> dict[str, str | None]:
    """Each child element's text by name (the first of a name), in one pass."""
    texts: dict[str, str | None] = {}
    for child in element:
        tag = child.tag
        if isinstance(tag, str):
            texts.setdefault(tag.rpartition("}")[2], child.text)
    return texts


def _descendant_texts(element: _Element, name: str) -> list[str | None]:
    return [e.text for e in element.iter() if _name(e) == name]


def read_cin_census(stream: BinaryIO) -> Iterator[ReadItem]:
    """The records of a CIN census file in file order; `Unreadable` if it is not well-formed
    XML (with the parser's line and column), carries a DOCTYPE, or lacks `Message`,
    `Header` or `Children`."""
    keys = NaturalKeys()
    parser = etree.iterparse(
        stream,
        # only these reach Python: a census has some sixty elements a child
        events=("start", "end"),
        tag=("{*}Message", "{*}Header", "{*}Children", "{*}Child"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    checked = seen_header = seen_children = False
    child_index = 0
    try:
        for event, element in parser:
            if not checked:
                tree = element.getroottree()
                if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
                    raise Unreadable(
                        "line 1", "dtd_forbidden", "a DOCTYPE is not allowed in a return"
                    )
                if _name(tree.getroot()) != "Message":
                    raise Unreadable(
                        "/", "structure", "the root element is not the census's Message"
                    )
                checked = True
            name = _name(element)
            parent = element.getparent()
            if event == "start":
                seen_children |= name == "Children" and _is_root(parent)
                continue
            if name == "Child" and parent is not None and _is_root(parent.getparent()):
                child_index += 1
                yield from _child(element, f"/Message/Children/Child[{child_index}]", keys)
                element.clear()
                while element.getprevious() is not None:
                    del parent[0]
            elif name == "Header" and _is_root(parent):
                seen_header = True
                element.clear()
    except etree.XMLSyntaxError as error:
        line, column = error.position if error.position else (error.lineno, 0)
        # the parser's own message can quote the file; ours gives only where
        raise Unreadable(
            f"line {line}, column {column}",
            "not_well_formed",
            f"the file is not well-formed XML (line {line}, column {column})",
        ) from None
    if not checked:
        raise Unreadable("/", "structure", "the root element is not the census's Message")
    if not seen_header:
        raise Unreadable("/Message", "structure", "the census has no Header")
    if not seen_children:
        raise Unreadable("/Message", "structure", "the census has no Children")


def _is_root(element: _Element | None) -> bool:
    return element is not None and element.getparent() is None and _name(element) == "Message"


def _child(child: _Element, location: str, keys: NaturalKeys) -> Iterator[ReadItem]:
    child_ref: str | None = None
    for name, _, element in _children(child):
        if name == "ChildIdentifiers":
            child_ref = text(_texts(element).get("LAchildID"))
    if child_ref is None:
        yield ReadError(location, "child_ref", "required", "LAchildID is missing")
        return
    for name, index, element in _children(child):
        if name == "CINdetails":
            yield from _cin_details(element, f"{location}/CINdetails[{index}]", child_ref, keys)


def _cin_details(
    details: _Element, location: str, child_ref: str, keys: NaturalKeys
) -> Iterator[ReadItem]:
    texts = _texts(details)
    yield read_record(keys, location, Kind.REFERRAL, child_ref, partial(_referral, texts))
    # an assessment or S47 names its referral by its date: a bad one refuses them too
    for name, index, element in _children(details):
        if name == "Assessments":
            kind, read = Kind.ASSESSMENT, _assessment
        elif name == "Section47":
            kind, read = Kind.S47_ENQUIRY, _s47
        elif name == "ChildProtectionPlans":
            kind, read = Kind.CP_PLAN, _plan
        else:
            continue
        yield read_record(
            keys, f"{location}/{name}[{index}]", kind, child_ref, partial(read, element, texts)
        )


def _referral(texts: dict[str, str | None]) -> dict[str, object]:
    facts: dict[str, object] = {
        "referral_date": parse_date(texts.get("CINreferralDate"), "referral_date"),
        "referral_source": text(texts.get("ReferralSource")),
        "primary_need": text(texts.get("PrimaryNeedCode")),
        "nfa": parse_bool(texts.get("ReferralNFA"), "nfa"),
        "closure_date": parse_date(texts.get("CINclosureDate"), "closure_date"),
        "closure_reason": text(texts.get("ReasonForClosure")),
    }
    for fact in ("referral_date", "referral_source", "primary_need"):
        required(facts[fact], fact)
    return facts


def _begun(
    element: _Element, details: dict[str, str | None], start: str
) -> tuple[dict[str, str | None], dict[str, object]]:
    """An assessment's or S47's texts, and the facts each begins with, in this order: its
    start date (the element `start`) and its referral's date (a bad one refuses it too)."""
    texts = _texts(element)
    begun = parse_date(texts.get(start), "start_date")
    referral_date = parse_date(details.get("CINreferralDate"), "referral_date")
    required(referral_date, "referral_date")
    return texts, {"start_date": begun, "referral_date": referral_date}


def _assessment(element: _Element, details: dict[str, str | None]) -> dict[str, object]:
    texts, facts = _begun(element, details, "AssessmentActualStartDate")
    facts["authorised_date"] = parse_date(
        texts.get("AssessmentAuthorisationDate"), "authorised_date"
    )
    facts["factors"] = [
        code
        for code in map(text, _descendant_texts(element, "AssessmentFactors"))
        if code is not None
    ]
    required(facts["start_date"], "start_date")
    return facts


def _s47(element: _Element, details: dict[str, str | None]) -> dict[str, object]:
    texts, facts = _begun(element, details, "S47ActualStartDate")
    facts["icpc_target_date"] = parse_date(texts.get("InitialCPCtarget"), "icpc_target_date")
    facts["icpc_date"] = parse_date(texts.get("DateOfInitialCPC"), "icpc_date")
    facts["icpc_not_required"] = parse_bool(texts.get("ICPCnotRequired"), "icpc_not_required")
    required(facts["start_date"], "start_date")
    return facts


def _plan(element: _Element, details: dict[str, str | None]) -> dict[str, object]:
    del details  # a plan does not name its referral
    texts = _texts(element)
    reviews = [parse_date(t, "review_dates") for t in _descendant_texts(element, "CPPreviewDate")]
    facts: dict[str, object] = {
        "start_date": parse_date(texts.get("CPPstartDate"), "start_date"),
        "end_date": parse_date(texts.get("CPPendDate"), "end_date"),
        "initial_category": text(texts.get("InitialCategoryOfAbuse")),
        "previous_plans": parse_int(texts.get("NumberOfPreviousCPP"), "previous_plans"),
        "review_dates": sorted(d for d in reviews if d is not None),
    }
    required(facts["start_date"], "start_date")
    return facts
