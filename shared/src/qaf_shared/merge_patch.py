"""A write's changes over what is stored, as JSON Merge Patch (RFC 7396) reads them one level
deep: a name the write leaves out keeps its stored value, one it gives as null (None) is
removed, any other takes the written value. An audit's draft answers and an activity record's
facts are written this way (docs/api-conventions.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def merge_patch(stored: Mapping[str, Any] | None, changes: Mapping[str, Any]) -> dict[str, Any]:
    """`stored` (None: nothing yet) with `changes` applied: left out keeps, None clears, any
    other value replaces. `stored` itself is left as it was."""
    merged = dict(stored or {})
    for name, value in changes.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged
