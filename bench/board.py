"""Board bench: the Board rerun with about 50 visible cards, and a drop from event to redrawn board,
each as a ratio to an empty Streamlit page's rerun (all measured the same way, in AppTest).

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

from bench.pages import build_database, empty_page_rerun, signed_in_app


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

    baseline = empty_page_rerun(args.runs)
    at = signed_in_app(args.user, lang="en")
    at.run()
    at.switch_page("pages/board.py")
    start = time.perf_counter()
    at.run()
    cold = time.perf_counter() - start
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    shown = sum(len(ids) for ids in at.session_state["_task_dnd_drawn_stdnd"].values())
    reruns = []
    for _ in range(args.runs):
        start = time.perf_counter()
        at.run()
        reruns.append(time.perf_counter() - start)
    rerun = statistics.median(reruns)

    drops = []
    for n in range(args.runs):
        cards = _cards(at)
        if len(cards) < 2:
            raise RuntimeError("need two member columns with cards to bench a drop")
        (src, task_id), (dst, _) = cards[0], cards[1]
        at.session_state["stdnd"] = {
            "event_id": f"bench-{time.time_ns()}-{n}", "from_container": src, "to_container": dst,
            "item_key": f"task-{task_id}-v{_version(task_id)}", "from_index": 0, "to_index": 0,
        }
        start = time.perf_counter()
        at.run()
        drops.append(time.perf_counter() - start)
        if at.exception or not at.success:
            raise RuntimeError(f"the drop did not apply: {[e.value for e in at.exception]} {[e.value for e in at.error]}")
    drop = statistics.median(drops)

    print(f"\nempty page rerun (median of {args.runs}): {baseline * 1000:.1f} ms")
    print(f"board ({shown} visible cards) cold {cold * 1000:.0f} ms, rerun {rerun * 1000:.1f} ms = {rerun / baseline:.1f}x empty")
    print(f"drop -> redrawn board {drop * 1000:.1f} ms = {drop / baseline:.1f}x empty")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
