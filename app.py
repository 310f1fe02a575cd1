"""ClientCrew entry script: page config, language, login, the acting user, role-based navigation.

Everything before `st.navigation` runs on every click of every user, so it stays cached and cheap:
credentials and the acting user come from caches keyed by the data revision (defined in ui/runtime.py,
so they are not re-declared on every run of this script).
"""
from __future__ import annotations

import re

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core import auth, config, i18n, sessions
from core.navigation import PAGES, PAGES_BY_KEY, alias_paths, may_open, pages_for
import ui
from ui import login_session

st.set_page_config(page_title="ClientCrew", page_icon=":material/groups:", layout="wide")


def _apply_language_choice() -> None:
    """`?lang=en|zh` overrides the language for this session (tests and shared meeting links)."""
    requested = st.query_params.get("lang")
    if requested in i18n.LANGUAGES:
        ui.set_lang(requested)


def _handle_login_submit() -> None:
    """Process a submitted login form before navigation is built, so a successful login lands on
    the page the URL asked for in this very run (and the cookie is written in this run too)."""
    if not st.session_state.get("login_submit"):
        return
    username = st.session_state.get("login_username", "")
    password = st.session_state.get("login_password", "")
    st.session_state["login_password"] = ""
    result, token = ui.run_unit(_authenticate, username, password)  # the failed-attempt count must be committed
    if not result.ok:
        st.session_state["_login_error"] = (result.error_key, result.params)
        return
    login_session.signed_in(token, auth.normalise_username(username))
    st.session_state.pop("_login_error", None)
    st.session_state.pop("_welcome_note", None)


def _authenticate(s, username: str, password: str):
    """Check the login and, when it holds, start its server-side session (one transaction)."""
    result = auth.authenticate(s, username, password, address=login_session.client_address())
    token = sessions.start(s, result.user.id, client=login_session.client_address()) if result.ok else None
    return result, token


def _login_view() -> None:
    lang = ui.lang()
    st.title(i18n.t("app.name", lang))
    st.caption(i18n.t("app.tagline", lang))
    if st.session_state.get("_welcome_note"):  # "organisation set up, sign in as ..." (kept until signed in:
        st.success(st.session_state["_welcome_note"])  # the cookie component reruns this view at once)
    error = st.session_state.pop("_login_error", None)
    if error:
        key, params = error
        params = dict(params)
        if "until" in params:
            params["until"] = i18n.format_date(params["until"], lang)
        message = i18n.t(key, lang, **params)
        if key == "login.wrong_password" and params.get("left") and params["left"] <= 3:
            message += " " + (i18n.t("navigation.last_attempt", lang) if params["left"] == 1
                              else i18n.t("sec.attempts_left", lang, n=params["left"]))
        st.error(message, icon=":material/lock:")
    with st.form("login_form", border=True):
        st.subheader(i18n.t("login.title", lang))
        st.text_input(i18n.t("login.username", lang), key="login_username", autocomplete="username")
        st.text_input(i18n.t("login.password", lang), type="password", key="login_password", autocomplete="current-password")
        st.form_submit_button(i18n.t("login.submit", lang), key="login_submit", type="primary")
    if ui.demo_on():
        st.info(i18n.t("login.demo_hint", lang), icon=":material/info:")


def _sidebar(actor) -> None:
    with st.sidebar:
        st.caption(ui.t("nav.signed_in_as", name=ui.esc(actor.display_name), role=ui.label("user_role", actor.role)))
        current = ui.lang()
        choice = st.segmented_control(
            ui.t("nav.language"), options=list(i18n.LANGUAGES), default=current,
            format_func=lambda code: {"zh": "中文", "en": "English"}[code], key="lang_choice",
        )
        if choice and choice != current:
            ui.set_lang(choice)
            ui.run_unit(auth.set_language, actor, choice)
            st.rerun()
        if st.button(ui.t("sec.change_password"), key="change_password_button", icon=":material/password:"):
            login_session.change_password_dialog()
        st.button(ui.t("nav.logout"), key="logout_button", icon=":material/logout:")


def _handle_logout() -> None:
    """Process the logout button before navigation is built: the session ends in the database (on
    every server), the cookie deletion is rendered in this same run, and no stale menu shows."""
    if st.session_state.get("logout_button") and st.session_state.get("authentication_status"):
        login_session.sign_out()
        for key in (ui.ACTOR_KEY, "lang_choice"):
            st.session_state.pop(key, None)
        ui.set_lang(None)


def _menu(role: str, lang: str) -> dict[str, list]:
    """The role's pages by section, built once per session, role and language (building the page
    objects resolves every file path: a cost on each click otherwise). Kept per session, not per
    process: st.navigation marks the page objects during a run.

    Besides the menu, hidden pages answer every other address a user may open: an old or usual
    name of a page (/home, /tasks, /my_tasks) opens that page, and a page the role may not use
    (a member's /admin) says so in the user's language, instead of Streamlit's English "Page not
    found" and a silent landing on Home."""
    key = (role, lang)
    kept = st.session_state.get("_menu")
    if kept is None or kept[0] != key or len(kept) != 4:
        sections: dict[str, list] = {}
        by_key: dict[str, object] = {}
        for spec in pages_for(role):
            # Home is served at "/"; its reserved name is one nobody types, so /home can be an alias
            page = st.Page(spec.file, title=ui.t(f"nav.{spec.key}"), icon=spec.icon,
                           url_path=HOME_RESERVED if spec.key == "home" else spec.url_path, default=spec.key == "home")
            by_key[spec.key] = page
            sections.setdefault(ui.t(f"nav.section.{spec.section}"), []).append(page)
        hidden = [st.Page(_forbidden_view(spec.key), title=ui.t(f"nav.{spec.key}"), url_path=spec.url_path,
                          visibility="hidden") for spec in PAGES if not may_open(role, spec.key)]
        for path, target in alias_paths().items():
            view = _redirect_view(by_key[target]) if target in by_key else _forbidden_view(target)
            hidden.append(st.Page(view, title=ui.t(f"nav.{target}"), url_path=path, visibility="hidden"))
        kept = (key, sections, hidden, by_key["home"])
        st.session_state["_menu"] = kept
    sections, hidden, home = kept[1], kept[2], kept[3]
    unknown = _unknown_address(sections, hidden)
    if unknown:  # any other address: Home, with a sentence saying the address was not found
        hidden = hidden + [st.Page(_redirect_view(home, ui.t("navigation.not_found", path=unknown)),
                                   title=ui.t("nav.home"), url_path=unknown, visibility="hidden")]
    last = list(sections)[-1]  # hidden pages draw nothing in the menu: any section may hold them
    return {**sections, last: sections[last] + hidden}


