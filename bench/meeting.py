"""Meeting bench: what one live refresh of the Meeting fragment costs on the server.

    python -m bench.meeting --url sqlite:////tmp/large.db     # a database holding the large demo
    python -m bench.meeting --scale small                      # builds the small demo first

The fragment runs every 2 s on every open Meeting page. Each tick reads the data revision and the
cached meeting data; only after a write anywhere does the data get recomputed. Measured here:
- idle tick: the revision poll plus the cache lookup, as the fragment does it;
- tick after a write: recomputing the team's meeting data and building its chart;
- the whole Meeting page rerun in AppTest, warm and right after a write (an upper bound for the
  fragment, which is a part of the page).
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date

from bench.pages import FRAGMENT_TIMES, Baselines, build_database, signed_in_app, time_fragments

def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="large", choices=["small", "large"])
    parser.add_argument("--url")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    url = args.url or build_database(args.scale)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CLIENTCREW_COOKIE_KEY", "bench-cookie-key-" + "b" * 40)

    from core import auth, goals, meeting
    from db.engine import make_engine
    from db.models import Setting
    from db.session import read_session, table_stamps, unit_of_work

    engine = make_engine(url)
    with read_session(engine) as s:
        actor = auth.actor_for_username(s, "manager")
        team_id = next(iter(meeting.meeting_teams(s, actor)))

    def poll() -> None:
        with read_session(engine) as s:
            table_stamps(s)

    def recompute() -> None:
        with read_session(engine) as s:
            data = meeting.meeting_board(s, actor, team_id, date.today())
        goals.overview_spec(data.goals, {"title": "t", "percent": "p", "goal": "g", "status": "s"},
                            {code: code for code in goals.STATUSES}, big=True)  # as the Meeting page builds it

    def write() -> None:
        with unit_of_work(engine) as s:
            row = s.get(Setting, "bench_tick") or Setting(key="bench_tick", value="0")
            row.value = str(int(row.value) + 1)
            s.add(row)

    idle = _median_ms(poll, args.runs * 3)
    changed = _median_ms(recompute, args.runs)

    time_fragments()
    at = signed_in_app("manager")
    at.run()
    at.switch_page("pages/meeting.py")
    at.run()
    baselines = Baselines()
    warm, bare = [], []
    for _ in range(args.runs):  # alternate with the empty page, so machine drift cancels out
        bare.append(_median_ms(baselines.bare.run, 1))
        warm.append(_median_ms(at.run, 1))
    page_warm, baseline = statistics.median(warm), statistics.median(bare)

    fragment_idle, fragment_changed = [], []
    for _ in range(args.runs):
        FRAGMENT_TIMES.clear()
        at.run()
        fragment_idle.append(FRAGMENT_TIMES[-1] * 1000)
        write()
        FRAGMENT_TIMES.clear()
        at.run()
        fragment_changed.append(FRAGMENT_TIMES[-1] * 1000)

    def page_after_write() -> None:
        write()
        at.run()

    page_changed = _median_ms(page_after_write, args.runs) - _median_ms(write, args.runs)

    print(f"\nMeeting fragment, team {team_id} (median of {args.runs} runs)")
    print(f"  idle tick (revision poll):                 {idle:8.1f} ms")
    print(f"  recompute after a write (data + chart):    {changed:8.1f} ms")
    print(f"  live fragment run, idle:                   {statistics.median(fragment_idle):8.1f} ms")
    print(f"  live fragment run after a write:           {statistics.median(fragment_changed):8.1f} ms"
          f"  (all: {', '.join(f'{v:.0f}' for v in fragment_changed)} ms; target < 100 ms)")
    print(f"  whole page rerun, warm (AppTest):          {page_warm:8.1f} ms  ({page_warm / baseline:.1f}x a bare empty script)")
    print(f"  whole page rerun after a write (AppTest):  {page_changed:8.1f} ms")
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
