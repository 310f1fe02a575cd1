"""Admin page (issue 12): destructive actions are confirmed, nobody is preselected, and the audit
log reads as sentences, newest first, filterable, with its before/after values."""
from __future__ import annotations

from sqlalchemy import select

from core import audit, auth
from db.engine import make_engine
from db.models import User
from db.session import AppSession
from tests.app.conftest import open_tab

PAGE = "pages/admin.py"


def _user(url, username):
    engine = make_engine(url)
    with AppSession(bind=engine) as s:
        user = s.scalar(select(User).where(User.username == username))
    engine.dispose()
    return user


def test_deactivate_needs_a_chosen_account_and_a_tick(app_at, world_url):
    at = open_tab(app_at(world_url, "admin", PAGE), "admin_tab", "admin.reset_password")
    assert not at.exception
    assert at.selectbox(key="admin_pick_user").value is None
    assert not [b for b in at.button if b.key == "deactivate"]
    target = _user(world_url, "member_b1")
    at.selectbox(key="admin_pick_user").set_value(target.id).run()
    button = [b for b in at.button if b.key == "deactivate"][0]
    assert button.disabled
    at.checkbox(key=f"deactivate_sure_{target.id}").check().run()
    [b for b in at.button if b.key == "deactivate"][0].click().run()
    assert not _user(world_url, "member_b1").active
    assert any("member\\_b1" in s.value for s in at.success)  # the username escaped: shown as typed


def test_the_audit_log_reads_as_sentences_newest_first_and_filters_by_person(app_at, world_url):
    engine = make_engine(world_url)
    with AppSession(bind=engine, expire_on_commit=False) as s, s.begin():
        from core.permissions import actor_for_user

        admin = actor_for_user(s, s.scalar(select(User).where(User.username == "admin")))
        b1 = s.scalar(select(User).where(User.username == "member_b1"))
        # a role change as the audit log stores it (no screen changes roles any more: auth.set_role was unused)
        audit.record(s, admin, "set_role", "user", b1.id, {"role": b1.role}, {"role": "manager"})
        b1.role = "manager"
        auth.set_active(s, admin, b1.id, False)
    engine.dispose()
    at = open_tab(app_at(world_url, "admin", PAGE), "admin_tab", "screens.admin.audit_tab")
    assert not at.exception
    frame = at.dataframe[-1].value
    actions = list(frame["Action"])
    assert actions[0].startswith("Admin deactivated account") and actions[1].startswith("Admin changed the role")
    assert "Role: Member → Manager" in list(frame["What changed (before → after)"])[1]
    at.selectbox(key="audit_who").set_value(_user(world_url, "manager_a").id).run()
    assert not at.exception
    logs = [d.value for d in at.dataframe if "Action" in d.value.columns]
    assert all(not a.startswith("Admin ") for f in logs for a in f["Action"])
