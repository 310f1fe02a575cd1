"""Issue 12: the browser sweep. For admin, manager and member, in Chinese and in English, on the
demo workspace: open every page of the role's menu and every tab on it, and fail on any visible
`nan`/`None`/`null`, any string shaped like a translation key or a snake_case code, any traceback,
and any English word in the Chinese UI that is not user data (names and texts stored in the
workspace) or on the short allow-list below. The Chinese check also reads the sidebar (its menu
shows every page, no "View N more") and every input's placeholder ("Choose options"), which the
page text leaves out.

One server, one login per role (pages are switched through the sidebar, tabs by clicking), so the
whole sweep stays within CI's budget."""
from __future__ import annotations

import re
from collections import defaultdict

from playwright.sync_api import Page
from sqlalchemy import String, Text, select

from core import i18n
from core.navigation import pages_for
from db.base import Base
from db.engine import make_engine
from db.session import read_session
from tests.e2e.helpers import login, wait_for_app

ROLES = ("admin", "manager", "member")
MISSING = re.compile(r"(?<![\w.])(nan|NaN|None|null|NaT|undefined)(?![\w.])")
PREFIXES = sorted({key.split(".")[0] for key in i18n.CATALOGUE}, key=len, reverse=True)
KEY_SHAPE = re.compile(r"(?<![\w./@-])(?:{})\.[a-z_]+(?:\.[a-z_]+)*(?![\w./@-])".format("|".join(map(re.escape, PREFIXES))))
SNAKE = re.compile(r"(?<![\w./@:-])[a-z]+(?:_[a-z0-9]+)+(?![\w./@-])")
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
# Words that are not English UI text in the Chinese interface: product and unit names, file
# formats, abbreviations every Chinese team uses.
ALLOWED_LATIN = {
    "ClientCrew", "CSAT", "NPS", "CSV", "Excel", "xlsx", "csv", "KPI", "SMART", "VIP", "CRM", "ID", "Q1", "Q2",
    "Q3", "Q4", "AM", "PM", "RACI", "R", "A", "C", "I", "OK", "Email", "email", "WeChat", "vs",
    # the date format pattern shown in date inputs (YYYY/MM/DD)
    "yyyy", "mm", "dd", "YYYY", "MM", "DD",
    # Streamlit's file uploader prints "Drag and drop file here · Limit 200MB per file · CSV, XLSX"
    # and has no parameter for that text (the sweep cannot hold it against the pages)
    "Upload", "upload", "MB", "per", "file", "XLSX", "TXT",
    # the mail protocol's name, as on every mail server's settings
    "SMTP",
    # the sidebar's language picker names each language in its own words ("语言 / Language", English)
    "Language", "English",
}
# Names the user must type exactly as shown elsewhere (server configuration): removed whole, so
# their parts are not allowed anywhere else.
LITERALS = ("CLIENTCREW_SMTP_PASSWORD",
            # the token an automation rule's task title may hold, replaced by the record's name
            "{record}")
# Material icons are drawn from ligature text (":material/download:" is the word "download" in
# an icon font): not words a user reads. Streamlit renders them as spans with testids of their own
# (stIconMaterial, stAlertDynamicIcon, stExpanderIcon…) or, in markdown, as spans in the icon font;
# every element drawn in the Material Symbols font is hidden while the text is read.
READ_TEXT_WITHOUT_ICONS = """main => {
  const icon = '[data-testid="stIconMaterial"], [data-testid$="Icon"], [translate="no"][aria-hidden="true"]';
  const hidden = [];
  for (const el of main.querySelectorAll('*')) {
    if (el.matches(icon) || getComputedStyle(el).fontFamily.includes('Material Symbols')) {
      hidden.push([el, el.style.getPropertyValue('display'), el.style.getPropertyPriority('display')]);
      el.style.setProperty('display', 'none', 'important');
    }
  }
  const text = main.innerText;
  for (const [el, value, priority] of hidden) {
    if (value) el.style.setProperty('display', value, priority); else el.style.removeProperty('display');
  }
  return text;
}"""


def _user_words(db_url: str) -> set[str]:
    """Every Latin word stored in the workspace (names, titles, notes): user data, not UI text."""
    engine = make_engine(db_url)
    words: set[str] = set()
    with read_session(engine) as s:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
            if not columns:
                continue
            for row in s.execute(select(*columns)).all():
                for value in row:
                    if value:
                        words.update(ENGLISH_WORD.findall(str(value)))
    engine.dispose()
    return words


