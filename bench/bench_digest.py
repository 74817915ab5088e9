"""Per-chat digest building on the benchmark archives: median/p99 with and without topics, and chats/s.

For each archive size the corpus is loaded once (as the delivery engine does once per fan-out),
then the digests of `--chats` synthetic chats are built as the engine builds each chat's
(`store.subscriptions.chat_digest` selects, `render.digest.render_digest` packs the HTML).
The chats mix what a real fan-out sees: half without topics, half with one to three keywords drawn from the archive's most frequent regions and figure labels;
a third with nothing new since their last digest, a third with the last few documents new, a
third for whom everything is new (a bulk import); each already sent a prefix of its rotation.
The first chat pays for what is computed once per corpus version (reported as "first");
"chats/s" is how many digests the preparation builds per second over the whole mix, first
chat included, against the 30 messages/s the bot may send.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
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
    """Give each chat the rotation prefix `days` earlier digests sent (setup, not timed).

    The prefixes are read from a copy of the corpus, so the timed run starts with nothing
    computed; before the corpus index existed, the whole rotation order was computed instead.
    """
    from store import digest

    copy = digest.Corpus(corpus.documents, corpus.facts, corpus.outcomes)
    orders: dict[tuple[str, ...], list[int]] = {}
    for chat in chats:
        key, n = chat["topics"], chat["days"] * max_items
        if hasattr(digest, "next_in_rotation"):
            prefix, _ = digest.next_in_rotation(copy, key, sent_ids=set(), shown=set(), limit=n)
            chat["sent"] = {f.id for f in prefix[:n]}
            continue
        if key not in orders:
            orders[key] = [f.id for f in digest.rotation_order(corpus, key)]
        chat["sent"] = set(orders[key][:n])


def _subscription(chat: dict[str, Any], now: datetime) -> Any:
    from store.subscriptions import Subscription

    return Subscription(
        chat_id=1, active=True, hour=8, minute=30, timezone="Asia/Shanghai", topics=list(chat["topics"]),
        created_at=now - timedelta(days=365), last_digest_at=chat["since"],
    )


def run_size(label: str, articles: int, *, chats: int, seed: int, sent_state: bool) -> dict[str, Any]:
    """Load one archive's corpus and build the digests of `chats` chats; return the timings."""
    from sqlmodel import Session

    from render.digest import render_digest
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
        digest = render_digest(
            subs.chat_digest(sub, corpus=corpus, local_date=day, now=now, sent_ids=chat.get("sent", set()))
        )
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

TOKEN = "7000000001:BENCH-token-abcdefghijklmnopqrstuvwxyz"


def _fanout_subscribe(engine: Any, specs: list[dict[str, Any]], slot: datetime) -> list[int]:
    """Subscribe one chat per spec (topics; nothing new since yesterday's digest, or everything)."""
    from sqlalchemy import insert

    from store import subscriptions as subs

    ids = [(-1_000_000_000_000 - n) if n % 10 == 0 else 100_000 + n for n in range(len(specs))]
    long_ago = slot - timedelta(days=400)
    rows: list[dict[str, Any]] = [
        {
            "chat_id": chat_id, "chat_type": "supergroup" if chat_id < 0 else "private", "title": "",
            "active": True, "hour": slot.hour, "minute": slot.minute, "timezone": "UTC",
            "topics": list(spec["topics"]), "created_at": long_ago, "schedule_changed_at": long_ago,
            "last_digest_at": slot - timedelta(days=1) if spec["case"] == 0 else None,
        }
        for chat_id, spec in zip(ids, specs, strict=True)
    ]
    with engine.begin() as conn:
        conn.execute(insert(subs.Subscription), rows)
    return ids


async def _fanout(db_url: str, specs: list[dict[str, Any]], slot: datetime, server_rate: float,
                  push_rate: float, concurrency: int, warm: bool = False) -> dict[str, Any]:
    """The real delivery engine fans one digest out to every chat through the fake Bot API."""
    from telegram.ext import ExtBot

    from delivery.config import PushConfig, make_rate_limiter
    from delivery.engine import Push
    from store.db import init_db, make_engine
    from tests.fake_bot_api import FakeBotApi

    class Rate:
        push_rate = 0.0

    Rate.push_rate = push_rate
    engine = make_engine(db_url)
    init_db(engine)  # the copy may predate the newest migration
    ids = _fanout_subscribe(engine, specs, slot)
    async with FakeBotApi(rate_limit=server_rate) as api:
        bot: Any = ExtBot(TOKEN, base_url=api.base_url, rate_limiter=make_rate_limiter(Rate()))
        async with bot:
            push = Push(engine=engine, bot=bot, config=PushConfig(concurrency=concurrency), clock=lambda: slot)
            if warm:  # a running bot's tick loaded the corpus before the slot (delivery.engine.warm_corpus)
                await asyncio.to_thread(push.warm_corpus)
            cpu, start, mono = time.process_time(), time.perf_counter(), time.monotonic()
            report = await push.fanout()
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        sent = api.sent_messages()
        statuses = [c.status for c in api.calls("sendMessage")]
    engine.dispose()
    return {
        "chats": len(ids), "with_topics": sum(1 for s in specs if s["topics"]),
        "server_limit_per_s": server_rate, "push_rate": push_rate, "concurrency": concurrency,
        **common.send_counts(sent, ids, statuses, elapsed, server_rate),
        "outcomes": dict(report.outcomes),
        "first_send_after_s": round(sent[0].at - mono, 2) if sent else None,  # claims + corpus load
        "cpu_s": round(cpu, 2),
    }


