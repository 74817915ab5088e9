"""`python -m bot feeds add|list|remove|poll`: manage RSS/Atom feeds and poll them from the shell."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from store.feeds import PollResult
    from store.ingest.fetch import FetchPolicy
    from store.models import Feed
    from store.service import FactStore

log = logging.getLogger(__name__)

# How often `feeds poll` (without --once) looks for due feeds.
LOOP_SECONDS = 60


def fetch_policy() -> FetchPolicy:
    """The fetch policy, with FETCH_ALLOW_PRIVATE from the environment or .env."""
    from bot.env import env_value
    from store.ingest.fetch import ALLOW_PRIVATE_ENV, FetchPolicy

    value = (env_value(ALLOW_PRIVATE_ENV) or "").strip().lower()
    return FetchPolicy(allow_private=value in ("1", "true", "yes", "on"))


def _open_store() -> FactStore:
    from bot.cli import _open_store as open_store

    return open_store()


def feed_json(feed: Feed) -> dict[str, Any]:
    """A feed as one JSON object (the `feeds list --jsonl` contract)."""

    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": feed.id,
        "url": feed.url,
        "name": feed.name,
        "interval": feed.interval_minutes,
        "paused": feed.paused,
        "failures": feed.failures,
        "last_status": feed.last_status or None,
        "last_error": feed.last_error,
        "last_polled_at": iso(feed.last_polled_at),
        "next_poll_at": iso(feed.next_poll_at),
    }


def cmd_add(args: argparse.Namespace) -> int:
    """Add a feed; it is polled at the next `feeds poll` (or by the running bot)."""
    from store import db
    from store.feeds import DEFAULT_INTERVAL_MINUTES, FeedError, add_feed

    store = _open_store()
    interval = args.interval if args.interval is not None else DEFAULT_INTERVAL_MINUTES
    with db.session_scope(store.engine) as session:
        try:
            feed = add_feed(args.url, session=session, name=args.name or "", interval_minutes=interval)
        except FeedError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"added feed #{feed.id}: {feed.url} (every {feed.interval_minutes} min)")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """List feeds, one line (or one JSON object) each."""
    from store import db
    from store.feeds import list_feeds

    store = _open_store()
    with db.session_scope(store.engine) as session:
        feeds = list_feeds(session=session)
        for feed in feeds:
            if args.jsonl:
                sys.stdout.write(json.dumps(feed_json(feed), ensure_ascii=False) + "\n")
                continue
            state = "paused" if feed.paused else (feed.last_status or "not polled yet")
            error = f" — {feed.last_error}" if feed.last_error else ""
            print(f"#{feed.id}  {feed.name or '—'}  {feed.url}  every {feed.interval_minutes} min  [{state}]{error}")
        if not feeds and not args.jsonl:
            print("no feeds (add one with: python -m bot feeds add URL)")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """Remove a feed (its documents stay)."""
    from store import db
    from store.feeds import remove_feed

    store = _open_store()
    with db.session_scope(store.engine) as session:
        feed = remove_feed(args.id, session=session)
    if feed is None:
        print(f"error: no feed #{args.id}", file=sys.stderr)
        return 1
    print(f"removed feed #{args.id}: {feed.url}")
    return 0


def _poll_once(store: FactStore, policy: FetchPolicy, *, force: bool) -> list[PollResult]:
    from bot.cli import _announce_after_ingest

    results = store.poll_feeds(policy=policy, force=force)
    for result in results:
        print(result.line())
        sys.stdout.flush()
    new = [doc for result in results for doc in result.new_documents]
    if new:
        _announce_after_ingest(store, new)
    return results


def cmd_poll(args: argparse.Namespace) -> int:
    """Poll due feeds: one line per feed; --once for a single round, else every minute until ^C."""
    store = _open_store()
    policy = fetch_policy()
    results = _poll_once(store, policy, force=args.all)
    if args.once:
        if not results:
            print("no feed is due (use --all to poll every feed now)")
        return 0
    while True:
        time.sleep(LOOP_SECONDS)
        _poll_once(store, policy, force=False)


def add_parser(sub: Any) -> None:
    """Register `feeds` and its subcommands on the top-level subparsers."""
    feeds = sub.add_parser("feeds", help="RSS/Atom feeds: add, list, remove, poll")
    commands = feeds.add_subparsers(dest="feeds_command", required=True)

    p = commands.add_parser("add", help="add a feed")
    p.add_argument("url")
    p.add_argument("--name", default="")
    p.add_argument("--interval", type=int, default=None, metavar="MIN", help="minutes (default 30)")
    p.set_defaults(func=cmd_add)

    p = commands.add_parser("list", help="list feeds")
    p.add_argument("--jsonl", action="store_true", help="one JSON object per feed")
    p.set_defaults(func=cmd_list)

    p = commands.add_parser("remove", help="remove a feed")
    p.add_argument("id", type=int)
    p.set_defaults(func=cmd_remove)

    p = commands.add_parser("poll", help="poll due feeds, ingest new items, queue announcements")
    p.add_argument("--once", action="store_true", help="one round, then exit")
    p.add_argument("--all", action="store_true", help="poll every unpaused feed, due or not")
    p.set_defaults(func=cmd_poll)
