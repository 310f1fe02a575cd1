"""The demo workspace: a realistic, deterministic organisation for first start, and the same
generator at load-test size.

- `ensure_demo(engine)` builds the small demo when the database has no users (first start).
- `build_demo(engine, scale, seed, today)` builds into an empty (migrated) database and returns the
  row count of every table.
- `python -m demo [--scale small|large] [--url URL] [--if-empty]` migrates, builds and prints the
  counts and the elapsed time.

Demo logins, password `demo1234`: `admin`; `manager` (manages 华东客户部 and its three sub-teams);
`member` (an account manager in 大客户组, under `manager`); `zhang.wei`, `li.na`, `wang.fang` manage
the other top teams.

Determinism: every choice comes from `random.Random(seed)` and a Faker seeded with `seed`, and every
date is relative to `today`, so the same seed and day give the same rows (and, on a fresh database,
the same ids). Nothing happens after `today` 00:00 UTC except planned dates (due dates, follow-ups).

The package may import core: units, levels, the default cadence and service targets are core's, and
the numbers the demo sets targets and scores from are measured by `core.metrics` (`demo.measure`).

Modules: `vocabulary` (organisation and words), `scale` (small and large), `plans` (in-memory
records), `builder` (the transaction and the public functions), one module per step (`people`,
`customers`, `activity`, `pipeline`, `goals`, `evaluations`, `team_life`, `worker`), `cli`.
"""
from demo.builder import build_demo, ensure_demo, table_counts
from demo.scale import SCALES, Scale
from demo.vocabulary import DEFAULT_SEED, DEMO_PASSWORD

__all__ = ["DEFAULT_SEED", "DEMO_PASSWORD", "SCALES", "Scale", "build_demo", "ensure_demo", "table_counts"]
