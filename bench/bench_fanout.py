"""Digest fan-out to many chats against the fake Bot API limited to 30 messages/s: rate and duplicates.

The real delivery engine (delivery.engine.Push: claims, batching, PTB's AIORateLimiter paced at
PUSH_RATE) sends one digest to each of N subscribed chats through the fake server on
127.0.0.1, which answers 429 retry_after=1 above its limit. The figure is delivered messages per
second over the whole fan-out (claiming included) as a share of the server's limit (target
≥ 90 %), with zero duplicates and every chat served.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import common

log = logging.getLogger(__name__)

TOKEN = "7000000001:BENCH-token-abcdefghijklmnopqrstuvwxyz"
SLOT = datetime(2024, 5, 1, 0, 30, tzinfo=UTC)  # 08:30 Asia/Shanghai


def _subscribe(engine: Any, chats: int) -> list[int]:
    from sqlalchemy import insert

    from store import subscriptions as subs

    # Mostly private chats, every tenth a supergroup (group limits apply to negative ids).
    ids = [(-1_000_000_000_000 - n) if n % 10 == 0 else 100_000 + n for n in range(chats)]
    rows: list[dict[str, Any]] = [
        {
            "chat_id": chat_id, "chat_type": "supergroup" if chat_id < 0 else "private", "title": "",
            "active": True, "hour": 8, "minute": 30, "timezone": "Asia/Shanghai", "topics": [],
            "created_at": SLOT.replace(month=1), "schedule_changed_at": SLOT.replace(month=1),
        }
        for chat_id in ids
    ]
    with engine.begin() as conn:
        conn.execute(insert(subs.Subscription), rows)
    return ids


async def _fanout(db_url: str, chats: int, server_rate: float, push_rate: float, concurrency: int) -> dict[str, Any]:
    from telegram.ext import ExtBot

    from delivery.config import PushConfig, make_rate_limiter
    from delivery.engine import Push
    from store import subscriptions as subs
    from store.service import FactStore
    from tests.fake_bot_api import FakeBotApi

    class Rate:
        push_rate = 0.0

    Rate.push_rate = push_rate
    store = FactStore.open(db_url)
    ids = _subscribe(store.engine, chats)
    async with FakeBotApi(rate_limit=server_rate) as api:
        bot: Any = ExtBot(TOKEN, base_url=api.base_url, rate_limiter=make_rate_limiter(Rate()))
        async with bot:
            push = Push(
                engine=store.engine, bot=bot, config=PushConfig(concurrency=concurrency),
                clock=lambda: SLOT,
            )
            cpu, start = time.process_time(), time.perf_counter()
            report = await push.fanout()
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        sent = api.sent_messages()
        per_chat = Counter(c.chat_id for c in sent)
        statuses = Counter(c.status for c in api.calls("sendMessage"))
        first, last = sent[0].at, sent[-1].at
        from sqlmodel import Session

        with Session(store.engine) as session:
            states = subs.delivery_counts(session=session)
    return {
        "chats": chats,
        "server_limit_per_s": server_rate,
        "push_rate": push_rate,
        "concurrency": concurrency,
        "sent": len(sent),
        "chats_served": len(per_chat),
        "missing": len(set(ids) - set(per_chat)),
        "duplicates": sum(n - 1 for n in per_chat.values() if n > 1),
        "http_429": statuses.get(429, 0),
        "outcomes": dict(report.outcomes),
        "delivery_states": states,
        "elapsed_s": round(elapsed, 2),
        "rate_per_s": round(len(sent) / elapsed, 2),
        "steady_rate_per_s": round((len(sent) - 1) / (last - first), 2) if last > first else None,
        "share_of_limit": round(len(sent) / elapsed / server_rate, 4),
        "cpu_s": round(cpu, 2),
    }


def run(*, chats: int, server_rate: float, push_rate: float, concurrency: int) -> dict[str, Any]:
    """Measure one fan-out; print the table; write bench/out/fanout.json."""
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bot.db'}"
        result = asyncio.run(_fanout(db_url, chats, server_rate, push_rate, concurrency))
    result["machine"] = common.machine_info()
    ok = result["share_of_limit"] >= 0.9 and result["duplicates"] == 0 and result["missing"] == 0
    result["target_met"] = ok
    print(common.table(
        ["chats", "sent", "missing", "dupes", "429s", "elapsed", "msg/s", "of limit", "cpu", "target ≥90 %"],
        [[
            result["chats"], result["sent"], result["missing"], result["duplicates"], result["http_429"],
            f"{result['elapsed_s']} s", result["rate_per_s"], f"{result['share_of_limit']:.1%}",
            f"{result['cpu_s']} s", "met" if ok else "NOT met",
        ]],
    ))
    print(common.machine_line(result["machine"]))
    common.write_result("fanout", result)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """CLI."""
    p = argparse.ArgumentParser(prog="python -m bench.bench_fanout", description=__doc__.splitlines()[0])
    p.add_argument("--chats", type=int, default=10_000)
    p.add_argument("--server-rate", type=float, default=30.0, help="fake server limit, messages/s")
    p.add_argument("--push-rate", type=float, default=28.0, help="PUSH_RATE of the bot, messages/s")
    p.add_argument("--concurrency", type=int, default=8, help="PUSH_CONCURRENCY")
    args = p.parse_args(argv)
    common.setup_logging()
    # httpx logs every request URL at INFO, and the URL carries the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    result = run(chats=args.chats, server_rate=args.server_rate, push_rate=args.push_rate, concurrency=args.concurrency)
    return 0 if result["target_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