def run_fanout(label: str, articles: int, *, chats: int, seed: int, server_rate: float, push_rate: float,
               concurrency: int, warm: bool = False) -> dict[str, Any]:
    """Fan out to `chats` chats on a throw-away copy of one archive's database."""
    import tempfile
    from pathlib import Path

    from store import digest

    db = common.ensure_db(label, articles)
    with tempfile.TemporaryDirectory(prefix="bench-digest-", dir=common.OUT_DIR) as tmp:
        copy = Path(tmp) / "fanout.db"
        with sqlite3.connect(f"file:{db.path}?mode=ro", uri=True) as src, sqlite3.connect(copy) as dst:
            src.backup(dst)
        with sqlite3.connect(copy) as conn:
            times = [datetime.fromisoformat(t) for (t,) in conn.execute("SELECT ingested_at FROM document")]
        newest = max(times).replace(tzinfo=UTC)
        slot = (newest + timedelta(days=1)).replace(minute=30, second=0, microsecond=0)
        fake = digest.Corpus(tuple(
            digest.DigestDocument(id=i, title="", ingested_at=t.replace(tzinfo=UTC)) for i, t in enumerate(times)
        ))
        specs = _chats(fake, chats, _topic_pool(db.path, TOPIC_POOL), seed)
        for n, spec in enumerate(specs):
            spec["case"] = 0 if n % 3 == 0 else 2  # nothing new since yesterday / everything new
        result = asyncio.run(_fanout(f"sqlite:///{copy}", specs, slot, server_rate, push_rate, concurrency, warm))
    result["label"] = label
    result["warm"] = warm
    result["target_met"] = bool(result["share_of_limit"] and result["share_of_limit"] >= 0.9
                                and not result["duplicates"] and not result["missing"])
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """CLI."""
    p = argparse.ArgumentParser(prog="python -m bench.bench_digest", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1k,10k", help="archive sizes (default 1k,10k)")
    p.add_argument("--chats", type=int, default=2000, help="chats per size (default 2000)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-sent", action="store_true", help="chats have sent nothing yet (skips the setup)")
    p.add_argument("--out", default="digest", help="result name: bench/out/<out>.json")
    p.add_argument("--fanout", type=int, default=0, metavar="N",
                   help="instead: the real engine sends N chats' digests (fake Bot API, 30/s) on a copy of each archive")
    p.add_argument("--server-rate", type=float, default=SEND_RATE, help="fake server limit, messages/s")
    p.add_argument("--push-rate", type=float, default=28.0, help="PUSH_RATE of the bot, messages/s")
    p.add_argument("--concurrency", type=int, default=8, help="PUSH_CONCURRENCY")
    p.add_argument("--warm", action="store_true",
                   help="with --fanout: the corpus is loaded before the slot, as a running bot's tick does")
    args = p.parse_args(argv)
    common.setup_logging()
    if args.fanout:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # request URLs carry the token
        fanouts = [
            run_fanout(label, n, chats=args.fanout, seed=args.seed, server_rate=args.server_rate,
                       push_rate=args.push_rate, concurrency=args.concurrency, warm=args.warm)
            for label, n in common.parse_sizes(args.sizes)
        ]
        print(common.table(
            ["archive", "chats", "with topics", "sent", "missing", "dupes", "429s", "elapsed", "msg/s",
             "of limit", "cpu", "target ≥ 90 %"],
            [[f["label"], f["chats"], f["with_topics"], f["sent"], f["missing"], f["duplicates"], f["http_429"],
              f"{f['elapsed_s']} s", f["rate_per_s"], f"{f['share_of_limit']:.1%}", f"{f['cpu_s']} s",
              "met" if f["target_met"] else "NOT met"] for f in fanouts],
        ))
        print(common.machine_line())
        common.write_result(args.out + "_fanout", {"fanouts": fanouts})
        return 0 if all(f["target_met"] for f in fanouts) else 1
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
