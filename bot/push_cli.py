"""CLI side of digests and announcements: `digest --chat ID [--dry-run]`, `subscribers`, ingest announcements."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.config import Settings
    from delivery.report import FanoutReport

log = logging.getLogger(__name__)


def _settings() -> Settings | None:
    from bot.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return None


def _engine(settings: Settings) -> Engine:
    from store.service import FactStore

    return FactStore.open(settings.database_url).engine


def _redact(settings: Settings, text: str) -> str:
    token = settings.token
    return text.replace(token, "<TOKEN>") if token else text


async def _with_bot(settings: Settings, engine: Engine, work: Any) -> FanoutReport:
    """Run `work(push)` with a Bot built from settings (rate-limited like the running bot)."""
    from telegram.ext import ExtBot

    from bot.config import configure_logging
    from delivery.config import PushConfig, make_rate_limiter
    from delivery.engine import Push

    configure_logging(settings)  # redacts the token from every log line
    token = settings.token
    assert token is not None
    bot: ExtBot[Any] = ExtBot(
        token,
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_api_file_url,
        rate_limiter=make_rate_limiter(settings),
    )
    async with bot:
        push = Push(engine=engine, bot=bot, config=PushConfig.from_settings(settings))
        report: FanoutReport = await work(push)
        return report


def cmd_digest(args: argparse.Namespace) -> int:
    """Print a chat's next digest (--dry-run), or send today's digest to a subscribed chat now."""
    from sqlmodel import Session

    from delivery.config import PushConfig
    from render.digest import render_digest
    from store import subscriptions as subs

    settings = _settings()
    if settings is None:
        return 2
    engine = _engine(settings)
    config = PushConfig.from_settings(settings)
    now = datetime.now(UTC)
    with Session(engine) as session:
        sub = subs.get_subscription(session=session, chat_id=args.chat)
        if sub is not None:
            tz = subs.subscription_zone(sub, config.default_timezone)
            hour, minute = sub.hour, sub.minute
        else:
            tz = subs.zone(config.default_timezone) or ZoneInfo("UTC")
            hour, minute = config.default_hour, config.default_minute
        slot = subs.next_slot(hour, minute, tz, now)
        if args.dry_run:
            digest = render_digest(subs.digest_for_chat(
                session=session, chat_id=args.chat, local_date=slot.date(), now=now,
                corpus=subs.load_corpus(session=session),
            ))
            state = "not subscribed (defaults)" if sub is None else ("active" if sub.active else "inactive")
            print(f"# chat {args.chat} · {state} · next digest {slot:%Y-%m-%d %H:%M} {tz.key}")
            print(digest.html)
            return 0
    if sub is None:
        print(f"chat {args.chat} is not subscribed", file=sys.stderr)
        return 1
    if settings.token is None:
        print("TELEGRAM_BOT_TOKEN is not set: nothing sent (use --dry-run to print)", file=sys.stderr)
        return 2

    async def send(push: Any) -> Any:
        return await push.send_now(args.chat)

    try:
        outcome = asyncio.run(_with_bot(settings, engine, send))
    except Exception as exc:  # a network failure must not print a traceback with the URL
        print(f"digest not sent: {_redact(settings, str(exc))}", file=sys.stderr)
        return 1
    print(f"chat {args.chat}: {outcome}")
    return 0 if outcome == "sent" else 1


def cmd_subscribers(args: argparse.Namespace) -> int:
    """List every subscription with its schedule, topics and latest delivery."""
    from sqlmodel import Session

    from store import subscriptions as subs

    settings = _settings()
    if settings is None:
        return 2
    engine = _engine(settings)
    with Session(engine) as session:
        rows = subs.all_subscriptions(session=session)
        latest = subs.last_deliveries(session=session)
    if not rows:
        print("no subscriptions")
        return 0
    print(f"{'chat_id':>16}  {'type':10}  {'state':8}  time   {'timezone':16}  {'last digest':22}  topics")
    for sub in rows:
        d = latest.get(sub.chat_id)
        last = f"{d.local_date} {d.status}" if d else "—"
        state = "active" if sub.active else "off"
        topics = "、".join(sub.topics) or "all"
        print(
            f"{sub.chat_id:>16}  {sub.chat_type:10}  {state:8}  {sub.time_text}  "
            f"{sub.timezone:16}  {last:22}  {topics}"
        )
        if not sub.active and sub.deactivated_reason:
            print(f"{'':>16}  ↳ {sub.deactivated_reason}")
    active = sum(1 for s in rows if s.active)
    print(f"{len(rows)} subscriptions, {active} active")
    return 0
