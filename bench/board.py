"""Board bench: the Board rerun with about 50 visible cards, and a drop from event to redrawn board,
each as a ratio to an empty page's rerun (all measured the same way, in AppTest).

Baselines: a bare empty Streamlit script, and an empty page inside the signed-in app shell. The
board is a fragment, so a drop (or a card's button) reruns only the fragment in a server: its run
is timed inside the full rerun (bench.pages.time_fragments). The floor is a bare script drawing
the same number of keyed containers with one line of text each: the least a card can cost when
cards are ordinary Streamlit containers, as streamlit-dnd requires.

    python -m bench.board --url sqlite:////tmp/large.db      # a database holding the large demo
    python -m bench.board --scale small                       # builds the small demo first

The drop scenario sets a fresh streamlit-dnd event (the first visible card of one member moved to
the next member, at the version drawn) and times the run that applies it and draws the result.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from bench.pages import FRAGMENT_TIMES, Baselines, build_database, signed_in_app, time_fragments

FLOOR_SCRIPT = """
import streamlit as st
for i in range({n}):
    with st.container(key=f"card-{{i}}", border=True):
        st.markdown(f"**Card {{i}}**")
"""


def _timed(app) -> float:
    start = time.perf_counter()
    app.run()
    return time.perf_counter() - start


def _cards(at) -> list[tuple[str, int, int]]:
    """(column key, task id, version) of the first card of each member column as drawn."""
    drawn = at.session_state["_task_dnd_drawn_stdnd"]
    found = []
    for key, ids in drawn.items():
        if key.startswith("bcol-m-") and key != "bcol-m-none" and ids:
            found.append((key, ids[0]))
    return found


def _version(task_id: int) -> int:
    from db.engine import make_engine
    from db.models import Task
    from db.session import read_session

    engine = make_engine(os.environ["DATABASE_URL"])
    with read_session(engine) as s:
        version = s.get(Task, task_id).version
    engine.dispose()
    return version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="large", choices=["small", "large"])
    parser.add_argument("--url", help="database URL holding a demo (used as is; the drop runs write to it)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--user", default="manager")
    args = parser.parse_args(argv)
    url = args.url or build_database(args.scale)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CLIENTCREW_COOKIE_KEY", "bench-cookie-key-" + "b" * 40)

    time_fragments()
    baselines = Baselines()
    bare_times, shell_times, floor_times = [], [], []

    def baseline_round(floor_at=None) -> None:
        """Rerun the baselines between measured runs, so the machine's drift cancels out."""
        bare_times.append(_timed(baselines.bare))
        shell_times.append(_timed(baselines.shell))
        if floor_at is not None:
            floor_times.append(_timed(floor_at))

    at = signed_in_app(args.user, lang="en")
    at.run()
    at.switch_page("pages/board.py")
    start = time.perf_counter()
    at.run()
    cold = time.perf_counter() - start
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    shown = sum(len(ids) for ids in at.session_state["_task_dnd_drawn_stdnd"].values())
    from streamlit.testing.v1 import AppTest

    floor_at = AppTest.from_string(FLOOR_SCRIPT.format(n=shown), default_timeout=60)
    floor_at.run()
    reruns, fragments = [], []
    for _ in range(args.runs):
        baseline_round(floor_at)
        FRAGMENT_TIMES.clear()
        reruns.append(_timed(at))
        fragments.append(max(FRAGMENT_TIMES, default=0.0))
    rerun, fragment = statistics.median(reruns), statistics.median(fragments)

    drops, drop_fragments = [], []
    for n in range(args.runs):
        cards = _cards(at)
        if len(cards) < 2:
            raise RuntimeError("need two member columns with cards to bench a drop")
        (src, task_id), (dst, _) = cards[0], cards[1]
        at.session_state["stdnd"] = {
            "event_id": f"bench-{time.time_ns()}-{n}", "from_container": src, "to_container": dst,
            "item_key": f"task-{task_id}-v{_version(task_id)}", "from_index": 0, "to_index": 0,
        }
        baseline_round()
        FRAGMENT_TIMES.clear()
        drops.append(_timed(at))
        drop_fragments.append(max(FRAGMENT_TIMES, default=0.0))
        if at.exception or not at.success:
            raise RuntimeError(f"the drop did not apply: {[e.value for e in at.exception]} {[e.value for e in at.error]}")
    drop, drop_fragment = statistics.median(drops), statistics.median(drop_fragments)
    baseline, shell, floor = statistics.median(bare_times), statistics.median(shell_times), statistics.median(floor_times)

    def line(name: str, seconds: float) -> str:
        return f"{name:<48} {seconds * 1000:7.1f} ms  {seconds / baseline:5.1f}x empty  {seconds / shell:5.1f}x shell"

    print(f"\n{shown} visible cards, median of {args.runs} runs (cold first board run {cold * 1000:.0f} ms)")
    print(line("empty script (bare Streamlit)", baseline))
    print(line("empty page in the signed-in app shell", shell))
    print(line("board: full rerun", rerun))
    print(line("board: its fragment (a board interaction)", fragment))
    print(line("drop -> redrawn board: full run", drop))
    print(line("drop -> redrawn board: the fragment (server)", drop_fragment))
    print(line(f"floor: {shown} bare keyed containers, one line each", floor))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
