"""Page speed benchmark: each page's script run as a ratio to an empty Streamlit page.

    python -m bench.pages                     # builds the large demo in a temporary SQLite file
    python -m bench.pages --scale small       # quick look
    python -m bench.pages --url sqlite:////tmp/large.db --skip-build   # reuse a built database

Each page runs in Streamlit's AppTest (the real app.py, signed in) once cold, then `--runs` times
warm, each warm rerun alternating with a rerun of the two baselines; the table shows the cold
first run, the median warm rerun and two ratios: to a bare empty Streamlit script ("x empty"), and
to an empty page inside the signed-in app shell ("x shell": what the page itself adds on top of
login, navigation and sidebar). "frag" is the page's largest fragment, timed inside the rerun: in
a server, a widget inside a fragment reruns that fragment alone. Scenarios beyond "open the page" (filters, a drop, a live refresh) are
registered in SCENARIOS and measured the same way.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EMPTY_PAGE = "import streamlit as st\nst.write('')\n"


@dataclass
class Result:
    name: str
    user: str
    cold_s: float
    warm_s: float
    ratio: float  # to a bare empty Streamlit script
    shell_ratio: float  # to an empty page inside the signed-in app shell
    fragment_s: float = 0.0  # the page's largest fragment run (what a widget inside it reruns)
    fragment_ratio: float = 0.0
    fragment_shell_ratio: float = 0.0


def register_shell_baseline() -> str:
    """Add bench/empty_page.py to the navigation of every role (in this process only)."""
    from core import navigation

    spec = navigation.PageSpec("bench_empty", "bench/empty_page.py", "bench-empty", ":material/timer:",
                               navigation.ALL_ROLES, "work")
    navigation.PAGES = navigation.PAGES + (spec,)
    navigation.PAGES_BY_KEY = {**navigation.PAGES_BY_KEY, spec.key: spec}  # else app.py's menu refuses it
    return spec.file


FRAGMENT_TIMES: list[float] = []


def time_fragments() -> None:
    """Wrap st.fragment (in this process only) so each run of a fragment's function is timed. In
    a server, a widget inside a fragment reruns that fragment alone; AppTest always reruns the
    whole script, so the fragment's own share of a full run is what a server would spend."""
    import functools

    import streamlit as st

    original = st.fragment

    def timed(func=None, *, run_every=None):
        def wrap(f):
            @functools.wraps(f)
            def inner(*args, **kwargs):
                start = time.perf_counter()
                try:
                    return f(*args, **kwargs)
                finally:
                    FRAGMENT_TIMES.append(time.perf_counter() - start)

            return original(inner, run_every=run_every)

        return wrap(func) if func is not None else wrap

    st.fragment = timed


def _share_compiled_scripts() -> None:
    """AppTest compiles every script afresh on each run; a server compiles each once and keeps the
    bytecode. Share one script cache across runs so reruns are timed as a server runs them."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    app_test.ScriptCache = lambda: shared
    local_script_runner.ScriptCache = lambda: shared




def _keep_navigation_mode() -> None:
    """AppTest resets Streamlit's 'pages folder' flag before every run, so each run of an app with
    a pages/ folder goes through the old file-based emulation (list the folder, build a page per
    file, navigate) before app.py. A server does that on its very first run only: app.py's
    st.navigation turns the emulation off for the process. Keep the flag as st.navigation left it."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test

    class _PagesManagerFlagGuard:
        uses_pages_directory = None  # AppTest's reset lands here, not on the real class

        def __new__(cls, *args, **kwargs):
            return PagesManager(*args, **kwargs)

    app_test.PagesManager = _PagesManagerFlagGuard


_share_compiled_scripts()
_keep_navigation_mode()


def signed_in_app(username: str, lang: str = "zh"):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["lang"] = lang
    from core.sessions import start_for_username
    from db.engine import database_url, make_engine

    engine = make_engine(database_url())
    at.session_state["_session_token"] = start_for_username(engine, username)  # a real server-side session
    engine.dispose()
    return at


def _open_page(file: str, username: str, prepare: Callable | None = None):
    """An AppTest on `file`, signed in, warmed up; returns (AppTest, cold first run in seconds)."""
    at = signed_in_app(username)
    at.run()
    at.switch_page(file)
    start = time.perf_counter()
    at.run()
    cold = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(f"{file} raised: {[e.value for e in at.exception]}")
    if prepare is not None:
        prepare(at)
        at.run()
    at.run()
    return at, cold


