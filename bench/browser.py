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

Each page is also measured against its **content floor**: the bare app's replay page sends again
the very messages the app's page sent (captured from the websocket: elements, grids' Arrow bytes,
charts, components, page layout), with no script work behind them, and is switched to and rerun
like the page. The floor's ratio to the bare app is what drawing that content costs the browser;
the page's ratio to its floor is what our server adds.

"Settled" is measured inside the page: from the input event (click or drop) to the last DOM
mutation before stApp's data-test-script-state has been "notRunning" for 500 ms with no mutation
(the stability wait itself is not counted). Ratios: page switch / bare page switch; widget change
and main action / bare button rerun; the board drop / the floor's rerun with as many containers.

The load mode opens `--sessions` signed-in sessions (one login, its cookie shared) that switch pages
at once for `--seconds`, then prints the p95 page switch, the server's CPU per switch and its memory
per added session. By default one session is a Chromium tab (what a user feels under that load) and
the others speak Streamlit's websocket protocol without drawing (`--clients browser` makes every
session a Chromium tab; on a 2-core machine their renderers then measure the machine, not the server).
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

    def replay(suffix=""):
        """The content floor: the messages one of the app's pages sent, replayed with no work behind
        them (the bench writes them to REPLAY_FILE; Press flips between the two captured states).
        With suffix ".visible": only what was visible (no closed tab or expander bodies)."""
        def draw():
            import os
            import pathlib
            import struct
            from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
            from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

            def flip():
                st.session_state["replay_state"] = 1 - st.session_state.get("replay_state", 0)
            st.button("Press", key="press", on_click=flip)
            data = pathlib.Path(os.environ["REPLAY_FILE"] + suffix).read_bytes()
            states, at = [], 0
            while at < len(data):  # states: [count][len][msg]...
                (count,), at = struct.unpack_from("<I", data, at), at + 4
                msgs = []
                for _ in range(count):
                    (size,), at = struct.unpack_from("<I", data, at), at + 4
                    msgs.append(data[at:at + size])
                    at += size
                states.append(msgs)
            ctx = get_script_run_ctx()
            for raw in states[min(st.session_state.get("replay_state", 0), len(states) - 1)]:
                ctx.enqueue(ForwardMsg.FromString(raw))
        return draw

    def grid():
        """One small st.dataframe (20 rows, 5 columns) with a title: what one table costs a page."""
        import pandas as pd
        st.title("Grid")
        st.dataframe(pd.DataFrame({f"column {c}": [f"value {r}-{c}" for r in range(20)] for c in range(5)}))

    try:  # the Board's drag-and-drop component, so its replayed iframe loads as in the app
        import streamlit_dnd  # noqa: F401
    except ImportError:
        pass
    st.set_page_config(layout="wide")
    st.navigation([st.Page(page("Page A"), title="Page A", url_path="a", default=True),
                   st.Page(page("Page B"), title="Page B", url_path="b"),
                   st.Page(floor, title="Floor", url_path="floor"),
                   st.Page(grid, title="Grid", url_path="grid"),
                   st.Page(replay(), title="Replay", url_path="replay"),
                   st.Page(replay(".visible"), title="Replay visible", url_path="replay_visible")]).run()
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
    CAPTURE[page] = []
    act()
    try:
        handle = page.wait_for_function("() => window.__ccBench.check()", timeout=120000, polling=50)
    except Exception:
        shot = Path(tempfile.gettempdir()) / f"bench-unsettled-{int(time.time())}.png"
        page.screenshot(path=str(shot), full_page=True)
        state = page.evaluate("() => [document.querySelector('[data-testid=stApp]')"
                              ".getAttribute('data-test-script-state'), window.__ccBench.running,"
                              " performance.now() - window.__ccBench.last]")
        raise RuntimeError(f"{page.url} did not settle in 120 s (script state, rerun seen, ms since the last"
                           f" change: {state}); screenshot {shot}") from None
    LAST[page] = {"bytes": WIRE.get(page, 0) - before, **page.evaluate(COUNT)}
    return float(handle.json_value())


