"""Per-chat digest building on the benchmark archives: median/p99 with and without topics, and chats/s.

For each archive size the corpus is loaded once (as the delivery engine does once per fan-out),
then the digests of `--chats` synthetic chats are built with `store.subscriptions.chat_digest`,
the engine's per-chat call. The chats mix what a real fan-out sees: half without topics, half
with one to three keywords drawn from the archive's most frequent regions and figure labels;
a third with nothing new since their last digest, a third with the last few documents new, a
third for whom everything is new (a bulk import); each already sent a prefix of its rotation.
The first chat pays for what is computed once per corpus version (reported as "first");
"chats/s" is how many digests the preparation builds per second over the whole mix, first
chat included, against the 30 messages/s the bot may send.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench import common

SEND_RATE = 30.0  # messages/s Telegram allows a bot; the preparation must stay above it
TOPIC_POOL = 20  # distinct keywords chats choose from (regions and labels of the archive)


def _topic_pool(path: Any, size: int) -> list[str]:
    """The archive's most frequent regions and figure labels: keywords real chats would pick."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        labels = [r[0] for r in conn.execute(
            "SELECT label, count(*) c FROM fact WHERE label != '' GROUP BY label ORDER BY c DESC LIMIT ?",
            (size // 2,),
        )]
        regions: Counter[str] = Counter()
        for (raw,) in conn.execute("SELECT regions FROM document"):
            regions.update(json.loads(raw or "[]"))
    names = [r for r, _ in regions.most_common(size - len(labels))]
    return sorted(set(labels + names))


def _chats(corpus: Any, n: int, pool: Sequence[str], seed: int) -> list[dict[str, Any]]:
    """Synthetic chats: topics, the time of their last digest, how much of the rotation they had."""
    rng = random.Random(seed)
    times = sorted(d.ingested_at for d in corpus.documents if d.ingested_at is not None)
    last = times[-1]
    chats = []
    for i in range(n):
        topics = tuple(rng.sample(list(pool), rng.randint(1, 3))) if i % 2 else ()
        case = i % 3
        if case == 0:
            since = last + timedelta(minutes=rng.randint(1, 600))  # nothing new
        elif case == 1:
            since = times[max(0, len(times) - rng.randint(1, 20))] - timedelta(microseconds=1)
        else:
            since = times[0] - timedelta(days=1)  # everything is new (e.g. after a bulk import)
        chats.append({"topics": topics, "since": since, "days": rng.randint(0, 60)})
    return chats


def _sent_ids(corpus: Any, chats: list[dict[str, Any]], max_items: int) -> None:
    """Give each chat the rotation prefix `days` earlier digests sent (setup, not timed)."""
    from store.digest import rotation_order

    orders: dict[tuple[str, ...], list[int]] = {}
    for chat in chats:
        key = chat["topics"]
        if key not in orders:
            orders[key] = [f.id for f in rotation_order(corpus, key)]
        order = orders[key]
        chat["sent"] = set(order[: (chat["days"] * max_items) % (len(order) + 1)])


def _subscription(chat: dict[str, Any], now: datetime) -> Any:
    from store.subscriptions import Subscription

    return Subscription(
        chat_id=1, active=True, hour=8, minute=30, timezone="Asia/Shanghai", topics=list(chat["topics"]),
        created_at=now - timedelta(days=365), last_digest_at=chat["since"],
    )


def run_size(label: str, articles: int, *, chats: int, seed: int, sent_state: bool) -> dict[str, Any]:
    """Load one archive's corpus and build the digests of `chats` chats; return the timings."""
    from sqlmodel import Session

    from store import subscriptions as subs
    from store.db import make_engine

    db = common.ensure_db(label, articles)
    engine = make_engine(db.url)
    with Session(engine) as session:
        t0 = time.perf_counter()
        version = subs.corpus_version(session=session)
        t1 = time.perf_counter()
        corpus = subs.load_corpus(session=session)
        t2 = time.perf_counter()
    engine.dispose()
    specs = _chats(corpus, chats, _topic_pool(db.path, TOPIC_POOL), seed)
    if sent_state:
        _sent_ids(corpus, specs, 5)
    now = max(d.ingested_at for d in corpus.documents if d.ingested_at) + timedelta(days=1)
    day = date(now.year, now.month, now.day)
    subscriptions = [_subscription(c, now) for c in specs]
    times: dict[str, list[float]] = {"plain": [], "topics": []}
    first: dict[str, float] = {}
    empty = 0
    start = time.perf_counter()
    for chat, sub in zip(specs, subscriptions, strict=True):
        group = "topics" if chat["topics"] else "plain"
        c0 = time.perf_counter()
        digest = subs.chat_digest(sub, corpus=corpus, local_date=day, now=now, sent_ids=chat.get("sent", set()))
        elapsed = time.perf_counter() - c0
        first.setdefault(group, elapsed)
        times[group].append(elapsed)
        empty += digest.empty
    total = time.perf_counter() - start
    result: dict[str, Any] = {
        "label": label, "documents": len(corpus.documents), "facts": len(corpus.facts),
        "stale_db": db.stale, "corpus_version": list(version),
        "corpus_version_s": round(t1 - t0, 4), "load_corpus_s": round(t2 - t1, 3),
        "chats": chats, "empty_digests": empty, "total_s": round(total, 3),
        "chats_per_s": round(chats / total, 1) if total else None,
    }
    for group, values in times.items():
        if values:
            result[group] = {
                "n": len(values), "first_ms": round(first[group] * 1000, 2),
                "median_ms": round(common.median(values) * 1000, 3),
                "p99_ms": round(common.percentile(values, 99) * 1000, 3),
                "max_ms": round(max(values) * 1000, 2),
            }
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """CLI."""
    p = argparse.ArgumentParser(prog="python -m bench.bench_digest", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1k,10k", help="archive sizes (default 1k,10k)")
    p.add_argument("--chats", type=int, default=2000, help="chats per size (default 2000)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-sent", action="store_true", help="chats have sent nothing yet (skips the setup)")
    p.add_argument("--out", default="digest", help="result name: bench/out/<out>.json")
    args = p.parse_args(argv)
    common.setup_logging()
    results = [
        run_size(label, n, chats=args.chats, seed=args.seed, sent_state=not args.no_sent)
        for label, n in common.parse_sizes(args.sizes)
    ]
    rows = []
    for r in results:
        for group in ("plain", "topics"):
            g = r.get(group)
            if g:
                rows.append([
                    r["label"], r["facts"], "yes" if group == "topics" else "no", g["n"], g["first_ms"],
                    g["median_ms"], g["p99_ms"], r["load_corpus_s"], r["chats_per_s"],
                    "met" if (r["chats_per_s"] or 0) >= SEND_RATE else "NOT met",
                ])
    print(common.table(
        ["archive", "facts", "topics", "chats", "first ms", "median ms", "p99 ms", "load corpus s",
         "chats/s (all)", f"≥ {SEND_RATE:.0f}/s"],
        rows,
    ))
    print(common.machine_line())
    common.write_result(args.out, {"sizes": results, "when_utc": datetime.now(UTC).isoformat()})
    return 0 if all((r["chats_per_s"] or 0) >= SEND_RATE for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
