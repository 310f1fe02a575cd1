"""Issue 12: the login page's answers do not tell whether a username exists. A real username and
an unknown one get the same messages, attempt after attempt: the same "N more attempts" warning
and the same lock, in both languages."""
from __future__ import annotations

import re

import pytest


def _answers(app_at, url: str, username: str, lang: str, tries: int = 7) -> list[str]:
    at = app_at(url, lang=lang)
    shown = []
    for _ in range(tries):
        at.text_input(key="login_username").input(username)
        at.text_input(key="login_password").input("not-the-password")
        at.button(key="login_submit").click().run()
        assert not at.exception
        # the lock's end time is the only part that may differ (the tries are seconds apart)
        shown.append(" | ".join(re.sub(r"\d{1,2}:\d{2}", "HH:MM", e.value) for e in at.error))
    return shown


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_real_and_unknown_usernames_get_the_same_answers(app_at, world_url, lang):
    real = _answers(app_at, world_url, "manager_a", lang)
    unknown = _answers(app_at, world_url, "no.such.person", lang)
    assert real == unknown
    warned = [a for a in real if re.search(r"\b[1-3]\b more wrong attempts|再错 [1-3] 次", a)]
    assert warned, real  # the warning is shown, to both
    assert real[-1] != real[0]  # and the lock comes, for both
