"""Issue 12: after a save (or a widget change) the user stays on the tab they were on. One server
on the demo workspace, one admin login, then a save in a later tab of each tabbed page."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from core import i18n
from tests.e2e.helpers import login, wait_for_app


def _en(key: str) -> str:
    return i18n.t(key, "en")


def _open(page: Page, base_url: str, path: str, tab_key: str):
    page.goto(f"{base_url}/{path}?lang=en")
    wait_for_app(page)
    tab = page.get_by_role("tab", name=_en(tab_key), exact=True)
    tab.click()
    wait_for_app(page)
    expect(tab).to_have_attribute("aria-selected", "true")
    return tab


def _saved(page: Page, tab) -> None:
    """The save said so, and the tab it was made on is still the open one."""
    wait_for_app(page)
    expect(page.locator('.st-key-page_messages [data-testid="stAlert"]').first).to_be_visible()
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_every_tabbed_page_keeps_its_tab_after_a_save(live_server, demo_url, new_page):
    base = live_server(demo_url)
    page = new_page()
    login(page, base, "admin", path="roster")

    tab = _open(page, base, "roster", "roster.tab_teams")
    page.locator(".st-key-team_form_save button").click()
    _saved(page, tab)

    tab = _open(page, base, "customers", "customers.tab_follow_ups")
    page.locator(".st-key-cadence_save button").click()
    _saved(page, tab)

    tab = _open(page, base, "feedback", "feedback.tab.praise")
    page.get_by_label(_en("praise.for_what")).fill("Closed the renewal two weeks early")
    page.get_by_role("button", name=_en("praise.give")).click()
    _saved(page, tab)
    tab = _open(page, base, "feedback", "feedback.tab.rewards")  # a widget change, not a save
    choice = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]:visible').first
    choice.click()
    page.get_by_role("option").last.click()
    wait_for_app(page)
    expect(tab).to_have_attribute("aria-selected", "true")

    tab = _open(page, base, "service", "service.tab.new")
    page.get_by_label(_en("service.new.title"), exact=True).fill("Invoice sent twice")
    page.get_by_role("button", name=_en("service.new.submit")).click()
    _saved(page, tab)

    tab = _open(page, base, "training", "training.tab.attendance")
    page.locator(".st-key-trn_att_save button").click()
    _saved(page, tab)

    tab = _open(page, base, "admin", "admin.reset_password")
    page.locator(".st-key-admin_pick_user").click()
    page.get_by_role("option").last.click()
    wait_for_app(page)
    page.get_by_label(_en("admin.new_password"), exact=True).fill("a-new-password-123")
    page.get_by_role("button", name=_en("admin.reset_password")).click()
    _saved(page, tab)


def test_text_typed_in_a_tab_survives_a_look_at_another_tab(live_server, demo_url, new_page):
    """Issue 15: a page draws only its open tab on arrival; a tab holding a form, once opened,
    stays drawn (hidden) for the visit, so what was typed there and not yet saved is still there."""
    base = live_server(demo_url)
    page = new_page()
    login(page, base, "manager", path="service")
    main = page.locator('[data-testid="stMain"]')
    title = page.get_by_label(_en("service.new.title"), exact=True)
    expect(title).to_have_count(0)  # the New complaint tab was never opened: not sent at all

    new_tab = _open(page, base, "service", "service.tab.new")
    title.fill("Invoice sent twice, customer waiting")
    title.press("Tab")
    main.get_by_role("tab", name=_en("service.tab.complaints"), exact=True).click()
    wait_for_app(page)
    expect(title).to_be_hidden()
    new_tab.click()
    wait_for_app(page)
    expect(new_tab).to_have_attribute("aria-selected", "true")
    expect(title).to_have_value("Invoice sent twice, customer waiting")