# What the browser received and draws, per page (the physical side of each figure): bytes the
# server sent over the websocket during the action, and the settled page's size.
WIRE: dict = {}  # page -> bytes received over the websocket so far
LAST: dict = {}  # page -> {"bytes", "elements", "nodes", "height"} of the last timed action
COUNT = """() => ({
  elements: document.querySelectorAll('[data-testid="stMain"] [data-testid="stElementContainer"]').length,
  hidden: [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stElementContainer"]')]
    .filter((e) => !e.checkVisibility()).length,
  nodes: document.querySelectorAll('[data-testid="stMain"] *').length,
  height: Math.round(document.querySelector('[data-testid="stMain"]').scrollHeight),
})"""


CAPTURE: dict = {}  # page -> the raw ForwardMsgs received during the last timed action
KNOWN: dict = {}  # page -> {hash: raw message}: what the browser has cached, to resolve references
SEEN: dict = {}  # page -> every raw ForwardMsg received (indexed into KNOWN when a state is taken)
GRID: dict = {}  # role -> the bare grid page's switch (ms), measured in that role's rounds
OTHER: dict = {}  # page -> {message kind: [bytes]} the last state took but does not replay (session, menu)


def count_wire(page) -> None:
    """Count (and keep, for the content floor) the websocket frames `page` receives; register
    before the page connects."""
    def on_socket(ws):
        def frame(payload):
            WIRE[page] = WIRE.get(page, 0) + len(payload)
            if isinstance(payload, bytes):
                SEEN.setdefault(page, []).append(payload)
                if page in CAPTURE:
                    CAPTURE[page].append(payload)
        ws.on("framereceived", frame)
    page.on("websocket", on_socket)


# Which tab of each tab set is open and which expanders are open, in document order.
OPEN = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const tabs = [...main.querySelectorAll('[data-testid="stTabs"]')].map((t) => {
    const list = t.querySelector('[role="tablist"]');
    return list ? [...list.querySelectorAll('[role="tab"]')].findIndex((x) => x.getAttribute('aria-selected') === 'true') : 0;
  });
  const expanders = [...main.querySelectorAll('[data-testid="stExpander"] details')].map((d) => d.open);
  return {tabs, expanders};
}"""


def hidden_prefixes(msgs: list, opened: dict) -> list[tuple] | None:
    """Delta paths whose content the user could not see when the state was taken: the bodies of the
    tabs that were not selected and of closed expanders (None when the blocks and the page do not
    match one to one, e.g. a dialog)."""
    tab_sets, expanders = [], []
    for msg in msgs:
        if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "add_block":
            path = tuple(msg.metadata.delta_path)
            if path[0] != 0:
                continue
            kind = msg.delta.add_block.WhichOneof("type")
            if kind == "tab_container":
                tab_sets.append(path)
            elif kind == "expandable":
                expanders.append(path)
    if len(tab_sets) != len(opened["tabs"]) or len(expanders) != len(opened["expanders"]):
        return None
    hidden = []
    children: dict[tuple, set] = {}
    for msg in msgs:
        path = tuple(msg.metadata.delta_path) if msg.WhichOneof("type") == "delta" else ()
        if len(path) > 1:
            children.setdefault(path[:-1], set()).add(path[-1])
    for path, selected in zip(sorted(tab_sets), opened["tabs"]):
        hidden += [path + (j,) for j in children.get(path, ()) if j != selected]
    hidden += [path for path, is_open in zip(sorted(expanders), opened["expanders"]) if not is_open]
    return hidden


def content_state(page, visible_only: bool = False) -> list[bytes]:
    """What the last timed action drew, as messages the bare app's replay page can send again:
    the deltas and page configuration, references to cached messages resolved to the message, and
    the main area moved down one slot for the replay page's own button. `visible_only` leaves out
    the bodies of closed tabs and expanders (an empty list when they cannot be told apart)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    OTHER[page] = {}
    known = KNOWN.setdefault(page, {})
    seen = SEEN.get(page, [])
    for raw in seen[known.get("_indexed", 0):]:
        msg = ForwardMsg.FromString(raw)
        if msg.hash and msg.WhichOneof("type") == "delta":
            known[msg.hash] = raw
    known["_indexed"] = len(seen)
    msgs = []
    for raw in CAPTURE.get(page, []):
        msg = ForwardMsg.FromString(raw)
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            if msg.ref_hash not in known:  # cached before the bench listened: cannot be replayed
                OTHER[page].setdefault("unresolved reference", []).append(len(raw))
                continue
            full = ForwardMsg.FromString(known[msg.ref_hash])
            full.metadata.CopyFrom(msg.metadata)
            msg, kind = full, "delta"
        if kind not in ("delta", "page_config_changed"):
            OTHER.setdefault(page, {}).setdefault(kind, []).append(len(raw))
            continue
        msgs.append(msg)
    if visible_only:
        hidden = hidden_prefixes(msgs, page.evaluate(OPEN))
        if hidden is None:
            return []
        msgs = [m for m in msgs if m.WhichOneof("type") != "delta" or not any(
            tuple(m.metadata.delta_path[:len(h)]) == h and len(m.metadata.delta_path) > len(h) for h in hidden)]
    out = []
    for msg in msgs:
        kind = msg.WhichOneof("type")
        msg.ClearField("hash")
        msg.metadata.active_script_hash = ""
        path = msg.metadata.delta_path
        if kind == "delta" and len(path) >= 2 and path[0] == 0:
            path[1] += 1
        out.append(msg.SerializeToString())
    return out