class Baselines:
    """The two empty pages, rerun alternately with each page measured, so that the machine's
    drift (seen here: the same rerun 30 % slower ten minutes later) cancels out of the ratios."""

    def __init__(self) -> None:
        from streamlit.testing.v1 import AppTest

        self.bare = AppTest.from_string(EMPTY_PAGE, default_timeout=60)
        self.bare.run()
        self.shell, _ = _open_page(register_shell_baseline(), "manager")


def bench_page(file: str, username: str, runs: int, prepare: Callable | None = None,
               baselines: Baselines | None = None) -> dict[str, float]:
    """Seconds: cold (first run), warm (median rerun), fragment (median of the page's largest
    fragment run, 0 without fragments) and, with `baselines`, bare and shell (their medians over
    the same interleaved rounds)."""
    at, cold = _open_page(file, username, prepare)
    samples: dict[str, list[float]] = {"warm": [], "fragment": [], "bare": [], "shell": []}

    def timed(app) -> float:
        start = time.perf_counter()
        app.run()
        return time.perf_counter() - start

    for _ in range(runs):
        if baselines is not None:
            samples["bare"].append(timed(baselines.bare))
            samples["shell"].append(timed(baselines.shell))
        FRAGMENT_TIMES.clear()
        samples["warm"].append(timed(at))
        samples["fragment"].append(max(FRAGMENT_TIMES, default=0.0))
    result = {"cold": cold}
    result.update({k: statistics.median(v) for k, v in samples.items() if v})
    return result


def build_database(scale: str) -> str:
    from demo import build_demo
    from db.engine import make_engine
    from db.migrate import upgrade

    folder = Path(tempfile.mkdtemp(prefix="clientcrew-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    start = time.perf_counter()
    counts = build_demo(engine, scale=scale)
    print(f"built the {scale} demo in {time.perf_counter() - start:.1f} s: "
          + ", ".join(f"{k}={v}" for k, v in counts.items() if k in ("members", "customers", "interactions", "tasks", "goals")))
    engine.dispose()
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="large", choices=["small", "large"])
    parser.add_argument("--url", help="database URL to use instead of building one")
    parser.add_argument("--skip-build", action="store_true", help="use --url as it is")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pages", nargs="*", help="only these page keys")
    args = parser.parse_args(argv)

    url = args.url if (args.url and args.skip_build) else build_database(args.scale)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CLIENTCREW_COOKIE_KEY", "bench-cookie-key-" + "b" * 40)

    from bench.scenarios import SCENARIOS
    from core.navigation import PAGES

    time_fragments()
    baselines = Baselines()
    results: list[Result] = []
    bare_all, shell_all = [], []

    def measure(name: str, file: str, user: str, prepare: Callable | None = None) -> None:
        m = bench_page(file, user, args.runs, prepare, baselines)
        bare_all.append(m["bare"])
        shell_all.append(m["shell"])
        results.append(Result(name, user, m["cold"], m["warm"], m["warm"] / m["bare"], m["warm"] / m["shell"],
                              m["fragment"], m["fragment"] / m["bare"], m["fragment"] / m["shell"]))

    for spec in PAGES:
        if (args.pages and spec.key not in args.pages) or spec.key == "bench_empty":
            continue
        measure(spec.key, spec.file, "admin" if spec.key == "admin" else ("member" if spec.key == "my_tasks" else "manager"))
    for name, (file, user, prepare) in SCENARIOS.items():
        if not args.pages or name in args.pages:
            measure(name, file, user, prepare)

    bare, shell = statistics.median(bare_all), statistics.median(shell_all)
    print(f"\nempty Streamlit script rerun: {bare * 1000:.1f} ms; empty page inside the signed-in app shell: "
          f"{shell * 1000:.1f} ms ({shell / bare:.1f}x the bare script)")
    print(f"(medians over all rounds; each page's ratios use the baselines measured in its own {args.runs} rounds)\n")
    print(f"{'page / scenario':<34} {'user':<8} {'cold ms':>9} {'rerun ms':>9} {'x empty':>8} {'x shell':>8}"
          f" {'frag ms':>8} {'x empty':>8} {'x shell':>8}")
    print("-" * 108)
    for r in results:
        fragment = (f" {r.fragment_s * 1000:>8.1f} {r.fragment_ratio:>8.1f} {r.fragment_shell_ratio:>8.1f}"
                    if r.fragment_s else "")
        print(f"{r.name:<34} {r.user:<8} {r.cold_s * 1000:>9.1f} {r.warm_s * 1000:>9.1f} {r.ratio:>8.1f} {r.shell_ratio:>8.1f}"
              + fragment)
    print("\nfrag ms: the page's largest fragment, timed inside the full rerun; in a server a widget inside a"
          "\nfragment (the customer list's filters, the live charts) reruns only that fragment.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
