"""The Meeting page: managers see their team's board; members cannot open it; a bad or foreign
`?team=` gets a clear message."""
from __future__ import annotations

import pytest

from db.engine import make_engine
from db.models import Team
from db.session import read_session

PAGE = "pages/meeting.py"


def _team_id(url, name):
    engine = make_engine(url)
    with read_session(engine) as s:
        team_id = s.query(Team).filter_by(name=name).one().id
    engine.dispose()
    return team_id


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [e.value for e in at.error] + [s.value for s in at.success]
    parts += [h.value for h in at.header] + [h.value for h in at.subheader] + [c.value for c in at.caption]
    return " ".join(parts)


def _meeting(app_at, url, username, lang="en", **params):
    at = app_at(url, username, run=False, lang=lang)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGE)
    at.run()
    return at


@pytest.mark.parametrize("lang,heading", [("en", "Team goals"), ("zh", "团队目标")])
def test_a_manager_sees_the_team_board_without_editing_controls(app_at, world_url, lang, heading):
    at = _meeting(app_at, world_url, "manager_a", lang=lang, team=str(_team_id(world_url, "Team A")))
    assert not at.exception, [e.value for e in at.exception]
    texts = _texts(at)
    assert "Team A" in texts and heading in texts
    assert "Goal of Alice A1" in at.table[0].value.to_string()
    assert len(at.button) == 0 and len(at.text_input) == 0 and len(at.number_input) == 0


def test_a_member_cannot_open_the_meeting_page(app_at, world_url):
    at = app_at(world_url, "member_a1")
    with pytest.raises(ValueError):
        at.switch_page(PAGE)


@pytest.mark.parametrize("value,message", [("abc", "is not valid"), ("999", "not one of your teams")])
def test_a_bad_or_unknown_team_in_the_link_is_explained(app_at, world_url, value, message):
    at = _meeting(app_at, world_url, "manager_a", team=value)
    assert not at.exception
    assert any(message in e.value for e in at.error)


def test_another_managers_team_is_refused_by_link(app_at, world_url):
    at = _meeting(app_at, world_url, "manager_a", team=str(_team_id(world_url, "Team B")))
    assert any("not one of your teams" in e.value for e in at.error)
    assert "Goal of Bella B1" not in _texts(at)


def test_the_print_view_has_no_team_picker(app_at, world_url):
    at = _meeting(app_at, world_url, "manager_a", team=str(_team_id(world_url, "Team A")), print="1")
    assert not at.exception
    assert len(at.selectbox) == 0 and "Printable view" in _texts(at)