def _redirect_view(target, notice: str | None = None):
    """A hidden page that opens `target` (keeping the address's query parameters)."""
    def view() -> None:
        if notice:
            ui.flash(notice, "info")
        st.switch_page(target, query_params=st.query_params.to_dict())
    return view


def _forbidden_view(key: str):
    """A hidden page at the address of a page the role may not use: it says so, with a way home."""
    def view() -> None:
        st.title(ui.t("navigation.forbidden_title"))
        st.error(ui.t("navigation.forbidden", page=ui.t(f"nav.{key}")), icon=":material/block:")
        st.page_link(PAGES_BY_KEY["home"].file, label=ui.t("navigation.go_home"), icon=":material/home:")
    return view


HOME_RESERVED = "home-page"
_ADDRESS = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def _unknown_address(*groups) -> str | None:
    """The address the browser asked for when this session's run started from a typed URL, if no
    page answers it (read from Streamlit's page manager; None when there is nothing to answer)."""
    ctx = get_script_run_ctx()
    manager = getattr(ctx, "pages_manager", None)
    wanted = getattr(manager, "intended_page_name", None)
    if (not wanted or wanted == HOME_RESERVED or getattr(manager, "intended_page_script_hash", None)
            or not _ADDRESS.fullmatch(wanted)):
        return None
    for group in groups:
        for pages in (group.values() if isinstance(group, dict) else [group]):
            if any(p.url_path == wanted for p in pages):
                return None
    return wanted


def _hidden_addresses(view, own: set[str]) -> list:
    """Every real or alias address except `own`, as hidden pages running `view` (the login form,
    the welcome screen or the first-password form): a deep link survives, no "Page not found"."""
    paths = [spec.url_path for spec in PAGES if spec.key != "home"] + list(alias_paths())
    return [st.Page(view, title=path, url_path=path, visibility="hidden") for path in dict.fromkeys(paths) if path not in own]


def _welcome() -> None:
    """No login exists yet: the welcome screen (explore the demo, or set up our organisation) is
    the only page; every real URL leads to it."""
    from pages import welcome

    pages = [st.Page(welcome.view, title=i18n.t("move.welcome_title", ui.lang()), url_path="welcome", default=True)]
    pages += _hidden_addresses(welcome.view, {"welcome"})
    st.navigation(pages, position="hidden").run()


def main() -> None:
    _apply_language_choice()
    try:
        ui.cookie_key()  # a missing or too-short key is the operator's error: say so, plainly
    except config.ConfigError as error:
        st.error(i18n.t("sec.config_error", ui.lang(), detail=str(error)))
        st.stop()
    if ui.needs_setup():
        _welcome()
        return
    _handle_logout()
    _handle_login_submit()
    username = login_session.current_username()  # checks the server-side session on every run
    login_session.render_cookie_writes()

    actor = ui.actor_for(username) if username else None
    if actor is None:
        st.session_state.pop(ui.ACTOR_KEY, None)
        if username:  # account deactivated meanwhile
            login_session.sign_out()
        # Register every real URL as a hidden page that shows the login form: the menu clears
        # after logout, and a deep link survives login.
        pages = [st.Page(_login_view, title=i18n.t("login.title", ui.lang()), url_path="login", default=True)]
        pages += _hidden_addresses(_login_view, {"login"})
        st.navigation(pages, position="hidden").run()
        return

    st.session_state[ui.ACTOR_KEY] = actor
    if ui.LANG_KEY not in st.session_state:
        ui.set_lang(actor.language or config.default_language())
    if ui.must_change_password(actor.user_id):  # a one-time password: replace it first
        from pages import first_password

        navigation = st.navigation([st.Page(first_password.view, title=ui.t("move.first_password_title"),
                                            url_path="first-password", default=True),
                                    *_hidden_addresses(first_password.view, {"first-password"})], position="hidden")
    else:
        # expanded: every page of the menu shows (no English "View N more" under the tenth page)
        navigation = st.navigation(_menu(actor.role, ui.lang()), expanded=True)
    _sidebar(actor)
    _count_visit(navigation)
    navigation.run()


def _count_visit(page) -> None:
    """Number the visits to pages: a run on another page than the last run starts a new visit.
    A link's query parameters select their record once per visit (ui/record_links.py)."""
    if st.session_state.get("_visit_page") != page.url_path:
        st.session_state["_visit_page"] = page.url_path
        st.session_state["_visit_no"] = st.session_state.get("_visit_no", 0) + 1


main()
