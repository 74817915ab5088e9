"""Cold start of `python -m bot ask "…"` against `python -c "import jieba; jieba.initialize()"`, same run.

Hyperfine-like: one warm-up run of each command (file cache), then N alternating runs; the
ratio of the medians is the figure (target ≤ 1.3×). The database is the seeds-only one.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from bench import common

log = logging.getLogger(__name__)

QUESTION = "京东方青岛项目总投资多少？"
JIEBA_CMD = "import jieba; jieba.initialize()"


def _time(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=common.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def run(*, runs: int, question: str = QUESTION, label: str = "seeds") -> dict[str, Any]:
    """Measure; print the table; write bench/out/cold_cli.json."""
    sizes = dict(common.parse_sizes(label))
    db = common.ensure_db(label, sizes[label])
    env = common.bench_env(db.url)
    bot = [sys.executable, "-m", "bot", "ask", question]
    jieba_cmd = [sys.executable, "-c", JIEBA_CMD]
    _time(bot, env)
    _time(jieba_cmd, env)
    bot_s: list[float] = []
    jieba_s: list[float] = []
    for _ in range(runs):
        bot_s.append(_time(bot, env))
        jieba_s.append(_time(jieba_cmd, env))
    bot_m, jieba_m = common.median(bot_s), common.median(jieba_s)
    out = {
        "question": question, "db": db.to_json(), "runs": runs, "bot": bot_s, "jieba": jieba_s,
        "bot_median": bot_m, "jieba_median": jieba_m, "ratio": bot_m / jieba_m,
        "ratio_per_pair_median": common.median([b / j for b, j in zip(bot_s, jieba_s, strict=True)]),
    }
    out["table"] = common.table(
        ["command", "median s", "min s", "max s", "ratio"],
        [
            [f'python -m bot ask "{question}"', f"{bot_m:.3f}", f"{min(bot_s):.3f}", f"{max(bot_s):.3f}",
             f"{out['ratio']:.2f}×"],
            [f'python -c "{JIEBA_CMD}"', f"{jieba_m:.3f}", f"{min(jieba_s):.3f}", f"{max(jieba_s):.3f}", "1.00×"],
        ],
    )
    path = common.write_result("cold_cli", out)
    print(out["table"])
    print(f"({runs} alternating runs after one warm-up each, {db.label} database; {path})")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """CLI."""
    p = argparse.ArgumentParser(prog="python -m bench.bench_cold_cli", description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--question", default=QUESTION)
    p.add_argument("--size", default="seeds", help="database size to ask (default seeds)")
    args = p.parse_args(argv)
    common.setup_logging()
    run(runs=args.runs, question=args.question, label=args.size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