def write_states(path: Path, states: list[list[bytes]]) -> None:
    """The replay file: per state a count, then each message with its length."""
    import struct

    with path.open("wb") as f:
        for msgs in states:
            f.write(struct.pack("<I", len(msgs)))
            for raw in msgs:
                f.write(struct.pack("<I", len(raw)))
                f.write(raw)


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


def forget_messages(bare) -> None:
    """Three bare reruns: the browser's message cache keeps a message for two runs, so what the
    replay sent before is sent in full again, as the app's page is when the user comes back to it."""
    for _ in range(3):
        bare.get_by_role("button", name="Press").first.click()
        settle(bare)


def content_round(replay, bare_url: str, replay_file: Path, states: list[list[bytes]], visible: list[bytes],
                  samples: Samples) -> None:
    """The page's content floor, measured like the page, in a tab of its own (a replayed page may
    leave scripts behind, e.g. the Board's drag-and-drop listeners, which must not touch the bare
    app's baseline or the next page's floor): a fresh document; one untimed replay, so the browser
    has loaded the code for these kinds of element as the app's tab has; then, timed, a switch to a
    page replaying what the app's page switch sent, Press replaying what its widget change sent,
    and a switch to a page replaying only what was visible (no closed tab or expander bodies)."""
    write_states(replay_file, states)
    write_states(Path(f"{replay_file}.visible"), [visible])
    replay.goto(f"{bare_url}/")
    settle(replay)
    nav_link(replay, "replay").click()
    settle(replay)
    nav_link(replay, "").click()
    settle(replay)
    forget_messages(replay)
    samples.add("content_switch", timed(replay, lambda: nav_link(replay, "replay").click()))
    samples.add_sizes("content_switch", LAST[replay])
    if len(states) > 1:
        samples.add("content_widget", timed(replay, lambda: replay.get_by_role("button", name="Press").first.click()))
        samples.add_sizes("content_widget", LAST[replay])
    nav_link(replay, "").click()
    settle(replay)
    if visible:
        forget_messages(replay)
        samples.add("visible_switch", timed(replay, lambda: nav_link(replay, "replay_visible").click()))
        samples.add_sizes("visible_switch", LAST[replay])


