"""Command line for targets against results: `track` and `export`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from store.series import Resolved, TrackQuery
    from store.service import FactStore

STATUS_WORDS = {"met": "完成", "missed": "未完成", "pending": "尚无结果", "unknown": "无法判断"}


def _open_store() -> FactStore:
    from bot.env import database_url_from_env
    from store.service import FactStore

    return FactStore.open(database_url_from_env())


def _unresolved(kind: str, typed: str, resolved: Resolved) -> str:
    choices = "、".join(resolved.choices) or "—"
    return f"未知{kind}：{typed}。可选：{choices}"


def format_track(query: TrackQuery) -> str:
    """Plain-text table of a tracked metric: year, target, result, status and sources."""
    lines = [f"{query.place.name} · {query.metric.name}"]
    for row in query.rows:
        target = row.target.span if row.target else "—"
        result = row.result.span if row.result else "—"
        lines.append(f"{row.year}  目标 {target}  实际 {result}  {STATUS_WORDS[row.status]}")
        for label, fact in (("目标", row.target), ("实际", row.result)):
            if fact is not None:
                lines.append(f"      {label}来源：「{fact.sentence}」（{fact.doc}）")
    return "\n".join(lines)


def cmd_track(args: argparse.Namespace) -> int:
    """Track a metric of a place year by year (JSON lines with --jsonl)."""
    from store.series import track_query

    store = _open_store()
    query = track_query(store.index, args.place, args.metric)
    if query.place.name is None:
        print(_unresolved("地区", args.place, query.place), file=sys.stderr)
        return 2
    if query.metric.name is None and not query.metric.choices:  # no metric given
        print(f"{query.place.name} 可跟踪的指标：" + ("、".join(query.metrics) or "—"))
        return 0
    if query.metric.name is None:
        print(_unresolved("指标", args.metric, query.metric), file=sys.stderr)
        return 2
    if args.jsonl:
        for row in query.rows:
            sys.stdout.write(json.dumps(row.to_json(), ensure_ascii=False) + "\n")
        return 0 if query.rows else 1
    if not query.rows:
        print(f"{query.place.name} 没有 {query.metric.name} 的目标或结果。可跟踪的指标："
              + ("、".join(query.metrics) or "—"))
        return 1
    print(format_track(query))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write targets and results as CSV (UTF-8 with BOM) to stdout or --output."""
    from store.series import csv_bytes, export_query

    store = _open_store()
    place, metric, facts = export_query(store.index, args.place, args.metric)
    for kind, typed, resolved in (("地区", args.place, place), ("指标", args.metric, metric)):
        if resolved is not None and resolved.name is None:
            print(_unresolved(kind, typed, resolved), file=sys.stderr)
            return 2
    data = csv_bytes(facts)
    if args.output:
        with open(args.output, "wb") as out:
            out.write(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Add the `track` and `export` subcommands."""
    p = sub.add_parser("track", help="a place's targets against results, year by year")
    p.add_argument("place")
    p.add_argument("metric", nargs="?", default="")
    p.add_argument("--jsonl", action="store_true", help="one JSON object per year, oldest first")
    p.set_defaults(func=cmd_track)

    p = sub.add_parser("export", help="targets and results as CSV (UTF-8 with BOM)")
    p.add_argument("place", nargs="?", default=None)
    p.add_argument("metric", nargs="?", default=None)
    p.add_argument("--output", "-o", default=None, help="file to write (default: stdout)")
    p.set_defaults(func=cmd_export)
