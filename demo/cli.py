"""`python -m demo [--scale small|large] [--url URL] [--seed N] [--if-empty]`: migrate, build, print
the row counts and the elapsed time."""
from __future__ import annotations

import argparse
import sys
import time as clock

from sqlalchemy import func, select

from db.models import User
from db.session import read_session
from demo.builder import build_demo
from demo.scale import SCALES
from demo.vocabulary import DEFAULT_SEED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description="Build the ClientCrew demo workspace.")
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or the local SQLite file)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--if-empty", action="store_true", help="do nothing when the database already has users")
    args = parser.parse_args(argv)

    from db.engine import make_engine
    from db.migrate import upgrade

    started = clock.perf_counter()
    upgrade(args.url)
    engine = make_engine(args.url)
    try:
        with read_session(engine) as session:
            has_users = bool(session.scalar(select(func.count()).select_from(User)))
        if has_users:
            print("the database already has users; nothing built", file=sys.stderr)
            return 0 if args.if_empty else 1

        def report(label: str, fraction: float) -> None:
            print(f"[{clock.perf_counter() - started:7.1f}s] {fraction:4.0%} {label}", file=sys.stderr, flush=True)

        counts = build_demo(engine, scale=args.scale, seed=args.seed, progress=report)
    finally:
        engine.dispose()
    width = max(len(name) for name in counts)
    for name, count in counts.items():
        print(f"{name:<{width}}  {count:>9,}")
    print(f"built the {args.scale} demo in {clock.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
