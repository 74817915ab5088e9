"""Digest fan-out to many chats against the fake Bot API limited to 30 messages/s: rate and duplicates.

The real delivery engine (delivery.engine.Push: claims, batching, PTB's AIORateLimiter paced at
PUSH_RATE) sends one digest to each of N subscribed chats through the fake server on
127.0.0.1, which answers 429 retry_after=1 above its limit. The figure is delivered messages per
second over the whole fan-out (claiming included) as a share of the server's limit (target
≥ 90 %), with zero duplicates and every chat served.

`--replicas 2` runs the deployment of many processes instead: two real `python -m bot run`
processes (webhook mode) on one database, each with its own tick and its own AIORateLimiter at
PUSH_RATE; the fan-out lease lets one replica at a time send, so the bot as a whole keeps the
server's limit. The chats are subscribed for a slot a minute ago; the time runs from the
subscription until the last chat is served (first tick and claim included).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
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
        statuses = [c.status for c in api.calls("sendMessage")]
        from sqlmodel import Session

        with Session(store.engine) as session:
            states = subs.delivery_counts(session=session)
    return {
        "chats": chats,
        "server_limit_per_s": server_rate,
        "push_rate": push_rate,
        "concurrency": concurrency,
        **common.send_counts(sent, ids, statuses, elapsed, server_rate),
        "outcomes": dict(report.outcomes),
        "delivery_states": states,
        "cpu_s": round(cpu, 2),
    }


def _subscribe_due_now(engine: Any, chats: int) -> list[int]:
    """Subscribe `chats` chats (every tenth a supergroup) for a Shanghai slot one minute ago."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from sqlalchemy import insert

    from store import subscriptions as subs

    due = datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(minutes=1)
    ids = [(-1_000_000_000_000 - n) if n % 10 == 0 else 100_000 + n for n in range(chats)]
    rows: list[dict[str, Any]] = [
        {
            "chat_id": chat_id, "chat_type": "supergroup" if chat_id < 0 else "private", "title": "",
            "active": True, "hour": due.hour, "minute": due.minute, "timezone": "Asia/Shanghai",
            "topics": [], "created_at": SLOT, "schedule_changed_at": SLOT,
        }
        for chat_id in ids
    ]
    with engine.begin() as conn:
        conn.execute(insert(subs.Subscription), rows)
    return ids


# A replica fan-out that has not finished after this long is reported as it stands.
REPLICA_TIMEOUT_PER_CHAT = 0.2  # seconds


async def _fanout_replicas(
    workdir: Path, db_url: str, chats: int, replicas: int, server_rate: float, push_rate: float, concurrency: int,
) -> dict[str, Any]:
    from sqlmodel import Session

    from store import subscriptions as subs
    from store.service import FactStore
    from tests.replicakit import WebhookBotApi, running_cluster

    engine = FactStore.open(db_url).engine  # seeds an empty database, as `bot run` would
    api = WebhookBotApi(rate_limit=server_rate)
    env = {"PUSH_RATE": str(push_rate), "PUSH_CONCURRENCY": str(concurrency), "LOG_LEVEL": "INFO"}
    async with running_cluster(workdir, db_url, api, replicas=replicas, **env) as cluster:
        mark = api.mark()
        start = time.monotonic()
        ids = set(_subscribe_due_now(engine, chats))
        deadline = start + 60 + chats * REPLICA_TIMEOUT_PER_CHAT
        while time.monotonic() < deadline and len(api.sent) < len(ids):  # O(1): keep the server's loop free
            await asyncio.sleep(0.5)
        end = time.monotonic()
        await asyncio.sleep(3.0)  # a few more ticks: anything sent twice shows up
        alive = sum(1 for r in cluster.replicas if r.process is not None and r.process.returncode is None)
        # How often the fan-out lease changed hands (1: one replica sent everything).
        takeovers = sum(r.log().count("fan-out lease taken") for r in cluster.replicas)
        sent = [c for c in api.sent_messages(since=mark) if c.chat_id in ids]
        statuses = [c.status for c in api.calls("sendMessage", since=mark)]
    with Session(engine) as session:
        states = subs.delivery_counts(session=session)
    elapsed = (max(c.at for c in sent) if sent else end) - start
    return {
        "replicas": replicas,
        "replicas_alive_at_end": alive,
        "lease_taken": takeovers,
        "chats": chats,
        "server_limit_per_s": server_rate,
        "push_rate": push_rate,
        "concurrency": concurrency,
        **common.send_counts(sent, ids, statuses, elapsed, server_rate),
        "delivery_states": states,
        "cpu_s": None,
    }


def run(
    *, chats: int, server_rate: float, push_rate: float, concurrency: int, replicas: int = 1,
    database_url: str | None = None,
) -> dict[str, Any]:
    """Measure one fan-out (in this process, or by `replicas` bot processes); print the table; write JSON."""
    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        db_url = database_url or f"sqlite:///{Path(tmp) / 'bot.db'}"
        if replicas > 1:
            result = asyncio.run(
                _fanout_replicas(Path(tmp), db_url, chats, replicas, server_rate, push_rate, concurrency)
            )
        else:
            result = asyncio.run(_fanout(db_url, chats, server_rate, push_rate, concurrency))
    result["machine"] = common.machine_info()
    ok = result["share_of_limit"] >= 0.9 and result["duplicates"] == 0 and result["missing"] == 0
    result["target_met"] = ok
    print(common.table(
        ["replicas", "chats", "sent", "missing", "dupes", "429s", "elapsed", "msg/s", "of limit", "cpu",
         "target ≥90 %"],
        [[
            replicas, result["chats"], result["sent"], result["missing"], result["duplicates"], result["http_429"],
            f"{result['elapsed_s']} s", result["rate_per_s"], f"{result['share_of_limit']:.1%}",
            "—" if result['cpu_s'] is None else f"{result['cpu_s']} s", "met" if ok else "NOT met",
        ]],
    ))
    print(common.machine_line(result["machine"]))
    common.write_result("fanout" if replicas == 1 else f"fanout_{replicas}_replicas", result)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """CLI."""
    p = argparse.ArgumentParser(prog="python -m bench.bench_fanout", description=__doc__.splitlines()[0])
    p.add_argument("--chats", type=int, default=10_000)
    p.add_argument("--server-rate", type=float, default=30.0, help="fake server limit, messages/s")
    p.add_argument("--push-rate", type=float, default=28.0, help="PUSH_RATE of the bot, messages/s")
    p.add_argument("--concurrency", type=int, default=8, help="PUSH_CONCURRENCY")
    p.add_argument("--replicas", type=int, default=1, help="bot processes sharing the fan-out (1: in this process)")
    p.add_argument("--database-url", default=None, help="with --replicas: a database to use (default: a temp SQLite)")
    args = p.parse_args(argv)
    common.setup_logging()
    # httpx logs every request URL at INFO, and the URL carries the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    result = run(
        chats=args.chats, server_rate=args.server_rate, push_rate=args.push_rate, concurrency=args.concurrency,
        replicas=args.replicas, database_url=args.database_url,
    )
    return 0 if result["target_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
