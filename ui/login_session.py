"""The browser side of server-side sessions (core.sessions): reading the session cookie, writing and
deleting it, signing out, and the change-own-password dialog.

Why not streamlit-authenticator's cookie controller: its cookie is a JWT holding only a username
and an expiry (it cannot be revoked), its decoder lets `alg=none`/HS512 tokens and a token without
`exp_date` raise instead of returning "not signed in" (a traceback on every page), and it renders a
"getAll" cookie component on every run. Here the cookie holds a random token, is read from the
websocket's request (`st.context.cookies`), and the cookie component (the same
extra-streamlit-components one the authenticator uses) is drawn only while a write is pending.
Cookies written by JavaScript cannot be HttpOnly; the token alone is worthless once the session is
revoked or idle, and it is marked Secure when the app is served over HTTPS.
"""
from __future__ import annotations

import time

import streamlit as st
from extra_streamlit_components.CookieManager import _component_func as _cookie_component

from core import auth, config, sessions
from core.clock import utcnow
import ui

TOKEN_KEY = "_session_token"
_SEEN_KEY = "_session_touched"
_COOKIE_OP = "_cookie_op"
_DEAD_COOKIE = "_cookie_refused"


def client_address() -> str | None:
    try:
        address = st.context.ip_address
    except Exception:  # noqa: BLE001 - AppTest and old runtimes have no request
        return None
    return address if isinstance(address, str) else None  # AppTest's context is a mock


def _https() -> bool:
    try:
        url = st.context.url
        proto = st.context.headers.get("X-Forwarded-Proto")
    except Exception:  # noqa: BLE001
        return False
    return (isinstance(url, str) and url.startswith("https://")) or (isinstance(proto, str) and proto.lower() == "https")


def _queue_cookie(op: str, token: str | None = None) -> None:
    count = st.session_state.get("_cookie_ops", 0) + 1
    st.session_state["_cookie_ops"] = count
    st.session_state[_COOKIE_OP] = (op, token, count)


def render_cookie_writes() -> None:
    """Draw the cookie component while a write or deletion is pending; it reports back once the
    browser has done it (about a second later), and is not drawn again after that."""
    pending = st.session_state.get(_COOKIE_OP)
    if not pending:
        return
    op, token, count = pending
    if op == "set":
        expires = (utcnow() + config.session_lifetime()).isoformat(timespec="seconds") + "Z"
        options = {"path": "/", "expires": expires, "sameSite": "strict"}
        if _https():
            options["secure"] = True
        done = _cookie_component(method="set", cookie=config.COOKIE_NAME, value=token, options=options,
                                 key=f"_cc_cookie_{count}", default=False)
    else:
        done = _cookie_component(method="delete", cookie=config.COOKIE_NAME, key=f"_cc_cookie_{count}", default=False)
    if done:
        st.session_state.pop(_COOKIE_OP, None)


def signed_in(token: str, username: str) -> None:
    st.session_state.update({TOKEN_KEY: token, "authentication_status": True, "username": username,
                             _SEEN_KEY: time.monotonic()})
    _queue_cookie("set", token)


def _forget() -> None:
    for key in (TOKEN_KEY, _SEEN_KEY, "username", "name"):
        st.session_state.pop(key, None)
    st.session_state["authentication_status"] = None


def current_username() -> str | None:
    """The username of this browser's live session, or None. Checked against the database on every
    run (one primary-key read), so a revocation through any server applies at the next click."""
    token = st.session_state.get(TOKEN_KEY)
    from_cookie = False
    if token is None:
        try:
            cookie = st.context.cookies.get(config.COOKIE_NAME)
        except Exception:  # noqa: BLE001 - no request (bare runs)
            cookie = None
        cookie = cookie if isinstance(cookie, str) else None
        if not cookie or cookie == st.session_state.get(_DEAD_COOKIE):
            _forget()
            return None
        token, from_cookie = cookie, True
    try:
        with ui.engine().connect() as connection:
            info = sessions.check(connection, token)
            now = time.monotonic()
            if info is not None and now - st.session_state.get(_SEEN_KEY, 0) > sessions.TOUCH_EVERY.total_seconds():
                sessions.touch(connection, token)
                connection.commit()
                st.session_state[_SEEN_KEY] = now
    except Exception:  # noqa: BLE001 - e.g. a token the database cannot even compare: not a session
        info = None
    if info is None:
        if from_cookie or st.session_state.get(TOKEN_KEY):
            st.session_state[_DEAD_COOKIE] = token
            _queue_cookie("delete")
        _forget()
        return None
    st.session_state.update({TOKEN_KEY: token, "authentication_status": True, "username": info.username})
    return info.username


def sign_out() -> None:
    """End this browser's session on the server (a copied cookie stops working too) and delete
    the cookie."""
    token = st.session_state.get(TOKEN_KEY)
    if token:
        ui.run_unit(sessions.revoke, token)
        st.session_state[_DEAD_COOKIE] = token
    _queue_cookie("delete")
    _forget()
    st.session_state["logout"] = True


@st.dialog(" ", width="small")
def change_password_dialog() -> None:
    """Change own password: the current one is required; other browsers are signed out."""
    st.subheader(ui.t("sec.change_password"))
    with st.form("change_password_form", border=False):
        current = st.text_input(ui.t("sec.current_password"), type="password", autocomplete="current-password")
        new = st.text_input(ui.t("sec.new_password"), type="password", autocomplete="new-password",
                            help=ui.t("sec.password_rules", n=auth.MIN_PASSWORD_LENGTH))
        repeat = st.text_input(ui.t("sec.repeat_password"), type="password", autocomplete="new-password")
        if st.form_submit_button(ui.t("sec.change_password"), type="primary"):
            if new != repeat:
                st.error(ui.t("sec.passwords_differ"))
                return
            if ui.write(auth.change_own_password, current, new, keep_session=st.session_state.get(TOKEN_KEY)):
                ui.flash(ui.t("sec.password_changed"))
                st.rerun()


