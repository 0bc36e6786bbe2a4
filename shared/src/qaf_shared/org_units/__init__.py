"""Each tenant's org-unit tree, from configuration (one YAML file per tenant), validated on
write: a request names a team (a leaf) or a county-wide service, and the service stores the
resolved area, district, team and service so that reports never need a lookup."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from qaf_shared.events.payloads import OrgUnitRef

DEFAULT_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class TenantUnits:
    tenant: str
    name: str
    areas: dict[str, dict[str, tuple[str, ...]]]  # area -> district -> teams
    services: tuple[str, ...]

    def __post_init__(self) -> None:
        teams: dict[str, OrgUnitRef] = {}
        for area, districts in self.areas.items():
            for district, codes in districts.items():
                for team in codes:
                    if team in teams:
                        raise ValueError(f"tenant {self.tenant}: team {team} appears twice")
                    teams[team] = OrgUnitRef(area=area, district=district, team=team)
        object.__setattr__(self, "_teams", teams)

    def team(self, code: str) -> OrgUnitRef | None:
        found: OrgUnitRef | None = self._teams.get(code)  # type: ignore[attr-defined]
        return found

    def service(self, code: str) -> OrgUnitRef | None:
        return OrgUnitRef(service=code) if code in self.services else None

    def kind_of(self, code: str) -> str | None:
        """`area`, `district`, `team` or `service` for a code of this tenant; None if unknown."""
        if code in self.areas:
            return "area"
        if code in self.services:
            return "service"
        if self.team(code) is not None:
            return "team"
        if any(code in districts for districts in self.areas.values()):
            return "district"
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "areas": [
                {
                    "code": area,
                    "districts": [{"code": d, "teams": list(t)} for d, t in districts.items()],
                }
                for area, districts in self.areas.items()
            ],
            "services": list(self.services),
        }


class OrgUnitDirectory:
    """Every tenant's tree, loaded once at start-up."""

    def __init__(self, directory: Path = DEFAULT_DIR) -> None:
        self._tenants: dict[str, TenantUnits] = {}
        for path in sorted(directory.glob("*.yaml")):
            doc = yaml.safe_load(path.read_text())
            units = TenantUnits(
                tenant=str(doc["tenant"]),
                name=str(doc["name"]),
                areas={
                    str(a["code"]): {
                        str(d["code"]): tuple(map(str, d["teams"])) for d in a["districts"]
                    }
                    for a in doc["areas"]
                },
                services=tuple(map(str, doc["services"])),
            )
            self._tenants[units.tenant] = units

    def tenant(self, tenant: str) -> TenantUnits | None:
        return self._tenants.get(tenant)

    def tenants(self) -> list[str]:
        return sorted(self._tenants)
