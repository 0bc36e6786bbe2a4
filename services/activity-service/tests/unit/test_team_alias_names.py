"""Team names match their aliases whatever their case and spacing (handlers/team_aliases.py)."""

from __future__ import annotations

from activity_service.handlers.team_aliases import TeamAliases, name_key


def test_names_match_whatever_their_case_and_spaces() -> None:
    assert name_key("Ashford CIN  Team 1") == name_key(" ashford cin team1 ") == "ashfordcinteam1"
    aliases = TeamAliases({name_key("Ashford CIN Team 1"): "ASH-CIN1"})
    assert aliases.resolve("ASHFORD\tcin team 1") == "ASH-CIN1"
    assert aliases.resolve("Ashford CP Team 1") is None