def bench_role(browser, app_url: str, bare_url: str, role: str, pages: list, rounds: int,
               replay_file: Path) -> list[dict]:
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
    replay_ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    replay = replay_ctx.new_page()
    count_wire(replay)
    samples: dict[str, Samples] = {s.key: Samples() for s in specs}
    base = Samples()
    state: dict = {"bare_page": ""}  # the bare app opens on page A: the first switch goes to B
    widgets: dict[str, str] = {}
    unreplayed: dict[str, dict[str, int]] = {}
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
            states = [content_state(page)]
            visible = content_state(page, visible_only=True)
            unreplayed[spec.key] = {k: sum(v) for k, v in OTHER[page].items()}
            found = widget_change(page)
            if found:
                widgets[spec.key] = found[0]
                bare_round(bare, base, state)
                samples[spec.key].add("widget", timed(page, found[1]))
                samples[spec.key].add_sizes("widget", LAST[page])
                states.append(content_state(page))
            try:
                content_round(replay, bare_url, replay_file, states, visible, samples[spec.key])
            except Exception as error:  # noqa: BLE001 - one missing floor sample must not lose the run
                shot = Path(tempfile.gettempdir()) / f"bench-floor-{role}-{spec.key}-{r}.png"
                try:  # a crashed replay tab cannot be photographed; the round goes on either way
                    replay.screenshot(path=str(shot))
                except Exception:  # noqa: BLE001
                    shot = Path("(no screenshot: the replay tab is gone)")
                print(f"  {role} {spec.key}: no content floor this round ({type(error).__name__}); {shot}", flush=True)
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
    for _ in range(max(3, rounds)):  # one table's cost: page A -> the grid page, as a bare page switch
        nav_link(bare, "").click()
        settle(bare)
        base.add("grid_switch", timed(bare, lambda: nav_link(bare, "grid").click()))
    nav_link(bare, "").click()
    settle(bare)
    state["bare_page"] = ""
    ctx.close()
    bare_ctx.close()
    replay_ctx.close()
    sw, bt = base.median("bare_switch"), base.median("bare_button")
    GRID[role] = base.median("grid_switch")
    rows = []
    for spec in specs:
        s = samples[spec.key]
        sizes = {f"{k}_{n}": s.median(f"{k}_{n}") for k in ("switch", "widget", "action")
                 for n in ("bytes", "elements", "hidden", "nodes", "height")}
        sizes.update({f"{k}_{n}": base.median(f"{k}_{n}") for k in ("bare_switch", "bare_button")
                      for n in ("bytes", "elements", "hidden", "nodes", "height")})
        if spec.key == "board":
            sizes.update({f"floor_{n}": floor.median(f"floor_{n}") for n in ("bytes", "elements", "hidden", "nodes", "height")})
        sizes.update({f"{k}_{n}": s.median(f"{k}_{n}") for k in ("content_switch", "content_widget", "visible_switch")
                      for n in ("bytes", "elements", "hidden", "nodes", "height")})
        rows.append({"role": role, "page": spec.key, "switch": s.median("switch"), "widget": s.median("widget"),
                     "content_switch": s.median("content_switch"), "content_widget": s.median("content_widget"),
                     "visible_switch": s.median("visible_switch"),
                     "widget_kind": widgets.get(spec.key, ""), "action": s.median("action"),
                     "bare_switch": sw, "bare_button": bt,
                     "floor": floor.median("floor") if spec.key == "board" else None,
                     "floor_n": floor_n.get(spec.key), "unreplayed": unreplayed.get(spec.key, {}), **sizes})
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
    print_content(rows)