def _main_text(page: Page) -> str:
    return page.locator('[data-testid="stMain"]').evaluate(READ_TEXT_WITHOUT_ICONS)


# Text a reader sees that innerText leaves out: the placeholders of inputs and selects (Streamlit's
# "Choose options", "Choose an option" unless set), shown in the main area and the sidebar.
READ_PLACEHOLDERS = """() => [...document.querySelectorAll(
  '[data-testid="stMain"] [placeholder], [data-testid="stSidebar"] [placeholder]')]
  .map(el => el.getAttribute('placeholder')).join('\\n')"""


def _other_text(page: Page) -> str:
    """The sidebar (its menu: no "View N more") and every placeholder."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    text = sidebar.evaluate(READ_TEXT_WITHOUT_ICONS) if sidebar.count() else ""
    return text + "\n" + page.evaluate(READ_PLACEHOLDERS)


def _problems(text: str, lang: str, user_words: set[str]) -> list[str]:
    text = re.sub(r"https?://\S+|\S*\?\S*=\S+", " ", text)  # links shown to copy (meeting share links)
    text = re.sub(r"\S+@\S+\.\w+", " ", text)  # an example e-mail address in a placeholder (crew@example.com)
    for literal in LITERALS:
        text = text.replace(literal, " ")
    found = [f"missing value {m!r}" for m in MISSING.findall(text)]
    found += [f"translation key {m!r}" for m in KEY_SHAPE.findall(text)]
    found += [f"code {m!r}" for m in SNAKE.findall(text) if m not in user_words and not _is_user_text(m, user_words)]
    if "Traceback" in text:
        found.append("traceback")
    if lang == "zh":
        found += [f"English {w!r}" for w in ENGLISH_WORD.findall(text) if w not in ALLOWED_LATIN and w not in user_words]
    return found


def _is_user_text(code: str, user_words: set[str]) -> bool:
    return all(part in user_words for part in code.split("_") if part)


def _tabs(page: Page):
    return page.locator('[data-testid="stMain"] [role="tab"]')


def _open_page(page: Page, title: str) -> None:
    """Click the page's sidebar link; past ten pages Streamlit folds the rest behind "View N more"."""
    link = page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first
    more = page.locator('[data-testid="stSidebarNavViewButton"]')
    if not link.is_visible() and more.count() and "more" in more.inner_text():
        more.click()
    link.click()


def _sweep_page(page: Page, where: str, lang: str, user_words: set[str], report: dict) -> None:
    wait_for_app(page)
    if page.locator('[data-testid="stException"]').count():
        report[where].append("exception")
    report[where].extend(_problems(_main_text(page), lang, user_words))
    report[f"{where} (sidebar, placeholders)"].extend(_problems(_other_text(page), lang, user_words))
    tabs = _tabs(page)
    for index in range(tabs.count()):
        tab = _tabs(page).nth(index)
        if not tab.is_visible():
            continue
        name = tab.inner_text()
        tab.click()
        wait_for_app(page)
        if page.locator('[data-testid="stException"]').count():
            report[f"{where} › {name}"].append("exception")
        report[f"{where} › {name}"].extend(_problems(_main_text(page) + "\n" + page.evaluate(READ_PLACEHOLDERS), lang, user_words))


def test_no_developer_text_on_any_page_or_tab_for_any_role_in_either_language(live_server, demo_url, new_page):
    base = live_server(demo_url)
    user_words = _user_words(demo_url)
    report: dict[str, list[str]] = defaultdict(list)
    for role in ROLES:
        page = new_page()
        for lang in ("zh", "en"):
            if lang == "zh":
                login(page, base, role, lang="en")
                page.goto(f"{base}/?lang=zh")
            else:
                page.goto(f"{base}/?lang=en")
            wait_for_app(page)
            for spec in pages_for(role):
                title = i18n.t(f"nav.{spec.key}", lang)
                _open_page(page, title)
                _sweep_page(page, f"{role}/{lang}/{spec.url_path}", lang, user_words, report)
        page.close()
    problems = {where: sorted(set(found)) for where, found in report.items() if found}
    assert not problems, "\n".join(f"{where}: {', '.join(found)}" for where, found in sorted(problems.items()))
