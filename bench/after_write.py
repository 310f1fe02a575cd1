"""What a write costs the next visit to other pages (issue 15, "cold reads after any write").

    python -m bench.after_write --url sqlite:////tmp/large.db [--runs 5] [--pages evaluations roster ...]

Each page is opened in AppTest (the real app.py, signed in as a manager) and warmed; then, `--runs`
times alternately, (a) a task is changed (what a board drop writes) and the page rerun, and (b) a
write that names no table is made (what every write did before reads were tracked per table: all
cached reads cold) and the page rerun. The table shows the median rerun after each and their ratio:
how much of the page a board drop used to make cold for nothing.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from bench.pages import _open_page

PAGES = ["home", "customers", "goals", "evaluations", "roster", "service", "feedback", "training", "pipeline", "meeting"]


def _write(engine, unnamed: bool) -> None:
    from sqlalchemy import select, update

    from db.models import Task
    from db.session import _wrote, unit_of_work

    with unit_of_work(engine) as s:
        if unnamed:
            _wrote(s, None)  # a statement on a target nobody can name: every table counts as written
        else:
            task_id = s.scalar(select(Task.id).order_by(Task.id).limit(1))
            s.execute(update(Task).where(Task.id == task_id).values(title=Task.title))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--user", default="manager")
    parser.add_argument("--pages", nargs="*", default=PAGES)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.url
    os.environ.setdefault("CLIENTCREW_COOKIE_KEY", "bench-cookie-key-" + "b" * 40)
    from core.navigation import PAGES as SPECS
    from db.engine import make_engine

    engine = make_engine(args.url)
    files = {spec.key: spec.file for spec in SPECS}
    print(f"{'page':<12} {'after a task write':>20} {'after a write to all':>22} {'saved':>8}")
    for key in args.pages:
        at, _cold = _open_page(files[key], args.user)
        task, every = [], []
        for _ in range(args.runs):
            for unnamed, samples in ((False, task), (True, every)):
                _write(engine, unnamed)
                start = time.perf_counter()
                at.run()
                samples.append(time.perf_counter() - start)
                if at.exception:
                    raise RuntimeError(f"{key} raised: {[e.value for e in at.exception]}")
        a, b = statistics.median(task) * 1000, statistics.median(every) * 1000
        print(f"{key:<12} {a:>17.0f} ms {b:>19.0f} ms {b / a:>7.1f}x", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