def print_content(rows: list[dict]) -> None:
    """Each page against its content floor: the same messages replayed by the bare app with no work
    behind them. What the page costs above its floor is the server's work; the floor's own ratio to
    the bare app is what drawing that content costs the browser."""
    def ms(v):
        return f"{v:7.0f}" if v is not None else "      —"

    def ratio(v, b):
        return f"{v / b:6.1f}x" if v is not None and b else "      —"

    print(f"\n{'role':<8} {'page':<12} {'switch':>7} {'floor':>7} {'x floor':>8} {'floor x bare':>12}"
          f" {'visible':>7} {'x bare':>7} {'widget':>7} {'floor':>7} {'x floor':>8} {'floor x btn':>11}   replayed")
    print("-" * 146)
    for r in rows:
        cs, cw = r.get("content_switch"), r.get("content_widget")
        kb, el = r.get("content_switch_bytes"), r.get("content_switch_elements")
        replayed = "—" if kb is None else f"{kb / 1024:.1f} KB {el:.0f} el"
        other = r.get("unreplayed") or {}
        if other:
            replayed += "; not replayed: " + ", ".join(f"{k} {v / 1024:.1f} KB" for k, v in sorted(
                other.items(), key=lambda kv: -kv[1]) if v >= 512 or k == "unresolved reference")
        print(f"{r['role']:<8} {r['page']:<12} {ms(r['switch'])} {ms(cs)} {ratio(r['switch'], cs):>8}"
              f" {ratio(cs, r['bare_switch']):>12} {ms(r.get('visible_switch'))} {ratio(r.get('visible_switch'), r['bare_switch']):>7}"
              f" {ms(r['widget'])} {ms(cw)} {ratio(r['widget'], cw):>8}"
              f" {ratio(cw, r['bare_button']):>11}   {replayed}")
    for role, ms_grid in GRID.items():
        bare_sw = next((r["bare_switch"] for r in rows if r["role"] == role), None)
        if not bare_sw or ms_grid is None:
            continue
        print(f"one table ({role}'s rounds): a bare page of a title and one 20-row st.dataframe, page switch"
              f" {ms_grid:.0f} ms = {ms_grid / bare_sw:.1f}x the bare page switch")
    print("floor: the bare app replaying the page's own messages (bytes, elements, charts, grids), no script work;"
          " visible: replaying only what could be seen (closed tabs' and expanders' bodies left out)")


def print_sizes(rows: list[dict]) -> None:
    """What each figure is made of: KB received over the websocket during the action, element
    containers and DOM nodes in the settled main area, and its height in px (medians)."""
    def cell(r, k):
        b, e, hid, n, h = (r.get(f"{k}_{x}") for x in ("bytes", "elements", "hidden", "nodes", "height"))
        return "—" if b is None else f"{b / 1024:.1f} KB {e:.0f} el ({hid or 0:.0f} hidden) {n:.0f} nodes {h:.0f} px"

    print(f"\n{'role':<8} {'page':<12} {'page switch':<52} {'widget change':<52} {'main action':<52}")
    print("-" * 176)
    for r in rows:
        print(f"{r['role']:<8} {r['page']:<12} {cell(r, 'switch'):<52} {cell(r, 'widget'):<52} {cell(r, 'action'):<52}")
    seen = set()
    for r in rows:
        if r["role"] not in seen:
            seen.add(r["role"])
            print(f"bare app ({r['role']}'s rounds): switch {cell(r, 'bare_switch')}; button {cell(r, 'bare_button')}")
        if r.get("floor_bytes") is not None:
            print(f"floor ({r['floor_n']} containers): {cell(r, 'floor')}")


LOAD_TIMEOUT_MS = 30000


