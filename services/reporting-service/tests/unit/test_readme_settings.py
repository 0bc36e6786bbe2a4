"""The README's settings table says what the code does: every setting of reporting-service's
own is in it, with the default its settings class has."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from qaf_shared.settings import ServiceSettings
from reporting_service.settings import ReportingSettings

README = Path(__file__).resolve().parents[2] / "README.md"


def _table() -> dict[str, str]:
    """The table's defaults by variable, as written."""
    text = README.read_text().split("## Settings (beyond the shared ones)", 1)[1]
    rows = re.findall(r"^\| `(QA_[A-Z0-9_]+)` \| (.+?) \|", text, flags=re.MULTILINE)
    return dict(rows)


def _shown(value: Any) -> str:
    """A default as the table writes it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"{value:g}"
    if isinstance(value, dict | list):
        return f"`{json.dumps(value)}`"
    return f"`{value}`"


def test_every_setting_of_the_service_is_in_the_readme_with_its_default() -> None:
    table = _table()
    own = set(ReportingSettings.model_fields) - set(ServiceSettings.model_fields)
    assert own, "the service has settings of its own"
    for name in sorted(own):
        default = ReportingSettings.model_fields[name].get_default(call_default_factory=True)
        variable = f"QA_{name.upper()}"
        assert variable in table, f"{variable} is missing from the README's settings table"
        assert table[variable] == _shown(default), variable
