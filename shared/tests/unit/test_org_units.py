from qaf_shared.org_units import OrgUnitDirectory


def test_kent_and_medway_are_configured_with_unique_teams() -> None:
    directory = OrgUnitDirectory()
    assert directory.tenants() == ["886", "887"]
    kent = directory.tenant("886")
    assert kent is not None
    unit = kent.team("ASH-CP1")
    assert unit is not None and (unit.area, unit.district, unit.team) == (
        "SOUTH",
        "ASHFORD",
        "ASH-CP1",
    )
    assert kent.service("FOSTERING") is not None and kent.service("ASHFORD") is None
    assert kent.kind_of("WEST") == "area"
    assert kent.kind_of("MAIDSTONE") == "district"
    assert kent.kind_of("ADOPTION") == "service"
    assert kent.kind_of("NOPE") is None


def test_one_tenant_does_not_resolve_another_tenants_teams() -> None:
    medway = OrgUnitDirectory().tenant("887")
    assert medway is not None
    assert medway.team("ASH-CP1") is None