def cpu_seconds(process: subprocess.Popen) -> float:
    """User plus system CPU the process has used so far."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ProtocolSession:
    """A signed-in session that speaks Streamlit's websocket protocol as the browser does (the
    session cookie on the handshake, a rerun request per page switch with the hashes of the messages
    it holds), without drawing anything: the server's side of a browser session, at the cost of a
    few protobuf parses on the load generator instead of a Chromium renderer."""

    def __init__(self, base: str, cookie: str) -> None:
        self.base, self.cookie = base, cookie
        self.pages: dict[str, str] = {}  # url path -> page script hash, from the navigation message
        self.cached: set[str] = set()
        self.ws = None

    async def open(self) -> None:
        import websockets

        self.ws = await websockets.connect(
            self.base.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"], max_size=None,
            additional_headers={"Cookie": self.cookie, "Origin": self.base})

    async def switch(self, path: str) -> float:
        """Milliseconds from the rerun request to the script's finish (reruns it asks for included)."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = "lang=zh"
        state.page_name = path
        state.page_script_hash = self.pages.get(path, "")
        state.cached_message_hashes.extend(self.cached)
        state.context_info.timezone = "Asia/Shanghai"
        state.context_info.locale = "zh-CN"
        state.context_info.url = f"{self.base}/{path}"
        started = time.monotonic()
        await self.ws.send(msg.SerializeToString())
        while True:
            reply = ForwardMsg.FromString(await asyncio.wait_for(self.ws.recv(), LOAD_TIMEOUT_MS / 1000))
            kind = reply.WhichOneof("type")
            if reply.metadata.cacheable and reply.hash:
                self.cached.add(reply.hash)
            if kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in reply.navigation.app_pages}
            elif kind == "script_finished" and reply.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                return (time.monotonic() - started) * 1000

    async def close(self) -> None:
        await self.ws.close()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan")


async def _sign_in(browser, app: Server, username: str):
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = await ctx.new_page()
    await page.goto(f"{app.url}/?lang=zh")
    await page.get_by_label("用户名", exact=True).fill(username)
    await page.get_by_label("密码", exact=True).fill(PASSWORD)
    await page.locator('[data-testid="stFormSubmitButton"] button').click()
    await page.locator('[data-testid="stSidebarNav"]').wait_for(timeout=60000)
    await page.wait_for_timeout(2500)  # the session cookie is written shortly after
    return ctx, page


