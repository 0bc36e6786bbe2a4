"""The merge of a write with what is stored (qaf_shared.merge_patch)."""

from __future__ import annotations

from qaf_shared.merge_patch import merge_patch


def test_a_name_left_out_keeps_its_value_null_removes_it_and_a_value_replaces() -> None:
    stored = {"kept": 1, "cleared": 2, "replaced": 3}
    changes = {"cleared": None, "replaced": 4, "added": 5, "never_there": None}
    assert merge_patch(stored, changes) == {"kept": 1, "replaced": 4, "added": 5}
    assert stored == {"kept": 1, "cleared": 2, "replaced": 3}


def test_nothing_stored_takes_the_changes_without_their_nulls() -> None:
    assert merge_patch(None, {"a": 1, "b": None}) == {"a": 1}
    assert merge_patch({}, {}) == {}
