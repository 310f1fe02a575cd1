"""Browser bench: what a user feels, click to settled page, in headless Chromium.

    python -m bench.browser --url sqlite:////tmp/large.db            # admin and manager, every page
    python -m bench.browser --url ... --roles manager --pages board goals --rounds 3
    python -m bench.browser --url ... --load --sessions 50 --seconds 60   # many sessions at once

It starts two servers: the app on the given database, and a bare two-page Streamlit app (each page
holds a title, a line and a button; a third page draws N keyed containers with one line each, the
floor of a board of N cards). For each role and page it measures, in rounds that alternate with
the bare app (so the machine's drift cancels out of the ratios):

- page switch: a click on the page's sidebar link, coming from the previous page;
- widget change: the page's second tab, else its first toggle, else its first segmented control;
- main action: the page's own action where it has one that leaves the data as it found it
  (the Board: a card dropped on the next column; the drop is a real write).

"Settled" is measured inside the page: from the input event (click or drop) to the last DOM
mutation before stApp's data-test-script-state has been "notRunning" for 500 ms with no mutation
(the stability wait itself is not counted). Ratios: page switch / bare page switch; widget change
and main action / bare button rerun; the board drop / the floor's rerun with as many containers.

The load mode opens `--sessions` signed-in tabs (one login, its cookie shared) that switch pages
at once for `--seconds`, then prints the p95 page switch and the server's memory per added session.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [  # as tests/e2e/conftest.py, plus: tabs in the background keep full speed
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
PASSWORD = "demo1234"
STABLE_MS = 500

BARE_APP = textwrap.dedent('''
    import streamlit as st

    def page(name):
        def draw():
            st.title(name)
            st.write("A line of text.")
            st.button("Press", key="press")
        return draw

    def floor():
        n = int(st.query_params.get("n", 50))
        for i in range(n):
            with st.container(key=f"card-{i}", border=True):
                st.markdown(f"**Card {i}**")
        st.button("Press", key="press")

    st.navigation([st.Page(page("Page A"), title="Page A", url_path="a", default=True),
                   st.Page(page("Page B"), title="Page B", url_path="b"),
                   st.Page(floor, title="Floor", url_path="floor")]).run()
''')

# Armed before an action; resolves with ms from the input event to the last mutation once the app
# has not been running for STABLE_MS with no mutation. `running` makes sure the rerun was seen.
ARM = """(stable) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const m = {t0: null, last: null, running: false, done: null};
  const obs = new MutationObserver(() => {
    if (m.t0 === null) return;
    m.last = performance.now();
    if (app.getAttribute('data-test-script-state') === 'running') m.running = true;
  });
  obs.observe(document.documentElement, {subtree: true, childList: true, attributes: true, characterData: true});
  const start = (e) => { if (m.t0 === null) { m.t0 = performance.now(); m.last = m.t0; } };
  for (const n of ['click', 'drop']) document.addEventListener(n, start, {capture: true, once: false});
  window.__ccBench = m;
  m.check = () => {
    if (m.t0 === null) return null;
    const now = performance.now();
    const idle = app.getAttribute('data-test-script-state') === 'notRunning';
    if ((m.running || now - m.t0 > 3000) && idle && now - m.last >= stable) {
      obs.disconnect();
      for (const n of ['click', 'drop']) document.removeEventListener(n, start, {capture: true});
      return m.last - m.t0;
    }
    return null;
  };
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run` of a script on a free port; stopped by `stop()`."""

    def __init__(self, script: Path, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env={**os.environ, **env, "PYTHONUNBUFFERED": "1"}, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"{script} did not start; see {log}")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


def settle(page, timeout: float = 60.0) -> None:
    """Wait until the app is idle for STABLE_MS (as tests/e2e/helpers.wait_for_app)."""
    deadline = time.monotonic() + timeout
    page.locator('[data-testid="stMain"] [data-testid="stElementContainer"]').first.wait_for(state="attached", timeout=timeout * 1000)
    since = None
    while time.monotonic() < deadline:
        state = page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state")
        if state == "notRunning":
            since = since or time.monotonic()
            if time.monotonic() - since >= STABLE_MS / 1000:
                return
        else:
            since = None
        page.wait_for_timeout(50)
    raise RuntimeError("the app did not settle")


def timed(page, act) -> float:
    """Milliseconds from the input event `act()` causes to the settled page."""
    page.bring_to_front()  # a tab in the background gets no animation frames: it would never settle
    page.evaluate(ARM, STABLE_MS)
    before = WIRE.get(page, 0)
    act()
    handle = page.wait_for_function("() => window.__ccBench.check()", timeout=120000, polling=50)
    LAST[page] = {"bytes": WIRE.get(page, 0) - before, **page.evaluate(COUNT)}
    return float(handle.json_value())


# What the browser received and draws, per page (the physical side of each figure): bytes the
# server sent over the websocket during the action, and the settled page's size.
WIRE: dict = {}  # page -> bytes received over the websocket so far
LAST: dict = {}  # page -> {"bytes", "elements", "nodes", "height"} of the last timed action
COUNT = """() => ({
  elements: document.querySelectorAll('[data-testid="stMain"] [data-testid="stElementContainer"]').length,
  nodes: document.querySelectorAll('[data-testid="stMain"] *').length,
  height: Math.round(document.querySelector('[data-testid="stMain"]').scrollHeight),
})"""


def count_wire(page) -> None:
    """Count the websocket bytes `page` receives (register before the page connects)."""
    def on_socket(ws):
        def frame(payload):
            WIRE[page] = WIRE.get(page, 0) + len(payload)
        ws.on("framereceived", frame)
    page.on("websocket", on_socket)


def login(page, base: str, username: str) -> None:
    """Sign in through the form (a cold server may redraw the form once: try again then)."""
    page.goto(f"{base}/?lang=zh")
    for _attempt in range(4):
        settle(page)
        if page.locator('[data-testid="stSidebarNav"]').count():
            break
        page.get_by_label("用户名", exact=True).fill(username)
        page.get_by_label("密码", exact=True).fill(PASSWORD)
        page.locator('[data-testid="stFormSubmitButton"] button').click()
        try:
            page.locator('[data-testid="stSidebarNav"]').wait_for(timeout=15000)
            break
        except Exception:
            page.screenshot(path=str(Path(tempfile.gettempdir()) / "bench-login-retry.png"))
    else:
        raise RuntimeError(f"could not sign in as {username}")
    settle(page)
    page.wait_for_timeout(1500)  # the login cookie is written shortly after


def nav_link(page, url_path: str):
    """The sidebar link of a page (the default page, Home, is served at "/"). Past ten pages
    Streamlit folds the rest behind "View N more" (the admin's menu): unfold it first (once per
    page load; not part of any timed action, the link is looked up before the click)."""
    url_path = "" if url_path == "home" else url_path
    link = page.locator(f'[data-testid="stSidebarNav"] a[href$="/{url_path}"]').first
    more = page.locator('[data-testid="stSidebarNavViewButton"]')
    if not link.is_visible() and more.count() and "more" in more.inner_text().lower():
        more.click()
        link.wait_for(state="visible")
    return link


def widget_change(page):
    """The page's cheapest representative widget change, or None: a second tab, a toggle, a segment."""
    main = page.locator('[data-testid="stMain"]')
    tabs = main.get_by_role("tab")
    if tabs.count() > 1:
        state = {"i": 0}

        def tab():  # alternate between the first two tabs, so every sample is a change
            state["i"] = 1 - state["i"]
            tabs.nth(state["i"]).click()
        return "tab", tab
    toggle = main.locator('[data-testid="stCheckbox"] label, [data-testid="stToggle"] label')
    if toggle.count():
        return "toggle", lambda: toggle.first.click()
    segment = main.locator('[data-testid="stButtonGroup"] button')
    if segment.count() > 1:
        state = {"i": 0}

        def seg():
            state["i"] = 1 - state["i"]
            segment.nth(state["i"]).click()
        return "segment", seg
    return None


def board_drop(page):
    """Drag the first card of the first member column holding cards onto the next column."""
    columns = page.locator('[class*="st-key-bcol-m-"]')
    for i in range(columns.count() - 1):
        grip = columns.nth(i).locator(".stdnd-handle").first
        if grip.count():
            target = columns.nth(i + 1)
            break
    else:
        return None

    def act():
        grip.scroll_into_view_if_needed()
        src = grip.bounding_box()
        x, y = src["x"] + src["width"] / 2, src["y"] + min(src["height"] / 2, 20)
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 5, y + 5)
        dst = target.bounding_box()
        page.mouse.move(dst["x"] + dst["width"] / 2, dst["y"] + 30, steps=12)
        page.mouse.up()
    return act


@dataclass
class Samples:
    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, key: str, ms: float) -> None:
        self.values.setdefault(key, []).append(ms)

    def add_sizes(self, key: str, sizes: dict) -> None:
        for name, value in sizes.items():
            self.add(f"{key}_{name}", value)

    def median(self, key: str) -> float | None:
        v = self.values.get(key)
        return statistics.median(v) if v else None


def bare_round(bare, samples: Samples, state: dict) -> None:
    """One bare page switch (A <-> B) and one bare button rerun, measured like the app's."""
    state["bare_page"] = "b" if state.get("bare_page") == "" else ""  # "": page A, the default, served at "/"
    samples.add("bare_switch", timed(bare, lambda: nav_link(bare, state["bare_page"]).click()))
    samples.add_sizes("bare_switch", LAST[bare])
    samples.add("bare_button", timed(bare, lambda: bare.get_by_role("button", name="Press").click()))
    samples.add_sizes("bare_button", LAST[bare])


def bench_role(browser, app_url: str, bare_url: str, role: str, pages: list, rounds: int) -> list[dict]:
    from core.navigation import pages_for

    specs = [s for s in pages_for(role) if not pages or s.key in pages]
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    count_wire(page)
    login(page, app_url, role)
    bare_ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    bare = bare_ctx.new_page()
    count_wire(bare)
    bare.goto(f"{bare_url}/")
    settle(bare)
    samples: dict[str, Samples] = {s.key: Samples() for s in specs}
    base = Samples()
    state: dict = {}
    widgets: dict[str, str] = {}
    floor_n = {}
    for r in range(rounds):
        for spec in specs:
            bare_round(bare, base, state)
            if spec.key == specs[0].key and len(specs) > 1:  # arrive from another page
                nav_link(page, specs[-1].url_path).click()
                settle(page)
            link = nav_link(page, spec.url_path)  # found (and unfolded) before the timed click
            samples[spec.key].add("switch", timed(page, link.click))
            samples[spec.key].add_sizes("switch", LAST[page])
            found = widget_change(page)
            if found:
                widgets[spec.key] = found[0]
                bare_round(bare, base, state)
                samples[spec.key].add("widget", timed(page, found[1]))
                samples[spec.key].add_sizes("widget", LAST[page])
            if spec.key == "board":
                act = board_drop(page)
                if act:
                    floor_n["board"] = page.locator('[class*="st-key-task-"]').count()
                    bare_round(bare, base, state)
                    samples[spec.key].add("action", timed(page, act))
                    samples[spec.key].add_sizes("action", LAST[page])
        print(f"  {role}: round {r + 1}/{rounds} done", flush=True)
    floor = Samples()
    if "board" in floor_n:
        bare.goto(f"{bare_url}/floor?n={floor_n['board']}")
        settle(bare)
        for _ in range(max(3, rounds)):
            floor.add("floor", timed(bare, lambda: bare.get_by_role("button", name="Press").click()))
            floor.add_sizes("floor", LAST[bare])
        bare.goto(f"{bare_url}/")
        settle(bare)
    ctx.close()
    bare_ctx.close()
    sw, bt = base.median("bare_switch"), base.median("bare_button")
    rows = []
    for spec in specs:
        s = samples[spec.key]
        sizes = {f"{k}_{n}": s.median(f"{k}_{n}") for k in ("switch", "widget", "action")
                 for n in ("bytes", "elements", "nodes", "height")}
        sizes.update({f"{k}_{n}": base.median(f"{k}_{n}") for k in ("bare_switch", "bare_button")
                      for n in ("bytes", "elements", "nodes", "height")})
        if spec.key == "board":
            sizes.update({f"floor_{n}": floor.median(f"floor_{n}") for n in ("bytes", "elements", "nodes", "height")})
        rows.append({"role": role, "page": spec.key, "switch": s.median("switch"), "widget": s.median("widget"),
                     "widget_kind": widgets.get(spec.key, ""), "action": s.median("action"),
                     "bare_switch": sw, "bare_button": bt,
                     "floor": floor.median("floor") if spec.key == "board" else None,
                     "floor_n": floor_n.get(spec.key), **sizes})
    return rows


def print_table(rows: list[dict]) -> None:
    def ms(v):
        return f"{v:7.0f}" if v is not None else "      —"

    def ratio(v, b):
        return f"{v / b:6.1f}x" if v is not None and b else "      —"

    print(f"\n{'role':<8} {'page':<12} {'switch ms':>9} {'x bare':>7} {'widget ms':>9} {'x btn':>7} {'(widget)':<9}"
          f" {'action ms':>9} {'x btn':>7} {'x floor':>8}")
    print("-" * 100)
    for r in rows:
        floor = ratio(r["action"], r["floor"]) if r["floor"] else "       —"
        print(f"{r['role']:<8} {r['page']:<12} {ms(r['switch']):>9} {ratio(r['switch'], r['bare_switch']):>7}"
              f" {ms(r['widget']):>9} {ratio(r['widget'], r['bare_button']):>7} {r['widget_kind']:<9}"
              f" {ms(r['action']):>9} {ratio(r['action'], r['bare_button']):>7} {floor:>8}")
    by_role: dict[str, dict] = {}
    for r in rows:
        by_role.setdefault(r["role"], r)
    for role, r in by_role.items():
        print(f"bare app ({role}'s rounds): page switch {r['bare_switch']:.0f} ms, button rerun {r['bare_button']:.0f} ms")
    for r in rows:
        if r["floor"]:
            print(f"floor for the {r['role']}'s board: {r['floor_n']} bare keyed containers with one line each, "
                  f"rerun {r['floor']:.0f} ms")
    print("targets: switch <= 2x bare (manager), <= 3x (admin); widget and action <= 2x bare button; "
          "board drop <= 1.5x floor")
    print_sizes(rows)


def print_sizes(rows: list[dict]) -> None:
    """What each figure is made of: KB received over the websocket during the action, element
    containers and DOM nodes in the settled main area, and its height in px (medians)."""
    def cell(r, k):
        b, e, n, h = (r.get(f"{k}_{x}") for x in ("bytes", "elements", "nodes", "height"))
        return "—" if b is None else f"{b / 1024:.1f} KB {e:.0f} el {n:.0f} nodes {h:.0f} px"

    print(f"\n{'role':<8} {'page':<12} {'page switch':<40} {'widget change':<40} {'main action':<40}")
    print("-" * 140)
    for r in rows:
        print(f"{r['role']:<8} {r['page']:<12} {cell(r, 'switch'):<40} {cell(r, 'widget'):<40} {cell(r, 'action'):<40}")
    seen = set()
    for r in rows:
        if r["role"] not in seen:
            seen.add(r["role"])
            print(f"bare app ({r['role']}'s rounds): switch {cell(r, 'bare_switch')}; button {cell(r, 'bare_button')}")
        if r.get("floor_bytes") is not None:
            print(f"floor ({r['floor_n']} containers): {cell(r, 'floor')}")


LOAD_TIMEOUT_MS = 30000


async def _load(app: Server, username: str, sessions: int, seconds: float, page_paths: list[str]) -> None:
    from playwright.async_api import TimeoutError as PlaywrightTimeout
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        first = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page = await first.new_page()
        await page.goto(f"{app.url}/?lang=zh")
        await page.get_by_label("用户名", exact=True).fill(username)
        await page.get_by_label("密码", exact=True).fill(PASSWORD)
        await page.locator('[data-testid="stFormSubmitButton"] button').click()
        await page.locator('[data-testid="stSidebarNav"]').wait_for(timeout=60000)
        await page.wait_for_timeout(2500)
        storage = await first.storage_state()
        rss_one = app.rss_mb()
        tabs = []
        for _ in range(sessions - 1):
            ctx = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", storage_state=storage)
            tab = await ctx.new_page()
            await tab.goto(f"{app.url}/{page_paths[0]}?lang=zh")
            tabs.append(tab)
        tabs.append(page)
        for tab in tabs:
            await tab.locator('[data-testid="stSidebarNav"]').wait_for(timeout=120000)
        rss_all = app.rss_mb()
        times: list[float] = []
        stop_at = time.monotonic() + seconds

        timeouts = [0]

        async def worker(tab, offset: int) -> None:
            i = offset
            while time.monotonic() < stop_at:
                i += 1
                path = page_paths[i % len(page_paths)]
                await tab.evaluate(ARM, STABLE_MS)
                clicked = time.monotonic()
                try:
                    await tab.locator(f'[data-testid="stSidebarNav"] a[href$="/{path}"]').first.click(timeout=LOAD_TIMEOUT_MS)
                    handle = await tab.wait_for_function("() => window.__ccBench.check()", timeout=LOAD_TIMEOUT_MS, polling=100)
                    times.append(float(await handle.json_value()))
                except PlaywrightTimeout:  # never settled in time: counted, at least as slow as the wait
                    timeouts[0] += 1
                    times.append((time.monotonic() - clicked) * 1000)

        await asyncio.gather(*(worker(tab, n) for n, tab in enumerate(tabs)))
        rss_end = app.rss_mb()
        await browser.close()
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))] if times else float("nan")
    print(f"\nload: {sessions} signed-in sessions ({username}) switching between {', '.join(page_paths)} for {seconds:.0f} s")
    print(f"page switches: {len(times)}, median {statistics.median(times) if times else float('nan'):.0f} ms, "
          f"p95 {p95:.0f} ms (target < 1000 ms); {timeouts[0]} did not settle within {LOAD_TIMEOUT_MS / 1000:.0f} s "
          f"(counted with the time waited)")
    print(f"server memory: {rss_one:.0f} MB with one session, {rss_all:.0f} MB with {sessions}, {rss_end:.0f} MB at the end;"
          f" {(rss_end - rss_one) / max(1, sessions - 1):.1f} MB per added session (target <= 30 MB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL", "sqlite:////tmp/large.db"),
                        help="database holding the (large) demo; the board drops write to it")
    parser.add_argument("--roles", nargs="*", default=["admin", "manager"])
    parser.add_argument("--pages", nargs="*", help="only these page keys")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--load", action="store_true", help="the load mode instead of the page table")
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--load-user", default="manager")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print("needs Debian's chromium (apt-get install chromium)")
        return 2

    folder = Path(tempfile.mkdtemp(prefix="clientcrew-browser-bench-"))
    env = {"DATABASE_URL": args.url, "CLIENTCREW_COOKIE_KEY": os.environ.get("CLIENTCREW_COOKIE_KEY", "bench-cookie-key-" + "b" * 40)}
    app = Server(ROOT / "app.py", env, folder / "app.log")
    bare_script = folder / "bare_app.py"
    bare_script.write_text(BARE_APP)
    bare = Server(bare_script, {}, folder / "bare.log")
    print(f"app {app.url} on {args.url}; bare app {bare.url}; logs in {folder}", flush=True)
    try:
        if args.load:
            asyncio.run(_load(app, args.load_user, args.sessions, args.seconds, ["", "customers"]))
            return 0
        from playwright.sync_api import sync_playwright

        rows: list[dict] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for role in args.roles:
                rows += bench_role(browser, app.url, bare.url, role, args.pages or [], args.rounds)
            browser.close()
        print_table(rows)
    finally:
        app.stop()
        bare.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