async def _browser_switch(tab, path: str) -> tuple[float, bool]:
    """One click-to-settled page switch in a real tab; (ms, settled in time)."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    await tab.bring_to_front()
    await tab.evaluate(ARM, STABLE_MS)
    clicked = time.monotonic()
    try:
        await tab.locator(f'[data-testid="stSidebarNav"] a[href$="/{path}"]').first.click(timeout=LOAD_TIMEOUT_MS)
        handle = await tab.wait_for_function("() => window.__ccBench.check()", timeout=LOAD_TIMEOUT_MS, polling=100)
        return float(await handle.json_value()), True
    except PlaywrightTimeout:  # never settled in time: counted, at least as slow as the wait
        return (time.monotonic() - clicked) * 1000, False


async def _load(app: Server, username: str, sessions: int, seconds: float, page_paths: list[str],
                clients: str) -> None:
    """`sessions` signed-in sessions switching pages at once. With clients="protocol" one of them is
    a real Chromium tab (its click-to-settled times are what a user feels under that load) and the
    others speak the websocket protocol; with clients="browser" all are Chromium tabs, whose
    renderers then share the machine's cores with the server."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        first, page = await _sign_in(browser, app, username)
        storage = await first.storage_state()
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in storage["cookies"])
        rss_one = app.rss_mb()
        tabs, others = [page], []
        for _ in range(sessions - 1):
            if clients == "browser":
                ctx = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN",
                                                storage_state=storage)
                tab = await ctx.new_page()
                await tab.goto(f"{app.url}/{page_paths[0]}?lang=zh")
                tabs.append(tab)
            else:
                other = ProtocolSession(app.url, cookie)
                await other.open()
                await other.switch(page_paths[0])
                others.append(other)
        for tab in tabs:
            await tab.locator('[data-testid="stSidebarNav"]').wait_for(timeout=120000)
        rss_all = app.rss_mb()
        felt: list[float] = []
        served: list[float] = []
        timeouts = [0]
        stop_at = time.monotonic() + seconds
        cpu_before = cpu_seconds(app.process)

        async def in_tab(tab, offset: int) -> None:
            i = offset
            while time.monotonic() < stop_at:
                i += 1
                ms, settled = await _browser_switch(tab, page_paths[i % len(page_paths)])
                felt.append(ms)
                timeouts[0] += not settled

        async def in_protocol(other: ProtocolSession, offset: int) -> None:
            i = offset
            while time.monotonic() < stop_at:
                i += 1
                try:
                    served.append(await other.switch(page_paths[i % len(page_paths)]))
                except TimeoutError:
                    timeouts[0] += 1
                    served.append(float(LOAD_TIMEOUT_MS))

        await asyncio.gather(*(in_tab(t, n) for n, t in enumerate(tabs)),
                             *(in_protocol(o, n) for n, o in enumerate(others)))
        cpu = cpu_seconds(app.process) - cpu_before
        rss_end = app.rss_mb()
        for other in others:
            await other.close()
        await browser.close()
    switches = len(felt) + len(served)
    print(f"\nload: {sessions} signed-in sessions ({username}; {len(tabs)} Chromium tab(s), {len(others)} protocol"
          f" sessions) switching between {', '.join(p or 'home' for p in page_paths)} for {seconds:.0f} s")
    print(f"page switches: {switches}; {timeouts[0]} did not finish within {LOAD_TIMEOUT_MS / 1000:.0f} s (counted with"
          f" the time waited)")
    print(f"  felt in Chromium (click to settled): {len(felt)}, median {statistics.median(felt) if felt else float('nan'):.0f}"
          f" ms, p95 {p95(felt):.0f} ms (target < 1000 ms)")
    if served:
        print(f"  served to protocol sessions (request to script finished): {len(served)}, median"
              f" {statistics.median(served):.0f} ms, p95 {p95(served):.0f} ms")
    print(f"  server CPU: {cpu:.1f} s in {seconds:.0f} s, {cpu * 1000 / max(1, switches):.0f} ms per page switch"
          f" ({cpu / seconds:.2f} cores busy)")
    print(f"server memory: {rss_one:.0f} MB with one session, {rss_all:.0f} MB with {sessions}, {rss_end:.0f} MB at the end;"
          f" {(rss_all - rss_one) / max(1, sessions - 1):.1f} MB per added session when connected,"
          f" {(rss_end - rss_one) / max(1, sessions - 1):.1f} MB after switching (target <= 30 MB)")


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
    parser.add_argument("--clients", choices=["protocol", "browser"], default="protocol",
                        help="load mode: one Chromium tab and protocol sessions (default), or all Chromium tabs")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print("needs Debian's chromium (apt-get install chromium)")
        return 2

    folder = Path(tempfile.mkdtemp(prefix="clientcrew-browser-bench-"))
    env = {"DATABASE_URL": args.url, "CLIENTCREW_COOKIE_KEY": os.environ.get("CLIENTCREW_COOKIE_KEY", "bench-cookie-key-" + "b" * 40)}
    app = Server(ROOT / "app.py", env, folder / "app.log")
    bare_script = folder / "bare_app.py"
    bare_script.write_text(BARE_APP)
    replay_file = folder / "replay.bin"
    bare = Server(bare_script, {"REPLAY_FILE": str(replay_file)}, folder / "bare.log")
    print(f"app {app.url} on {args.url}; bare app {bare.url}; logs in {folder}", flush=True)
    try:
        if args.load:
            asyncio.run(_load(app, args.load_user, args.sessions, args.seconds, ["", "customers"], args.clients))
            return 0
        from playwright.sync_api import sync_playwright

        rows: list[dict] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for role in args.roles:
                    rows += bench_role(browser, app.url, bare.url, role, args.pages or [], args.rounds, replay_file)
            finally:  # the roles measured are printed even when a later one fails
                browser.close()
                if rows:
                    print_table(rows)
    finally:
        app.stop()
        bare.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
