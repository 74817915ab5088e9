"""Command line: ask, facts, ingest, feeds, sources, run, console, digest, subscribers, migrate."""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from store.service import FactStore
    from store.views import Answer

log = logging.getLogger(__name__)


def _database_url() -> str:
    """DATABASE_URL from the environment or .env, without importing the Telegram stack."""
    from bot.env import database_url_from_env

    return database_url_from_env()


def _open_store() -> FactStore:
    from bot.env import index_dir_from_env
    from store.service import FactStore

    return FactStore.open(_database_url(), index_dir=index_dir_from_env())


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer questions: one readable answer, or JSON lines for questions read from stdin."""
    store = _open_store()
    if args.jsonl:
        questions = [args.question] if args.question else (line.rstrip("\n") for line in sys.stdin)
        for question in questions:
            answers = store.ask(question, limit=args.limit) if question.strip() else []
            _print_json({"q": question, "answers": [a.to_json() for a in answers]})
            sys.stdout.flush()
        return 0
    if not args.question:
        print("用法：python -m bot ask \"问题\"   或   python -m bot ask --jsonl < questions.txt")
        return 2
    answers = store.ask(args.question, limit=args.limit)
    print(format_answers(args.question, answers))
    return 0 if answers else 1


def format_answers(question: str, answers: Sequence[Answer]) -> str:
    """Plain-text rendering for the terminal: figure, source sentence, title and date."""
    if not answers:
        return f"问：{question}\n没有找到可靠的答案（资料中没有相关数字）。"
    lines = [f"问：{question}"]
    for i, a in enumerate(answers, 1):
        doc = a.document
        when = doc.date or (str(doc.year) if doc.year else "")  # the year when no date is known
        where = " · ".join(p for p in (doc.title, "、".join(doc.regions), when) if p)
        head = f"{i}. {a.figure}" if a.figure else f"{i}."
        lines += [head, f"   「{a.text}」", f"   —— {where}（{a.doc}）"]
    return "\n".join(lines)


def facts_csv(facts: Iterable[dict[str, Any]]) -> bytes:
    """Facts as CSV (UTF-8 with BOM, so spreadsheets read Chinese): the `facts --jsonl` keys as columns."""
    rows = list(facts)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v for k, v in row.items()}
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def cmd_facts(args: argparse.Namespace) -> int:
    """Write every stored fact as JSON lines (or a short table)."""
    store = _open_store()
    if args.csv:
        sys.stdout.buffer.write(facts_csv(store.facts()))
        sys.stdout.flush()
        return 0
    for fact in store.facts():
        if args.jsonl:
            _print_json(fact)
        else:
            print(f"{fact['doc']}\t{fact['kind']}\t{fact['span']}\t{fact['value']}\t{fact['unit']}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    """Ingest files, folders and http(s) URLs and print one line per document."""
    store = _open_store()
    from bot.feeds_cli import fetch_policy

    # New documents are only recorded for announcement here (with each document, in its
    # transaction); the running bot, the one sender, posts them.
    reports = store.ingest_paths(
        args.paths, policy=fetch_policy(), announce=not args.no_announce, reread=args.reread
    )
    failed = 0
    for r in reports:
        if r.ok:
            print(f"{r.status:9} {r.name}: {r.sentences} sentences, {r.facts} facts")
        else:
            failed += 1
            print(f"refused   {r.name}: {r.reason}")
    added = [r for r in reports if r.status in ("added", "replaced")]
    print(f"{len(reports)} files: {len(added)} new or changed, {failed} refused")
    if added and not args.no_announce:
        print(f"{len(added)} announcement(s) recorded: the running bot posts them")
    return 1 if failed and not added and len(reports) == failed else 0


def _announce_after_ingest(store: FactStore, document_ids: list[int]) -> None:
    """Record documents stored outside `ingest_paths(announce=True)` (feeds) for the running bot."""
    from store import db
    from store.subscriptions import ANNOUNCE_INFO, record_pending_announcements

    with db.session_scope(store.engine) as session:
        session.info[ANNOUNCE_INFO] = True
        record_pending_announcements(document_ids, session=session)
        session.commit()


def cmd_sources(args: argparse.Namespace) -> int:
    """List the ingested documents (--jsonl: one JSON object per document, the benchmarks' contract)."""
    store = _open_store()
    if getattr(args, "jsonl", False):
        for d in store.documents():
            _print_json(
                {
                    "doc": d.name,
                    "title": d.title,
                    "date": d.date,  # YYYY-MM-DD, YYYY-MM or YYYY: as precise as the evidence, or null
                    "regions": list(d.regions),
                    "url": getattr(d, "url", None),
                    "facts": d.fact_count,
                }
            )
        return 0
    for d in store.documents():
        regions = "、".join(d.regions) or "—"
        print(f"{d.id:>4}  {d.name}  {d.title}  [{regions}]  {d.date or d.year or '—'}  {d.fact_count} facts")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the Telegram bot (BOT_MODE: long polling, or a webhook server)."""
    from bot.app import run

    return run()


def cmd_console(args: argparse.Namespace) -> int:
    """Start the console chat over the same handlers."""
    from bot.console import run_console

    return run_console()


def cmd_default(args: argparse.Namespace) -> int:
    """With a token run the bot, without one start the console."""
    from bot.env import token_configured

    return cmd_run(args) if token_configured() else cmd_console(args)


def cmd_digest(args: argparse.Namespace) -> int:
    """Print (dry run) or send one chat's next digest."""
    from bot.push_cli import cmd_digest as run

    return run(args)


def cmd_subscribers(args: argparse.Namespace) -> int:
    """List subscriptions."""
    from bot.push_cli import cmd_subscribers as run

    return run(args)


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring the database schema to the newest migration (or to --revision); print what moved."""
    from store import db, migrations

    engine = db.make_engine(_database_url())
    try:
        moved = migrations.upgrade(engine, args.revision)
        with engine.connect() as conn:
            current = migrations.current_revision(conn)
    finally:
        engine.dispose()
    print(f"schema {moved[0]} → {moved[1]}" if moved else f"schema at {current}, nothing to do")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for all commands."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="devnews-bot")
    parser.set_defaults(func=cmd_default)
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("ask", help="answer a question")
    p.add_argument("question", nargs="?", default="")
    p.add_argument("--jsonl", action="store_true", help="one JSON object per question from stdin")
    p.add_argument("--limit", type=int, default=5)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("facts", help="print every extracted fact")
    p.add_argument("--jsonl", action="store_true")
    p.add_argument("--csv", action="store_true", help="every fact as CSV (UTF-8 with BOM); targets and results: `export`")
    p.set_defaults(func=cmd_facts)

    p = sub.add_parser("ingest", help="ingest files, folders or http(s) URLs")
    p.add_argument("paths", nargs="+", metavar="PATH_OR_URL")
    p.add_argument("--no-announce", action="store_true", help="record no announcements")
    p.add_argument(
        "--reread", action="store_true", help="read and store again documents already stored (after an upgrade; restart the running bot after it)"
    )
    p.set_defaults(func=cmd_ingest)

    from bot.feeds_cli import add_parser as add_feeds_parser

    add_feeds_parser(sub)
    p = sub.add_parser("sources", help="list documents")
    p.add_argument("--jsonl", action="store_true", help="one JSON object per document")
    p.set_defaults(func=cmd_sources)
    sub.add_parser("run", help="run the Telegram bot").set_defaults(func=cmd_run)
    sub.add_parser("console", help="console chat").set_defaults(func=cmd_console)

    p = sub.add_parser("digest", help="a chat's next digest")
    p.add_argument("--chat", type=int, required=True)
    p.add_argument("--dry-run", action="store_true")
    p.set_defaults(func=cmd_digest)

    sub.add_parser("subscribers", help="list subscriptions").set_defaults(func=cmd_subscribers)

    p = sub.add_parser("migrate", help="apply pending schema migrations")
    p.add_argument("--revision", default="head", help="target revision (default: the newest)")
    p.set_defaults(func=cmd_migrate)

    from bot import track_cli

    track_cli.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the command; return the exit status."""
    from bot.env import log_level_from_env

    args = build_parser().parse_args(argv)
    try:
        level = log_level_from_env()
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        problem = _database_problem(exc)
        if problem is None:
            raise
        print(problem, file=sys.stderr)
        return 1


def _database_problem(exc: BaseException) -> str | None:
    """One line for an unusable database (not a database, damaged, unreachable), else None."""
    import sqlite3

    if not isinstance(exc, sqlite3.Error) and "sqlalchemy" not in sys.modules:
        return None  # neither the DB-API nor SQLAlchemy was used: not a database error
    from store.db import database_problem

    problem = database_problem(_database_url(), exc)
    return str(problem) if problem is not None else None
