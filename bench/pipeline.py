"""Pipeline bench at the large scale (200,000 deals): the pipeline board with 100 visible deals and
a stage drop, and the forecast for the largest team and for the whole organisation - each as a
ratio to an empty page's rerun measured in the same run (interleaved, as bench.board does).

    python -m bench.pipeline --url sqlite:////tmp/large.db      # a database holding the large demo
    python -m bench.pipeline --scale small                       # builds the small demo first

Board: the admin's board over every deal ("Close period: All"), 20 cards in each open stage and 10
in Won and Lost = 100 cards. The drop moves the first card of one open stage to the next, at the
version drawn, and times the run that applies it and redraws (the board is a fragment: its own run
is what a server spends). Forecast: the Forecast tab, each run after a write elsewhere (the data
revision bumped, so nothing comes from the cache), timed as a full run; plus the core forecast
call alone. The forecast is grouped SQL: deals are never loaded into Python one by one.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from bench.pages import FRAGMENT_TIMES, Baselines, build_database, signed_in_app, time_fragments


def _timed(app) -> float:
    start = time.perf_counter()
    app.run()
    return time.perf_counter() - start


def _engine():
    from db.engine import make_engine

    return make_engine(os.environ["DATABASE_URL"])


def _bump_revision(engine) -> None:
    """What any write anywhere does: cached reads are recomputed on the next run."""
    from sqlalchemy import delete, insert, select, update

    from db.models import Revision, TableRevision

    with engine.begin() as conn:  # as a write to a table nobody can name: every cached read is cold
        conn.execute(update(Revision).where(Revision.id == 1).values(value=Revision.value + 1))
        value = conn.execute(select(Revision.value).where(Revision.id == 1)).scalar_one()
        conn.execute(delete(TableRevision).where(TableRevision.name == "*"))
        conn.execute(insert(TableRevision).values(name="*", revision=value))


def _largest_team(engine) -> tuple[int, str, int]:
    from sqlalchemy import func, select

    from core.permissions import subtree_team_ids
    from db.models import Deal, Member, Team
    from db.session import read_session

    with read_session(engine) as s:
        best = None
        for team_id, name in s.execute(select(Team.id, Team.name)).all():
            sub = sorted(subtree_team_ids(s, {team_id}))
            n = s.scalar(select(func.count(Deal.id)).where(Deal.owner_id.in_(select(Member.id).where(Member.team_id.in_(sub)))))
            if best is None or n > best[2]:
                best = (team_id, name, n)
        return best


def _version(engine, deal_id: int) -> int:
    from db.models import Deal
    from db.session import read_session

    with read_session(engine) as s:
        return s.get(Deal, deal_id).version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="large", choices=["small", "large"])
    parser.add_argument("--url", help="database URL holding a demo (used as is; the drop runs write to it)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    url = args.url or build_database(args.scale)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CLIENTCREW_COOKIE_KEY", "bench-cookie-key-" + "b" * 40)
    engine = _engine()

    time_fragments()
    baselines = Baselines()
    bare_times, shell_times = [], []

    def baseline_round() -> None:
        bare_times.append(_timed(baselines.bare))
        shell_times.append(_timed(baselines.shell))

    # -- the board: 100 visible deals -----------------------------------------------------------
    at = signed_in_app("admin", lang="en")
    at.run()
    at.switch_page("pages/pipeline.py")
    at.run()
    at.session_state["pipe_period"] = "all"
    at.session_state["pipe_per_column"] = 20
    at.session_state["_pipe_limits"] = {"won": 10, "lost": 10}
    cold = _timed(at)
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    drawn = at.session_state["_task_dnd_drawn_pipe_dnd"]
    shown = sum(len(ids) for ids in drawn.values())
    reruns, fragments = [], []
    for _ in range(args.runs):
        baseline_round()
        FRAGMENT_TIMES.clear()
        reruns.append(_timed(at))
        fragments.append(max(FRAGMENT_TIMES, default=0.0))

    drops, drop_fragments = [], []
    order = ["pcol-lead", "pcol-qualified", "pcol-proposal", "pcol-negotiation"]
    for n in range(args.runs):
        drawn = at.session_state["_task_dnd_drawn_pipe_dnd"]
        src = order[n % 3]
        dst = order[n % 3 + 1]
        deal_id = drawn[src][0]
        at.session_state["pipe_dnd"] = {
            "event_id": f"bench-{time.time_ns()}-{n}", "from_container": src, "to_container": dst,
            "item_key": f"deal-{deal_id}-v{_version(engine, deal_id)}", "from_index": 0, "to_index": 0,
        }
        baseline_round()
        FRAGMENT_TIMES.clear()
        drops.append(_timed(at))
        drop_fragments.append(max(FRAGMENT_TIMES, default=0.0))
        if at.exception or not at.success:
            raise RuntimeError(f"the drop did not apply: {[e.value for e in at.exception]} {[e.value for e in at.error]}")

    # -- the forecast: largest team and whole organisation --------------------------------------
    from core import forecast
    from core.permissions import actor_for_user
    from db.models import User
    from db.session import read_session
    from sqlalchemy import select

    team_id, team_name, team_deals = _largest_team(engine)
    with read_session(engine) as s:
        admin = actor_for_user(s, s.scalar(select(User).where(User.username == "admin")))
    core_times: dict[str, list[float]] = {"team": [], "org": []}
    for _ in range(args.runs):
        for key, kwargs in (("team", {"team_id": team_id}), ("org", {})):
            with read_session(engine) as s:
                start = time.perf_counter()
                forecast.forecast(s, admin, **kwargs)
                forecast.stage_funnel(s, admin, **kwargs)
                core_times[key].append(time.perf_counter() - start)

    fc = signed_in_app("admin", lang="en")
    fc.run()
    fc.switch_page("pages/pipeline.py")
    fc.run()
    fc.session_state["pipe_section"] = "forecast"
    fc.run()
    page_times: dict[str, list[float]] = {"team": [], "org": []}
    for _ in range(args.runs):
        for key, choice in (("team", team_id), ("org", 0)):
            fc.session_state["pipe_fc_team"] = choice
            fc.run()  # settle the choice (cached), then time a run after a write elsewhere
            _bump_revision(engine)
            baseline_round()
            page_times[key].append(_timed(fc))
            if fc.exception:
                raise RuntimeError([e.value for e in fc.exception])

    baseline, shell = statistics.median(bare_times), statistics.median(shell_times)

    def line(name: str, seconds: float) -> str:
        return f"{name:<58} {seconds * 1000:8.1f} ms  {seconds / baseline:6.1f}x empty  {seconds / shell:5.1f}x shell"

    from sqlalchemy import func

    from db.models import Deal

    with read_session(engine) as s:
        total_deals = s.scalar(select(func.count(Deal.id)))
    print(f"\n{total_deals:,} deals; board with {shown} visible deals; median of {args.runs} runs "
          f"(cold first board run {cold * 1000:.0f} ms)")
    print(line("empty script (bare Streamlit)", baseline))
    print(line("empty page in the signed-in app shell", shell))
    print(line("pipeline board: full rerun", statistics.median(reruns)))
    print(line("pipeline board: its fragment (a board interaction)", statistics.median(fragments)))
    print(line("stage drop -> redrawn board: full run", statistics.median(drops)))
    print(line("stage drop -> redrawn board: the fragment (server)", statistics.median(drop_fragments)))
    print(line(f"forecast page, largest team ({team_name}, {team_deals:,} deals), fresh", statistics.median(page_times["team"])))
    print(line("forecast page, whole organisation, fresh", statistics.median(page_times["org"])))
    print(line("core: forecast + funnel, largest team (SQL only)", statistics.median(core_times["team"])))
    print(line("core: forecast + funnel, whole organisation (SQL only)", statistics.median(core_times["org"])))
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
